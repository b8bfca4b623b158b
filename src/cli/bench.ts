// `fnpool bench [dir]`: the benchmark driver pointed at the user's own function. Starts a local
// platform for it (the emulator or HTTP mode's front, and the bootstrap, as `fnpool invoke --dir`
// does), waits for a first answer, warms up, keeps N invocations outstanding for a duration or a
// count (the closed loop of src/loadgen/, which the benchmark suite uses too), and prints
// invocations per second, latency percentiles (time in the runtime, and apart the time in the
// platform's queue before it), errors by type, the runtime's CPU time and peak RSS, and a latency
// histogram; --out writes the histogram as an SVG file. On a terminal a progress line is redrawn
// in place on stderr. A load of which nothing succeeds is stopped early with the first error.
// Past the window, the invocations still running are waited for (said on stderr when it takes
// more than a moment). Exit status: 0 it ran (function errors are reported, not failed on), 1 no
// invocation succeeded, or the runtime died or never answered, 2 the command was wrong, 130
// stopped by Ctrl-C (after printing what was measured).
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../config/env.js';
import {
  emulatorWire, EmulatorError, HTTP_LIMITS, httpLaunchEnvironment, launchEnvironment, OPENEDGE_LIMITS, openEdgeLaunch, type InvokeResult,
} from '../emulator/index.js';
import { closedLoop, nextRequestId, type Invoker, type LoadAnswer, type LoadResult, type LoadTick } from '../loadgen/load.js';
import { rssMB } from '../loadgen/proc.js';
import { histogram, type Bucket, type Summary } from '../loadgen/stats.js';
import { EXIT_FUNCTION_ERROR, EXIT_OK, fnpoolVersion, parse, shownPath, toNumber, UsageError } from './args.js';
import { svgHistogram, textHistogram } from './bench-charts.js';
import { readEvent, type EventSource } from './event-input.js';
import { describeSettings, FUNCTION_OPTIONS, FUNCTION_OPTIONS_HELP, NUMBER_OPTIONS, PACKAGE_JSON_HELP, resolveSettings, withLogFormat, type FunctionSettings } from './function-settings.js';
import { LocalPlatform } from './local-platform.js';

export const HELP = `Usage: fnpool bench [dir] [options]

Benchmarks the function in dir (default: the current folder) on this machine. Starts a local
platform for it (FunctionGraph's unless --platform says otherwise: the runtime API emulator, or
HTTP mode's front, and the bootstrap, as fnpool start does), waits for a first answer, warms up,
then keeps --concurrency invocations outstanding (each answer sends the next) for a duration or
a count. Prints invocations per second, latency percentiles (from the invocation's hand-out to
the runtime to its answer; in HTTP mode, from the request sent to the runtime's port; a 429
counts as refused) and, apart, the time each invocation waited in the platform's queue before
the runtime took it; errors by type; the runtime's CPU time and peak RSS; then a histogram of
the latencies. Past the measuring window, the invocations still running are left to finish (up
to their deadline; stderr says so when it takes more than a moment, and Ctrl-C stops them).

Function errors are counted and reported. But when nothing succeeds — none of the first 100
answers of the load, or of its first second (at least 10 answers) — the benchmark stops there
and prints the first error's type and message.

Exit status: 0 it ran; 1 no invocation succeeded, or the runtime exited or never answered;
2 usage error; 130 stopped by Ctrl-C (after printing what was measured).

Options:
  -e, --event EVENT    the event of every invocation: a JSON file, - for standard input, or
                       inline JSON (default: dir/event.json if there is one, else {})
  -d, --duration SECS  measure for this long (default 10)
  -n, --count N        or: measure exactly N invocations
  --warmup SECS        load before measuring, not counted (default 1)
  -o, --out FILE.svg   also write the latency histogram to FILE.svg (a chart for a browser)
  --json               print one JSON object instead of the summary and the histogram
  --logs               show the runtime's logs on stderr (hidden by default; no progress line)
  -h, --help           this help

Options that choose how the function runs (flag, environment variable, default), as for fnpool start:
${FUNCTION_OPTIONS_HELP}

--concurrency is also the load: the benchmark keeps that many invocations outstanding, as many as
the runtime takes at once (with fnpool's bootstrap and no setting: ceil(CPUs) threads × 8; with
another bootstrap and no setting: 1).

${PACKAGE_JSON_HELP}

Examples:
  fnpool bench examples/hello
  fnpool bench examples/cpu --cpus 2 --duration 30 --event '{"limit": 200000}'
  fnpool bench . --concurrency 64 --count 10000 --json > result.json
  fnpool bench examples/hello --out latency.svg
  cat event.json | fnpool bench my-function --event - --memory 512
`;

