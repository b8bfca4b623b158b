// Closed-loop load against one runtime through its emulator: `concurrency` invocations outstanding
// at all times, each answer sending the next. First a warm-up, then a measured window, either of a
// duration (the answers received within it count: the runtime is in steady state at both edges) or
// of a count (exactly that many invocations, sent once the warm-up's have all been answered).
// Latency is the emulator's view: invocation handed out to the runtime → its answer received; the
// time before, in the platform's queue until the runtime took it, is summarized apart.
// A runtime the platform calls instead (push: HTTP mode) is driven the same way through an Invoker
// of its own (http.ts): latency is then request sent → answer read, and an answer that refuses the
// invocation (HTTP 429) is counted apart.
// Over the window it also samples the runtime's RSS and the CPU time of each of its threads, of
// this process (the emulator and the load generator) and of the rest of the machine.
//
// Used by the benchmark suite (bench/) and by `fnpool bench`.
import { performance } from 'node:perf_hooks';
import type { InvokeError } from '../emulator/index.js';
import { cpuBetween, machineBusyMs, rssMB, threadCpu, type ThreadCpu, type ThreadCpuSample } from './proc.js';
import { summarize, type Summary } from './stats.js';

/** What the load needs of an answer: the emulator's InvokeResult is one, and so is an Invoker's own. */
export interface LoadAnswer {
  /** true when the runtime answered with a result, false for an error. */
  ok: boolean;
  /** performance.now(), ms: the invocation handed out to the runtime (push: the request sent), and its answer received. */
  handedOutAt: number;
  answeredAt: number;
  /** performance.now(), ms: the invocation put in the platform's queue (the emulator's invoke()), where there is one. */
  queuedAt?: number;
  /** The answer as received. */
  body: Buffer;
  /** The parsed error, when not ok. */
  error?: InvokeError;
  /** The runtime refused to take the invocation (HTTP 429): nothing ran, and it is counted apart. */
  refused?: boolean;
}

/**
 * Sends one invocation and resolves with its answer: a pull platform's emulator, or a client of a
 * runtime the platform calls. Rejects with an error whose `code` is 'INVOKE_TIMEOUT' when no answer
 * came within timeoutMs (counted as Fnpool.NoAnswer); any other rejection ends the load.
 */
export interface Invoker {
  invoke(body: Buffer, opts: { requestId: string; timeoutMs?: number }): Promise<LoadAnswer>;
}

/** The runtime under load: the emulator it polls (or the Invoker that calls it), and its process (for /proc). */
export type LoadTarget = { readonly name?: string; readonly pid: number | undefined } &
  ({ readonly emulator: Invoker } | { readonly invoker: Invoker });

const invokerOf = (target: LoadTarget): Invoker => ('invoker' in target ? target.invoker : target.emulator);

export interface LoadOptions {
  /** Invocations outstanding at all times. */
  concurrency: number;
  /** Measure for this long after the warm-up; the answers received within the window count. */
  durationMs?: number;
  /** Or measure exactly this many invocations, sent after the warm-up's have all been answered. */
  count?: number;
  /** Load before the window, not counted; default 300 ms. */
  warmupMs?: number;
  /** The event of every invocation: bytes as they are, anything else as JSON; default {}. */
  event?: unknown;
  /** Duration mode: how long past the window an invocation may still wait before it is withdrawn. */
  drainMs?: number;
  /** Count mode: an invocation not answered after this long is withdrawn and counted as Fnpool.NoAnswer. */
  invokeTimeoutMs?: number;
  /** Keep every latency of the window in the result (`samples`). */
  keepSamples?: boolean;
  /** Called every 50 ms. */
  onTick?: (tick: LoadTick) => void;
  /** Ends the window at once; closedLoop resolves without waiting for outstanding invocations. */
  signal?: AbortSignal;
}

export interface LoadTick {
  phase: 'warmup' | 'measure';
  /** Of the whole run, warm-up included (duration mode); of the count (count mode). */
  progress: number;
  /** Since closedLoop started. */
  elapsedMs: number;
  /** Answers counted in the window so far, and the errors among them. */
  done: number;
  errors: number;
  /** done per second of window so far. */
  rate: number;
}

export interface ErrorCount {
  count: number;
  /** The message of the first one. */
  message: string;
}

