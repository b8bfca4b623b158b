// HTTP mode's server: the platform calls the runtime (FC's custom runtime and container, Knative,
// Cloud Run), and each request becomes one invocation on the shared executor, answered on the same
// connection (wire.ts says how). node:http, with keep-alive and no idle timeout of its own: FC
// keeps sockets open for reuse for 15 minutes or more, and must not find them closed under it.
//
// Admission: at most FNPOOL_CONCURRENCY invocations run at once (the executor's slots); up to
// FNPOOL_QUEUE more wait for a slot in arrival order, their wait counting against their deadline;
// past that a request is answered 429 with Retry-After at once and nothing runs. A body over the
// size limit is refused with 413, before it is read whole when its Content-Length says so.
// A caller that goes away aborts its invocation's context.signal and frees its slot (or its place
// in the queue). On stop: the listener closes, answers carry Connection: close, those waiting for
// a slot get Runtime.Shutdown, and those running get the shutdown timeout (executor.shutdown).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RuntimeConfig } from '../../config/config.js';
import { ErrorType, runtimeError, type WireError } from '../../errors.js';
import { notAdmittedError, waitForSlot, type NotAdmitted, type Slot } from '../../executor/admission.js';
import type { Executor, Invocation, Outcome } from '../../executor/executor.js';
import { recordInvocation } from '../../executor/invocation-record.js';
import type { Logger } from '../../logging/logger.js';
import { writeLine } from '../../logging/logger.js';
import { header, type Adapter, type WireDefaults, type WireInvocation } from '../platform.js';
import { answerOf, invocationOf, routeOf, type Answer } from './wire.js';

