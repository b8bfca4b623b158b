// The executor core shared by every platform: it takes an invocation (raw bytes, a deadline) and
// a free admission slot, runs it on the Piscina pool, and resolves exactly one Outcome for it —
// the handler's result, its error, Runtime.Timeout at the deadline, or a Runtime.* error when its
// worker dies. It owns the deadline timers, the policing of stuck and over-memory threads, and the
// replacement of workers, so that only the invocation that misbehaves fails; how many threads the
// pool has it leaves to pool-growth.ts.
//
// Why not piscina's per-task AbortSignal: a task run with a signal gets a worker to itself, which
// ends per-thread concurrency, and the signal's clock counts queue time (piscina#869, docs/pitfalls.md).
// Deadlines run here from the invocation's arrival; a stuck thread is found through the claims
// array (see claims.ts) and terminated from outside.
import type { BroadcastChannel } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Piscina } from 'piscina';
import type { RuntimeConfig } from '../config/config.js';
import { ErrorType, runtimeError, type WireError } from '../errors.js';
import { flushLogs, writeLine, type Logger } from '../logging/logger.js';
import type { AbortReason, ControlMessage, HttpRequestMeta, HttpResponseMeta, InvocationMeta, TaskRequest, TaskResult } from '../protocol.js';
import { Admission, type Slot } from './admission.js';
import { PLACEMENT, type PlacementTag } from './balancer.js';
import type { Heartbeats } from './heartbeats.js';
import { PoolGrowth, type InFlight } from './pool-growth.js';
import type { Claims } from './claims.js';
import { WorkerPool } from './worker-pool.js';
import { watchInit } from './init-watch.js';
import { recordInvocation } from './invocation-record.js';
import { HealthMonitor } from './health-monitor.js';

/** One invocation as an adapter hands it over. */
export interface Invocation {
  requestId: string;
  /** The raw event bytes. */
  body: Uint8Array;
  /** Epoch milliseconds. */
  deadlineMs: number;
  /** The time it was given, ms (deadline − arrival): named in Runtime.Timeout's message. */
  timeoutMs: number;
  /** performance.now() when the invocation arrived: durations are measured from here. */
  receivedAt: number;
  meta: InvocationMeta;
  /** Call this export with the context only, instead of the handler (lifecycle hooks). */
  entry?: string;
  /** An HTTP trigger's request: the handler gets an API-gateway-shaped event. */
  http?: HttpRequestMeta;
  /** The platform's line for the start of an invocation (TaskRequest.startLine); written here when no worker ever starts it. */
  startLine?: string;
}

export type Outcome = { ok: true; body: string | Uint8Array; http?: HttpResponseMeta } | { ok: false; error: WireError };

/** How long a thread may ignore an abort past the deadline before it is terminated (in all, at most 1 s). */
export const STUCK_GRACE_MS = 250;
/** A thread stuck past a deadline is stopped within this long after it (README "How it runs": at most 1 s). */
const MAX_STUCK_MS = 900;
/** A task not started this long after dispatch, on a busy thread, is moved to a responsive one. */
const STEAL_AFTER_MS = 40;
const MAX_LOST_BEFORE_START = 5;
/** How long the threads of a failed init may take to finish theirs before they are stopped anyway. */
const FREE_AFTER_FAILED_INIT_MAX_MS = 30_000;
/** How long handlers whose signal was aborted at shutdown may run on before their threads stop. */
const SHUTDOWN_ABORT_GRACE_MS = 250;

/** Who took a thread down, as far as can be told. */
type Culprit =
  | { kind: 'invocation'; job: Job; what: string }
  /** The runtime stopped the thread (retired it): everyone on it is a bystander. */
  | { kind: 'none' }
  | { kind: 'unknown' };

class Job {
  token = 0;
  /** Its worker's heap plus Buffers after it ran, bytes (0: not measured). */
  memoryBytes = 0;
  /** The handler's first synchronous slice, ms (undefined: it did not come back). */
  syncMs: number | undefined;
  reruns = 0;
  /** An earlier dispatch of it wrote the platform's start line (TaskRequest.startLine). */
  startLineOut = false;
  /** Dispatches lost before the task started (its thread died first): bounded, so a pool that keeps failing cannot loop. */
  lostBeforeStart = 0;
  dispatchedAt = 0;
  answered = false;
  released = false;
  /** The pool's promise for the current dispatch. */
  task: Promise<unknown> | undefined;
  deadlineTimer: NodeJS.Timeout | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  readonly done: Promise<Outcome>;
  resolve!: (outcome: Outcome) => void;

