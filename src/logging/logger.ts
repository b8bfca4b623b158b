// pino set up once per thread: one JSON object per line on stdout (or lines for people with
// FNPOOL_LOG_FORMAT=text), written synchronously to fd 1 from whichever thread logs. Each thread
// writes its own lines with one write(2) each, so no record waits on (or is lost with) another
// thread's event loop — piscina#331: asynchronous pino output from a worker lost a line.
// No pino redaction: the runtime never logs headers or credentials, and what handlers log is
// scrubbed of the invocation's secret values before it reaches pino (log-correlation.ts);
// redaction paths cost ~7% of the main thread's time per invocation record.
import { writeSync } from 'node:fs';
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
/** The records of each batched destination not handed to it yet, by destination. */
const heldRecords = new Map<Destination, Held>();
/** Batched destinations whose reader is gone: pino made them no-ops. */
const brokenPipes = new WeakSet<Destination>();

/**
 * A batched logger's records go out once this much is held, else BATCH_FLUSH_MS after the first
 * record that is not out yet, or at once when the runtime goes idle (flushLogs). Each write(2) of
 * stdout is handed to a libuv pool thread, and waking one cost ~14 µs of the main thread's time
 * per record when every record was its own write (a no-op invocation costs ~200 µs in all).
 */
const BATCH_BYTES = 12 * 1024;
/** sonic-boom's own threshold: a whole batch is over it and is written at once; a flush writes what is less. */
const DESTINATION_MIN_BYTES = 4096;
const BATCH_FLUSH_MS = 20;
/** A flush is due: something was written to a batched destination since the last one. */
let flushTimer: NodeJS.Timeout | undefined;

export function createLogger(opts: LoggerOptions): Logger {
  const destination = pino.destination(opts.batched ? { fd: 1, sync: false, minLength: DESTINATION_MIN_BYTES } : { fd: 1, sync: true });
  if (opts.batched) {
    batchedDestinations.push(destination);
    // pino turns a destination whose reader is gone (EPIPE) into a no-op, end() included, so that
    // endLogs must not wait for its 'close' (a runtime whose stdout was closed took 2 s to exit).
    // Any other error is thrown, as it was with no listener.
    destination.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      brokenPipes.add(destination);
    });
  }
  const out = opts.batched ? flushedLater(destination) : destination;
  const timeKey = opts.timeKey ?? 'time';
  const upper = opts.upperLevel === true;
  return pino({
    level: opts.level,
    base: undefined,
    messageKey: opts.messageKey ?? 'msg',
    timestamp: timeKey === 'time' ? pino.stdTimeFunctions.isoTime : () => `,"${timeKey}":"${new Date().toISOString()}"`,
    formatters: { level: upper ? (label) => ({ level: label.toUpperCase() }) : (label) => ({ level: label }) },
    mixin: opts.mixin,
  }, opts.format === 'text' ? textDestination(out) : opts.format === 'tsv' ? tsvDestination(out) : out);
}

/**
 * Records held in an array and handed to sonic-boom as one string per batch. sonic-boom appends
 * each write to its last buffered string and measures that string's UTF-8 length every time
 * (sonic-boom 4.2), so that handing it records one by one cost the main thread 7.8 µs per
 * summary record against 3.1 µs this way (bench/probes/log-record.mjs, without event-loop turns).
 */
class Held {
  #parts: string[] = [];
  #length = 0;

  constructor(readonly destination: Destination) {}

