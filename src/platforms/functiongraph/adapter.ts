// FunctionGraph (pull): wire → Invocation → executor → wire. One loop takes an admission slot,
// then starts a long poll in it, so there are never more polls (or invocations) in flight than
// slots: nothing is fetched that cannot start at once.
import { setMaxListeners } from 'node:events';
import type { RuntimeConfig } from '../../config/config.js';
import { ErrorType, runtimeError } from '../../errors.js';
import type { Executor, Invocation, Outcome } from '../../executor/executor.js';
import type { Slot } from '../../executor/admission.js';
import type { Logger } from '../../logging/logger.js';
import { RuntimeApiClient } from './runtime-api-client.js';

/** How long stop() waits for the last answers to be posted after the executor stopped. */
const FINAL_POSTS_WAIT_MS = 10_000;

export class FunctionGraphAdapter {
  readonly #config: RuntimeConfig;
  readonly #executor: Executor;
  readonly #log: Logger;
  readonly #client: RuntimeApiClient;
  readonly #stop = new AbortController();
  readonly #posts = new Set<Promise<unknown>>();
  #loop: Promise<void> | undefined;

  constructor(config: RuntimeConfig, executor: Executor, log: Logger) {
    if (config.runtimeApiAddr === undefined) throw new Error('RUNTIME_API_ADDR is not set');
    this.#config = config;
    this.#executor = executor;
    this.#log = log;
    this.#client = new RuntimeApiClient(config.runtimeApiAddr, {
      connections: config.concurrency, maxRequestBytes: config.maxRequestBytes, log,
    });
  }

  start(): void {
    // Every long poll (and its backoff) listens on the one stop signal: as many as there are slots.
    setMaxListeners(0, this.#stop.signal);
    this.#loop = this.#admitLoop();
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
    let received;
    try {
      received = await this.#client.next(signal);
    } catch {
      slot.release(); // aborted: shutting down
      return;
    }
    const inv: Invocation = {
      requestId: received.requestId,
      body: received.body,
      deadlineMs: received.arrivedAtMs + this.#config.timeoutMs,
      receivedAt: received.receivedAt,
      meta: received.meta,
    };
    let outcome: Promise<Outcome>;
    if (received.tooLargeBytes !== undefined) {
      outcome = this.#executor.reject(inv, slot, runtimeError(ErrorType.RequestTooLarge,
        `the request body is ${received.tooLargeBytes} bytes, over the limit of ${this.#config.maxRequestBytes} bytes (RUNTIME_MAX_REQUEST_BODY_SIZE)`));
    } else if (received.readError !== undefined) {
      outcome = this.#executor.reject(inv, slot, runtimeError(ErrorType.InvalidRequest,
        `the request body could not be read: ${received.readError}`));
    } else {
      outcome = this.#executor.run(inv, slot);
    }
    const post = outcome.then((result) => this.#post(inv.requestId, result));
    this.#posts.add(post);
    await post;
    this.#posts.delete(post);
  }

  #post(requestId: string, outcome: Outcome): Promise<boolean> {
    if (outcome.ok) {
      const binary = typeof outcome.body !== 'string';
      return this.#client.post(requestId, 'response', outcome.body, binary ? 'application/octet-stream' : 'application/json');
    }
    return this.#client.post(requestId, 'error', JSON.stringify(outcome.error), 'application/json');
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
    void this.#loop;
  }
}