  constructor(readonly inv: Invocation, readonly slot: Slot) {
    this.done = new Promise((resolve) => { this.resolve = resolve; });
  }
}

export class Executor {
  readonly admission: Admission;
  readonly #config: RuntimeConfig;
  readonly #log: Logger;
  readonly #pool: Piscina<TaskRequest, TaskResult>;
  readonly #claims: Claims;
  readonly #placement: Int32Array;
  readonly #heartbeats: Heartbeats;
  readonly #workers: WorkerPool;
  readonly #growth: PoolGrowth;
  readonly #control: BroadcastChannel;
  readonly #jobs = new Set<Job>();
  /** Threads that get no new work: being retired (reason) or stopped. */
  readonly #excluded: Set<number>;
  readonly #health: HealthMonitor;
  /** Why a thread was terminated, for the invocations that die with it. */
  readonly #stopReasons = new Map<number, { reason: string; culprit?: Job }>();
  /** Per dead thread, decided at its first lost task (before any task of it is run again). */
  readonly #culprits = new Map<number, Culprit>();
  readonly #retiring = new Map<number, string>();
  /** Threads that finished their init, well or not. */
  readonly #initReported = new Set<number>();
  #initFailure: WireError | undefined;
  #drained: (() => void) | undefined;

  private constructor(config: RuntimeConfig, log: Logger, workers: WorkerPool) {
    this.#config = config;
    this.#log = log;
    this.admission = new Admission(config.concurrency);
    this.#pool = workers.pool;
    this.#claims = workers.claims;
    this.#control = workers.control;
    this.#excluded = workers.excluded;
    this.#placement = workers.placement;
    this.#heartbeats = workers.heartbeats;
    this.#workers = workers;
    this.#growth = new PoolGrowth(config, workers, log, () => this.#inFlight(), (threadId) => this.#health.forget(threadId));
    this.#health = new HealthMonitor(() => this.#pool.threads, workers.busy, this.#excluded, workers.ready, workers.heartbeats,
      () => this.#moveWaiting(), (blocked) => this.#moveOffBlocked(blocked), () => this.#growth.heldSlice(), () => this.#growth.resize());
  }

  /**
   * Resolves once every worker has loaded the handler (or init failed). Pass a pool started
   * earlier (startWorkers) to let the threads boot while the caller imported the rest.
   */
  static async start(config: RuntimeConfig, log: Logger, workers: WorkerPool = new WorkerPool(config)): Promise<Executor> {
    const executor = new Executor(config, log, workers);
    await executor.#awaitInit(workers);
    return executor;
  }

  get initFailure(): WireError | undefined {
    return this.#initFailure;
  }