export interface LoadResult {
  target: string | undefined;
  concurrency: number;
  /** Every latency of the window, ms, when keepSamples was set. */
  samples: number[] | undefined;
  /** Length of the window, ms: the duration asked for, or the time the count took. */
  durationMs: number;
  /** Answers in the window, errors included (refusals not). */
  completed: number;
  errors: number;
  /** Answers in the window that refused the invocation (HTTP 429): in neither completed, latency nor throughput (count mode: they use up the count). */
  refused: number;
  firstError: string | undefined;
  /** By the wire errorType (Fnpool.NoAnswer: no answer in time). */
  errorsByType: Record<string, ErrorCount>;
  /** True when the signal ended the window early. */
  aborted: boolean;
  /** completed per second of window. */
  throughput: number;
  /** Hand-out to answer: the time the runtime had the invocation. */
  latencyMs: Summary;
  /** Queued to hand-out: the time an invocation waited in the platform's queue before the runtime took it (undefined when the answers carry no queuedAt: HTTP mode). */
  queueMs: Summary | undefined;
  /** The runtime's VmRSS, sampled every 50 ms and at both ends of the window. */
  rssMB: { mean: number; max: number } | undefined;
  cpu: {
    wallMs: number;
    /** Cores used by the runtime, by this process (emulator + load generator), and by the rest of the machine. */
    runtimeCores: number;
    emulatorCores: number;
    otherCores: number;
    runtimeMs: number;
    runtimeUsPerInvocation: number | undefined;
    emulatorUsPerInvocation: number | undefined;
    /** The runtime's busiest threads (at most 8). */
    threads: (ThreadCpu & { cores: number })[];
  };
}

let ids = 0;
/** Short unique request ids (UUIDs would cost the emulator more to make, hash and keep). */
export const nextRequestId = (): string => `b${(ids++).toString(36)}`;

const TICK_MS = 50;

interface SelfSample {
  cpu: NodeJS.CpuUsage;
  at: number;
  machine: number;
}

const selfSample = (): SelfSample => ({ cpu: process.cpuUsage(), at: performance.now(), machine: machineBusyMs() });

/** What the window collects: latencies, errors by type, RSS, and CPU at both ends. */
class Window {
  opened = false;
  closed = false;
  private latencies = new Float64Array(4096);
  /** Queue times, of the answers that carry queuedAt (the first nQueued of them). */
  private queued = new Float64Array(4096);
  n = 0;
  private nQueued = 0;
  errors = 0;
  refused = 0;
  firstError: string | undefined;
  readonly byType: Record<string, ErrorCount> = {};
  readonly rss: number[] = [];
  private cpuBefore: ThreadCpuSample = {};
  private cpuAfter: ThreadCpuSample = {};
  private selfBefore!: SelfSample;
  private selfAfter!: SelfSample;

  constructor(private readonly pid: number | undefined) {}

  open(): void {
    this.opened = true;
    this.cpuBefore = threadCpu(this.pid);
    this.selfBefore = selfSample();
    this.sampleRss();
  }

  close(): void {
    if (this.closed) return;
    if (!this.opened) this.open();
    this.closed = true;
    this.cpuAfter = threadCpu(this.pid);
    this.selfAfter = selfSample();
    this.sampleRss();
  }

  sampleRss(): void {
    this.rss.push(rssMB(this.pid));
  }

  record(res: LoadAnswer): void {
    if (res.refused) {
      this.refused++;
      return;
    }
    if (this.n === this.latencies.length) this.latencies = doubled(this.latencies);
    this.latencies[this.n++] = res.answeredAt - res.handedOutAt;
    if (res.queuedAt !== undefined) {
      if (this.nQueued === this.queued.length) this.queued = doubled(this.queued);
      this.queued[this.nQueued++] = res.handedOutAt - res.queuedAt;
    }
    if (!res.ok) {
      const e = res.error;
      this.fail(e?.errorType ?? 'Fnpool.MalformedError', e?.errorMessage ?? res.body.toString('utf8').slice(0, 200), e ? JSON.stringify(e) : undefined);
    }
  }

  fail(errorType: string, message: string, whole = `${errorType}: ${message}`): void {
    this.errors++;
    this.firstError ??= whole;
    const entry = this.byType[errorType];
    if (entry) entry.count++;
    else this.byType[errorType] = { count: 1, message };
  }

