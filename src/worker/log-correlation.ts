// Inside a worker: every console.* call and every context.getLogger() call becomes one pino record
// that carries the request id of the invocation it belongs to, under concurrency and across awaits,
// timers and errors (AsyncLocalStorage follows the handler's async work). Secrets of the invocation
// are scrubbed from the text, and a record longer than 90 KB is cut into chunks (FunctionGraph's
// own Node logger cuts at 90 KB; log lines over 64 KiB broke other platforms' collectors).
import { AsyncLocalStorage } from 'node:async_hooks';
import { format, inspect } from 'node:util';
import type { Logger } from '../logging/logger.js';

export interface InvocationScope {
  readonly requestId: string;
  /** Secret values of this invocation (access keys, tokens) that must never be logged. */
  readonly secrets: readonly string[];
  /** The platform's trace id for this invocation (Lambda's X-Ray id), when it sent one. */
  readonly traceId?: string;
  /** Called before the invocation's first record, once (it writes the platform's start line). */
  beforeFirstRecord?: () => void;
}

export const invocationStore = new AsyncLocalStorage<InvocationScope>();

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** The object context.getLogger() returns. */
export interface HandlerLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** A record's message is cut into chunks of at most this many UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 88 * 1024;
const REDACTED = '[REDACTED]';
/** Shorter values are not scrubbed: replacing every "a" in a log line would help no one. */
const MIN_SECRET_LENGTH = 4;

let logger: Logger | undefined;

/** Routes console.* through pino; called once per worker. */
export function correlateConsole(log: Logger): void {
  logger = log;
  const levels: Array<[keyof Console, Level]> = [
    ['log', 'info'], ['info', 'info'], ['warn', 'warn'], ['error', 'error'], ['debug', 'debug'], ['trace', 'trace'],
  ];
  for (const [method, level] of levels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => emit(level, invocationStore.getStore(), args);
  }
  console.dir = (item: unknown, options?: object) => emit('info', invocationStore.getStore(), [inspect(item, options)]);
}

export function handlerLogger(scope: InvocationScope): HandlerLogger {
  return {
    debug: (...args) => emit('debug', scope, args),
    info: (...args) => emit('info', scope, args),
    warn: (...args) => emit('warn', scope, args),
    error: (...args) => emit('error', scope, args),
  };
}

function emit(level: Level, scope: InvocationScope | undefined, args: unknown[]): void {
  if (logger === undefined || !logger.isLevelEnabled(level)) return;
  if (scope?.beforeFirstRecord !== undefined) {
    const first = scope.beforeFirstRecord;
    scope.beforeFirstRecord = undefined;
    first();
  }
  const msg = scope === undefined ? format(...args) : scrub(format(...args), scope.secrets);
  const fields = scope === undefined ? {} : { requestId: scope.requestId };
  if (msg.length * 3 <= MAX_MESSAGE_BYTES || Buffer.byteLength(msg) <= MAX_MESSAGE_BYTES) {
    logger[level](fields, msg);
    return;
  }
  const chunks = splitByBytes(msg, MAX_MESSAGE_BYTES);
  chunks.forEach((chunk, i) => logger![level]({ ...fields, chunk: i + 1, chunks: chunks.length }, chunk));
}

/** The text with every secret value (of 4 characters or more) replaced by [REDACTED]. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Cuts text into pieces of at most maxBytes UTF-8 bytes, never inside a character. */
export function splitByBytes(text: string, maxBytes: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxBytes);
    // Shrink until the piece fits; a UTF-8 character is 1–4 bytes, so this converges quickly.
    while (Buffer.byteLength(text.slice(start, end)) > maxBytes) {
      end = start + Math.floor((end - start) * 0.75);
    }
    // Never split a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}