  write(chunk: string): void {
    this.#parts.push(chunk);
    this.#length += chunk.length;
    if (this.#length >= BATCH_BYTES) this.handOver();
    flushTimer ??= setTimeout(flushLogs, BATCH_FLUSH_MS).unref();
  }

  /** Gives the destination what is held, as one string. */
  handOver(): void {
    const text = this.#take();
    if (text !== undefined) this.destination.write(text);
  }

  /**
   * At process exit, after pino has written out what the destination holds (its exit hook runs
   * first): what is still held, written synchronously, so that an exit without endLogs loses no
   * more than it did before this layer.
   */
  writeOutSync(): void {
    const text = this.#take();
    if (text === undefined || brokenPipes.has(this.destination)) return;
    try {
      writeSync(1, text);
    } catch {
      // stdout is gone or full at exit: nothing more can be done
    }
  }

  #take(): string | undefined {
    if (this.#parts.length === 0) return undefined;
    const text = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
    this.#parts = [];
    this.#length = 0;
    return text;
  }
}

/** The batched destination: records held, with a flush BATCH_FLUSH_MS after the first that is not out. */
function flushedLater(destination: Destination): DestinationStream {
  const held = new Held(destination);
  if (heldRecords.size === 0) process.on('exit', () => { for (const each of heldRecords.values()) each.writeOutSync(); });
  heldRecords.set(destination, held);
  return held;
}

/**
 * A plain line on stdout, in order with this thread's records (platform markers such as FC's
 * "FC Invoke Start RequestId: …"). On the main thread it goes through the batched destination,
 * so that a slow reader of stdout never blocks the thread that runs the platform's wire.
 */
export function writeLine(line: string): void {
  const batched = batchedDestinations[0];
  if (batched === undefined) (lineDestination ??= pino.destination({ fd: 1, sync: true })).write(`${line}\n`);
  else heldRecords.get(batched)!.write(`${line}\n`);
}
let lineDestination: Destination | undefined;

/**
 * Re-renders each JSON record for people, as `time LEVEL requestId message key=value …`; the
 * message's further lines (a handler's console.log of an object) and an error's stack
 * (`stackTrace`, `err.stack`) follow on lines of their own, indented. Used only with
 * FNPOOL_LOG_FORMAT=text (fnpool start on a terminal): JSON records go out as pino writes them.
 */
function textDestination(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      const { time, level, requestId, msg, stackTrace, err, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const [first, ...below] = String(msg ?? '').split(/\r?\n/);
      if (Array.isArray(stackTrace)) below.push(...stackTrace.map(String));
      if (isSerializedError(err)) {
        const { type: _type, message: _message, stack, ...more } = err;
        below.push(...stack.split(/\r?\n/));
        if (Object.keys(more).length > 0) rest.err = more;
      } else if (err !== undefined) {
        rest.err = err;
      }
      let text = `${time} ${String(level).toUpperCase().padEnd(5)} ${requestId ?? '-'} ${first}`;
      for (const [key, value] of Object.entries(rest)) text += ` ${key}=${fieldText(value)}`;
      for (const next of below) text += `\n${TEXT_INDENT}${next}`;
      out.write(`${text}\n`);
    },
  };
}

/** How far the continuation lines of a text record are indented. */
const TEXT_INDENT = '    ';

/** A field's value in a text record: a plain word as it is, other text quoted, the rest as JSON. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** An error as pino's serializer writes it: `{type, message, stack, …own fields}`. */
function isSerializedError(value: unknown): value is { type?: unknown; message?: unknown; stack: string } & Record<string, unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { stack?: unknown }).stack === 'string';
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
      out.write(`${time}\t${requestId === undefined ? '-' : tsvField(String(requestId))}\t${String(level).toUpperCase()}\t${text}\n`);
    },
  };
}

/** A column of a Text line: its tabs and line breaks escaped, so that they cannot shift columns or split the record. */
function tsvField(value: string): string {
  return /[\t\r\n\\]/.test(value) ? value.replace(/[\t\r\n\\]/g, (c) => TSV_ESCAPES[c] ?? c) : value;
}
const TSV_ESCAPES: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n', '\\': '\\\\' };

/**
 * Starts writing what batched loggers hold now: when nothing is in flight, so that the last
 * records of a burst are out before the platform may freeze an idle instance.
 */
export function flushLogs(): void {
  if (flushTimer === undefined) return;
  clearTimeout(flushTimer);
  flushTimer = undefined;
  for (const destination of batchedDestinations) flushOne(destination);
}

const awaitingDrain = new WeakSet<Destination>();

/**
 * sonic-boom's flush() does nothing while a write is in flight, and when that write ends with less
 * than minLength buffered it stops there: the records written meanwhile would wait for the next
 * record, or for ever if none came. So it flushes again at the 'drain' that ends the write.
 */
function flushOne(destination: Destination): void {
  heldRecords.get(destination)?.handOver();
  destination.flush();
  if (awaitingDrain.has(destination)) return;
  awaitingDrain.add(destination);
  destination.once('drain', () => {
    awaitingDrain.delete(destination);
    try {
      destination.flush();
    } catch {
      // closed meanwhile (endLogs wrote everything out)
    }
  });
}

/**
 * Writes out what batched loggers still hold, then closes them: call before process.exit. A
 * record already being written when stdout is full (EAGAIN) is retried on a timer, which
 * process.exit would cut off. Gives up after timeoutMs (a reader that never reads again), and
 * then leaves nothing for pino's exit hook to block on; at once when stdout's reader is gone.
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
      heldRecords.get(destination)?.handOver();
      let done = false;
      const ended = (): void => {
        if (done) return;
        done = true;
        if (--pending > 0) return;
        clearTimeout(timer);
        resolve();
      };
      destination.once('close', ended);
      if (brokenPipes.has(destination)) {
        ended();
        continue;
      }
      // stdout's reader goes away during the end (EPIPE): pino makes the destination a no-op, and no 'close' follows.
      destination.once('error', ended);
      destination.end();
    }
  });
}
