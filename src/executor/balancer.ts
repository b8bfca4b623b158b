// Where Piscina places a task. Piscina's own balancer only counts tasks per worker; this one also
// knows which threads must get no new work (being retired or stopped), which are held — their
// event loop has not turned for BLOCKED_AFTER_MS, read live from the heartbeats, so a task put
// there could not start — and which are busy (their event loop was ~fully used in the last
// sample). A held thread gets a task only when every thread with room is held (a CPU-bound
// function's ordinary slices), never when it is stuck: then the task waits in Piscina's own
// queue, which any thread that frees up serves, and a stand-in thread starts.
//
// An arriving task never waits for a thread to start while a loaded thread that turns has room:
// threads still loading the handler come last, and a task placed on one (every loaded thread was
// full or held) moves when a loaded thread has room (the executor's #moveWaiting). The learned
// co-residency (thread-sizer.ts) is a preference among loaded threads: when each has as many
// invocations as should share one, the task still goes to the least loaded of them, and the balancer asks for more threads (crowded),
// which start beside the running ones and take the next tasks once loaded. A burst thus costs
// no invocation a thread's start (14 threads starting at once took 0.4–0.7 s here, all of it
// added to the invocations that waited for them). Only when threads are being lost with their
// invocations does a share limit bind (shareLimit): a task that would go past it waits in
// Piscina's queue instead, for the first thread that frees up or starts.
//
// It records on which thread each slot's task was placed, so that the executor can move tasks off
// a thread that stops turning. When the executor wants one more thread, it places one task
// nowhere: Piscina then starts a thread (up to its maxThreads).
import type { Piscina } from 'piscina';

// piscina does not export the balancer's type from its entry point.
export type LoadBalancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;

/** Piscina hands a task's `[Piscina.queueOptionsSymbol]` property to the balancer (it is not sent to the worker). */
export const PLACEMENT = Symbol.for('Piscina.queueOptions');
export interface PlacementTag { slot: number }

export interface WorkerHealth {
  /** threadIds that must receive no new task. */
  readonly excluded: ReadonlySet<number>;
  /** threadIds whose event loop looked saturated at the last sample. */
  readonly busy: ReadonlySet<number>;
  /** threadIds that finished loading the handler: a thread still starting would make a task wait. */
  readonly ready: ReadonlySet<number>;
  /** Per admission slot, the threadId its task was placed on. */
  readonly placement: Int32Array;
  readonly heartbeats: { blocked(threadId: number): boolean; stuck(threadId: number): boolean };
  /** Grow the pool: place the next task nowhere, so that Piscina starts a thread (addThread's placeholder). */
  wantThread: boolean;
  /** How many invocations should share a thread now (thread-sizer.ts); up to maxPerWorker may when no thread has room. */
  coResidency(): number;
  /** How many invocations may share a thread at most now: past it a task waits in Piscina's queue (thread-sizer.ts, isolationLimit). */
  shareLimit(): number;
  /** Whether the pool may start one more thread now (below its maximum, cores and memory spare). */
  mayGrow(): boolean;
  /** A task went to a thread that already had as many as should share one: more threads are wanted (called inside Piscina: must not throw). */
  crowded(): void;
}

export function healthAwareBalancer(health: WorkerHealth, maxPerWorker: number): LoadBalancer {
  return (task, workers) => {
    if (health.wantThread) {
      health.wantThread = false;
      return null;
    }
    const best = bestThread(health, maxPerWorker, workers);
    if (best === null) {
      // Rather than a task behind a held thread: a new thread, when the pool may grow. The task
      // waits in Piscina's queue for the first thread that is ready or frees up.
      if (health.mayGrow()) return null;
      return place(task, health, behindShortSlice(health, maxPerWorker, workers));
    }
    if (best.currentUsage >= health.coResidency()) {
      health.crowded();
      // Rather than beside invocations that may take the thread down: Piscina's queue, served by the
      // first thread that frees up, or by one it starts (within the memory budget's ceiling).
      if (best.currentUsage >= health.shareLimit()) return null;
    }
    return place(task, health, best);
  };
}

/** Records where the task goes. Piscina gives null for a task without the tag (addThread's placeholder). */
function place<T extends Candidate>(task: object, health: WorkerHealth, best: T | null): T | null {
  // An exception here would be thrown inside Piscina's own bookkeeping: nothing may throw.
  const tag = (task as { [PLACEMENT]?: PlacementTag | null })[PLACEMENT];
  if (best !== null && tag != null) health.placement[tag.slot] = best.id;
  return best;
}

/** What the balancer reads of a thread (Piscina's worker interface has more). */
interface Candidate {
  readonly id: number;
  readonly currentUsage: number;
}

/**
 * The least loaded thread that turns its event loop and has room. Preferred, in this order: one
 * that has loaded the handler (a task given to a thread still starting waits for its start), one
 * below the co-residency, one not saturated.
 */
export function bestThread<T extends Candidate>(health: WorkerHealth, maxPerWorker: number, workers: readonly T[]): T | null {
  let best: T | null = null;
  let bestScore = Infinity;
  const share = health.coResidency();
  for (const worker of workers) {
    const usage = worker.currentUsage;
    if (usage >= maxPerWorker || health.excluded.has(worker.id) || health.heartbeats.blocked(worker.id)) continue;
    const score = usage + (health.busy.has(worker.id) ? maxPerWorker : 0) + (usage >= share ? 2 * maxPerWorker : 0) +
      (health.ready.has(worker.id) ? 0 : 4 * maxPerWorker);
    if (score < bestScore) {
      best = worker;
      bestScore = score;
      if (score === 0) break;
    }
  }
  return best;
}

/**
 * When every thread with room is held: the least loaded one held for less than STUCK_AFTER_MS
 * (a CPU-bound function's ordinary slice: the task waits its turn there as it would anywhere).
 * Only when all are stuck does the task go nowhere, and Piscina starts a stand-in.
 */
function behindShortSlice<T extends Candidate>(health: WorkerHealth, maxPerWorker: number, workers: readonly T[]): T | null {
  let best: T | null = null;
  for (const worker of workers) {
    if (worker.currentUsage >= maxPerWorker || health.excluded.has(worker.id) || health.heartbeats.stuck(worker.id)) continue;
    if (best === null || worker.currentUsage < best.currentUsage) best = worker;
  }
  return best;
}
