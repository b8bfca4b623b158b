// The local pull platform: a node:http server that speaks one platform's runtime API to a real
// `bootstrap` (fnpool's, or any runtime written to that API), hands out queued invocations over
// long polls, records exactly one answer per invocation, enforces the platform's size limits and
// injects faults on demand, down to a restart of the API itself (stop(), resume(), restart(): the
// listener and every socket go, the ledger stays, as a platform's durable state does). The ledger
// (queue, hand-out, one-answer accounting, faults) is written once here; what differs between
// FunctionGraph, Lambda and FC — paths, headers, the shape of an error, the status that accepts
// an answer — is the platform's EmulatorWire (platforms/<name>/emulator.ts).
//
// Tests, benchmarks and `npm start` all run through it, so it is strict (every stray or repeated
// answer is refused and counted) and lean on the hot path (header lists prebuilt at invoke(), no
// promises on the server side, fault checks reduced to a few integer tests).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

import type { WireError } from '../errors.js';
import type { PullPlatformName } from '../platforms/platform.js';
import { emulatorWire, type EmulatorLimits, type EmulatorWire } from './wires.js';
import { Deque } from './deque.js';
import { EmulatorError } from './emulator-error.js';
import {
  applyFaultPlan, NO_FAULTS, validateRestartPlan, type ActiveFaults, type FaultPlan, type PostsInFlight, type RestartPlan,
} from './faults.js';
import { decodeId, flatHeaders, listenOn, readBody, replyEmpty, replyJson, toBytes } from './http.js';

export { EmulatorError, type EmulatorErrorCode } from './emulator-error.js';
export type { FaultPlan, PostsInFlight, RestartPlan } from './faults.js';

const KiB = 1024;

const FAULTS_PATH = '/_emulator/faults';
const STATS_PATH = '/_emulator/stats';
const RESTART_PATH = '/_emulator/restart';
/** How long resume() keeps trying a port that another socket holds for a moment (EADDRINUSE). */
const RELISTEN_TRIES = 50;
const RELISTEN_WAIT_MS = 100;
/** A fault plan or other control body is tiny; anything bigger is a mistake. */
const MAX_CONTROL_BODY_BYTES = 64 * KiB;
/** Idle keep-alive sockets between a runtime's requests: FC asks for at least 15 min (docs/platforms.md). */
const KEEP_ALIVE_TIMEOUT_MS = 15 * 60_000;