/** What a client told to come back later should wait, seconds. */
const RETRY_AFTER_S = 1;
/** After refusing a request whose body is still coming: how long, and how much of it, to read and drop before closing instead. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 8 * 1024 * 1024;

export class HttpAdapter implements Adapter {
  readonly #config: RuntimeConfig;
  readonly #server: NonNullable<RuntimeConfig['server']>;
  readonly #executor: Executor;
  readonly #log: Logger;
  readonly #defaults: WireDefaults;
  readonly #http: Server;
  /** Requests waiting for a slot: told to stop when the runtime stops. */
  readonly #waiting = new Set<() => void>();
  /** Answers being written, awaited by stop(). */
  readonly #answering = new Set<Promise<void>>();
  #stopping = false;
  /** Requests accepted that hold no slot yet: reading their body, or waiting for a slot. */
  #accepted = 0;

  constructor(config: RuntimeConfig, executor: Executor, log: Logger) {
    if (config.server === undefined) throw new Error('HTTP mode needs the server settings');
    this.#config = config;
    this.#server = config.server;
    this.#executor = executor;
    this.#log = log;
    this.#defaults = { timeoutMs: config.timeoutMs, hooks: config.hooks };
    this.#http = createServer((req, res) => {
      const answered = this.#handle(req, res).catch((err: unknown) => {
        this.#log.error({ err }, 'internal error while answering a request');
        if (!res.headersSent) send(res, { status: 500, headers: {}, body: '' });
      });
      this.#answering.add(answered);
      void answered.finally(() => this.#answering.delete(answered));
    });
    // No timeouts of the server's own: deadlines are per invocation, and idle sockets are the platform's to close.
    this.#http.keepAliveTimeout = 0;
    this.#http.requestTimeout = 0;
  }

  start(onFatal: (reason: string) => void): Promise<void> {
    return new Promise((resolve) => {
      this.#http.once('error', (err) => {
        this.#log.error({ err }, `cannot listen on ${this.#server.host}:${this.#server.port}`);
        onFatal(`cannot listen: ${err.message}`);
        resolve();
      });
      this.#http.listen(this.#server.port, this.#server.host, () => {
        const { address, port } = this.#http.address() as AddressInfo;
        this.#log.info({ address, port }, `listening on http://${address}:${port}`);
        resolve();
      });
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAtMs = Date.now();
    const receivedAt = performance.now();
    const requestId = header(req.headers, 'x-fc-request-id') ?? randomUUID();
    if (this.#stopping) return this.#refuse(req, res, requestId, runtimeError(ErrorType.Shutdown, 'the runtime is stopping'));
    const limit = this.#config.maxRequestBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return this.#refuse(req, res, requestId, this.#tooLarge(declared), 413);
    const { admission } = this.#executor;
    // Taken: the slots in use, and the requests accepted that do not hold one yet (their body
    // still coming, or waiting in the queue).
    if (admission.inFlight + this.#accepted >= admission.concurrency + this.#server.queue) {
      return this.#refuse(req, res, requestId, undefined, 429);
    }
    this.#accepted += 1;
    let accepted: Accepted | undefined;
    try {
      accepted = await this.#accept(req, res, requestId, arrivedAtMs, receivedAt);
    } finally {
      this.#accepted -= 1;
    }
    if (accepted === undefined) return;
    const { inv, wired, admitted } = accepted;
    let outcome: Outcome;
    if (typeof admitted === 'string') {
      outcome = { ok: false, error: notAdmittedError(admitted, inv.timeoutMs) };
      recordInvocation(this.#log, inv, outcome, undefined);
    } else {
      if (wired.startLine !== undefined) writeLine(wired.startLine);
      const initFailure = this.#executor.initFailure;
      // A caller that goes away aborts its invocation (and frees its slot).
      const gone = () => { if (!res.writableEnded) this.#executor.cancel(requestId); };
      res.once('close', gone);
      outcome = await (wired.done
        ? this.#executor.settle(inv, admitted, initFailure !== undefined ? { ok: false, error: initFailure } : { ok: true, body: 'null' })
        : this.#executor.run(inv, admitted));
      res.off('close', gone);
      if (wired.endLine !== undefined) writeLine(wired.endLine(outcome.ok));
    }
    if (!res.destroyed) send(res, this.#closing(answerOf(requestId, outcome, this.#server.errorStatus)));
  }

  /** Reads the body and waits for a slot; undefined when the request was answered already (or its caller left). */
  async #accept(req: IncomingMessage, res: ServerResponse, requestId: string, arrivedAtMs: number, receivedAt: number): Promise<Accepted | undefined> {
    const body = await readBody(req, this.#config.maxRequestBytes);
    if (body === 'gone') return undefined;
    if (body === 'too large') {
      this.#refuse(req, res, requestId, this.#tooLarge(), 413);
      return undefined;
    }
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const wired = invocationOf(routeOf(method, url, req.headers), method, url, req.headers, arrivedAtMs, this.#defaults, requestId);
    const inv: Invocation = {
      requestId, body, deadlineMs: wired.deadlineMs, timeoutMs: wired.deadlineMs - arrivedAtMs, receivedAt,
      meta: wired.meta, entry: wired.entry, http: wired.http,
    };
    return { inv, wired, admitted: await this.#admit(inv.deadlineMs, res) };
  }

  /** A slot, or why none came while waiting: the deadline passed, the runtime stopped, or the caller went away. */
  #admit(deadlineMs: number, res: ServerResponse): Promise<Slot | NotAdmitted> {
    return waitForSlot(this.#executor.admission, deadlineMs, (giveUp) => {
      const stopped = () => giveUp('stopped');
      const gone = () => giveUp('cancelled');
      this.#waiting.add(stopped);
      res.once('close', gone);
      return () => {
        this.#waiting.delete(stopped);
        res.off('close', gone);
      };
    });
  }

  /** Answers without running anything: an error in the platform's shape, or 429 when full. */
  #refuse(req: IncomingMessage, res: ServerResponse, requestId: string, error: WireError | undefined, status?: number): void {
    let answer: Answer;
    if (error === undefined) {
      const { admission } = this.#executor;
      answer = {
        status: 429,
        headers: { 'x-fc-request-id': requestId, 'retry-after': String(RETRY_AFTER_S), 'content-type': 'application/json' },
        body: JSON.stringify({ errorMessage: `${admission.inFlight} invocations are running and ${this.#accepted} waiting (FNPOOL_QUEUE=${this.#server.queue}): try again later` }),
      };
    } else {
      answer = answerOf(requestId, { ok: false, error }, status ?? this.#server.errorStatus);
      if (status !== undefined) answer.headers['x-fc-status'] = String(status);
    }
    if (!req.complete) this.#drop(req, answer);
    send(res, this.#closing(answer));
  }

  /**
   * The rest of a refused request's body is read and dropped, so that the connection stays usable
   * and the client, still sending, is not reset before it reads the answer. Past LINGER_BYTES (or
   * LINGER_MS) the socket is closed instead: a client may not make the runtime read without end.
   */
  #drop(req: IncomingMessage, answer: Answer): void {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (declared !== undefined && declared > LINGER_BYTES) {
      answer.headers.connection = 'close';
      return;
    }
    // A body of a known, small size (most refusals: a 429 before the body was read) is simply drained.
    if (declared !== undefined) {
      req.resume();
      return;
    }
    let dropped = 0;
    const linger = setTimeout(() => req.destroy(), LINGER_MS).unref();
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) req.destroy();
    });
    req.once('end', () => clearTimeout(linger));
    req.once('close', () => clearTimeout(linger));
    req.resume();
  }

  #tooLarge(bytes?: number): WireError {
    const size = bytes === undefined ? 'over' : `${bytes} bytes, over`;
    return runtimeError(ErrorType.RequestTooLarge,
      `the request body is ${size} the limit of ${this.#config.maxRequestBytes} bytes (${this.#config.maxRequestBytesFrom})`);
  }

  #closing(answer: Answer): Answer {
    if (this.#stopping) answer.headers.connection = 'close';
    return answer;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#http.close();
    this.#http.closeIdleConnections();
    for (const stop of [...this.#waiting]) stop();
    await this.#executor.shutdown(this.#config.shutdownTimeoutMs);
    await Promise.allSettled([...this.#answering]);
    this.#http.closeAllConnections();
  }
}


/** A request read and placed: its invocation, and its slot or why none came. */
interface Accepted {
  inv: Invocation;
  wired: WireInvocation;
  admitted: Slot | NotAdmitted;
}

/** The body; 'too large' as soon as it passes the limit (the rest is not read); 'gone' when the caller went away. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too large' | 'gone'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    // After 'end' this changes nothing; before it, the connection broke.
    req.once('close', () => resolve('gone'));
    req.once('error', () => resolve('gone'));
  });
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
