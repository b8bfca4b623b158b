// Capped, jittered exponential backoff for talking to a platform API that blinks: never spin,
// never give up on the API for good, and do not make every instance retry in lock-step.
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
}

export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  #attempt = 0;

  constructor({ baseMs = 50, capMs = 2_000 }: BackoffOptions = {}) {
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

  /** Waits the next delay; rejects with an AbortError when the signal aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return sleep(this.next(), undefined, { signal });
  }
}