  result(target: LoadTarget, concurrency: number, durationMs: number, aborted: boolean, keepSamples: boolean): LoadResult {
    const samples = this.latencies.subarray(0, this.n);
    // A runtime that exited before the end of the window took its CPU figures with it.
    const gone = Object.keys(this.cpuAfter).length === 0 && Object.keys(this.cpuBefore).length > 0;
    const runtimeCpu = gone ? { totalMs: Number.NaN, threads: [] } : cpuBetween(this.pid, this.cpuBefore, this.cpuAfter);
    const selfCpuMs = (this.selfAfter.cpu.user - this.selfBefore.cpu.user + this.selfAfter.cpu.system - this.selfBefore.cpu.system) / 1000;
    const wallMs = this.selfAfter.at - this.selfBefore.at;
    const rss = this.rss.filter(Number.isFinite);
    const n = this.n;
    return {
      target: target.name,
      concurrency,
      samples: keepSamples ? Array.from(samples) : undefined,
      durationMs,
      completed: n,
      errors: this.errors,
      refused: this.refused,
      firstError: this.firstError,
      errorsByType: this.byType,
      aborted,
      throughput: n / (durationMs / 1000),
      latencyMs: summarize(samples),
      queueMs: this.nQueued > 0 ? summarize(this.queued.subarray(0, this.nQueued)) : undefined,
      rssMB: rss.length ? { mean: rss.reduce((a, b) => a + b, 0) / rss.length, max: Math.max(...rss) } : undefined,
      cpu: {
        wallMs,
        runtimeCores: runtimeCpu.totalMs / wallMs,
        emulatorCores: selfCpuMs / wallMs,
        // Everything else on the machine (other processes): noise that this run could not control.
        otherCores: Math.max(0, (this.selfAfter.machine - this.selfBefore.machine - runtimeCpu.totalMs - selfCpuMs) / wallMs),
        runtimeMs: runtimeCpu.totalMs,
        runtimeUsPerInvocation: n ? (runtimeCpu.totalMs * 1000) / n : undefined,
        emulatorUsPerInvocation: n ? (selfCpuMs * 1000) / n : undefined,
        threads: runtimeCpu.threads.slice(0, 8).map((t) => ({ ...t, cores: t.ms / wallMs })),
      },
    };
  }
}

/** A copy twice as long (the samples so far first). */
function doubled(array: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** An invocation withdrawn because no answer came in time (the emulator's EmulatorError, or an Invoker's own); anything else refused is a mistake of the load. */
const isNoAnswer = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === 'INVOKE_TIMEOUT';

export async function closedLoop(target: LoadTarget, opts: LoadOptions): Promise<LoadResult> {
  const { concurrency, count, durationMs } = opts;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  if ((count === undefined) === (durationMs === undefined)) throw new RangeError('give either durationMs or count');
  const event = opts.event ?? {};
  const body = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event));
  return count !== undefined
    ? overCount(target, body, { ...opts, count })
    : overDuration(target, body, { ...opts, durationMs: durationMs! });
}

/** Resolves when the signal aborts (never without one). */
const abortOf = (signal: AbortSignal | undefined): Promise<void> => new Promise<void>((resolve) => {
  if (!signal) return;
  if (signal.aborted) resolve();
  else signal.addEventListener('abort', () => resolve(), { once: true });
});

