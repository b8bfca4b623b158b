// How the main thread sees within milliseconds, without a message, that a worker thread's event
// loop has stopped turning. Each worker owns a row of a SharedArrayBuffer and stamps the time into
// it whenever its event loop turns while it runs invocations (a 5 ms timer, and each task's start
// and end); an idle worker marks its row idle. A row whose stamp is older than BLOCKED_AFTER_MS
// belongs to a thread held by a synchronous slice — a CPU loop, an allocation loop, a long
// computation — and nothing placed on it can start until the slice ends.
//
// A third cell tells whose slice it is when the thread is held by a handler's first synchronous
// part: the worker writes slot + 1 before it calls the handler and 0 once the call returns. When
// a thread stops turning while that cell is set, the invocation in that slot holds it; when it is
// 0, a continuation holds it (after an await) and the cell cannot say whose.
//
// Rows are claimed by the workers themselves (compare-and-swap of the owner cell) and given back by
// the main thread when a thread exits. Stamps are milliseconds modulo 2³¹, compared with wrapping.

/** A thread whose event loop has not turned for this long is held by a synchronous slice. */
export const BLOCKED_AFTER_MS = 20;
/**
 * A thread held this long by one slice is stuck: it gets a stand-in thread (thread-sizer.ts), and
 * what waits on it moves even to a thread that has yet to start.
 */
export const STUCK_AFTER_MS = 250;
/** How often a busy worker stamps its row. */
export const BEAT_INTERVAL_MS = 5;

const OWNER = 0;
const STAMP = 1;
const IN_START = 2;
const ROW = 3;
const IDLE = -1;
const MASK = 0x7fffffff;

function stamp(): number {
  return Date.now() & MASK;
}

export function createHeartbeats(rows: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * rows * ROW);
  const view = new Int32Array(buffer);
  for (let row = 0; row < rows; row++) view[row * ROW + STAMP] = IDLE;
  return buffer;
}

/** Worker side: this thread's row. A worker that finds no free row runs unwatched (its deadlines still hold). */
export class Heartbeat {
  readonly #view: Int32Array;
  readonly #base: number;

  constructor(buffer: SharedArrayBuffer, threadId: number) {
    this.#view = new Int32Array(buffer);
    let base = -1;
    for (let row = 0; row * ROW < this.#view.length; row++) {
      if (Atomics.compareExchange(this.#view, row * ROW + OWNER, 0, threadId) === 0) { base = row * ROW; break; }
    }
    this.#base = base;
    if (base >= 0) Atomics.store(this.#view, base + STAMP, IDLE);
  }

  /** The event loop turned. */
  beat(): void {
    if (this.#base >= 0) Atomics.store(this.#view, this.#base + STAMP, stamp());
  }

  /** The handler of the invocation in this slot is about to be called. */
  calling(slot: number): void {
    if (this.#base < 0) return;
    Atomics.store(this.#view, this.#base + IN_START, slot + 1);
    Atomics.store(this.#view, this.#base + STAMP, stamp());
  }

  /** The handler's call returned (to its first await, or with its result). */
  returned(): void {
    if (this.#base >= 0) Atomics.store(this.#view, this.#base + IN_START, 0);
  }

  /** No invocation runs on this thread: a stale stamp means nothing. */
  idle(): void {
    if (this.#base >= 0) Atomics.store(this.#view, this.#base + STAMP, IDLE);
  }
}

/** Main-thread side: reads the rows. */
export class Heartbeats {
  readonly #view: Int32Array;
  /** threadId → row base, for rows seen so far. */
  readonly #rows = new Map<number, number>();

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#view = new Int32Array(buffer);
  }

  /** How long the thread's event loop has been held, ms; 0 when it is turning, idle, or unwatched. */
  heldFor(threadId: number): number {
    const base = this.#row(threadId);
    if (base < 0) return 0;
    const last = Atomics.load(this.#view, base + STAMP);
    if (last === IDLE) return 0;
    return (stamp() - last) & MASK;
  }

  blocked(threadId: number): boolean {
    return this.heldFor(threadId) >= BLOCKED_AFTER_MS;
  }

  stuck(threadId: number): boolean {
    return this.heldFor(threadId) >= STUCK_AFTER_MS;
  }

  /** The slot whose handler's first synchronous part is running on the thread, if any. */
  callingSlot(threadId: number): number | undefined {
    const base = this.#row(threadId);
    if (base < 0) return undefined;
    const value = Atomics.load(this.#view, base + IN_START);
    return value > 0 ? value - 1 : undefined;
  }

  /** The thread is gone: its row is free for a new one. */
  release(threadId: number): void {
    const base = this.#row(threadId);
    this.#rows.delete(threadId);
    if (base < 0) return;
    Atomics.store(this.#view, base + STAMP, IDLE);
    Atomics.store(this.#view, base + IN_START, 0);
    Atomics.compareExchange(this.#view, base + OWNER, threadId, 0);
  }

  #row(threadId: number): number {
    const known = this.#rows.get(threadId);
    if (known !== undefined) return known;
    for (let base = 0; base < this.#view.length; base += ROW) {
      if (Atomics.load(this.#view, base + OWNER) === threadId) {
        this.#rows.set(threadId, base);
        return base;
      }
    }
    return -1;
  }
}
