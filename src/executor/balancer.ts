// Where Piscina places a task. Piscina's own balancer only counts tasks per worker; this one also
// knows which threads must get no new work (being retired or stopped), which are blocked — their
// event loop has not turned for BLOCKED_AFTER_MS, read live from the heartbeats, so a task put
// there could not start — and which are busy (their event loop was ~fully used in the last
// sample). Blocked threads get nothing: when no other thread has room the task waits in Piscina's
// own queue, which any thread that frees up serves, never behind the blocked one. Busy threads
// are used only when no responsive one has room. It records on which thread each slot's task was
// placed, so that the executor can move tasks off a thread that stops turning.
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
  /** Per admission slot, the threadId its task was placed on. */
  readonly placement: Int32Array;
  readonly heartbeats: { blocked(threadId: number): boolean };
}

export function healthAwareBalancer(health: WorkerHealth, maxPerWorker: number): LoadBalancer {
  return (task, workers) => {
    let best: (typeof workers)[number] | null = null;
    let bestScore = Infinity;
    for (const worker of workers) {
      if (worker.currentUsage >= maxPerWorker || health.excluded.has(worker.id) || health.heartbeats.blocked(worker.id)) continue;
      const score = worker.currentUsage + (health.busy.has(worker.id) ? maxPerWorker : 0);
      if (score < bestScore) {
        best = worker;
        bestScore = score;
        if (score === 0) break;
      }
    }
    const tag = (task as { [PLACEMENT]?: PlacementTag })[PLACEMENT];
    if (best !== null && tag !== undefined) health.placement[tag.slot] = best.id;
    return best;
  };
}
