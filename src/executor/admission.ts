// How many invocations are in flight at once (FNPOOL_CONCURRENCY). A slot is taken before an
// invocation is fetched or accepted, and given back only when no worker is running it any more —
// not when the caller was answered: a timed-out task still holds its thread until it is stopped,
// so freeing its slot early would let Piscina queue the next one. p-queue is the counting
// semaphore: each slot is a queue job that lasts until release(); waiters are served FIFO.
import PQueue from 'p-queue';
import { ErrorType, runtimeError, type WireError } from '../errors.js';

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

/** Why a push platform's call got no slot while it waited. */
export type NotAdmitted = 'timeout' | 'stopped' | 'cancelled';

/**
 * A push platform's wait for a slot (HTTP mode, OpenEdge): a slot, or why none came — the deadline
 * passed, the runtime stopped, or the caller went away. `watch` registers the two ways to give up
 * and returns what unregisters them. A wait given up leaves the queue at once (it no longer counts
 * as waiting), and a slot that comes in the same turn is given back.
 */
export function waitForSlot(
  admission: Admission,
  deadlineMs: number,
  watch: (giveUp: (why: 'stopped' | 'cancelled') => void) => () => void,
): Promise<Slot | NotAdmitted> {
  return new Promise((resolve) => {
    let settled = false;
    let unwatch: (() => void) | undefined;
    // Only a wait that may have to be given up needs a way to leave the queue.
    const leave = admission.inFlight < admission.concurrency ? undefined : new AbortController();
    const finish = (result: Slot | NotAdmitted): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      unwatch?.();
      if (typeof result === 'string') leave?.abort();
      resolve(result);
      return true;
    };
    const timer = setTimeout(() => finish('timeout'), Math.max(0, deadlineMs - Date.now()));
    unwatch = watch((why) => finish(why));
    if (settled) unwatch();
    admission.acquire(leave?.signal).then((slot) => { if (!finish(slot)) slot.release(); }, () => {});
  });
}

/** The error a call that got no slot is answered with. */
export function notAdmittedError(why: NotAdmitted, timeoutMs: number): WireError {
  switch (why) {
    case 'timeout':
      return runtimeError(ErrorType.Timeout, `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (waiting for a free slot)`);
    case 'stopped':
      return runtimeError(ErrorType.Shutdown, 'the runtime stopped before the invocation started');
    default:
      return runtimeError(ErrorType.Cancelled, 'the caller went away before the invocation started');
  }
}
