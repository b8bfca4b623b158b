// Capped, jittered exponential backoff for talking to a platform API that blinks: never spin,
// never give up on the API for good, and do not make every instance retry in lock-step.
import { setTimeout as sleep } from 'node:timers/promises';

/** The first delay's ceiling, ms. */
export const BACKOFF_BASE_MS = 50;
/** The ceiling every delay stays under, however long the API is away, ms. */
export const BACKOFF_CAP_MS = 2_000;

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
}

export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  #attempt = 0;

  constructor({ baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS }: BackoffOptions = {}) {
    this.#baseMs = baseMs;
    this.#capMs = capMs;
  }

  /** The next delay: "full jitter" between half and all of min(cap, base × 2^attempt). */
  next(): number {
    const ceiling = Math.min(this.#capMs, this.#baseMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }

  /** Waits `ms` (by default the next delay); rejects with an AbortError when the signal aborts. */
  wait(signal?: AbortSignal, ms = this.next()): Promise<void> {
    return sleep(ms, undefined, { signal });
  }
}
