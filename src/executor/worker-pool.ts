// The Piscina pool and the channels around it, started as early as possible: the worker threads
// boot (and load the handler) while the main thread is still importing the rest of the runtime.
// Whatever the pool reports before the executor is ready — init messages on the control channel,
// thread exits, pool errors — is kept and handed over in order, since a BroadcastChannel message
// posted before anyone listens is lost and an 'error' event with no listener would throw.
import { existsSync } from 'node:fs';
import { BroadcastChannel, type Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { RuntimeConfig } from '../config/config.js';
import { CONTROL_CHANNEL, type ControlMessage, type TaskRequest, type TaskResult } from '../protocol.js';
import type { WorkerData } from '../worker/main.js';
import { healthAwareBalancer } from './balancer.js';
import { Claims, createClaims } from './claims.js';
import { Heartbeats, createHeartbeats } from './heartbeats.js';

/**
 * What each worker thread loads: the bundle `npm run build` makes of the worker's modules (one file
 * to load instead of ~60: build/worker-bundle.mjs), else the modules as tsc left them.
 */
const WORKER_FILE = [new URL('../worker/main.bundle.js', import.meta.url), new URL('../worker/main.js', import.meta.url)]
  .map((url) => fileURLToPath(url)).find((file) => existsSync(file))!;
/** A task for no invocation: it makes Piscina start a thread (addThread), and the worker drops it. */
const PLACEHOLDER: TaskRequest = { token: 0, slot: -1, requestId: '', body: new Uint8Array(0), deadlineMs: 0, meta: { invokeType: 'sync' } };

export type PoolEvent =
  | { kind: 'control'; message: ControlMessage }
  | { kind: 'exit'; threadId: number; code: number }
  | { kind: 'error'; error: Error };

export class WorkerPool {
  readonly pool: Piscina<TaskRequest, TaskResult>;
  readonly claims: Claims;
  readonly heartbeats: Heartbeats;
  /** Per admission slot: the thread its current dispatch was placed on (0: not placed yet). */
  readonly placement: Int32Array;
  readonly control = new BroadcastChannel(CONTROL_CHANNEL);
  /** threadIds that must receive no new task (being retired or stopped). */
  readonly excluded = new Set<number>();
  /** threadIds whose event loop looked saturated at the last sample. */
  readonly busy = new Set<number>();
  /** threadIds that finished loading the handler (the executor adds them from their 'ready' message). */
  readonly ready = new Set<number>();
  /** Read by the balancer: place the next task nowhere, so that Piscina starts a thread. */
  wantThread = false;
  /** The learned co-residency, read by the balancer (the executor sets it). */
  coResidency: () => number;
  /** The most invocations a thread may have now, read by the balancer (the executor sets it). */
  shareLimit: () => number;
  /** Whether the pool may start a thread now, read by the balancer (the executor sets it). */
  mayGrow: () => boolean = () => false;
  /** Told by the balancer that a task went to a thread with as many as should share one (the executor sets it). */
  onCrowded: () => void = () => {};
  /** performance.now() when the threads were started. */
  readonly startedAt = performance.now();
  readonly #watched = new Set<number>();
  #early: PoolEvent[] | undefined = [];
  #sink: ((event: PoolEvent) => void) | undefined;

  constructor(private readonly config: RuntimeConfig) {
    this.claims = new Claims(createClaims(config.concurrency), config.concurrency);
    // Rows for the live threads and for those that died but whose exit is not handled yet.
    this.heartbeats = new Heartbeats(createHeartbeats(2 * config.maxThreads + 8));
    this.placement = new Int32Array(config.concurrency);
    this.coResidency = () => config.tasksPerThread;
    this.shareLimit = () => config.tasksPerThread;
    this.control.onmessage = (event) => this.#emit({ kind: 'control', message: (event as MessageEvent).data as ControlMessage });
    this.control.unref();
    const heapMB = config.memory.workerHeapMB;
    this.pool = new Piscina<TaskRequest, TaskResult>({
      filename: WORKER_FILE,
      // The pool grows past its threads only when the executor asks (thread-sizer.ts, wantThread).
      minThreads: config.threads,
      maxThreads: config.maxThreads,
      idleTimeout: Infinity,
      // Admission bounds the work, so that piscina holds no queue of its own (docs/pitfalls.md).
      concurrentTasksPerWorker: config.tasksPerThread,
      // 'sync' freezes an idle worker: timers and log writes of finished handlers would stall.
      atomics: 'disabled',
      recordTiming: false,
      loadBalancer: healthAwareBalancer(this, config.tasksPerThread),
      resourceLimits: heapMB === undefined ? undefined : { maxOldGenerationSizeMb: heapMB },
      workerData: {
        config: config.worker, claims: this.claims.buffer, concurrency: config.concurrency, heartbeats: this.heartbeats.buffer,
      } satisfies WorkerData,
    });
    // A replacement worker that dies with no task reports only here (docs/pitfalls.md).
    this.pool.on('error', (error: Error) => this.#emit({ kind: 'error', error }));
    // Threads that die while starting are not replaced by piscina: their exit is the only sign.
    for (const thread of this.pool.threads) this.#watchExit(thread);
    this.pool.on('workerCreate', ({ id }: { id: number }) => {
      const thread = this.pool.threads.find((t) => t.threadId === id);
      if (thread !== undefined) this.#watchExit(thread);
    });
  }

  /**
   * Starts one more thread (up to maxThreads) without making any task wait for it: a placeholder
   * task that the balancer places nowhere, so that Piscina starts a thread for it, withdrawn at
   * once. Piscina starts the thread synchronously inside run(); the placeholder, given a signal,
   * waits in Piscina's skip queue (which, unlike its task queue, does not make the tasks that
   * follow queue behind it) and leaves it when aborted.
   */
  addThread(): void {
    const withdraw = new AbortController();
    this.wantThread = true;
    void this.pool.run(PLACEHOLDER, { signal: withdraw.signal }).catch(() => {});
    // Consumed by the placeholder unless Piscina had a queue (it then starts the thread itself).
    this.wantThread = false;
    withdraw.abort();
  }

  /**
   * The most threads Piscina may run now. Piscina starts a thread on its own whenever a task waits
   * in its queue and it has fewer than its maxThreads (it grows eagerly under queued work), so the
   * memory budget is kept by lowering that ceiling, which Piscina reads live, rather than only by
   * the balancer's choices: without it, a mix of loops and heap exhaustions grew a 256 MB function
   * to its 48 threads and ~900 MB.
   */
  set threadCeiling(threads: number) {
    this.pool.options.maxThreads = Math.max(this.config.threads, Math.min(this.config.maxThreads, threads));
  }

  /** The balancer's call (balancer.ts): inside Piscina, so it only passes the word on. */
  crowded(): void {
    this.onCrowded();
  }

  /** Threads started but not ready yet (loading the handler). */
  get starting(): number {
    let starting = 0;
    for (const thread of this.pool.threads) if (!this.ready.has(thread.threadId)) starting++;
    return starting;
  }

  /** Receives every event from now on, after those that came before. */
  attach(sink: (event: PoolEvent) => void): void {
    this.#sink = sink;
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const event of early) sink(event);
  }

  get threads(): Worker[] {
    return this.pool.threads;
  }

  #watchExit(thread: Worker): void {
    const { threadId } = thread;
    if (this.#watched.has(threadId)) return;
    this.#watched.add(threadId);
    thread.once('exit', (code) => {
      this.#watched.delete(threadId);
      this.ready.delete(threadId);
      this.heartbeats.release(threadId);
      this.#emit({ kind: 'exit', threadId, code });
    });
  }

  #emit(event: PoolEvent): void {
    if (this.#early !== undefined) this.#early.push(event);
    else this.#sink?.(event);
  }
}
