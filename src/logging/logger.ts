// pino set up once per thread: one JSON object per line on stdout (or a plain text line with
// FNPOOL_LOG_FORMAT=text), written synchronously to fd 1 from whichever thread logs. Each thread
// writes its own lines with one write(2) each, so no record waits on (or is lost with) another
// thread's event loop — piscina#331: asynchronous pino output from a worker lost a line.
// No pino redaction: the runtime never logs headers or credentials, and what handlers log is
// scrubbed of the invocation's secret values before it reaches pino (log-correlation.ts);
// redaction paths cost ~7% of the main thread's time per invocation record.
import pino, { type Logger, type DestinationStream } from 'pino';
import type { LogStyle } from '../config/config.js';

export type { Logger };

export interface LoggerOptions extends Partial<Omit<LogStyle, 'level' | 'format'>>, Pick<LogStyle, 'level' | 'format'> {
  /**
   * Buffer writes while one is in flight (the main thread: under load its per-invocation records
   * go out in batches, one write(2) each, instead of one syscall per record). Worker threads write
   * synchronously: a thread may be terminated at any moment, and its records must be out by then.
   */
  batched?: boolean;
  /** Fields added to every record (the request id of the current invocation). */
  mixin?: () => Record<string, unknown>;
}

type Destination = ReturnType<typeof pino.destination>;
const batchedDestinations: Destination[] = [];

export function createLogger(opts: LoggerOptions): Logger {
  const destination = pino.destination({ fd: 1, sync: !opts.batched });
  if (opts.batched) batchedDestinations.push(destination);
  const timeKey = opts.timeKey ?? 'time';
  const upper = opts.upperLevel === true;
  return pino({
    level: opts.level,
    base: undefined,
    messageKey: opts.messageKey ?? 'msg',
    timestamp: timeKey === 'time' ? pino.stdTimeFunctions.isoTime : () => `,"${timeKey}":"${new Date().toISOString()}"`,
    formatters: { level: upper ? (label) => ({ level: label.toUpperCase() }) : (label) => ({ level: label }) },
    mixin: opts.mixin,
  }, opts.format === 'text' ? textDestination(destination) : opts.format === 'tsv' ? tsvDestination(destination) : destination);
}

/**
 * A plain line on stdout, in order with this thread's records (platform markers such as FC's
 * "FC Invoke Start RequestId: …"). On the main thread it goes through the batched destination,
 * so that a slow reader of stdout never blocks the thread that runs the platform's wire.
 */
export function writeLine(line: string): void {
  (batchedDestinations[0] ?? (lineDestination ??= pino.destination({ fd: 1, sync: true }))).write(`${line}\n`);
}
let lineDestination: Destination | undefined;

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

/**
 * `time\trequestId\tLEVEL\tmessage`, one line per record: the message's own newlines become \r
 * so that a collector that reads lines keeps a record whole (Lambda's Text log format).
 */
function tsvDestination(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      const { time, level, requestId, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      const text = `${String(msg ?? '')}${extra}`.replace(/\r?\n/g, '\r');
      out.write(`${time}\t${requestId ?? '-'}\t${String(level).toUpperCase()}\t${text}\n`);
    },
  };
}

/**
 * Writes out what batched loggers still hold, then closes them: call before process.exit. A
 * record already being written when stdout is full (EAGAIN) is retried on a timer, which
 * process.exit would cut off. Gives up after timeoutMs (a reader that never reads again), and
 * then leaves nothing for pino's exit hook to block on.
 */
export function endLogs(timeoutMs = 2000): Promise<void> {
  const destinations = batchedDestinations.splice(0);
  if (destinations.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let pending = destinations.length;
    const timer = setTimeout(() => {
      for (const destination of destinations) destination.destroy();
      resolve();
    }, timeoutMs);
    for (const destination of destinations) {
      destination.once('close', () => {
        if (--pending > 0) return;
        clearTimeout(timer);
        resolve();
      });
      destination.end();
    }
  });
}
