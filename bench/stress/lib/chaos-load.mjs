// Steady open-loop load for the platform chaos run: `rate` invocations a second queued on the
// emulator whatever the runtime API is going through — a platform's callers do not wait for its
// API to come back — each with an id of the scenario it belongs to; a tally keeps what each got.
import { setTimeout as sleep } from 'node:timers/promises';

const TICK_MS = 10;

/** The invocations of one scenario: the ids sent, and the answer (or rejection) of each. */
export class Tally {
  constructor(prefix) {
    this.prefix = prefix;
    this.ids = [];
    /** id → { ok, errorType } once answered. */
    this.answers = new Map();
    /** id → the emulator's error code when the invocation was given up (EMULATOR_CLOSED). */
    this.rejected = new Map();
  }

  get pending() {
    return this.ids.length - this.answers.size - this.rejected.size;
  }

  /** Answers that were errors, by type. */
  errorTypes() {
    const types = {};
    for (const { ok, errorType } of this.answers.values()) if (!ok) types[errorType] = (types[errorType] ?? 0) + 1;
    return types;
  }

  /** Resolves once every invocation sent has its answer, or after timeoutMs. */
  async settled(timeoutMs) {
    const end = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < end) await sleep(50);
  }
}

export class SteadyLoad {
  #emulator;
  #rate;
  #event;
  #timer;
  #tally;

  constructor(emulator, { rate, event }) {
    this.#emulator = emulator;
    this.#rate = rate;
    this.#event = event;
  }

  /** Starts sending (stopping what was sent before) and returns the scenario's tally. */
  begin(prefix) {
    this.#tally = new Tally(prefix);
    this.resume();
    return this.#tally;
  }

  pause() {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Sends again for the current tally, at the rate from now on (nothing is made up for the pause). */
  resume() {
    this.pause();
    const tally = this.#tally;
    const started = Date.now() - (tally.ids.length / this.#rate) * 1000;
    this.#timer = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * this.#rate) - tally.ids.length;
      for (let i = 0; i < due; i++) this.#send(tally);
    }, TICK_MS);
  }

  #send(tally) {
    const requestId = `${tally.prefix}-${tally.ids.length}`;
    tally.ids.push(requestId);
    this.#emulator.invoke(this.#event, { requestId }).then(
      (res) => tally.answers.set(requestId, { ok: res.ok, errorType: res.error?.errorType }),
      (err) => tally.rejected.set(requestId, err.code ?? String(err)),
    );
  }
}