const EXIT_RUNTIME_FAILED = 1;
/** No invocation of the load succeeded: a function error, as for fnpool invoke. */
const EXIT_NOTHING_SUCCEEDED = EXIT_FUNCTION_ERROR;
const EXIT_INTERRUPTED = 130;
const DEFAULT_DURATION_S = 10;
const DEFAULT_WARMUP_S = 1;
/**
 * Past the window, how long an invocation still on its way may take before it is withdrawn. Its
 * answer would not count: this is only a margin for the timers, so that none fires in the window.
 */
const DRAIN_MS = 100;
/** The load stops when none of its first this many answers succeeded… */
const NOTHING_SUCCEEDED_ANSWERS = 100;
/** …or none of those of its first this many ms, when there were at least NOTHING_SUCCEEDED_MIN_ANSWERS. */
const NOTHING_SUCCEEDED_MS = 1000;
const NOTHING_SUCCEEDED_MIN_ANSWERS = 10;
/** Past the window, a wait for the runtime longer than this is said on stderr. */
const WAIT_NOTICE_MS = 500;
/** The runtime's own bound on a graceful stop, unless FNPOOL_SHUTDOWN_TIMEOUT_MS says otherwise. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

interface Plan {
  settings: FunctionSettings;
  /** Invocations outstanding (the load), and what the runtime was told, if anything. */
  concurrency: number;
  runtimeConcurrency: number | undefined;
  durationS: number | undefined;
  count: number | undefined;
  warmupS: number;
  event: Buffer;
  /** Where the event came from, for the report. */
  eventFrom: string;
  json: boolean;
  logs: boolean;
  /** The runtime's environment, with --log-format's choice in it. */
  env: NodeJS.ProcessEnv;
  /** --out: where the SVG histogram goes (absolute), as given. */
  out: { file: string; given: string } | undefined;
}

export async function bench(argv: string[]): Promise<number> {
  const { values, positionals } = parse('bench', argv, {
    ...FUNCTION_OPTIONS,
    event: { type: 'string', short: 'e' },
    duration: { type: 'string', short: 'd' },
    count: { type: 'string', short: 'n' },
    warmup: { type: 'string' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    logs: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, [...NUMBER_OPTIONS, 'duration', 'count', 'warmup']);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.join(' ')}`);
  if (values.duration !== undefined && values.count !== undefined) throw new UsageError('give either --duration or --count, not both');
  const count = values.count === undefined ? undefined : toNumber('--count', values.count, { min: 1, max: 1e9, integer: true });
  const durationS = count !== undefined ? undefined
    : values.duration === undefined ? DEFAULT_DURATION_S : toNumber('--duration', values.duration, { min: 0.01, max: 86_400, unit: 'seconds' });
  const warmupS = values.warmup === undefined ? DEFAULT_WARMUP_S : toNumber('--warmup', values.warmup, { min: 0, max: 3600, unit: 'seconds' });
  const out = values.out === undefined ? undefined : { file: chartFile(values.out), given: values.out };
  const env = withLogFormat(values['log-format'], process.env);
  const settings = resolveSettings(positionals[0], values, env);
  const { event, from: eventFrom } = await chooseEvent(settings.dir, values.event);
  const limits = settings.platform === 'http' ? HTTP_LIMITS[settings.knative ? 'knative' : 'fc']
    : settings.platform === 'openedge' ? OPENEDGE_LIMITS : emulatorWire(settings.platform).limits;
  const limit = limits.maxSyncRequestBytes;
  if (event.length > limit) {
    throw new UsageError(`the event is ${event.length} bytes, over the platform's limit of ${limit} bytes`);
  }
  const runtimeConcurrency = settings.concurrency ?? (settings.ownBootstrap ? fnpoolConcurrency(settings) : undefined);
  return run({
    settings,
    concurrency: runtimeConcurrency ?? 1,
    runtimeConcurrency,
    durationS,
    count,
    warmupS,
    event,
    eventFrom,
    json: values.json === true,
    logs: values.logs === true,
    env,
    out,
  });
}

