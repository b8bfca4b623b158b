// How many invocations are in flight at once (FNPOOL_CONCURRENCY). A slot is taken before an
// invocation is fetched or accepted, and given back only when no worker is running it any more —
// not when the caller was answered: a timed-out task still holds its thread until it is stopped,
// so freeing its slot early would let Piscina queue the next one. p-queue is the counting
// semaphore: each slot is a queue job that lasts until release(); waiters are served FIFO.
import PQueue from 'p-queue';

export interface Slot {
  /** 0 ≤ index < concurrency: the slot's row in the claims array. */
  readonly index: number;
  release(): void;
}

export class Admission {
  readonly #queue: PQueue;
  readonly #free: number[];

  constructor(readonly concurrency: number) {
    this.#queue = new PQueue({ concurrency });
    this.#free = Array.from({ length: concurrency }, (_, i) => concurrency - 1 - i);
  }

  /**
   * Resolves with a slot as soon as one is free. With a signal, a wait that is given up (the
   * signal aborts first) leaves the queue at once and rejects: it no longer counts as waiting.
   */
  acquire(signal?: AbortSignal): Promise<Slot> {
    return new Promise((resolve, reject) => {
      // p-queue ends a running job whose signal aborts, which would free a slot still in use: only
      // a wait that has not got its slot yet is given up.
      let granted = false;
      const wait = signal === undefined ? undefined : new AbortController();
      signal?.addEventListener('abort', () => { if (!granted) wait!.abort(signal.reason); }, { once: true });
      this.#queue.add(() => new Promise<void>((done) => {
        granted = true;
        const index = this.#free.pop()!;
        let released = false;
        resolve({
          index,
          release: () => {
            if (released) return;
            released = true;
            this.#free.push(index);
            done();
          },
        });
      }), { signal: wait?.signal }).catch(reject);
    });
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#queue.size;
  }

  get inFlight(): number {
    return this.#queue.pending;
  }
}
