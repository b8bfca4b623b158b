// Who runs a task, shared between the executor and the workers without a message: one Int32 per
// admission slot in a SharedArrayBuffer. The executor writes a fresh token before it dispatches;
// the worker that starts the task swaps the token for minus its threadId. So the executor can
// tell, at any moment and even when the worker's event loop is stuck, whether a task has started
// and on which thread — and can take back a task that has not started (swap the token for 0),
// to run it elsewhere, with the guarantee that the first copy will never run.
// A second row holds the order in which tasks started (from a counter in the last cell): when a
// thread dies of a handler's synchronous loop (out of memory, say), the last task that started on
// it is the one that held it, since no other task could start after it.
// A third row says whether the dispatch with a given token wrote the platform's start line
// (TaskRequest.startLine): the worker stores the token there once it has.

export function createClaims(concurrency: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (concurrency * 3 + 1));
}

/** Worker side: take the task if its token is still current. */
export function claimTask(claims: Int32Array, slot: number, token: number, threadId: number, concurrency: number): boolean {
  if (Atomics.compareExchange(claims, slot, token, -threadId) !== token) return false;
  Atomics.store(claims, concurrency + slot, Atomics.add(claims, concurrency * 2, 1) + 1);
  return true;
}

/** Worker side: the task with this token has written its start line. */
export function markLineWritten(claims: Int32Array, slot: number, token: number, concurrency: number): void {
  Atomics.store(claims, concurrency * 2 + 1 + slot, token);
}

/** Executor side of the claims array. */
export class Claims {
  readonly view: Int32Array;
  #nextToken = 0;

  constructor(readonly buffer: SharedArrayBuffer, readonly concurrency: number) {
    this.view = new Int32Array(buffer);
  }

  /** Arms a slot for a new dispatch and returns its token. */
  arm(slot: number): number {
    this.#nextToken = this.#nextToken >= 0x7ffffffe ? 1 : this.#nextToken + 1;
    Atomics.store(this.view, slot, this.#nextToken);
    return this.#nextToken;
  }

  /** The threadId that started the task with this token, or undefined when it has not started. */
  startedOn(slot: number): number | undefined {
    const value = Atomics.load(this.view, slot);
    return value < 0 ? -value : undefined;
  }

  /** Takes back a task that has not started; false when a worker got to it first. */
  revoke(slot: number, token: number): boolean {
    return Atomics.compareExchange(this.view, slot, token, 0) === token;
  }

  /** Whether the dispatch with this token wrote the platform's start line. */
  lineWritten(slot: number, token: number): boolean {
    return Atomics.load(this.view, this.concurrency * 2 + 1 + slot) === token;
  }

  /** Order of the task's start among all tasks (larger = later). */
  startOrder(slot: number): number {
    return Atomics.load(this.view, this.concurrency + slot);
  }
}
