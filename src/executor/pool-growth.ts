// How big the worker pool is, from moment to moment: it applies what the ThreadSizer learns
// (thread-sizer.ts) to the live pool. It starts threads (WorkerPool.addThread) when the pool has
// fewer than the sizer wants — a stand-in at once when a thread is stuck and no other has room;
// more threads for less co-residency while the memory budget is spare, even when loops hold the
// cores (an invocation that awaits needs little CPU, and a thread of its own is what keeps it from
// dying with the next loop: in the realistic chaos mix, casualties fell from ~1.2% to ~0.5%), and
// no more starting at once than there are cores (each start is CPU work that slows the running
// invocations and the other starts) — and it tells the balancer whether it may place a task
// nowhere so that Piscina starts one. It looks at each health sample, and at once when the
// balancer had to crowd a thread. It stops idle extra threads once the pool has had more than it
// needs for SHRINK_AFTER_MS, or at once (after that long idle) when nothing is in flight.
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { MAIN_THREAD_RESERVE_MB, type RuntimeConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { bestThread } from './balancer.js';
import { ThreadSizer } from './thread-sizer.js';
import type { WorkerPool } from './worker-pool.js';

/** How long the pool stays larger than it needs before an idle extra thread is stopped. */
const SHRINK_AFTER_MS = 5_000;
/** What a worker thread costs outside its heap, MB (measured here: 2 → 16 threads took RSS from 82 to 232 MB). */
const THREAD_COST_MB = 11;
const MiB = 1024 * 1024;
const CORES = availableParallelism();

/** The invocations in flight, as the pool's size depends on them. */
export interface InFlight {
  count: number;
  /** Per threadId: the invocations started or placed on it. */
  perThread: ReadonlyMap<number, number>;
}

export class PoolGrowth {
  readonly #sizer: ThreadSizer;
  /** performance.now() since when the pool has had more threads than it needs; 0 when it has not. */
  #oversizedSince = 0;
  /** Memory spare for one more thread, as of the last look. */
  #memoryForThread = false;
  /** Average JS heap plus Buffers of a worker after a task, MB (measured when a memory budget is set). */
  #workerMB = 0;
  #shrinkTimer: NodeJS.Timeout | undefined;
  /** A look is due on the next turn of the event loop (the balancer crowded a thread). */
  #lookDue = false;

  /**
   * @param inFlight what is in flight now
   * @param forget called for a thread it stopped, once it is gone
   */
  constructor(
    private readonly config: RuntimeConfig,
    private readonly workers: WorkerPool,
    private readonly log: Logger,
    private readonly inFlight: () => InFlight,
    private readonly forget: (threadId: number) => void,
  ) {
    this.#sizer = new ThreadSizer(config.threads, config.maxThreads, config.tasksPerThread);
    // Until the first look, Piscina starts no thread beyond the base ones.
    workers.threadCeiling = config.threads;
    workers.coResidency = () => this.#sizer.coResidency;
    // Only for a function that grows for co-residency: the threads the limit makes Piscina start are
    // threads the sizer wants anyway, and none are started for a CPU-bound one, which they would not help.
    workers.shareLimit = () => (this.#sizer.growsForCoResidency ? this.#sizer.isolationLimit : config.tasksPerThread);
    workers.mayGrow = () => this.#memoryForThread && this.#sizer.growsForCoResidency &&
      workers.threads.length < config.maxThreads;
    workers.onCrowded = () => {
      if (this.#lookDue) return;
      this.#lookDue = true;
      setImmediate(() => {
        this.#lookDue = false;
        this.resize();
      });
    };
  }

  /**
   * An invocation ended; memoryBytes is its worker's heap plus Buffers after it (0: not measured),
   * syncMs its handler's first synchronous slice (undefined: it did not come back).
   */
  completed(memoryBytes = 0, syncMs?: number): void {
    this.#sizer.completed(syncMs);
    if (memoryBytes > 0) this.#workerMB += (memoryBytes / MiB - this.#workerMB) / 16;
  }

  /** A thread was lost with the invocations on it: learn it. */
  threadLost(): void {
    this.#sizer.threadLost();
  }

  /** A thread was held by one slice: learn it, and act on it now rather than at the next look. */
  heldSlice(): void {
    this.#sizer.heldSlice();
    this.resize();
  }

  /** Nothing is in flight: threads added for a burst are stopped once the pool has stayed idle a while. */
  idle(): void {
    clearTimeout(this.#shrinkTimer);
    if (this.workers.threads.length > this.config.threads) this.#shrinkTimer = setTimeout(() => this.resize(), SHRINK_AFTER_MS).unref();
  }

  /** Grows or shrinks the pool by what it needs now (called at each health sample). */
  resize(): void {
    const threads = this.workers.threads;
    const { heartbeats } = this.workers;
    let stuck = 0;
    for (const worker of threads) if (heartbeats.stuck(worker.threadId)) stuck++;
    const inFlight = this.inFlight();
    const wanted = this.#sizer.wanted(inFlight.count, stuck);
    const size = threads.length;
    const memoryFor = this.#threadsMemoryAllows();
    this.#memoryForThread = memoryFor > 0;
    // Piscina may replace the threads there are (one that died is gone from `threads`), and start
    // as many more as the budget has room for now (threads still starting are not in the RSS yet),
    // or up to as many as it holds at their usual cost (a heap exhaustion's transient heap does
    // not shrink the pool); no more, whatever queues.
    this.workers.threadCeiling = Math.max(this.#threadsBudgetHolds(), size + Math.max(0, memoryFor - this.workers.starting));
    if (size < wanted) {
      this.#oversizedSince = 0;
      const standIn = stuck > 0 && !this.roomOnATurningThread(inFlight);
      if (!this.#memoryForThread) return;
      if (standIn) {
        this.workers.addThread();
        return;
      }
      const forCoResidency = Math.min(this.#sizer.wanted(inFlight.count, 0) - size, CORES - this.workers.starting, memoryFor);
      for (let i = 0; i < forCoResidency; i++) this.workers.addThread();
      return;
    }
    if (size === wanted) {
      this.#oversizedSince = 0;
      return;
    }
    const now = performance.now();
    if (this.#oversizedSince === 0) this.#oversizedSince = now;
    if (inFlight.count > 0 && now - this.#oversizedSince < SHRINK_AFTER_MS) return;
    // Under load one idle thread per look; with nothing in flight, all the extra ones at once.
    let extra = inFlight.count > 0 ? 1 : size - wanted;
    let left = size;
    for (const worker of threads) {
      if (extra === 0) break;
      if (this.workers.excluded.has(worker.threadId) || (inFlight.perThread.get(worker.threadId) ?? 0) > 0) continue;
      extra--;
      this.#stop(worker, --left);
    }
    this.#oversizedSince = 0;
  }

  /** Whether some thread that turns its event loop has room (counted from the invocations in flight). */
  roomOnATurningThread(inFlight = this.inFlight()): boolean {
    return this.#room(this.workers.threads, inFlight);
  }

  /** Whether some thread that has loaded the handler, and turns its event loop, has room. */
  roomOnAReadyThread(): boolean {
    return this.#room(this.workers.threads.filter((worker) => this.workers.ready.has(worker.threadId)), this.inFlight());
  }

  #room(threads: readonly Worker[], inFlight: InFlight): boolean {
    const candidates = threads.map((worker) => ({ id: worker.threadId, currentUsage: inFlight.perThread.get(worker.threadId) ?? 0 }));
    return bestThread(this.workers, this.config.tasksPerThread, candidates) !== null;
  }

  #stop(worker: Worker, threadsLeft: number): void {
    const { threadId } = worker;
    this.workers.excluded.add(threadId);
    this.log.info({ threadId, threads: threadsLeft }, 'stopping a worker thread the pool no longer needs');
    void worker.terminate();
    setTimeout(() => {
      this.workers.excluded.delete(threadId);
      this.forget(threadId);
    }, 10_000).unref();
  }

  /** How many threads the memory budget holds at their usual cost, beside the main thread (without one: the most allowed). */
  #threadsBudgetHolds(): number {
    const budgetMB = this.config.memory.budgetMB;
    if (budgetMB === undefined) return this.config.maxThreads;
    return Math.floor((budgetMB - MAIN_THREAD_RESERVE_MB) / (THREAD_COST_MB + this.#workerMB));
  }

  /** How many more threads (each its own ~11 MB and a worker's usual heap) fit in the memory budget (without one: any number). */
  #threadsMemoryAllows(): number {
    const budgetMB = this.config.memory.budgetMB;
    if (budgetMB === undefined) return this.config.maxThreads;
    return Math.max(0, Math.floor((budgetMB - process.memoryUsage.rss() / MiB) / (THREAD_COST_MB + this.#workerMB)));
  }
}