const ACCEPTED_HEAD: readonly string[] = ['Content-Length', '0'];
/** Hand-out headers the emulator always sets itself, whatever the platform. */
const OWNED_HEADERS = ['content-length', 'transfer-encoding'];
/** A request id travels in a URL path segment and a header: printable ASCII, no URL delimiters. */
const REQUEST_ID = /^[\x21-\x7e]+$/;
const URL_DELIMITERS = /[/?#%]/;
export const REQUEST_ID_RULE = "printable ASCII without spaces, '/', '?', '#' or '%'";
export const isValidRequestId = (id: string): boolean => REQUEST_ID.test(id) && !URL_DELIMITERS.test(id);

export type InvokeType = 'sync' | 'async';

export interface EmulatorOptions {
  /** Whose runtime API to speak; default functiongraph. */
  platform?: PullPlatformName;
  /** The function's timeout, ms: the deadline a platform that sends one (Lambda, FC) puts on each hand-out; default 3000. */
  functionTimeoutMs?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks an ephemeral port. */
  port?: number;
  /** Largest sync event accepted by invoke(); default: the platform's (6 MiB). */
  maxSyncRequestBytes?: number;
  /** Largest async event accepted by invoke(); default: the platform's (FunctionGraph: 256 KiB). */
  maxAsyncRequestBytes?: number;
  /** Largest result or error body a runtime may post; default: the platform's (6 MiB; Lambda 6 MiB + 100 B). */
  maxResponseBytes?: number;
  /** Headers sent with every handed-out invocation (e.g. FunctionGraph's X-CFF-* credentials). */
  defaultHeaders?: Record<string, string>;
}

export interface InvokeOptions {
  /** Default: a fresh UUID. Must not repeat an id the emulator already knows. */
  requestId?: string;
  /** Default 'sync'. Chooses the request size limit (and FunctionGraph's X-CFF-Invoke-Type header). */
  invokeType?: InvokeType;
  /** Extra headers for this invocation only; they override defaultHeaders. */
  headers?: Record<string, string>;
  /** Reject with code INVOKE_TIMEOUT when no answer came in this many ms (for tests). */
  timeoutMs?: number;
}

/** A posted error, whatever the platform's shape of it (Lambda's `trace` is given as stackTrace). */
export type InvokeError = WireError;

export interface InvokeResult {
  requestId: string;
  /** true when the runtime posted a response, false when it posted an error (or init failed). */
  ok: boolean;
  /** What the emulator answered the runtime's POST with (the platform's status for an accepted answer). */
  status: number;
  /** The headers of the runtime's POST (Lambda's error type header, FC's x-fc-http-params), lower-cased. */
  headers: Record<string, string>;
  /** The posted body, as received. */
  body: Buffer;
  /** The posted Content-Type, when the runtime sent one. */
  contentType?: string;
  /** The parsed error body, when the runtime posted to /error. */
  error?: InvokeError;
  /** performance.now() timestamps, in ms. */
  queuedAt: number;
  handedOutAt: number;
  answeredAt: number;
}

export interface EmulatorStats {
  /** Invocations accepted by invoke(), ever. */
  queued: number;
  /** Invocations written to a poll, ever (a hand-out taken back by a requeue is not counted). */
  handedOut: number;
  /** Invocations whose one answer was accepted, ever. */
  answered: number;
  /** Posts for an id already answered (refused with 409). */
  duplicates: number;
  /** Posts refused for another reason: unknown id (404), malformed error body (400), too large (413). */
  rejectedPosts: number;
  /** Handed out and not answered yet. */
  inFlight: number;
  /** In the queue now, waiting for a poll. */
  waiting: number;
  /** Long polls held open now, waiting for an invocation. */
  polls: number;
  /** Hand-outs taken back and put at the front of the queue because the poll's socket failed. */
  requeued: number;
  /** Init errors the runtime reported. */
  initErrors: number;
}

/** What one stop of the runtime API cut. */
export interface StopReport {
  /** Long polls held open (parked or waiting for a poll delay): their sockets were destroyed. */
  polls: number;
  /** Answers whose body had arrived and were waiting for a post delay: lost with the API. */
  postsDropped: number;
  /** Answers waiting for a post delay that were recorded, their response lost (postsInFlight 'record'). */
  postsRecorded: number;
  /** Hand-outs whose bytes had not all left the emulator: taken back and queued again. */
  handoutsTakenBack: number;
  /** Invocations handed out and not answered when the API went down: they stay answerable. */
  inFlight: number;
}

export interface EmulatorEvents {
  /** An invocation was written to a poll. */
  handout: [requestId: string];
  /** An answer was accepted. */
  answer: [result: InvokeResult];
  /** The runtime reported that its init failed. */
  initError: [error: InvokeError];
  /** The runtime API went away (stop() or restart()). */
  down: [report: StopReport];
  /** The runtime API listens again on its port. */
  up: [];
  /** A restart asked for over HTTP could not bring the API back (its port was taken meanwhile). */
  restartFailed: [error: Error];
}

type InvocationState = 'queued' | 'assigned' | 'handedOut' | 'answered' | 'cancelled';

interface Invocation {
  readonly requestId: string;
  readonly event: Buffer;
  /** Flat [name, value, ...] list for writeHead, built once at invoke(). */
  readonly head: string[];
  readonly queuedAt: number;
  handedOutAt: number;
  state: InvocationState;
  /** Cleared once the invoke() promise is settled (answered, timed out or closed). */
  resolve: ((result: InvokeResult) => void) | undefined;
  reject: ((error: Error) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The socket of the current hand-out, to tell a failed hand-out from a later one. */
  socket: Socket | undefined;
}

/** The last hand-out written on a socket, until the runtime sends its next request on it. */
const kHandout = Symbol('fnpool.emulator.handout');
type TrackedSocket = Socket & { [kHandout]?: Invocation | undefined };

/** parked → assigned (taken; may wait for a poll delay) → written, or gone when its socket closed. */
type PollState = 'parked' | 'assigned' | 'written' | 'gone';

/** One GET /request held by the emulator. */
interface Poll {
  readonly res: ServerResponse;
  state: PollState;
  inv: Invocation | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** An answer whose body arrived, waiting for its post delay before it is handled. */
interface DelayedPost {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ok: boolean;
  readonly rawId: string;
  readonly body: Buffer | null;
  timer: NodeJS.Timeout | undefined;
}

export class PullEmulator extends EventEmitter<EmulatorEvents> {
  static async start(opts: EmulatorOptions = {}): Promise<PullEmulator> {
    const emulator = new PullEmulator(opts);
    await emulator.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
    return emulator;
  }

  readonly platform: PullPlatformName;
  readonly wire: EmulatorWire;
  readonly limits: Readonly<EmulatorLimits>;
  readonly functionTimeoutMs: number;
  /** The init error a runtime reported, until a runtime polls again (a platform that exits on it answers waiting invocations with it). */
  initError: InvokeError | undefined;

  private readonly server: http.Server;
  private readonly owned: ReadonlySet<string>;
  private readonly sockets = new Set<Socket>();
  /** Content-Type and defaultHeaders, flat, shared by every hand-out. */
  private readonly baseHead: readonly string[];
  /** Invocations queued, being handed out, or handed out and unanswered, by request id. */
  private readonly invocations = new Map<string, Invocation>();
  /** Ids whose answer was accepted: a later post for one of them is a duplicate (409). */
  private readonly answeredIds = new Set<string>();
  /** Invocations waiting for a poll. Entries cancelled by a timeout stay until shifted (skipped). */
  private readonly queue = new Deque<Invocation>();
  /** Polls waiting for an invocation. Entries whose socket closed stay until shifted (skipped). */
  private readonly polls = new Deque<Poll>();
  /** Delay timers of poll faults, cleared by close(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Answers waiting for a post delay: a stop of the API drops or records them. */
  private readonly delayedPosts = new Set<DelayedPost>();
  private faults: ActiveFaults = { ...NO_FAULTS };
  private host = '127.0.0.1';
  private boundPort = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** The runtime API is away (stopped, or restarting): invoke() still queues. */
  private down = false;
  /** Counts stops: a request that arrived before one is never handled after it. */
  private epoch = 0;
  /** Ends the outage of a restart at once: close() calls it. */
  private endOutage: (() => void) | undefined;

  private count = {
    queued: 0,
    handedOut: 0,
    answered: 0,
    duplicates: 0,
    rejectedPosts: 0,
    inFlight: 0,
    waiting: 0,
    polls: 0,
    requeued: 0,
    initErrors: 0,
  };

  private constructor(opts: EmulatorOptions) {
    super();
    this.platform = opts.platform ?? 'functiongraph';
    this.wire = emulatorWire(this.platform);
    const limits = this.wire.limits;
    this.limits = Object.freeze({
      maxSyncRequestBytes: positiveLimit('maxSyncRequestBytes', opts.maxSyncRequestBytes, limits.maxSyncRequestBytes),
      maxAsyncRequestBytes: positiveLimit('maxAsyncRequestBytes', opts.maxAsyncRequestBytes, limits.maxAsyncRequestBytes),
      maxResponseBytes: positiveLimit('maxResponseBytes', opts.maxResponseBytes, limits.maxResponseBytes),
    });
    this.functionTimeoutMs = positiveLimit('functionTimeoutMs', opts.functionTimeoutMs, 3000);
    this.owned = new Set([...OWNED_HEADERS, ...this.wire.ownedHeaders]);
    this.baseHead = mergeHeaders(mergeHeaders(['Content-Type', 'application/json'], this.wire.baseHeaders ?? {}, this.owned), opts.defaultHeaders ?? {}, this.owned);
    this.server = http.createServer({ keepAlive: true }, this.onRequest);
    // A long poll may be held for minutes (docs/platforms.md): nothing on the server may cut it.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.setTimeout(0);
    this.server.on('connection', (socket: TrackedSocket) => {
      this.sockets.add(socket);
      // Before the HTTP server's own handler, which ends the socket at once.
      socket.prependOnceListener('end', () => this.onSocketEnd(socket));
      socket.once('close', (hadError: boolean) => this.onSocketClose(socket, hadError));
    });
  }

  /** host:port, ready for RUNTIME_API_ADDR. */
  get address(): string {
    const host = this.host === '0.0.0.0' || this.host === '' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    return host.includes(':') ? `[${host}]:${this.boundPort}` : `${host}:${this.boundPort}`;
  }

  /** The port actually listened on (the ephemeral one when started with port 0). */
  get port(): number {
    return this.boundPort;
  }

  /**
   * Queues one invocation and resolves with the runtime's answer. Refused at once, as the platform
   * would refuse it, when the event is over the request limit for its invoke type.
   */
  invoke(event: Buffer | string | object, opts: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.closed) return Promise.reject(new EmulatorError('EMULATOR_CLOSED', `the ${this.wire.title} emulator is closed`));
    const invokeType = opts.invokeType ?? 'sync';
    if (invokeType !== 'sync' && invokeType !== 'async') {
      return Promise.reject(new EmulatorError('INVALID_INVOCATION', `invokeType must be 'sync' or 'async', got ${JSON.stringify(invokeType)}`));
    }
    let body: Buffer;
    try {
      body = toBytes(event);
    } catch (err) {
      return Promise.reject(new EmulatorError('INVALID_INVOCATION', `the event cannot be JSON-encoded: ${String(err)}`, { cause: err }));
    }
    const limit = invokeType === 'async' ? this.limits.maxAsyncRequestBytes : this.limits.maxSyncRequestBytes;
    if (body.length > limit) {
      return Promise.reject(new EmulatorError('REQUEST_TOO_LARGE',
        `the ${invokeType} request is ${body.length} bytes, over the platform's limit of ${limit} bytes`));
    }
    const requestId = opts.requestId ?? randomUUID();
    if (!isValidRequestId(requestId)) {
      return Promise.reject(new EmulatorError('INVALID_INVOCATION', `request id ${JSON.stringify(requestId)} must be ${REQUEST_ID_RULE}`));
    }
    if (this.invocations.has(requestId) || this.answeredIds.has(requestId)) {
      return Promise.reject(new EmulatorError('DUPLICATE_REQUEST_ID', `request id ${requestId} was already used`));
    }
    const timeoutMs = opts.timeoutMs;
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(new EmulatorError('INVALID_INVOCATION', `timeoutMs must be a number ≥ 0, got ${String(timeoutMs)}`));
    }

    let head: string[];
    try {
      head = this.handoutHead(requestId, invokeType, body.length, opts.headers);
    } catch (err) {
      return Promise.reject(new EmulatorError('INVALID_INVOCATION', `bad invocation header: ${(err as Error).message}`, { cause: err }));
    }

    return new Promise<InvokeResult>((resolve, reject) => {
      const inv: Invocation = {
        requestId,
        event: body,
        head,
        queuedAt: performance.now(),
        handedOutAt: 0,
        state: 'queued',
        resolve,
        reject,
        timer: undefined,
        socket: undefined,
      };
      if (timeoutMs !== undefined) inv.timer = setTimeout(() => this.onInvokeTimeout(inv, timeoutMs), timeoutMs);
      this.invocations.set(requestId, inv);
      this.count.queued++;
      if (this.initError !== undefined) this.failWithInit(inv, this.initError);
      else this.enqueue(inv);
    });
  }

  stats(): EmulatorStats {
    return { ...this.count };
  }

  /** How many answers were accepted for this id: 1 once answered (later posts are duplicates), else 0. */
  answers(requestId: string): number {
    return this.answeredIds.has(requestId) ? 1 : 0;
  }

  injectFaults(plan: FaultPlan): void {
    applyFaultPlan(this.faults, plan);
  }

  clearFaults(): void {
    this.faults = { ...NO_FAULTS };
  }

  /** Answers held by a post delay now: the ones a stop would drop or record. */
  get postsHeld(): number {
    return this.delayedPosts.size;
  }

  /** True while the runtime API is away (after stop(), during a restart's outage). */
  get isDown(): boolean {
    return this.down;
  }

  /**
   * Takes the runtime API away as a restart of the platform's API does: the listener closes and
   * every socket is destroyed — held long polls, hand-outs, answers in flight — while the ledger
   * (what was queued, handed out and answered) stays, as a control plane's durable state does.
   * invoke() keeps queueing meanwhile. A hand-out whose bytes had not all left is taken back and
   * queued again; one that had left stays handed out, answerable once the API is back. Answers
   * waiting for a post delay are dropped, or recorded with their response lost (postsInFlight).
   * Resolves once the port is free, with what was cut; a no-op report when already down.
   */
  async stop(opts: Pick<RestartPlan, 'postsInFlight'> = {}): Promise<StopReport> {
    const { postsInFlight } = validateRestartPlan(opts);
    if (this.closed) throw new EmulatorError('EMULATOR_CLOSED', `the ${this.wire.title} emulator is closed`);
    const report: StopReport = { polls: 0, postsDropped: 0, postsRecorded: 0, handoutsTakenBack: 0, inFlight: this.count.inFlight };
    if (this.down) return report;
    this.down = true;
    this.epoch++;
    const unsent = this.unsentHandouts();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    report.polls = this.dropParkedPolls();
    this.settleDelayedPosts(postsInFlight, report);
    for (const [inv, socket] of unsent) this.takeBack(inv, socket);
    report.handoutsTakenBack = unsent.length;
    report.inFlight = this.count.inFlight;
    await closed;
    this.emit('down', report);
    return report;
  }

  /** Brings a stopped runtime API back on the same host and port, with the ledger as it was. */
  async resume(): Promise<void> {
    if (this.closed) throw new EmulatorError('EMULATOR_CLOSED', `the ${this.wire.title} emulator is closed`);
    if (!this.down) return;
    // Up before listening: a connection may be accepted as soon as the port is open.
    this.down = false;
    try {
      await this.listenAgain();
    } catch (err) {
      this.down = true;
      throw err;
    }
    if (this.closed) return;
    this.emit('up');
  }

  /**
   * stop(), downMs of outage, resume(): the runtime API restarted. Resolves once it is back (or
   * the emulator was closed meanwhile), with what the stop cut. Refused while already down.
   */
  async restart(plan: RestartPlan = {}): Promise<StopReport> {
    const { downMs, postsInFlight } = validateRestartPlan(plan);
    if (this.down) throw new EmulatorError('INVALID_RESTART', `the ${this.wire.title} runtime API is down already; resume() it first`);
    const report = await this.stop({ postsInFlight });
    if (this.closed) return report;
    await this.outageOf(downMs);
    if (!this.closed) await this.resume();
    return report;
  }

  /**
   * Stops the server, destroys every socket (long polls included) and rejects every pending
   * invoke() with code EMULATOR_CLOSED. Safe to call more than once.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.clearFaults();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const post of this.delayedPosts) clearTimeout(post.timer);
    this.delayedPosts.clear();
    this.endOutage?.();
    this.polls.clear();
    this.queue.clear();
    for (const inv of this.invocations.values()) {
      settleReject(inv, new EmulatorError('EMULATOR_CLOSED',
        `the ${this.wire.title} emulator closed before request ${inv.requestId} was answered`));
    }
    this.invocations.clear();
    // waiting and inFlight keep their values: what close() left unanswered stays visible.
    this.count.polls = 0;
    this.closing = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
    return this.closing;
  }

  // --- listening -------------------------------------------------------------------------------

  private listen(host: string, port: number): Promise<void> {
    return listenOn(this.server, host, port, `${this.wire.title} emulator`).then((actualPort) => {
      this.host = host;
      this.boundPort = actualPort;
    });
  }

  /**
   * Listens again where the API was. A port held for a moment by another socket (a runtime's
   * connection that got it as its own ephemeral port) is tried again for a few seconds.
   */
  private async listenAgain(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await listenOn(this.server, this.host, this.boundPort, `${this.wire.title} emulator (back after a stop)`);
        if (this.closed) this.server.close();
        return;
      } catch (err) {
        const inUse = err instanceof EmulatorError && err.code === 'EADDRINUSE';
        if (!inUse || attempt >= RELISTEN_TRIES || this.closed) throw err;
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_WAIT_MS));
      }
    }
  }

  /** Waits out a restart's outage; close() ends it early. */
  private outageOf(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.endOutage = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.endOutage = end;
    });
  }

  /** Hand-outs written on sockets that still hold some of their bytes: the runtime cannot have them. */
  private unsentHandouts(): [Invocation, Socket][] {
    const unsent: [Invocation, Socket][] = [];
    for (const socket of this.sockets as Set<TrackedSocket>) {
      const inv = socket[kHandout];
      if (inv !== undefined && socket.writableLength > 0) unsent.push([inv, socket]);
    }
    return unsent;
  }

  /** Forgets the parked polls of a stopped API (their sockets are gone): nothing may be handed to them. */
  private dropParkedPolls(): number {
    let cut = 0;
    for (const poll of this.polls.clear()) {
      if (poll.state !== 'parked') continue;
      poll.state = 'gone';
      cut++;
    }
    this.count.polls = 0;
    return cut;
  }

  /** Answers caught waiting for a post delay by a stop: lost with the API, or recorded with their response lost. */
  private settleDelayedPosts(postsInFlight: PostsInFlight, report: StopReport): void {
    for (const post of this.delayedPosts) {
      clearTimeout(post.timer);
      if (postsInFlight === 'record') {
        this.handlePost(post.req, post.res, post.ok, post.rawId, post.body, true);
        report.postsRecorded++;
      } else {
        report.postsDropped++;
      }
    }
    this.delayedPosts.clear();
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // Without pipelining, a new request on a socket proves the runtime read the last hand-out.
    const socket = req.socket as TrackedSocket;
    if (this.down) {
      socket.destroy();
      return;
    }
    if (socket[kHandout] !== undefined) socket[kHandout] = undefined;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method;
    const wire = this.wire;
    if (path === wire.nextPath) {
      if (method === 'GET') return this.onPoll(req, res);
    } else if (path === wire.initErrorPath) {
      if (method === 'POST') return this.onInitError(req, res);
    } else if (path === FAULTS_PATH) {
      if (method === 'POST') return this.onPostFaults(req, res);
      if (method === 'DELETE') {
        this.clearFaults();
        return replyEmpty(req, res, 204);
      }
    } else if (path === STATS_PATH) {
      if (method === 'GET') return replyJson(req, res, 200, this.stats());
    } else if (path === RESTART_PATH) {
      if (method === 'POST') return this.onPostRestart(req, res);
    } else if (method === 'POST') {
      const answer = wire.answerOf(path);
      if (answer !== undefined) return this.onPost(req, res, answer.ok, answer.rawId);
    }
    replyJson(req, res, 404, { errorCode: 'NotFound', errorMessage: `no route for ${method ?? '?'} ${path}` });
  };

  // --- hand-out --------------------------------------------------------------------------------

  private onPoll(req: IncomingMessage, res: ServerResponse): void {
    // A runtime polls: whatever init failure an earlier one reported is over.
    this.initError = undefined;
    if (this.injectedFault('poll', req, res)) return;
    const poll: Poll = { res, state: 'parked', inv: undefined, timer: undefined };
    res.once('close', () => this.onPollClose(poll));
    const inv = this.count.waiting > 0 ? this.takeInvocation() : undefined;
    if (inv) {
      this.assign(poll, inv);
    } else {
      this.polls.push(poll);
      this.count.polls++;
    }
  }

  private enqueue(inv: Invocation): void {
    const poll = this.count.polls > 0 ? this.takePoll() : undefined;
    if (poll) {
      this.assign(poll, inv);
    } else {
      this.queue.push(inv);
      this.count.waiting++;
    }
  }

  /** Puts a hand-out that never reached the runtime back at the front, so FIFO order holds. */
  private requeueFront(inv: Invocation): void {
    if (this.closed) return;
    this.count.requeued++;
    if (inv.resolve === undefined) {
      // The caller already gave up on it (invoke timeout): nobody is waiting for an answer.
      inv.state = 'cancelled';
      this.invocations.delete(inv.requestId);
      return;
    }
    const poll = this.count.polls > 0 ? this.takePoll() : undefined;
    if (poll) {
      this.assign(poll, inv);
    } else {
      inv.state = 'queued';
      this.queue.unshift(inv);
      this.count.waiting++;
    }
  }

  private takeInvocation(): Invocation | undefined {
    for (let inv = this.queue.shift(); inv !== undefined; inv = this.queue.shift()) {
      if (inv.state === 'queued') {
        this.count.waiting--;
        return inv;
      }
    }
    return undefined;
  }

  private takePoll(): Poll | undefined {
    for (let poll = this.polls.shift(); poll !== undefined; poll = this.polls.shift()) {
      if (poll.state === 'parked') {
        this.count.polls--;
        return poll;
      }
    }
    return undefined;
  }

  private assign(poll: Poll, inv: Invocation): void {
    poll.state = 'assigned';
    poll.inv = inv;
    inv.state = 'assigned';
    const delay = this.faults.pollDelayMs;
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.write(poll);
      }, delay);
      poll.timer = timer;
      this.timers.add(timer);
    } else {
      this.write(poll);
    }
  }

  private write(poll: Poll): void {
    poll.timer = undefined;
    const inv = poll.inv;
    if (this.closed || poll.state !== 'assigned' || inv === undefined) return;
    const res = poll.res;
    if (inv.state !== 'assigned') {
      // Cancelled by its invoke timeout during a poll delay: serve the poll with the next one.
      poll.inv = undefined;
      poll.state = 'parked';
      const next = this.count.waiting > 0 ? this.takeInvocation() : undefined;
      if (next) this.assign(poll, next);
      else {
        this.polls.push(poll);
        this.count.polls++;
      }
      return;
    }
    const socket = res.socket as TrackedSocket | null;
    if (res.destroyed || socket === null || socket.destroyed || !socket.writable) {
      // The runtime closed the connection (or the close event is on its way): do not write an
      // invocation into a dead socket.
      poll.state = 'gone';
      poll.inv = undefined;
      this.requeueFront(inv);
      return;
    }
    poll.state = 'written';
    inv.state = 'handedOut';
    inv.socket = socket;
    socket[kHandout] = inv;
    inv.handedOutAt = performance.now();
    this.count.handedOut++;
    this.count.inFlight++;
    const extra = this.wire.handoutTimeHeaders?.(Date.now() + this.functionTimeoutMs, this.functionTimeoutMs);
    res.writeHead(200, extra === undefined ? inv.head : inv.head.concat(extra));
    res.end(inv.event);
    this.emit('handout', inv.requestId);
  }

  private onPollClose(poll: Poll): void {
    const state = poll.state;
    // A written hand-out is judged when its socket closes (onSocketClose), not here: Node reports
    // 'finish' and 'close' on a response even when its socket was reset with the bytes unsent.
    if (this.closed || state === 'gone' || state === 'written') return;
    const inv = poll.inv;
    poll.state = 'gone';
    poll.inv = undefined;
    if (state === 'parked') {
      this.count.polls--;
    } else if (poll.timer) {
      clearTimeout(poll.timer);
      this.timers.delete(poll.timer);
      poll.timer = undefined;
    }
    if (state === 'assigned' && inv && inv.state === 'assigned') this.requeueFront(inv);
  }

  /**
   * A socket that closes with an error after a hand-out, before the runtime sent another request
   * on it, means the runtime never got that hand-out: either the write failed with bytes still
   * queued here (EPIPE, ECONNRESET), or every byte left but the peer closed with them unread in
   * its buffer, which Linux answers with a reset (onSocketEnd makes that reset show). A runtime
   * that read its hand-out and closed the connection sends a plain FIN, which is no error.
   */
  private onSocketClose(socket: TrackedSocket, hadError: boolean): void {
    this.sockets.delete(socket);
    const inv = socket[kHandout];
    if (inv === undefined) return;
    socket[kHandout] = undefined;
    if (hadError) this.takeBack(inv, socket);
  }

  /**
   * The runtime closed its end of the connection. If it did so before a hand-out written here
   * arrived (a poll it aborted while the hand-out was on its way), its kernel answered the
   * hand-out with a reset, which Node, having read the runtime's FIN first, reports only on a
   * later write: one CRLF is written to find out (the connection is closing; no request waits for
   * it), and the write's failure closes the socket with an error, so that the hand-out is taken
   * back. After a hand-out the runtime read, the write succeeds and nothing changes.
   */
  private onSocketEnd(socket: TrackedSocket): void {
    if (socket[kHandout] !== undefined && socket.writable) socket.write('\r\n');
  }

  /** Takes back a hand-out that never reached the runtime (idempotent: only once per hand-out). */
  private takeBack(inv: Invocation, socket: Socket): void {
    if (this.closed || inv.state !== 'handedOut' || inv.socket !== socket) return;
    inv.socket = undefined;
    this.count.handedOut--;
    this.count.inFlight--;
    this.requeueFront(inv);
  }

  private onInvokeTimeout(inv: Invocation, timeoutMs: number): void {
    inv.timer = undefined;
    settleReject(inv, new EmulatorError('INVOKE_TIMEOUT', `no answer for request ${inv.requestId} within ${timeoutMs} ms`));
    if (inv.state === 'queued') {
      // Not handed out yet: withdraw it, as a caller that gave up would. A handed-out one stays
      // answerable so the exactly-once accounting still sees its answer.
      inv.state = 'cancelled';
      this.count.waiting--;
      this.invocations.delete(inv.requestId);
    } else if (inv.state === 'assigned') {
      inv.state = 'cancelled';
      this.invocations.delete(inv.requestId);
    }
  }

  // --- answers ---------------------------------------------------------------------------------

  private onPost(req: IncomingMessage, res: ServerResponse, ok: boolean, rawId: string): void {
    const epoch = this.epoch;
    readBody(req, this.limits.maxResponseBytes, (body) => {
      // Read by an API that has stopped since: gone with it.
      if (epoch !== this.epoch) return;
      const delay = this.faults.postDelayMs;
      if (delay > 0) {
        const post: DelayedPost = { req, res, ok, rawId, body, timer: undefined };
        post.timer = setTimeout(() => {
          this.delayedPosts.delete(post);
          this.handlePost(req, res, ok, rawId, body);
        }, delay);
        this.delayedPosts.add(post);
      } else {
        this.handlePost(req, res, ok, rawId, body);
      }
    });
  }

  /** Spends one armed reset or status fault of a poll or a post on this request: true when it took it. */
  private injectedFault(on: 'poll' | 'post', req: IncomingMessage, res: ServerResponse): boolean {
    const f = this.faults;
    if (on === 'poll' ? f.pollReset > 0 : f.postReset > 0) {
      if (on === 'poll') f.pollReset--;
      else f.postReset--;
      req.socket.destroy();
      return true;
    }
    const count = on === 'poll' ? f.pollStatusCount : f.postStatusCount;
    if (count === 0) return false;
    const status = on === 'poll' ? f.pollStatus : f.postStatus;
    if (on === 'poll') f.pollStatusCount--;
    else f.postStatusCount--;
    replyJson(req, res, status, { errorCode: 'InjectedFault', errorMessage: `injected fault: status ${status}` });
    return true;
  }

  /**
   * Records one answer, or refuses it. `beforeStop`: handled by an API on its way down, its
   * socket destroyed already, so no fault applies and whatever it answers is lost.
   */
  private handlePost(req: IncomingMessage, res: ServerResponse, ok: boolean, rawId: string, body: Buffer | null, beforeStop = false): void {
    if (this.closed) return;
    const f = this.faults;
    if (!beforeStop && this.injectedFault('post', req, res)) return;

    const requestId = decodeId(rawId);
    if (body === null) {
      this.count.rejectedPosts++;
      replyJson(req, res, 413, { errorCode: 'ResponseTooLarge',
        errorMessage: `the body is over the platform's limit of ${this.limits.maxResponseBytes} bytes` });
      return;
    }
    const inv = requestId === undefined ? undefined : this.invocations.get(requestId);
    if (inv === undefined || inv.state !== 'handedOut') {
      if (requestId !== undefined && this.answeredIds.has(requestId)) {
        this.count.duplicates++;
        replyJson(req, res, 409, { errorCode: 'AlreadyAnswered', errorMessage: `request ${requestId} was already answered` });
      } else {
        this.count.rejectedPosts++;
        replyJson(req, res, 404, { errorCode: 'UnknownRequest', errorMessage: `request ${rawId} is not in flight` });
      }
      return;
    }
    let error: InvokeError | undefined;
    if (!ok) {
      error = this.wire.parseError(body, req.headers);
      if (error === undefined) {
        this.count.rejectedPosts++;
        replyJson(req, res, 400, { errorCode: 'InvalidErrorBody', errorMessage: this.wire.errorShape });
        return;
      }
    }

    // Accepted: record first, then answer the runtime.
    this.invocations.delete(inv.requestId);
    this.answeredIds.add(inv.requestId);
    inv.state = 'answered';
    inv.socket = undefined;
    this.count.answered++;
    this.count.inFlight--;
    if (inv.timer) clearTimeout(inv.timer);
    inv.timer = undefined;
    const status = this.wire.acceptedStatus;
    const result: InvokeResult = {
      requestId: inv.requestId,
      ok,
      status,
      headers: flatHeaders(req.headers),
      body,
      queuedAt: inv.queuedAt,
      handedOutAt: inv.handedOutAt,
      answeredAt: performance.now(),
    };
    const contentType = req.headers['content-type'];
    if (contentType !== undefined) result.contentType = contentType;
    if (error !== undefined) result.error = error;

    // Before a stop the socket is gone already: the answer is recorded, its response lost.
    if (!beforeStop && f.postResetAfterRecord > 0) {
      f.postResetAfterRecord--;
      req.socket.destroy();
    } else if (!beforeStop) {
      res.writeHead(status, ACCEPTED_HEAD as string[]);
      res.end();
    }
    const resolve = inv.resolve;
    inv.resolve = undefined;
    inv.reject = undefined;
    if (resolve) resolve(result);
    this.emit('answer', result);
  }

  /**
   * POST /_emulator/restart {downMs, postsInFlight}: answered 202 with the plan, then the API goes
   * down once that answer has left, and comes back after downMs. A bad plan is a 400 naming the field.
   */
  private onPostRestart(req: IncomingMessage, res: ServerResponse): void {
    readBody(req, MAX_CONTROL_BODY_BYTES, (body) => {
      if (body === null) return replyJson(req, res, 413, { errorCode: 'TooLarge', errorMessage: 'restart plan too large' });
      let plan: Required<RestartPlan>;
      try {
        plan = validateRestartPlan(body.length === 0 ? {} : JSON.parse(body.toString('utf8')));
      } catch (err) {
        return replyJson(req, res, 400, { errorCode: 'InvalidRestart', errorMessage: (err as Error).message });
      }
      res.once('finish', () => {
        this.restart(plan).catch((err: Error) => {
          if (!this.closed) this.emit('restartFailed', err);
        });
      });
      replyJson(req, res, 202, plan);
    });
  }

  private onPostFaults(req: IncomingMessage, res: ServerResponse): void {
    readBody(req, MAX_CONTROL_BODY_BYTES, (body) => {
      if (body === null) return replyJson(req, res, 413, { errorCode: 'TooLarge', errorMessage: 'fault plan too large' });
      try {
        this.injectFaults(JSON.parse(body.toString('utf8')) as FaultPlan);
      } catch (err) {
        return replyJson(req, res, 400, { errorCode: 'InvalidFaultPlan', errorMessage: (err as Error).message });
      }
      replyEmpty(req, res, 204);
    });
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** The hand-out headers of one invocation: the shared base, its own, then the ones the emulator owns. */
  private handoutHead(requestId: string, invokeType: InvokeType, length: number, own: Record<string, string> | undefined): string[] {
    const head = own === undefined || Object.keys(own).length === 0 ? this.baseHead.slice() : mergeHeaders(this.baseHead, own, this.owned);
    head.push(...this.wire.handoutHeaders(requestId, invokeType), 'Content-Length', String(length));
    return head;
  }

  /**
   * The runtime's init failed. On a platform where the runtime then exits (Lambda), what waits for
   * it is answered with that error, as Lambda answers the invokes of an instance whose init failed,
   * until a runtime polls again.
   */
  private onInitError(req: IncomingMessage, res: ServerResponse): void {
    readBody(req, this.limits.maxResponseBytes, (body) => {
      if (this.closed) return;
      const error = body === null ? undefined : this.wire.parseError(body, req.headers);
      if (error === undefined) {
        this.count.rejectedPosts++;
        return replyJson(req, res, 400, { errorCode: 'InvalidErrorBody', errorMessage: this.wire.errorShape });
      }
      this.count.initErrors++;
      res.writeHead(this.wire.acceptedStatus, ACCEPTED_HEAD as string[]);
      res.end();
      this.emit('initError', error);
      if (this.wire.initFailure !== 'exit') return;
      this.initError = error;
      for (let inv = this.takeInvocation(); inv !== undefined; inv = this.takeInvocation()) this.failWithInit(inv, error);
    });
  }

  /**
   * Answers, in the runtime's place, an invocation handed to a runtime that is gone (the local
   * platform saw it exit): as a platform fails the requests of an instance that died. False when
   * the invocation is not handed out (answered already, or unknown).
   */
  failHandedOut(requestId: string, error: InvokeError): boolean {
    const inv = this.invocations.get(requestId);
    if (this.closed || inv === undefined || inv.state !== 'handedOut') return false;
    this.count.inFlight--;
    inv.socket = undefined;
    this.failWithInit(inv, error);
    return true;
  }

  /** Answers an invocation that no runtime took, with the init error of the runtime that should have. */
  private failWithInit(inv: Invocation, error: InvokeError): void {
    this.invocations.delete(inv.requestId);
    this.answeredIds.add(inv.requestId);
    inv.state = 'answered';
    this.count.answered++;
    const now = performance.now();
    const body = Buffer.from(JSON.stringify(error));
    const result: InvokeResult = {
      requestId: inv.requestId, ok: false, status: 0, headers: {}, body, contentType: 'application/json', error,
      queuedAt: inv.queuedAt, handedOutAt: now, answeredAt: now,
    };
    const resolve = inv.resolve;
    inv.resolve = undefined;
    inv.reject = undefined;
    if (inv.timer) clearTimeout(inv.timer);
    inv.timer = undefined;
    resolve?.(result);
    this.emit('answer', result);
  }
}

