// The poll loop every pull platform shares (FunctionGraph, Lambda, FC's runtime API): take an
// admission slot, then long-poll the platform for an invocation in it, so there are never more
// polls (or invocations) in flight than slots and nothing is fetched that cannot start at once;
// run it; post its one answer. The platform's PullWire says where and how; this file says when.
// An invocation whose request id cannot address an answer (a dot-segment, a header repeated with
// different ids; see wire-values.ts), or whose id is already in flight (handed out twice), is
// skipped: one warning, nothing run, nothing posted — the answer of the first stands for the id.
import { setMaxListeners } from 'node:events';
import type { RuntimeConfig } from '../../config/config.js';
import { ErrorType, runtimeError, type WireError } from '../../errors.js';
import type { Executor, Invocation, Outcome } from '../../executor/executor.js';
import type { Slot } from '../../executor/admission.js';
import type { Logger } from '../../logging/logger.js';
import { writeLine } from '../../logging/logger.js';
import type { PullWire, WireDefaults } from '../platform.js';
import { Backoff } from '../backoff.js';
import { FatalApiError, RuntimeApiClient, type Received } from './client.js';
import { readRequestId, shown, type RequestId } from './wire-values.js';

/** How long stop() waits for the last answers to be posted after the executor stopped. */
const FINAL_POSTS_WAIT_MS = 10_000;

export class PullAdapter {
  readonly #config: RuntimeConfig;
  readonly #wire: PullWire;
  readonly #executor: Executor;
  readonly #log: Logger;
  readonly #client: RuntimeApiClient;
  readonly #stop = new AbortController();
  readonly #posts = new Set<Promise<unknown>>();
  readonly #defaults: WireDefaults;
  /** The ids (as text) of the invocations received and not answered yet. */
  readonly #inFlight = new Set<string>();
  /** Paces the polls after skipped invocations: a platform that keeps sending them is not polled in a tight loop. */
  readonly #skips = new Backoff();
  #onFatal: ((reason: string) => void) | undefined;

  constructor(config: RuntimeConfig, wire: PullWire, executor: Executor, log: Logger) {
    if (config.apiAddress === undefined) throw new Error('the platform API address is not set');
    this.#config = config;
    this.#wire = wire;
    this.#executor = executor;
    this.#log = log;
    this.#defaults = { timeoutMs: config.timeoutMs, hooks: config.hooks };
    this.#client = new RuntimeApiClient(config.apiAddress, wire, {
      connections: config.concurrency, maxRequestBytes: config.maxRequestBytes, log,
    });
  }

  /**
   * Starts serving. A function whose init failed is reported first: on a platform that wants it
   * reported and the process gone (Lambda), onFatal is called once the report is posted.
   */
  start(onFatal: (reason: string) => void): void {
    this.#onFatal = onFatal;
    const initFailure = this.#executor.initFailure;
    if (initFailure !== undefined && this.#wire.initErrorPath !== undefined) {
      const posted = this.#client.postInitError(initFailure);
      if (this.#wire.initFailure === 'exit') {
        void posted.then(() => onFatal(`function init failed: ${initFailure.errorType}`));
        return;
      }
    }
    // Every long poll (and its backoff) listens on the one stop signal: as many as there are slots.
    setMaxListeners(0, this.#stop.signal);
    void this.#admitLoop();
  }

  async #admitLoop(): Promise<void> {
    const { signal } = this.#stop;
    while (!signal.aborted) {
      const slot = await this.#executor.admission.acquire();
      if (signal.aborted) {
        slot.release();
        break;
      }
      void this.#serveOne(slot, signal);
    }
  }

  async #serveOne(slot: Slot, signal: AbortSignal): Promise<void> {
    let received: Received;
    try {
      received = await this.#client.next(signal);
    } catch (err) {
      slot.release(); // aborted (shutting down), or the platform said to stop
      if (err instanceof FatalApiError) this.#fatal(err.message);
      return;
    }
    const id = this.#requestIdOf(received);
    if (id === undefined) {
      await this.#skips.wait(signal).catch(() => {});
      slot.release();
      return;
    }
    const wired = this.#wire.invocation(received.headers, received.arrivedAtMs, this.#defaults);
    const inv: Invocation = {
      requestId: id.text,
      body: received.body,
      deadlineMs: wired.deadlineMs,
      timeoutMs: wired.deadlineMs - received.arrivedAtMs,
      receivedAt: received.receivedAt,
      meta: wired.meta,
      entry: wired.entry,
      http: wired.http,
      startLine: wired.startLine,
    };
    this.#inFlight.add(id.text);
    const refused = wired.invalid ?? this.#refusal(received) ?? (wired.done ? this.#executor.initFailure : undefined);
    const outcome = refused !== undefined ? this.#executor.settle(inv, slot, { ok: false, error: refused })
      : wired.done ? this.#executor.settle(inv, slot, { ok: true, body: 'null' })
      : this.#executor.run(inv, slot);
    const post = outcome.then((result) => {
      if (wired.endLine !== undefined) writeLine(wired.endLine(result.ok));
      return this.#post(id.wire, result);
    });
    this.#posts.add(post);
    try {
      await post;
    } finally {
      this.#posts.delete(post);
      this.#inFlight.delete(id.text);
    }
  }

  /**
   * The invocation's request id; undefined, after one warning, when no answer can be addressed
   * with it or an invocation with that id is in flight already.
   */
  #requestIdOf(received: Received): RequestId | undefined {
    const name = this.#wire.requestIdHeader;
    const id = readRequestId(received.headers[name], name);
    let problem: string;
    if ('problem' in id) problem = id.problem;
    else if (this.#inFlight.has(id.text)) problem = `the request id ${shown(id.wire)} is already in flight`;
    else {
      this.#skips.reset();
      return id;
    }
    this.#log.warn(`skipped an invocation, nothing is posted for it: ${problem}`);
    return undefined;
  }

  #refusal(received: Received): WireError | undefined {
    if (received.tooLargeBytes !== undefined) {
      return runtimeError(ErrorType.RequestTooLarge, `the request body is ${received.tooLargeBytes} bytes, over the limit of ` +
        `${this.#config.maxRequestBytes} bytes (${this.#config.maxRequestBytesFrom})`);
    }
    if (received.readError !== undefined) {
      return runtimeError(ErrorType.InvalidRequest, `the request body could not be read: ${received.readError}`);
    }
    return undefined;
  }

  /** Posts the answer; the id as it came (the wire puts its bytes in the path). */
  #post(wireId: string, outcome: Outcome): Promise<boolean> {
    return this.#client.post(wireId, this.#wire.answer(wireId, outcome));
  }

  #fatal(reason: string): void {
    if (this.#stop.signal.aborted) return;
    this.#log.error(`the platform asked the runtime to stop: ${reason}`);
    this.#onFatal?.(reason);
  }

  /** Stops fetching, lets in-flight invocations end (or answers them with Runtime.Shutdown), posts every answer. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#executor.shutdown(this.#config.shutdownTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#posts]),
      new Promise((resolve) => { timer = setTimeout(resolve, FINAL_POSTS_WAIT_MS); }),
    ]);
    clearTimeout(timer);
    if (this.#posts.size > 0) this.#log.error({ pending: this.#posts.size }, 'stopped with answers still unposted');
    await this.#client.close();
  }
}