async function overDuration(target: LoadTarget, body: Buffer, opts: LoadOptions & { durationMs: number }): Promise<LoadResult> {
  const { concurrency, warmupMs = 300, drainMs = 2000, onTick, signal } = opts;
  const invoker = invokerOf(target);
  const w = new Window(target.pid);
  const start = performance.now();
  const windowStart = start + warmupMs;
  let windowEnd = windowStart + opts.durationMs;
  let stopping = false;
  let aborted = false;

  const loop = async (): Promise<void> => {
    while (!stopping) {
      let res: LoadAnswer;
      try {
        // Past the window, invocations still queued in the emulator are withdrawn after drainMs
        // (a sequential runtime with 256 queued would otherwise take 5 s to drain them).
        const timeoutMs = Math.max(0, windowEnd - performance.now()) + drainMs;
        res = await invoker.invoke(body, { requestId: nextRequestId(), timeoutMs });
      } catch (err) {
        if (stopping || performance.now() >= windowEnd) break;
        if (!isNoAnswer(err)) {
          stopping = true;
          throw err;
        }
        if (w.opened) w.fail('Fnpool.NoAnswer', (err as Error).message);
        continue;
      }
      const t = res.answeredAt;
      if (t >= windowStart && t < windowEnd) w.record(res);
      if (t >= windowEnd) stopping = true;
    }
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    if (!w.opened && now >= windowStart) w.open();
    if (w.opened && !w.closed && now < windowEnd) w.sampleRss();
    onTick?.({
      phase: w.opened ? 'measure' : 'warmup',
      progress: Math.min(1, (now - start) / (warmupMs + opts.durationMs)),
      elapsedMs: now - start,
      done: w.n,
      errors: w.errors,
      rate: w.opened ? w.n / ((Math.min(now, windowEnd) - windowStart) / 1000) : 0,
    });
    if (now >= windowEnd) stopping = true;
  }, TICK_MS);
  // The window must open and close on time even when the event loop is busy with answers.
  const openTimer = setTimeout(() => { if (!w.opened) w.open(); }, warmupMs);
  const stopTimer = setTimeout(() => { stopping = true; }, warmupMs + opts.durationMs + 5);
  const closeTimer = setTimeout(() => w.close(), warmupMs + opts.durationMs);
  const onAbort = (): void => {
    aborted = true;
    stopping = true;
    windowEnd = Math.max(windowStart, Math.min(windowEnd, performance.now()));
    w.close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  try {
    await Promise.race([Promise.all(Array.from({ length: concurrency }, loop)), abortOf(signal)]);
  } finally {
    clearInterval(ticker);
    clearTimeout(openTimer);
    clearTimeout(stopTimer);
    clearTimeout(closeTimer);
    signal?.removeEventListener('abort', onAbort);
  }
  w.close();
  return w.result(target, concurrency, aborted ? windowEnd - windowStart : opts.durationMs, aborted, opts.keepSamples ?? false);
}

async function overCount(target: LoadTarget, body: Buffer, opts: LoadOptions & { count: number }): Promise<LoadResult> {
  const { concurrency, count, warmupMs = 300, invokeTimeoutMs, onTick, signal } = opts;
  const invoker = invokerOf(target);
  const w = new Window(target.pid);
  const invokeOpts = invokeTimeoutMs !== undefined ? { timeoutMs: invokeTimeoutMs } : {};
  const start = performance.now();
  let stopping = false;
  let aborted = false;
  let windowStart = Number.NaN;
  let windowEnd = Number.NaN;

  /** `concurrency` loops, each sending while claim() allows; answers to onAnswer. */
  const drive = (claim: () => boolean, onAnswer: ((res: LoadAnswer) => void) | undefined): Promise<unknown> => {
    const loop = async (): Promise<void> => {
      while (!stopping && claim()) {
        let res: LoadAnswer;
        try {
          res = await invoker.invoke(body, { requestId: nextRequestId(), ...invokeOpts });
        } catch (err) {
          if (stopping) return;
          if (!isNoAnswer(err)) {
            stopping = true;
            throw err;
          }
          if (onAnswer && !aborted) w.fail('Fnpool.NoAnswer', (err as Error).message);
          continue;
        }
        onAnswer?.(res);
      }
    };
    return Promise.race([Promise.all(Array.from({ length: concurrency }, loop)), abortOf(signal)]);
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    if (w.opened && !w.closed) w.sampleRss();
    onTick?.({
      phase: w.opened ? 'measure' : 'warmup',
      progress: w.n / count,
      elapsedMs: now - start,
      done: w.n,
      errors: w.errors,
      rate: w.opened ? w.n / ((now - windowStart) / 1000) : 0,
    });
  }, TICK_MS);
  const onAbort = (): void => {
    aborted = true;
    stopping = true;
    if (w.opened) windowEnd = performance.now();
    w.close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  try {
    if (warmupMs > 0) {
      const until = start + warmupMs;
      await drive(() => performance.now() < until, undefined);
    }
    if (!stopping) {
      windowStart = performance.now();
      w.open();
      let sent = 0;
      const claim = (): boolean => {
        if (sent === count) return false;
        sent++;
        return true;
      };
      // After an abort the result is taken at once; answers still arriving are not part of it.
      await drive(claim, (res) => { if (!aborted) w.record(res); });
      if (!aborted) windowEnd = performance.now();
    }
  } finally {
    clearInterval(ticker);
    signal?.removeEventListener('abort', onAbort);
  }
  w.close();
  const durationMs = Number.isFinite(windowEnd - windowStart) ? windowEnd - windowStart : 0;
  return w.result(target, concurrency, durationMs, aborted, opts.keepSamples ?? false);
}
