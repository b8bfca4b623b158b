// pino set up once per thread: one JSON object per line on stdout (or a plain text line with
// FNPOOL_LOG_FORMAT=text), written synchronously to fd 1 from whichever thread logs. Each thread
// writes its own lines with one write(2) each, so no record waits on (or is lost with) another
// thread's event loop — piscina#331: asynchronous pino output from a worker lost a line.
import pino, { type Logger, type DestinationStream } from 'pino';
import type { LogFormat, LogLevel } from '../config/config.js';

export type { Logger };

/** Keys whose values never reach a log record, wherever they appear in a logged object. */
export const SECRET_KEYS = [
  'accessKey', 'secretKey', 'authToken', 'securityAccessKey', 'securitySecretKey', 'securityToken', 'token',
  'x-cff-access-key', 'x-cff-secret-key', 'x-cff-auth-token', 'x-cff-security-access-key',
  'x-cff-security-secret-key', 'x-cff-security-token', 'x-fc-access-key-id', 'x-fc-access-key-secret',
  'x-fc-security-token', 'authorization',
];

const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const access = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [access.startsWith('.') ? key : access, `*${access}`, `headers${access}`, `meta${access}`];
});

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Fields added to every record (the request id of the current invocation). */
  mixin?: () => Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions): Logger {
  const destination = pino.destination({ fd: 1, sync: true });
  return pino({
    level: opts.level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    mixin: opts.mixin,
  }, opts.format === 'text' ? textDestination(destination) : destination);
}

/** Re-renders each JSON record as `time LEVEL requestId message {rest}`: for people, not collectors. */
function textDestination(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      const { time, level, requestId, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      out.write(`${time} ${String(level).toUpperCase().padEnd(5)} ${requestId ?? '-'} ${msg ?? ''}${extra}\n`);
    },
  };
}
