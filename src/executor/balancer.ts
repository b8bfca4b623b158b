// Where Piscina places a task. Piscina's own balancer only counts tasks per worker; this one also
// knows which threads must get no new work (being retired or stopped) and which are busy: their
// event loop was ~fully used in the last sample, so a task put there would wait behind a CPU-bound
// or stuck handler. Busy threads are used only when no responsive one has room.
import type { Piscina } from 'piscina';

// piscina does not export the balancer's type from its entry point.
export type LoadBalancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;

export interface WorkerHealth {
  /** threadIds that must receive no new task. */
  readonly excluded: ReadonlySet<number>;
  /** threadIds whose event loop looked saturated at the last sample. */
  readonly busy: ReadonlySet<number>;
}

export function healthAwareBalancer(health: WorkerHealth, maxPerWorker: number): LoadBalancer {
  return (_task, workers) => {
    let best: (typeof workers)[number] | null = null;
    let bestScore = Infinity;
    for (const worker of workers) {
      if (worker.currentUsage >= maxPerWorker || health.excluded.has(worker.id)) continue;
      const score = worker.currentUsage + (health.busy.has(worker.id) ? maxPerWorker : 0);
      if (score < bestScore) {
        best = worker;
        bestScore = score;
        if (score === 0) break;
      }
    }
    return best;
  };
}