/**
 * --out, checked before the benchmark rather than after it: an SVG file in a folder that exists and
 * can be written to (the chart is the only format written).
 */
function chartFile(given: string): string {
  if (path.extname(given).toLowerCase() !== '.svg') {
    throw new UsageError(`--out ${given}: only .svg is written (the latency histogram as an SVG chart)`);
  }
  const file = path.resolve(given);
  const dir = path.dirname(file);
  if (!existsSync(dir)) throw new UsageError(`--out ${given}: no such folder ${shownPath(dir)}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${given}: ${shownPath(dir)} is not a folder`);
  const there = existsSync(file);
  if (there && statSync(file).isDirectory()) throw new UsageError(`--out ${given} is a folder`);
  try {
    accessSync(there ? file : dir, constants.W_OK);
  } catch {
    throw new UsageError(`--out ${given}: cannot write ${there ? 'that file' : `in ${shownPath(dir)}`} (permission denied)`);
  }
  return file;
}

/** --event as a file, standard input or inline JSON; without it, the folder's event.json or {}. */
async function chooseEvent(dir: string, arg: string | undefined): Promise<{ event: Buffer; from: string }> {
  let source: EventSource | undefined;
  let from: string;
  if (arg === undefined) {
    const file = path.join(dir, 'event.json');
    source = existsSync(file) ? { file } : undefined;
    from = source ? shownPath(file) : '{}';
  } else if (arg === '-') {
    source = { stdin: true };
    from = 'standard input';
  } else if (existsSync(arg) && statSync(arg).isFile()) {
    source = { file: arg };
    from = shownPath(path.resolve(arg));
  } else if (isJson(arg) || /^\s*[[{"]/.test(arg)) {
    source = { inline: arg };
    from = 'inline';
  } else {
    source = { file: arg }; // not there: readEvent names it
    from = arg;
  }
  return { event: await readEvent('bench', source), from };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** How many invocations fnpool's runtime takes at once with these settings: what it will compute itself. */
function fnpoolConcurrency(settings: FunctionSettings): number {
  try {
    if (settings.platform === 'openedge') {
      const { env, args } = openEdgeLaunch(settings, 0, process.env);
      return loadConfig(env, args).concurrency;
    }
    const env = settings.platform === 'http'
      ? httpLaunchEnvironment({ flavour: settings.knative ? 'knative' : 'fc', settings }, 0, process.env)
      : launchEnvironment(settings.platform, settings, '127.0.0.1:0', process.env);
    return loadConfig(env).concurrency;
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function run(plan: Plan): Promise<number> {
  const { settings } = plan;
  // The runtime's logs cost what they cost in production (the platform's format unless one is
  // chosen), but go nowhere unless asked for.
  const env = plan.logs || plan.env.FNPOOL_LOG_FORMAT ? plan.env : { ...plan.env, FNPOOL_LOG_FORMAT: 'json' };
  const platform = await LocalPlatform.start({ settings, output: plan.logs ? 'stderr' : 'ignore', env });
  const progress = new ProgressLine(process.stderr.isTTY === true && !plan.logs, plan);

  const stop = new AbortController();
  let interrupted = false;
  /** Measured and reported: only the invocations still running are waited for. */
  let finishing = false;
  let runtimeExit: string | undefined;
  const onSignal = (): void => {
    if (interrupted || finishing) {
      // A second Ctrl-C, or one past the window: no more waiting for the runtime's graceful
      // shutdown (exiting kills its process group).
      platform.kill();
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    progress.clear();
    process.stderr.write('fnpool bench: stopping (Ctrl-C again to kill)\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  platform.on('exit', (code, signal) => {
    runtimeExit = signal ?? `code ${code}`;
    stop.abort();
  });
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= platform.close());
  let waitNotice: NodeJS.Timeout | undefined;

  try {
    if (!plan.json) process.stdout.write(banner(plan));
    platform.startRuntime();
    const pid = platform.pid;
    // The runtime answers every invocation by its deadline; this is for a bootstrap that never does.
    const invokeTimeoutMs = Math.ceil(settings.timeout * 1000) + 30_000;

    progress.draw('starting the runtime');
    const first = platform.caller.invoke(plan.event, { requestId: nextRequestId(), timeoutMs: invokeTimeoutMs });
    first.catch(() => {}); // when the race below is lost, the emulator's close rejects it
    let firstAnswer: InvokeResult | undefined;
    try {
      firstAnswer = await Promise.race([first, stopped.then(() => undefined)]);
    } catch (err) {
      if (!(err instanceof EmulatorError && err.code === 'INVOKE_TIMEOUT')) throw err;
      progress.clear();
      process.stderr.write(`fnpool bench: the runtime did not answer a first invocation within ${invokeTimeoutMs / 1000} s\n`);
      return EXIT_RUNTIME_FAILED;
    }
    if (!firstAnswer) {
      progress.clear();
      if (runtimeExit !== undefined) {
        process.stderr.write(`fnpool bench: the runtime exited (${runtimeExit}) before it answered${plan.logs ? '' : '; --logs shows its output'}\n`);
        return EXIT_RUNTIME_FAILED;
      }
      return EXIT_INTERRUPTED;
    }
    // The first invocation's error, said before the load (it may still succeed later).
    const warned = firstAnswer.ok ? undefined : firstAnswer.error;
    if (!firstAnswer.ok) {
      progress.clear();
      const e = firstAnswer.error;
      process.stderr.write(`fnpool bench: warning: the first invocation failed: ${e ? `${e.errorType}: ${e.errorMessage}` : 'no error body'}\n`);
    }
    const startRssMB = rssMB(pid);

    // Watches every answer of the load (warm-up included): the first error, and whether anything succeeds.
    const watch = new AnswerWatch(platform.loadInvoker, () => {
      if (!stop.signal.aborted) stop.abort();
    });
    const result = await closedLoop({ name: settings.dir, invoker: watch, pid }, {
      concurrency: plan.concurrency,
      ...(plan.count !== undefined ? { count: plan.count } : { durationMs: plan.durationS! * 1000 }),
      warmupMs: plan.warmupS * 1000,
      event: plan.event,
      invokeTimeoutMs,
      drainMs: DRAIN_MS,
      keepSamples: true,
      signal: stop.signal,
      onTick: (tick) => progress.tick(tick),
    });
    progress.clear();
    finishing = true;
    // Said if the runtime still has invocations a moment later (counted then: the emulator knows; a
    // runtime called over HTTP or gRPC has what was sent to it and not answered).
    waitNotice = setTimeout(() => {
      const running = platform.emulator ? platform.emulator.stats().inFlight : watch.unanswered;
      if (running > 0) process.stderr.write(waitText(plan, running, result.aborted));
    }, WAIT_NOTICE_MS);

    const stoppedBecause = runtimeExit !== undefined ? 'runtime exited' : interrupted ? 'interrupted' : watch.nothingSucceeded ? 'nothing succeeded' : null;
    const report = toReport(plan, result, startRssMB, pid, stoppedBecause, watch.firstError);
    // Stopped because nothing succeeds: the figures of a few failures would only hide the message.
    const quiet = stoppedBecause === 'nothing succeeded' && !plan.json;
    if (!quiet) process.stdout.write(plan.json ? `${JSON.stringify(report)}\n` : summary(report, result));
    let status = interrupted ? EXIT_INTERRUPTED : EXIT_OK;
    if (plan.out) {
      try {
        writeFileSync(plan.out.file, chart(report, plan));
        if (!plan.json && !quiet) process.stdout.write(`  ${'chart'.padEnd(13)}${shownPath(plan.out.file)}\n`);
      } catch (err) {
        process.stderr.write(`fnpool bench: cannot write --out ${plan.out.given}: ${(err as Error).message}\n`);
        status = EXIT_RUNTIME_FAILED;
      }
    }
    if (runtimeExit !== undefined) {
      process.stderr.write(`fnpool bench: the runtime exited (${runtimeExit}) during the benchmark${plan.logs ? '' : '; --logs shows its output'}\n`);
      status = EXIT_RUNTIME_FAILED;
    } else if (!interrupted && watch.ok === 0 && watch.failed > 0) {
      process.stderr.write(nothingSucceededText(plan, watch, warned));
      status = EXIT_NOTHING_SUCCEEDED;
    }
    await close();
    return status;
  } finally {
    progress.clear();
    await close();
    clearTimeout(waitNotice);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The load's invoker, watched: answers that succeeded and failed (refusals are neither), the first
 * error, and the invocations sent and not answered. Calls onNothingSucceeds once the load has had
 * enough answers to say that nothing succeeds.
 */
class AnswerWatch implements Invoker {
  ok = 0;
  failed = 0;
  firstError: { errorType: string; errorMessage: string } | undefined;
  nothingSucceeded = false;
  private sent = 0;
  private settled = 0;
  private readonly startedAt = performance.now();

  constructor(private readonly invoker: Invoker, private readonly onNothingSucceeds: () => void) {}

  /** Sent and neither answered nor failed to send; one withdrawn for want of an answer is still with the runtime. */
  get unanswered(): number {
    return this.sent - this.settled;
  }

  async invoke(body: Buffer, opts: { requestId: string; timeoutMs?: number }): Promise<LoadAnswer> {
    this.sent++;
    let res: LoadAnswer;
    try {
      res = await this.invoker.invoke(body, opts);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== 'INVOKE_TIMEOUT') this.settled++;
      throw err;
    }
    this.settled++;
    if (res.refused) return res;
    if (res.ok) {
      this.ok++;
      return res;
    }
    this.failed++;
    this.firstError ??= res.error
      ? { errorType: res.error.errorType, errorMessage: res.error.errorMessage }
      : { errorType: 'Fnpool.MalformedError', errorMessage: res.body.toString('utf8').slice(0, 200) };
    if (this.ok === 0 && !this.nothingSucceeded && (this.failed >= NOTHING_SUCCEEDED_ANSWERS ||
      (this.failed >= NOTHING_SUCCEEDED_MIN_ANSWERS && performance.now() - this.startedAt >= NOTHING_SUCCEEDED_MS))) {
      this.nothingSucceeded = true;
      this.onNothingSucceeds();
    }
    return res;
  }
}

/**
 * What stderr says when no invocation succeeded: how many failed, the first error (unless it is the
 * one the warning about the first invocation showed already), how to see one whole.
 */
function nothingSucceededText(plan: Plan, watch: AnswerWatch, warned?: { errorType: string; errorMessage: string }): string {
  const e = watch.firstError!;
  const message = e.errorMessage.replace(/\s+/g, ' ');
  const shown = warned !== undefined && warned.errorType === e.errorType && warned.errorMessage === e.errorMessage;
  // fnpool invoke sends {} unless told: the same event, where it can be named.
  const event = plan.eventFrom === '{}' ? '' : plan.eventFrom === 'inline' || plan.eventFrom === 'standard input' ? ' (with the same event)' : ` --event ${plan.eventFrom}`;
  return [
    `fnpool bench: ${watch.nothingSucceeded ? 'stopped early: ' : ''}all ${f0(watch.failed)} invocations failed, none succeeded`,
    shown ? '  first error: the one above' : `  first error: ${e.errorType}: ${message.length > 300 ? `${message.slice(0, 299)}…` : message}`,
    `  fnpool invoke --dir ${shownPath(plan.settings.dir)}${event} shows one invocation's whole error and its stack`,
    '',
  ].join('\n');
}

/** What stderr says past the window while the runtime finishes what it has. */
function waitText(plan: Plan, running: number, stoppedEarly: boolean): string {
  const timeoutS = plan.settings.timeout;
  const given = Number(process.env.FNPOOL_SHUTDOWN_TIMEOUT_MS);
  const shutdownS = (Number.isFinite(given) && given >= 0 ? given : DEFAULT_SHUTDOWN_TIMEOUT_MS) / 1000;
  // A stopping runtime lets its invocations finish by their deadline, within its shutdown timeout.
  const bound = timeoutS <= shutdownS ? `up to their ${timeoutS} s deadline` : `up to ${shutdownS} s, the runtime's shutdown timeout`;
  const what = `${f0(running)} invocation${running === 1 ? '' : 's'}`;
  return `fnpool bench: ${stoppedEarly ? 'stopped' : 'window over'}; waiting for ${what} still running (${bound}; Ctrl-C stops ${running === 1 ? 'it' : 'them'} now)…\n`;
}

/** One line redrawn in place on stderr (a terminal only): phase, elapsed, invocations, rate, errors. */
class ProgressLine {
  private last = 0;
  private shown = false;

  constructor(private readonly enabled: boolean, private readonly plan: Pick<Plan, 'count' | 'durationS' | 'warmupS'>) {}

  draw(text: string): void {
    if (!this.enabled) return;
    const cols = process.stderr.columns || 100;
    process.stderr.write(`\r\x1b[2K${text.slice(0, cols - 1)}`);
    this.shown = true;
  }

  tick(t: LoadTick): void {
    const now = performance.now();
    if (!this.enabled || now - this.last < 100) return;
    this.last = now;
    const { count, durationS, warmupS } = this.plan;
    if (t.phase === 'warmup') {
      this.draw(`warming up  ${(t.elapsedMs / 1000).toFixed(1)}/${warmupS} s`);
      return;
    }
    const seconds = Math.max(0, t.elapsedMs / 1000 - warmupS).toFixed(1);
    const elapsed = durationS !== undefined ? `${seconds}/${durationS} s` : `${seconds} s`;
    const done = count !== undefined ? `${f0(t.done)}/${f0(count)}` : f0(t.done);
    this.draw(`${elapsed}  ${done} invocations  ${f0(t.rate)}/s  ${f0(t.errors)} error${t.errors === 1 ? '' : 's'}`);
  }

  clear(): void {
    if (!this.shown) return;
    process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** What `--json` prints; the summary is written from it too. */
interface Report {
  dir: string;
  function: {
    handler: string;
    initializer: string | null;
    timeout: number;
    memory: number;
    cpus: number;
    concurrency: number | null;
    bootstrap: string | null;
  };
  load: { concurrency: number; durationSeconds: number | null; count: number | null; warmupSeconds: number; event: string; eventBytes: number };
  stoppedEarly: boolean;
  /** Why it stopped early: Ctrl-C, the runtime exited, or no answer of the load succeeded; null when it did not. */
  stoppedBecause: StopReason | null;
  invocations: number;
  ok: number;
  errors: number;
  /** HTTP mode: answered 429 (the runtime was full: nothing ran); not in invocations. */
  refused: number;
  seconds: number;
  perSecond: number | null;
  /** Hand-out to the runtime → its answer (HTTP mode: request sent → answer read). */
  latencyMs: Percentiles;
  /** Queued → hand-out: waiting in the platform's queue until the runtime took it; null where there is no queue (HTTP mode). */
  queueMs: Percentiles | null;
  /** The latencies, counted in log-spaced buckets: fromMs ≤ latency < toMs. */
  histogram: Bucket[];
  errorsByType: Record<string, { count: number; message: string }>;
  /** The first failed answer of the load (warm-up included). */
  firstError: { errorType: string; errorMessage: string } | null;
  runtime: {
    pid: number | null;
    cpu: { ms: number; cores: number | null; usPerInvocation: number | null; mainThreadCores: number | null; threads: { tid: number; main: boolean; ms: number }[] } | null;
    rssMB: { start: number | null; peak: number | null };
  };
  loadGeneratorCores: number | null;
  otherProcessesCores: number | null;
  machine: { cpus: number; model: string | null; node: string; fnpool: string };
}

type StopReason = 'interrupted' | 'runtime exited' | 'nothing succeeded';
type Percentiles = { p50: number | null; p90: number | null; p99: number | null; max: number | null; mean: number | null };

const num = (v: number | undefined, digits: number): number | null => (v !== undefined && Number.isFinite(v) ? +v.toFixed(digits) : null);
const percentiles = (l: Summary): Percentiles => ({ p50: num(l.p50, 3), p90: num(l.p90, 3), p99: num(l.p99, 3), max: num(l.max, 3), mean: num(l.mean, 3) });

function toReport(
  plan: Plan, r: LoadResult, startRssMB: number, pid: number | undefined, stoppedBecause: StopReason | null, firstError: Report['firstError'] | undefined,
): Report {
  const s = plan.settings;
  // No /proc (not Linux): no RSS at start either. A runtime that exited: no CPU at the end.
  const cpuKnown = Number.isFinite(r.cpu.runtimeMs) && Number.isFinite(startRssMB);
  const main = r.cpu.threads.find((t) => t.main);
  return {
    dir: s.dir,
    function: {
      handler: s.handler,
      initializer: s.initializer ?? null,
      timeout: s.timeout,
      memory: s.memory,
      cpus: s.cpus,
      concurrency: plan.runtimeConcurrency ?? null,
      bootstrap: s.ownBootstrap ? null : s.bootstrap,
    },
    load: {
      concurrency: plan.concurrency,
      durationSeconds: plan.durationS ?? null,
      count: plan.count ?? null,
      warmupSeconds: plan.warmupS,
      event: plan.eventFrom,
      eventBytes: plan.event.length,
    },
    stoppedEarly: r.aborted,
    stoppedBecause: r.aborted ? stoppedBecause : null,
    invocations: r.completed,
    ok: r.completed - r.errors,
    errors: r.errors,
    refused: r.refused,
    seconds: +(r.durationMs / 1000).toFixed(3),
    perSecond: num(r.throughput, 1),
    latencyMs: percentiles(r.latencyMs),
    queueMs: r.queueMs ? percentiles(r.queueMs) : null,
    histogram: histogram(r.samples ?? []),
    errorsByType: Object.fromEntries(Object.entries(r.errorsByType).sort(([ta, a], [tb, b]) => b.count - a.count || (ta < tb ? -1 : 1))),
    firstError: firstError ?? null,
    runtime: {
      pid: pid ?? null,
      cpu: cpuKnown ? {
        ms: r.cpu.runtimeMs,
        cores: num(r.cpu.runtimeCores, 3),
        usPerInvocation: num(r.cpu.runtimeUsPerInvocation, 1),
        mainThreadCores: num(main ? main.cores : 0, 3),
        threads: r.cpu.threads.map((t) => ({ tid: t.tid, main: t.main, ms: t.ms })),
      } : null,
      rssMB: { start: num(startRssMB, 1), peak: num(Math.max(...[startRssMB, r.rssMB?.max ?? Number.NaN].filter(Number.isFinite)), 1) },
    },
    loadGeneratorCores: num(r.cpu.emulatorCores, 3),
    otherProcessesCores: num(r.cpu.otherCores, 3),
    machine: { cpus: availableParallelism(), model: cpus()[0]?.model?.trim() || null, node: process.version, fnpool: fnpoolVersion() },
  };
}

function banner(plan: Plan): string {
  const what = plan.count !== undefined ? `${f0(plan.count)} invocations` : `${plan.durationS} s`;
  const warmup = plan.warmupS > 0 ? ` after ${plan.warmupS} s of warm-up` : '';
  const runtime = plan.settings.ownBootstrap ? '' : `\n  runtime:   custom bootstrap ${plan.settings.bootstrap}`;
  return [
    `fnpool bench: ${shownPath(plan.settings.dir)}, ${plan.concurrency} outstanding for ${what}${warmup}`,
    `  function:  ${describeSettings(plan.settings)}${runtime}`,
    `  event:     ${plan.eventFrom} (${f0(plan.event.length)} bytes)`,
    `  machine:   ${availableParallelism()} × ${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, Node ${process.version}, fnpool ${fnpoolVersion()}`,
    '',
  ].join('\n');
}

function summary(report: Report, r: LoadResult): string {
  const lines: string[] = [''];
  const row = (label: string, text: string): number => lines.push(`  ${label.padEnd(13)}${text}`);
  const stopped = report.stoppedEarly ? ' (stopped early)' : '';
  const split = report.errors > 0 ? ` (${f0(report.ok)} ok, ${f0(report.errors)} error${report.errors === 1 ? '' : 's'})` : '';
  row('invocations', `${f0(report.invocations)} in ${report.seconds.toFixed(2)} s = ${f0(report.perSecond ?? Number.NaN)}/s${split}${stopped}`);
  if (report.refused > 0) row('refused', `${f0(report.refused)} answered 429: the runtime was full (FNPOOL_QUEUE); nothing ran`);
  const l = r.latencyMs;
  const q = r.queueMs;
  // Where the platform has a queue (the emulator's), the time in it is apart from the latency.
  row('latency', `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (${q ? 'in the runtime: hand-out to answer' : 'request to answer'})`);
  if (q) row('queued', `p50 ${ms(q.p50)}  p90 ${ms(q.p90)}  p99 ${ms(q.p99)}  max ${ms(q.max)}  (before: in the platform's queue until the runtime took it)`);
  const types = Object.entries(report.errorsByType);
  types.forEach(([type, e], i) => {
    const message = e.message.replace(/\s+/g, ' ');
    row(i === 0 ? 'errors' : '', `${f0(e.count).padStart(Math.max(...types.map(([, x]) => f0(x.count).length)))}  ${type}: ${message.length > 80 ? `${message.slice(0, 79)}…` : message}`);
  });
  const cpu = report.runtime.cpu;
  if (cpu) {
    const perInvocation = cpu.usPerInvocation !== null ? `, ${f0(cpu.usPerInvocation)} µs per invocation` : '';
    const coarse = r.cpu.wallMs < 1000 ? ' (coarse: /proc counts CPU time in 10 ms ticks)' : '';
    const others = (cpu.cores ?? 0) - (cpu.mainThreadCores ?? 0);
    row('runtime CPU', `${f2(cpu.cores)} cores${perInvocation}; main thread ${f2(cpu.mainThreadCores)}, other threads ${f2(others)}${coarse}`);
    row('runtime RSS', `${f1(report.runtime.rssMB.start)} MB at start, ${f1(report.runtime.rssMB.peak)} MB peak`);
  } else {
    row('runtime', report.runtime.rssMB.start === null ? 'CPU and RSS not measured (no /proc here)' : 'CPU and RSS not measured (the runtime exited)');
  }
  row('fnpool bench', `${f2(report.loadGeneratorCores)} cores (the local platform and the load generator)`);
  for (const note of notes(report, r)) row('note', note);
  if (report.histogram.length > 0) {
    textHistogram(report.histogram, 30).forEach((line, i) => row(i === 0 ? 'histogram' : '', line));
  }
  return `${lines.join('\n')}\n`;
}

/** What the figures say that a first look would miss: where the latency went, and noise. */
function notes(report: Report, r: LoadResult): string[] {
  const said: string[] = [];
  const concurrency = report.load.concurrency;
  const l = r.latencyMs;
  const q = r.queueMs;
  if (q && q.p50 > l.p50) {
    said.push(`invocations waited longer in the platform's queue than in the runtime: it took fewer at once than the ${concurrency} outstanding`);
  }
  // A runtime that kept its cores busy with more invocations than cores: each latency includes a
  // wait for a core (CPU per invocation cannot say how much: it counts the work of those unfinished).
  const cpu = report.runtime.cpu;
  const cores = Math.min(Math.ceil(report.function.cpus), availableParallelism());
  if (cpu && concurrency > cores && (cpu.cores ?? 0) >= 0.75 * cores) {
    said.push(`${concurrency} at once on ${cores} busy CPU${cores === 1 ? '' : 's'} (${f2(cpu.cores)} cores used): each latency includes waiting for a core, `
      + `as at most ${cores} run${cores === 1 ? 's' : ''} at a time; --concurrency ${cores} gives each one a core`);
  }
  if ((report.otherProcessesCores ?? 0) > 0.25) {
    said.push(`other processes used ${f2(report.otherProcessesCores)} cores meanwhile: the figures are noisy`);
  }
  return said;
}

/** The SVG of --out: the latency histogram, titled with what was measured. */
function chart(report: Report, plan: Plan): string {
  const l = report.latencyMs;
  const what = plan.count !== undefined ? `${f0(plan.count)} invocations` : `${plan.durationS} s`;
  return svgHistogram({
    title: `fnpool bench ${shownPath(plan.settings.dir)}: latency of ${f0(report.invocations)} invocations`,
    subtitle: `${plan.concurrency} outstanding for ${what}; hand-out to answer; p50 ${ms(l.p50 ?? Number.NaN)}, p90 ${ms(l.p90 ?? Number.NaN)}, `
      + `p99 ${ms(l.p99 ?? Number.NaN)}, max ${ms(l.max ?? Number.NaN)}; ${f0(report.perSecond)}/s; fnpool ${report.machine.fnpool}, Node ${report.machine.node}`,
    buckets: report.histogram,
    marks: [['p50', l.p50], ['p90', l.p90], ['p99', l.p99]].filter((m): m is [string, number] => m[1] !== null).map(([label, v]) => ({ label: `${label} ${ms(v)}`, ms: v })),
  });
}

const f0 = (v: number | null): string => (v !== null && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const f1 = (v: number | null): string => (v !== null && Number.isFinite(v) ? v.toFixed(1) : '—');
const f2 = (v: number | null): string => (v !== null && Number.isFinite(v) ? v.toFixed(2) : '—');
/** A latency with three significant digits or so. */
const ms = (v: number): string => (!Number.isFinite(v) ? '—' : `${v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`);