/**
 * Merges headers into a flat [name, value, ...] list. Names are case-insensitive: a later name
 * replaces an earlier one whatever its case, keeping the later spelling. The names the emulator
 * sets itself per invocation are dropped. Names and values are checked here, at invoke() or
 * start(), so that a bad one can never throw later in the middle of a hand-out.
 */
function mergeHeaders(base: readonly string[], extra: Record<string, string>, owned: ReadonlySet<string>): string[] {
  const merged = new Map<string, [string, string]>();
  for (let i = 0; i < base.length; i += 2) merged.set(base[i]!.toLowerCase(), [base[i]!, base[i + 1]!]);
  for (const name of Object.keys(extra)) {
    const value = String(extra[name]);
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    const key = name.toLowerCase();
    if (!owned.has(key)) merged.set(key, [name, value]);
  }
  const head: string[] = [];
  for (const [name, value] of merged.values()) head.push(name, value);
  return head;
}

// --- module helpers (shared with the invoke endpoint) -------------------------------------------

function settleReject(inv: Invocation, error: EmulatorError): void {
  if (inv.timer) clearTimeout(inv.timer);
  inv.timer = undefined;
  const reject = inv.reject;
  inv.resolve = undefined;
  inv.reject = undefined;
  if (reject) reject(error);
}

function positiveLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}

