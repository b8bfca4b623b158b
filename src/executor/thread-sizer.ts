// How many worker threads the pool should have, learned from what the function's invocations do.
//
// Invocations that share a thread share its fate: when one holds the thread's event loop in a
// long synchronous slice (a CPU loop, an allocation loop), those that had started beside it cannot
// go on, and die with the thread if it is stopped. So co-residency is a bet on the function: one
// that only awaits keeps many invocations per thread (FNPOOL_TASKS_PER_THREAD), one whose
// invocations hold their thread gets fewer per thread — and more threads, so that as many run at
// once. The bet is sized to keep the expected number of neighbours caught by a long slice under
// CASUALTY_BUDGET per invocation: with a fraction f of invocations holding their thread for
// BLOCKED_AFTER_MS or more, at most 1 + CASUALTY_BUDGET / f invocations share a thread.
//
// f is learned as long slices over completed invocations, both counted with a weight that decays
// by 1/256 per completed invocation (a rate over the last few hundred invocations), so it is right
// from the first invocations and forgets as fast as the function changes its ways: after ~180
// well-behaved invocations a once-seen slice weighs half as much. The pool adds threads for it
// only after 64 invocations: a fresh runtime's first slices are not the function's.
//
// Extra threads cost memory (~11 MB each here, plus their heap) and only help a function that
// awaits: the pool grows for co-residency only while most invocations do not hold their thread
// and most do not compute (a CPU-bound function gains nothing from more threads than cores; its
// invocations wait their turn). Computing is learned from each invocation's first synchronous
// slice, which the worker times: a function whose invocations mostly spend COMPUTES_MS or more
// before their first await is CPU-bound, whether or not its slices are long — 5 ms of hashing
// queued 8 deep on a thread holds its event loop ~40 ms, which the heartbeats take for long
// slices, and the pool had grown to ~24 threads for it (RSS 99 → 462 MB, p99 17 → 673 ms, no
// gain in throughput), and never past FNPOOL_MAX_THREADS (by default 1.5 × the concurrency, so that stand-ins
// and threads being replaced find room) or the memory budget. A stuck thread (heartbeats.ts, STUCK_AFTER_MS) gets
// a stand-in as well, whatever the co-residency and the cores, so that what arrives meanwhile does
// not wait for it. Threads the pool no longer needs are stopped once idle.
//
// The co-residency above is a preference: a task that finds every thread at it still goes to the
// least loaded one, and the pool grows. What binds is a limit sized on what actually kills
// neighbours: threads lost with their invocations (stopped past a deadline, out of memory,
// crashed), learned with the same decay — a long slice that ends only delays its neighbours. With
// a fraction l of invocations costing their thread, at most 1 + CASUALTY_BUDGET / l share one
// (isolationLimit), and a task that finds every thread at that limit waits in the pool's queue
// for the first thread that frees up or starts (within the memory budget), rather than starting
// beside an invocation that may take the thread down. A function that loses no thread is not
// limited, nor one that does not grow for co-residency (the pool starts no threads for it). In
// the realistic chaos mix under a 256 MB budget (~12 threads for 16 in flight), crowding had made
// 1.35–2.05% of the well-behaved casualties; with the limit, 0.10–0.45%.

/** Expected neighbours caught by a long slice, per invocation, that co-residency is sized for. */
const CASUALTY_BUDGET = 0.005;
/** How much the counts of long slices and completions decay per completed invocation. */
const DECAY = 1 / 256;
/** Past this fraction of invocations with long slices, or that compute, the function is CPU-bound: no threads past the base for it. */
const CPU_BOUND = 0.5;
/** An invocation whose first synchronous slice takes this long computes (an awaiting one returns in µs). */
const COMPUTES_MS = 1;
/**
 * Invocations (decayed count) the pool learns from before it adds threads for co-residency: the
 * first ones of a fresh runtime hold their thread longer (compilation, the first GCs) than the
 * function will, and a CPU-bound function's short slices need a utilization sample to show.
 */
const MIN_EVIDENCE = 64;

export class ThreadSizer {
  /** Long slices seen, and invocations completed, each decayed per completion. */
  #slices = 0;
  #completed = 0;
  /** Invocations that computed (COMPUTES_MS or more before their first await), decayed the same way. */
  #computing = 0;
  /** Threads lost with their invocations (stopped past a deadline, out of memory, crashed), decayed the same way. */
  #losses = 0;

  constructor(
    private readonly baseThreads: number,
    private readonly maxThreads: number,
    private readonly maxPerThread: number,
  ) {}

  /** An invocation completed (whatever its outcome); syncMs: its first synchronous slice, when it came back. */
  completed(syncMs?: number): void {
    this.#slices *= 1 - DECAY;
    this.#losses *= 1 - DECAY;
    this.#completed = this.#completed * (1 - DECAY) + 1;
    this.#computing = this.#computing * (1 - DECAY) + (syncMs !== undefined && syncMs >= COMPUTES_MS ? 1 : 0);
  }

  /** The learned fraction of invocations that compute before their first await. */
  get computingFraction(): number {
    return this.#completed === 0 ? 0 : this.#computing / this.#completed;
  }

  /** A thread was seen held by one slice for BLOCKED_AFTER_MS or more. */
  heldSlice(): void {
    this.#slices += 1;
  }

  /** A thread was lost with the invocations on it (its culprit's own loss counts: it is the risk). */
  threadLost(): void {
    this.#losses += 1;
  }

  /** The learned fraction of invocations that cost their thread (at most 1). */
  get lossFraction(): number {
    return this.#fractionOf(this.#losses);
  }

  /** How many invocations may share a thread at most: co-residency sized on the threads lost. */
  get isolationLimit(): number {
    return this.#sharedBy(this.lossFraction);
  }

  /** The learned fraction of invocations with a long synchronous slice (at most 1). */
  get heavyFraction(): number {
    return this.#fractionOf(this.#slices);
  }

  /** How many invocations should share a thread. */
  get coResidency(): number {
    return this.#sharedBy(this.heavyFraction);
  }

  /** A decayed count over the invocations completed (at most 1). */
  #fractionOf(count: number): number {
    return count === 0 ? 0 : Math.min(1, count / Math.max(1, this.#completed));
  }

  /** How many invocations may share a thread when a fraction f of them risks it: 1 + CASUALTY_BUDGET / f, within 1 and the most per thread. */
  #sharedBy(f: number): number {
    if (f === 0) return this.maxPerThread;
    return Math.max(1, Math.min(this.maxPerThread, Math.floor(1 + CASUALTY_BUDGET / f)));
  }

  /** Whether more threads than the base would help: the function mostly awaits (as far as enough invocations tell). */
  get growsForCoResidency(): boolean {
    return this.#completed >= MIN_EVIDENCE && this.heavyFraction < CPU_BOUND && this.computingFraction < CPU_BOUND;
  }

  /**
   * The threads wanted now: enough for the invocations in flight at the learned co-residency, plus
   * a stand-in per stuck thread. The caller grows the pool towards it only while cores and memory
   * are spare (stand-ins: while no thread that turns has room), and shrinks it when it has been
   * over it for a while.
   * @param inFlight invocations in flight
   * @param stuck threads held past STUCK_AFTER_MS (heartbeats.ts)
   */
  wanted(inFlight: number, stuck: number): number {
    const forCoResidency = this.growsForCoResidency ? Math.ceil(inFlight / this.coResidency) : this.baseThreads;
    return Math.min(this.maxThreads, Math.max(this.baseThreads, forCoResidency) + stuck);
  }
}
