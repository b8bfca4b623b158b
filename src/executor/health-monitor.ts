// Which worker threads can take work now, watched while invocations are in flight:
// - every 5 ms, the heartbeats (heartbeats.ts): a thread whose event loop has stopped turning is
//   reported at once, so that what was placed on it but not started moves to another thread;
// - every 40 ms, each thread's event-loop utilization since the last sample (read from the main
//   thread, so it works even when the thread is stuck). A thread ~fully busy is marked busy — the
//   balancer places new tasks elsewhere — and when a responsive thread exists the executor is told,
//   so that tasks waiting behind a busy thread, or for a thread to start, can be moved
//   (docs/pitfalls.md: piscina's threads and ELU).
import type { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Heartbeats } from './heartbeats.js';

/** How often thread health is sampled while invocations are in flight. */
const MONITOR_INTERVAL_MS = 40;
/** How often the heartbeats are read while invocations are in flight. */
const HEARTBEAT_CHECK_MS = 5;
/** A thread whose event loop was this busy over the last sample gets no new work if another can take it. */
const BUSY_UTILIZATION = 0.9;

type Utilization = ReturnType<typeof performance.eventLoopUtilization>;

export class HealthMonitor {
  readonly #elu = new Map<number, Utilization>();
  #timer: NodeJS.Timeout | undefined;
  #fastTimer: NodeJS.Timeout | undefined;
  #blocked = new Set<number>();
  #wasBlocked = new Set<number>();

  /**
   * @param threads the pool's live threads
   * @param busy filled with the saturated threads at each sample (the balancer reads it)
   * @param excluded threads that take no new work anyway (being retired or stopped)
   * @param onWaiting called after a sample that found busy or starting threads and a responsive one
   * @param onBlocked called with the threads whose event loop has stopped turning, at each check that finds one
   * @param onHeldSlice called once per slice that holds a thread for BLOCKED_AFTER_MS or more
   * @param onSample called after each utilization sample
   */
  constructor(
    private readonly threads: () => readonly Worker[],
    private readonly busy: Set<number>,
    private readonly excluded: ReadonlySet<number>,
    /** Threads that finished their init (a replacement that is still loading is not responsive yet). */
    private readonly ready: ReadonlySet<number>,
    private readonly heartbeats: Heartbeats,
    private readonly onWaiting: () => void,
    private readonly onBlocked: (threadIds: ReadonlySet<number>) => void,
    private readonly onHeldSlice: (threadId: number) => void,
    private readonly onSample: () => void,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#sample(), MONITOR_INTERVAL_MS).unref();
    this.#fastTimer = setInterval(() => this.#checkHeartbeats(), HEARTBEAT_CHECK_MS).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#fastTimer);
    this.#timer = undefined;
    this.#fastTimer = undefined;
    this.busy.clear();
  }

  #checkHeartbeats(): void {
    [this.#wasBlocked, this.#blocked] = [this.#blocked, this.#wasBlocked];
    this.#blocked.clear();
    for (const worker of this.threads()) {
      if (!this.heartbeats.blocked(worker.threadId)) continue;
      this.#blocked.add(worker.threadId);
      if (!this.#wasBlocked.has(worker.threadId)) this.onHeldSlice(worker.threadId);
    }
    if (this.#blocked.size > 0) this.onBlocked(this.#blocked);
  }

  /** A thread that is gone. */
  forget(threadId: number): void {
    this.#elu.delete(threadId);
  }

  #sample(): void {
    this.busy.clear();
    let responsive = false;
    let starting = false;
    for (const worker of this.threads()) {
      const previous = this.#elu.get(worker.threadId);
      const now = worker.performance.eventLoopUtilization();
      this.#elu.set(worker.threadId, now);
      if (previous !== undefined && worker.performance.eventLoopUtilization(now, previous).utilization >= BUSY_UTILIZATION) {
        this.busy.add(worker.threadId);
      } else if (!this.ready.has(worker.threadId)) {
        starting = true;
      } else if (!this.excluded.has(worker.threadId)) {
        responsive = true;
      }
    }
    if ((this.busy.size > 0 || starting) && responsive) this.onWaiting();
    this.onSample();
  }
}
