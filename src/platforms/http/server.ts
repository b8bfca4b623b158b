// HTTP mode's server: the platform calls the runtime (FC's custom runtime and container, Knative,
// Cloud Run), and each request becomes one invocation on the shared executor, answered on the same
// connection (wire.ts says how). node:http, with keep-alive and no idle timeout of its own: FC
// keeps sockets open for reuse for 15 minutes or more, and must not find them closed under it.
// The one timeout is node's headers timeout (FNPOOL_HEADERS_TIMEOUT_MS): a request whose head has
// not all come that long after its first byte — or a new connection that sent nothing for that
// long — is answered 408 and its connection closed. node counts it only while a request's head is
// coming, never on a connection idle between requests, nor while a body comes or a handler runs.
//
// Hostile or broken clients: one that ends its side of the connection after its request
// (half-close) still gets the answer, while one that closed it for good is told apart by a probe
// (#onClientEnd) and treated as a caller that went away. A request id already in flight is refused
// with 409: an id names one invocation. A request node cannot parse (400, 413, 431; 408 for a late
// head) is refused only after the answers to the requests pipelined before it on its connection,
// which node alone would drop, and the connection is closed. An upgrade request is answered as a
// plain one, and its connection closed.
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
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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
/** The longest wait between node's looks for requests whose head is late (it looks 4 times per headers timeout when that is shorter). */
const MAX_HEADERS_CHECK_MS = 5_000;
/** After refusing a request whose body is still coming: how long, and how much of it, to read and drop before closing instead. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 8 * 1024 * 1024;
/** What node:http answers a request it cannot parse with, by its error code (as node itself words them); else 400. */
const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
/** After a client's FIN, when to write the second probe (the first goes at once): past a round trip, the reset of a closed peer has come. */
const CLOSED_PEER_PROBE_MS = 100;

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
  /** The request ids of the requests being handled: a second request with one of them is refused. */
  readonly #requestIds = new Set<string>();
  /** The answers not yet written on each connection, in the order of their requests. */
  readonly #unanswered = new WeakMap<Socket, Set<ServerResponse>>();
  /** Connections being refused for a request node could not parse (node reports each later chunk again). */
  readonly #refusing = new WeakSet<Duplex>();

  /** headersTimeoutMs: FNPOOL_HEADERS_TIMEOUT_MS (0: none). */
  constructor(config: RuntimeConfig, executor: Executor, log: Logger, { headersTimeoutMs }: { headersTimeoutMs: number }) {
    if (config.server === undefined) throw new Error('HTTP mode needs the server settings');
    this.#config = config;
    this.#server = config.server;
    this.#executor = executor;
    this.#log = log;
    this.#defaults = { timeoutMs: config.timeoutMs, hooks: config.hooks };
    this.#http = createServer({
      // Node's own default request timeout (5 min for the whole request) would cut a long body
      // upload; the headers timeout counts only until a request's head has come.
      requestTimeout: 0,
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(MAX_HEADERS_CHECK_MS, Math.round(headersTimeoutMs / 4) || MAX_HEADERS_CHECK_MS)),
    }, (req, res) => {
      this.#track(req.socket, res);
      const answered = this.#handle(req, res).catch((err: unknown) => {
        this.#log.error({ err }, 'internal error while answering a request');
        if (!res.headersSent) send(res, { status: 500, headers: {}, body: '' });
      });
      this.#answering.add(answered);
      void answered.finally(() => this.#answering.delete(answered));
    });
    // No idle timeout: deadlines are per invocation, and idle sockets are the platform's to close.
    this.#http.keepAliveTimeout = 0;
    // node's default ends a request whose client ended its side of the connection (half-close), and
    // the connection with it, before the answer is written: keep the socket open until it is.
    (this.#http as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    this.#http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(err, socket));
    this.#http.on('connection', (socket: Socket) => socket.once('end', () => this.#onClientEnd(socket)));
  }

  /**
   * The client ended its side of the connection (FIN) while an answer is still to come. A client
   * that only half-closed will read it; one that closed the connection for good (as a client that
   * gives up does) answers any write with a reset — TCP shows the two alike until then. So the
   * connection is probed with an interim "102 Processing" (a 1xx response, which an HTTP/1.1
   * client must accept before the answer), twice: the second write fails on a connection closed
   * for good, which then ends its invocation as a caller's that went away; a half-closed one gets
   * two interim responses, then its answer. Not done for HTTP/1.0, which has no 1xx responses.
   */
  #onClientEnd(socket: Socket): void {
    const current = [...(this.#unanswered.get(socket) ?? [])].find((res) => res.socket === socket && !res.headersSent);
    if (current === undefined || current.req.httpVersionMinor === 0) return;
    const probe = () => {
      if (!current.headersSent && !current.destroyed && socket.writable) current.writeProcessing();
    };
    probe();
    setTimeout(probe, CLOSED_PEER_PROBE_MS).unref();
  }

  /** Remembers an answer as not yet written on its connection, until it is (or the connection is gone). */
  #track(socket: Socket, res: ServerResponse): void {
    let unanswered = this.#unanswered.get(socket);
    if (unanswered === undefined) this.#unanswered.set(socket, unanswered = new Set());
    const set = unanswered;
    set.add(res);
    const done = () => set.delete(res);
    res.once('finish', done);
    res.once('close', done);
  }

  /**
   * A request node could not parse (or whose head came too late): refused as node refuses it, and
   * the connection closed — but only once the answers to the requests read whole before it on
   * the connection are written, in order; node's own handling would write the refusal at once and
   * close, dropping them (and cancelling their invocations). A request whose body is what could
   * not be parsed is not waited for: it will never be read whole, and the close ends it.
   */
  #onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (this.#refusing.has(socket)) return;
    this.#refusing.add(socket);
    const refuse = () => {
      if (socket.writable) socket.write(CLIENT_ERROR_ANSWERS[err.code ?? ''] ?? BAD_REQUEST);
      socket.destroy();
    };
    const before = [...(this.#unanswered.get(socket as Socket) ?? [])].filter((res) => res.req.complete);
    if (before.length === 0) return refuse();
    void Promise.all(before.map(written)).then(refuse);
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
    if (this.#requestIds.has(requestId)) return this.#refuse(req, res, requestId, duplicateId(requestId), 409);
    this.#requestIds.add(requestId);
    try {
      await this.#serve(req, res, requestId, arrivedAtMs, receivedAt);
    } finally {
      this.#requestIds.delete(requestId);
    }
  }

  /** A request whose id is its own: refused (too large, or the runtime full), or accepted, run and answered. */
  async #serve(req: IncomingMessage, res: ServerResponse, requestId: string, arrivedAtMs: number, receivedAt: number): Promise<void> {
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
      inv.startLine = wired.startLine;
      const initFailure = this.#executor.initFailure;
      // A caller that goes away aborts its invocation (and frees its slot).
      const gone = () => { if (!res.writableEnded) this.#executor.cancel(inv); };
      res.once('close', gone);
      outcome = await (wired.done
        ? this.#executor.settle(inv, admitted, initFailure !== undefined ? { ok: false, error: initFailure } : { ok: true, body: 'null' })
        : this.#executor.run(inv, admitted));
      res.off('close', gone);
      if (wired.endLine !== undefined) writeLine(wired.endLine(outcome.ok));
    }
    if (!res.destroyed) send(res, this.#closing(req, answerOf(requestId, outcome, this.#server.errorStatus)));
  }

  /** Reads the body and waits for a slot; undefined when the request was answered already (or its caller left). */
  async #accept(req: IncomingMessage, res: ServerResponse, requestId: string, arrivedAtMs: number, receivedAt: number): Promise<Accepted | undefined> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const wired = invocationOf(routeOf(method, url, req.headers), method, url, req.headers, arrivedAtMs, this.#defaults, requestId);
    if (wired.invalid !== undefined) {
      this.#refuse(req, res, requestId, wired.invalid, 400);
      return undefined;
    }
    const body = await readBody(req, this.#config.maxRequestBytes, wired.deadlineMs);
    if (body === 'gone') return undefined;
    if (body === 'late') {
      // A client that sends its body slower than the invocation's deadline (a slowloris, a stalled
      // upload) holds a queue place until then, not for ever; the rest of its body is not read.
      const seconds = ((wired.deadlineMs - arrivedAtMs) / 1000).toFixed(2);
      const answer = answerOf(requestId, { ok: false, error: runtimeError(ErrorType.Timeout,
        `the request body had not arrived when the invocation's ${seconds} s were over; the handler did not run`) }, 408);
      answer.headers['x-fc-status'] = '408';
      answer.headers.connection = 'close';
      res.once('finish', () => req.destroy());
      send(res, answer);
      return undefined;
    }
    if (body === 'too large') {
      this.#refuse(req, res, requestId, this.#tooLarge(), 413);
      return undefined;
    }
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
    send(res, this.#closing(req, answer));
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

  /**
   * The answer, closing its connection when the runtime stops, or when the request asked for an
   * upgrade (WebSocket): node:http answers one as a plain request when nothing takes upgrades, but
   * reads nothing more from its connection, where a later request would wait for ever.
   */
  #closing(req: IncomingMessage, answer: Answer): Answer {
    if (this.#stopping || req.headers.upgrade !== undefined) answer.headers.connection = 'close';
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

function duplicateId(requestId: string): WireError {
  return runtimeError(ErrorType.InvalidRequest,
    `an invocation with request id ${JSON.stringify(requestId.slice(0, 256))} is in flight already: a request id names one invocation`);
}

/** Resolves once an answer is written whole, or its connection is gone. */
function written(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.writableFinished || res.destroyed) return resolve();
    res.once('finish', () => resolve());
    res.once('close', () => resolve());
  });
}

/**
 * The body; 'too large' as soon as it passes the limit, 'late' when it has not all come by
 * deadlineMs (epoch ms) — the rest is not read — and 'gone' when the caller went away.
 */
function readBody(req: IncomingMessage, limit: number, deadlineMs: number): Promise<Uint8Array | 'too large' | 'gone' | 'late'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopReading = () => {
      clearTimeout(late);
      req.off('data', onData);
      req.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stopReading();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    };
    const late = setTimeout(() => {
      stopReading();
      resolve('late');
    }, Math.max(0, deadlineMs - Date.now()));
    req.on('data', onData);
    req.once('end', () => {
      clearTimeout(late);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    // After 'end' this changes nothing; before it, the connection broke.
    const gone = () => {
      clearTimeout(late);
      resolve('gone');
    };
    req.once('close', gone);
    req.once('error', gone);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}