  async #awaitInit(workers: WorkerPool): Promise<void> {
    const failure = await watchInit(this.#config, workers, {
      onControl: (message) => this.#onControl(message),
      onError: (error) => this.#log.error({ err: error }, 'worker thread failed'),
      // What is kept per thread goes with it (a function that crashes often replaces threads for days).
      onExit: (threadId) => {
        this.#initReported.delete(threadId);
        this.#health.forget(threadId);
      },
    });
    if (failure !== undefined) this.#failInit(failure);
    else {
      const { threads, concurrency } = this.#config;
      this.#log.info({ threads, concurrency, initMs: Math.round(performance.now() - workers.startedAt) }, 'workers ready');
    }
  }

  /** Tracks which threads have finished their init and can take work. */
  #onControl(message: ControlMessage): void {
    if (message.type !== 'ready') return;
    this.#initReported.add(message.threadId);
    if (message.error === undefined) this.#workers.ready.add(message.threadId);
  }

  /** A failed init is permanent: answer every invocation with it, from here, and free the threads. */
  #failInit(error: WireError): void {
    this.#initFailure = error;
    this.#log.error({ errorType: error.errorType }, `function init failed; every invocation will get this error: ${error.errorMessage}`);
    this.#freeThreadsAfterInit(performance.now());
  }

  /**
   * Stops the threads of a failed init once each has finished its own: Node 20 aborts the whole
   * process when a worker is terminated while it instantiates an ES module (our worker module, as
   * Piscina requires it), which the other threads may still be doing when the first one fails.
   */
  #freeThreadsAfterInit(since: number): void {
    const starting = this.#pool.threads.some((worker) => !this.#initReported.has(worker.threadId));
    if (starting && performance.now() - since < FREE_AFTER_FAILED_INIT_MAX_MS) {
      setTimeout(() => this.#freeThreadsAfterInit(since), 50).unref();
      return;
    }
    void this.#pool.destroy().catch(() => {});
  }

  /** Runs one invocation in the given admission slot; resolves exactly once, never rejects. */
  run(inv: Invocation, slot: Slot): Promise<Outcome> {
    const job = new Job(inv, slot);
    if (this.#initFailure !== undefined) {
      this.#answer(job, { ok: false, error: this.#initFailure });
      slot.release();
      return job.done;
    }
    this.#jobs.add(job);
    job.deadlineTimer = setTimeout(() => this.#onDeadline(job), Math.max(0, inv.deadlineMs - Date.now()));
    this.#dispatch(job);
    this.#health.start();
    return job.done;
  }

  /** Answers an invocation that never reaches a worker (refused, or nothing to run) and logs it alike. */
  settle(inv: Invocation, slot: Slot, outcome: Outcome): Promise<Outcome> {
    const job = new Job(inv, slot);
    this.#answer(job, outcome);
    slot.release();
    return job.done;
  }

  /**
   * The caller of `inv` (the object given to run) went away (HTTP mode, OpenEdge): it is answered
   * Runtime.Cancelled (for the logs: nobody reads the answer) and its context.signal aborts, which
   * ends it on its worker and frees its slot; one that had not started never will. A handler that
   * ignores the abort while holding its thread is still stopped at its deadline. Found by identity:
   * a push platform's caller chooses the request id, and two may share one.
   */
  cancel(inv: Invocation): void {
    for (const job of this.#jobs) {
      if (job.inv !== inv || job.answered) continue;
      this.#answer(job, { ok: false, error: runtimeError(ErrorType.Cancelled, 'the caller went away before the answer') });
      if (this.#claims.startedOn(job.slot.index) === undefined && this.#claims.revoke(job.slot.index, job.token)) this.#release(job);
      else this.#abort(job, 'cancelled');
      return;
    }
  }

  /** Aborts the handler's context.signal on its thread, and ends its task there. */
  #abort(job: Job, reason: AbortReason): void {
    this.#control.postMessage({ type: 'abort', slot: job.slot.index, token: job.token, reason } satisfies ControlMessage);
  }

  #dispatch(job: Job): void {
    // Dispatched again (its thread was lost, or it was moved): the last dispatch may have written its start line.
    if (job.inv.startLine !== undefined && this.#startLineOut(job)) job.startLineOut = true;
    const token = this.#claims.arm(job.slot.index);
    job.token = token;
    job.dispatchedAt = performance.now();
    const { inv } = job;
    const request: TaskRequest & { [PLACEMENT]: PlacementTag } = {
      token, slot: job.slot.index, requestId: inv.requestId, body: inv.body, deadlineMs: inv.deadlineMs, meta: inv.meta,
      [PLACEMENT]: { slot: job.slot.index },
    };
    this.#placement[job.slot.index] = 0;
    if (inv.entry !== undefined) request.entry = inv.entry;
    if (inv.http !== undefined) request.http = inv.http;
    if (inv.startLine !== undefined) request.startLine = inv.startLine;
    job.task = this.#pool.run(request).then(
      (result) => this.#onResult(job, result),
      (error: unknown) => this.#onWorkerLost(job, token, error),
    );
  }

  #onResult(job: Job, result: TaskResult): void {
    // A task taken back before it started: its new dispatch answers for it.
    if (result.kind === 'skipped' || job.released) return;
    job.memoryBytes = result.memoryBytes;
    job.syncMs = result.syncMs;
    if (result.retire !== undefined) this.#retire(result.threadId, result.retire);
    if (result.kind === 'ok') {
      this.#answer(job, { ok: true, body: result.body, http: result.http }, result);
    } else if (result.kind === 'error' && result.initFailed && this.#initFailure === undefined) {
      // A replacement thread whose init failed (a flaky initializer): replace it again and run the
      // invocation elsewhere; after a few such bounces it gets the init error itself.
      this.#stopThread(result.threadId, `its init failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      if (++job.lostBeforeStart > MAX_LOST_BEFORE_START) this.#answer(job, { ok: false, error: result.error }, result);
      else return this.#dispatch(job);
    } else if (result.kind === 'error') {
      this.#answer(job, { ok: false, error: result.error }, result);
    } else {
      // 'aborted': the worker reached the task after its deadline, possibly before our timer fired.
      this.#answer(job, { ok: false, error: timeoutError(job.inv) }, result);
    }
    this.#release(job);
  }

  /** Piscina rejected the task: its worker exited, crashed, ran out of memory, or was terminated. */
  #onWorkerLost(job: Job, token: number, error: unknown): void {
    if (job.token !== token || job.released) return;
    const slot = job.slot.index;
    const threadId = this.#claims.startedOn(slot);
    if (threadId === undefined) {
      if (this.#claims.revoke(slot, token)) {
        // The handler never ran: it is safe to run it on another thread.
        this.#runAgainOrRelease(job, error);
        return;
      }
      this.#answer(job, { ok: false, error: this.#describeLoss(job, error) });
      this.#release(job);
      return;
    }
    const culprit = this.#culpritOf(threadId, error);
    if (culprit.kind === 'unknown' || (culprit.kind === 'invocation' && culprit.job === job)) {
      this.#answer(job, { ok: false, error: this.#describeLoss(job, error) });
      this.#release(job);
      return;
    }
    // A neighbour: it had started beside the invocation that took the thread down.
    const cause = culprit.kind === 'invocation' ? `invocation ${culprit.job.inv.requestId} ${culprit.what}` : 'the thread was replaced';
    if (this.#mayRunAgain(job) && job.reruns === 0 && !job.answered && Date.now() < job.inv.deadlineMs) {
      job.reruns += 1;
      this.#log.warn({ requestId: job.inv.requestId, threadId }, `running the invocation again on another thread: ${cause}`);
      this.#runAgainOrRelease(job);
      return;
    }
    this.#answer(job, { ok: false, error: this.#neighbourFailed(job, `it had started on a worker thread that was lost: ${cause}`) });
    this.#release(job);
  }

  /** Runtime.NeighbourFailed for a casualty, saying why it was not run again. */
  #neighbourFailed(job: Job, why: string): WireError {
    const notAgain = !this.#mayRunAgain(job)
      ? 'it had started, and running it twice may not be safe (set FNPOOL_IDEMPOTENT=1 if it is)'
      : job.reruns > 0 ? 'it had been run again once already' : 'no time was left before its deadline';
    return runtimeError(ErrorType.NeighbourFailed, `this invocation failed because of another one: ${why}. It was not run again: ${notAgain}`);
  }

  /**
   * Whether an invocation that had started may be run a second time: when the platform would retry
   * it anyway (an asynchronous invocation), or the function declares that safe (FNPOOL_IDEMPOTENT).
   */
  #mayRunAgain(job: Job): boolean {
    return this.#config.idempotent || job.inv.meta.invokeType === 'async';
  }

  #runAgainOrRelease(job: Job, error?: unknown): void {
    if (!job.answered && this.#initFailure !== undefined) {
      this.#answer(job, { ok: false, error: this.#initFailure });
    } else if (!job.answered && error !== undefined && ++job.lostBeforeStart > MAX_LOST_BEFORE_START) {
      this.#answer(job, { ok: false, error: runtimeError(ErrorType.WorkerExited,
        `the invocation could not be started: its worker thread was lost ${job.lostBeforeStart} times (${(error as Error)?.message ?? String(error)})`) });
    }
    if (job.answered) this.#release(job);
    else this.#dispatch(job);
  }

  /** Who took the thread down; decided once per thread, while its lost tasks still point at it. */
  #culpritOf(threadId: number, error: unknown): Culprit {
    let culprit = this.#culprits.get(threadId);
    if (culprit !== undefined) return culprit;
    const stopped = this.#stopReasons.get(threadId);
    const onThread = [...this.#jobs].filter((j) => this.#claims.startedOn(j.slot.index) === threadId);
    if (stopped !== undefined) {
      culprit = stopped.culprit === undefined ? { kind: 'none' } : { kind: 'invocation', job: stopped.culprit, what: 'kept it busy past its deadline' };
    } else if ((error as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY' && onThread.length > 0) {
      // No task can start on a thread while a synchronous loop holds it: the last one to start is the one that ran out.
      const last = onThread.reduce((a, b) => (this.#claims.startOrder(b.slot.index) > this.#claims.startOrder(a.slot.index) ? b : a));
      culprit = { kind: 'invocation', job: last, what: 'ran out of memory' };
    } else {
      culprit = { kind: 'unknown' };
    }
    this.#culprits.set(threadId, culprit);
    // A thread retired by the runtime took nobody down on purpose; any other loss is what co-residency risks.
    if (culprit.kind !== 'none') this.#growth.threadLost();
    setTimeout(() => this.#culprits.delete(threadId), 10_000).unref();
    return culprit;
  }

  #describeLoss(job: Job, error: unknown): WireError {
    const err = error as { code?: string; message?: string } | undefined;
    if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limit = this.#config.memory.workerHeapMB;
      return runtimeError(ErrorType.OutOfMemory,
        `the invocation's worker thread ran out of memory${limit === undefined ? '' : ` (heap limit ${limit} MB of a ${this.#config.memory.budgetMB} MB budget)`}`);
    }
    return runtimeError(ErrorType.WorkerExited, `the worker thread running this invocation exited: ${err?.message ?? String(error)}`);
  }

  #onDeadline(job: Job): void {
    this.#answer(job, { ok: false, error: this.#deadlineError(job) });
    this.#abort(job, 'timeout');
    job.graceTimer = setTimeout(() => this.#freeStuck(job), STUCK_GRACE_MS);
  }

  /**
   * Runtime.Timeout, unless the invocation could not go on because another one has held its
   * thread's event loop: then it is a casualty, and says whose.
   */
  #deadlineError(job: Job): WireError {
    const threadId = this.#claims.startedOn(job.slot.index);
    if (threadId !== undefined && this.#heartbeats.blocked(threadId)) {
      const blocker = this.#blockerOn(threadId);
      if (blocker !== undefined && blocker !== job) {
        return this.#neighbourFailed(job, `invocation ${blocker.inv.requestId} has held the event loop of their worker thread ` +
          `for ${this.#heartbeats.heldFor(threadId)} ms, so this one could not go on before its deadline`);
      }
    }
    return timeoutError(job.inv);
  }

  /** The invocation whose handler's first synchronous part holds the thread (heartbeats.ts), if that is what holds it. */
  #blockerOn(threadId: number): Job | undefined {
    const slot = this.#heartbeats.callingSlot(threadId);
    if (slot === undefined || this.#claims.startedOn(slot) !== threadId) return undefined;
    for (const job of this.#jobs) if (job.slot.index === slot) return job;
    return undefined;
  }

  /** The task ignored its abort: its thread is not turning its event loop. Stop that thread. */
  #freeStuck(job: Job): void {
    if (job.released) return;
    const threadId = this.#claims.startedOn(job.slot.index);
    if (threadId === undefined) {
      // Never started: it sits behind something on a blocked thread. Take it back.
      if (this.#claims.revoke(job.slot.index, job.token)) this.#release(job);
      else job.graceTimer = setTimeout(() => this.#freeStuck(job), STUCK_GRACE_MS);
      return;
    }
    // A task that started on the thread after this one and is still within its deadline is what
    // holds the thread now (this one could not have started it while holding it): its own
    // deadline decides. Until then this task keeps its slot.
    // The deferral ends before 1 s past this task's deadline (README "How it runs"): then the thread is stopped,
    // and the later task, if it was only waiting, is run again elsewhere as a bystander.
    const order = this.#claims.startOrder(job.slot.index);
    const now = Date.now();
    const canWait = now + STUCK_GRACE_MS <= job.inv.deadlineMs + MAX_STUCK_MS;
    for (const other of this.#jobs) {
      if (canWait && other !== job && other.inv.deadlineMs > now && this.#claims.startedOn(other.slot.index) === threadId &&
          this.#claims.startOrder(other.slot.index) > order) {
        job.graceTimer = setTimeout(() => this.#freeStuck(job), STUCK_GRACE_MS);
        return;
      }
    }
    this.#stopThread(threadId, `invocation ${job.inv.requestId} kept it busy past its deadline`, job);
  }

  #stopThread(threadId: number, reason: string, culprit?: Job): void {
    if (this.#stopReasons.has(threadId)) return;
    this.#stopReasons.set(threadId, { reason, culprit });
    this.#excluded.add(threadId);
    this.#retiring.delete(threadId);
    this.#log.warn({ threadId }, `stopping worker thread: ${reason}`);
    const worker = this.#pool.threads.find((w) => w.threadId === threadId);
    void worker?.terminate();
    // Forget the thread once its tasks have been failed (piscina rejects them right after exit).
    setTimeout(() => {
      this.#stopReasons.delete(threadId);
      this.#excluded.delete(threadId);
      this.#health.forget(threadId);
    }, 10_000).unref();
  }

  /** Whether a worker wrote the invocation's start line (claims.ts). */
  #startLineOut(job: Job): boolean {
    return job.startLineOut || (job.token !== 0 && this.#claims.lineWritten(job.slot.index, job.token));
  }

  /** The thread takes no new work and is replaced once the invocations running on it end. */
  #retire(threadId: number, reason: string): void {
    if (this.#excluded.has(threadId)) return;
    this.#excluded.add(threadId);
    this.#retiring.set(threadId, reason);
    this.#log.info({ threadId }, `replacing worker thread: ${reason}`);
    this.#stopRetiredWhenIdle();
  }

  #stopRetiredWhenIdle(): void {
    for (const [threadId, reason] of this.#retiring) {
      let busy = false;
      for (const job of this.#jobs) {
        if (this.#claims.startedOn(job.slot.index) === threadId) { busy = true; break; }
      }
      if (!busy && !this.#startedWhileTakingBack(threadId)) this.#stopThread(threadId, reason);
    }
  }

  /**
   * Takes back the tasks placed on a thread about to be stopped that have not started, and runs
   * them elsewhere; true when one started there first (the worker claimed it meanwhile), so the
   * thread is busy after all. Without this, a task the thread claims between the look for started
   * tasks and its termination would die as a casualty of a thread that was only being replaced.
   */
  #startedWhileTakingBack(threadId: number): boolean {
    let started = false;
    for (const job of [...this.#jobs]) {
      if (job.answered || this.#placement[job.slot.index] !== threadId) continue;
      if (this.#claims.startedOn(job.slot.index) !== undefined) started = true;
      else if (this.#claims.revoke(job.slot.index, job.token)) this.#dispatch(job);
      else started = true;
    }
    return started;
  }

  #answer(job: Job, outcome: Outcome, result?: TaskResult): void {
    if (job.answered) return;
    job.answered = true;
    // The platform's start line, unless the worker wrote it before the handler's first line: so it
    // goes before the end line, which the adapter writes after this.
    if (job.inv.startLine !== undefined && !this.#startLineOut(job)) writeLine(job.inv.startLine);
    job.resolve(outcome);
    recordInvocation(this.#log, job.inv, outcome, result);
  }

  #release(job: Job): void {
    if (job.released) return;
    job.released = true;
    this.#growth.completed(job.memoryBytes, job.syncMs);
    clearTimeout(job.deadlineTimer);
    clearTimeout(job.graceTimer);
    this.#jobs.delete(job);
    job.slot.release();
    if (this.#retiring.size > 0) this.#stopRetiredWhenIdle();
    if (this.#jobs.size === 0) {
      this.#health.stop();
      this.#drained?.();
      this.#growth.idle();
      // After this turn's records (the summary of the invocation that just ended).
      setImmediate(flushLogs);
    }
  }

  /** What is in flight, per thread (started there, or placed there and waiting): for the pool's size. */
  #inFlight(): InFlight {
    const perThread = new Map<number, number>();
    for (const job of this.#jobs) {
      const thread = this.#claims.startedOn(job.slot.index) ?? this.#placement[job.slot.index];
      perThread.set(thread, (perThread.get(thread) ?? 0) + 1);
    }
    return { count: this.#jobs.size, perThread };
  }

  /**
   * Tasks placed on a thread whose event loop stopped turning cannot start there: move them to a
   * thread that turns and has room, at once. With none, they stay until their thread is stuck
   * (every thread busy with a CPU-bound function's slices: they would wait anywhere), and then go
   * to Piscina's queue, for the first thread that frees up or the stand-in.
   */
  #moveOffBlocked(blocked: ReadonlySet<number>): void {
    let roomElsewhere: boolean | undefined;
    for (const job of this.#jobs) {
      const placed = this.#placement[job.slot.index];
      if (job.answered || !blocked.has(placed) || this.#claims.startedOn(job.slot.index) !== undefined) continue;
      roomElsewhere ??= this.#growth.roomOnATurningThread();
      if (!roomElsewhere && !this.#heartbeats.stuck(placed)) continue;
      if (this.#claims.revoke(job.slot.index, job.token)) this.#dispatch(job);
    }
  }

  /**
   * Some threads are saturated or still starting, and another can take work: move the tasks that
   * wait on them. One waiting for a thread to start moves only to a thread that has loaded the
   * handler and has room: a start can take a second on a loaded machine, and an arriving task
   * would not have been placed there while such a thread had room (balancer.ts).
   */
  #moveWaiting(): void {
    const cutoff = performance.now() - STEAL_AFTER_MS;
    const { busy, ready } = this.#workers;
    let roomOnAReadyThread: boolean | undefined;
    for (const job of this.#jobs) {
      const placed = this.#placement[job.slot.index];
      if (job.answered || placed === 0 || job.dispatchedAt > cutoff || this.#claims.startedOn(job.slot.index) !== undefined) continue;
      const starting = !ready.has(placed);
      if (starting ? !(roomOnAReadyThread ??= this.#growth.roomOnAReadyThread()) : !busy.has(placed)) continue;
      if (!this.#claims.revoke(job.slot.index, job.token)) continue;
      this.#dispatch(job);
      // It took that room: look again before moving the next one, lest it go to a starting thread again.
      if (starting) roomOnAReadyThread = undefined;
    }
  }

  /**
   * Graceful stop: the caller has stopped admitting work. In-flight invocations may finish within
   * timeoutMs (their own deadlines still apply); the rest are answered with Runtime.Shutdown and
   * their handlers' signals aborted. Then the threads are stopped.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.#jobs.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => { clearTimeout(timer); resolve(); };
      });
    }
    if (this.#jobs.size > 0) {
      const remaining = [...this.#jobs];
      this.#control.postMessage({ type: 'abort-all', reason: 'shutdown' } satisfies ControlMessage);
      for (const job of remaining) {
        // One placed on a thread but not started must never start now: it is answered as stopped.
        this.#claims.revoke(job.slot.index, job.token);
        this.#answer(job, { ok: false, error: runtimeError(ErrorType.Shutdown, `the runtime stopped before the invocation finished (FNPOOL_SHUTDOWN_TIMEOUT_MS=${timeoutMs})`) });
        this.#release(job);
      }
      // Cooperative handlers get a moment to act on their aborted signal (and log it) before
      // their threads are stopped.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(remaining.map((job) => job.task)),
        new Promise((resolve) => { timer = setTimeout(resolve, SHUTDOWN_ABORT_GRACE_MS); }),
      ]);
      clearTimeout(timer);
    }
    this.#health.stop();
    this.#control.close();
    await this.#pool.destroy().catch(() => {});
  }
}

/** AWS's words, which users search for: "Task timed out after 3.00 seconds". */
function timeoutError(inv: Invocation): WireError {
  return runtimeError(ErrorType.Timeout, `Task timed out after ${(Math.max(0, inv.timeoutMs) / 1000).toFixed(2)} seconds`);
}
