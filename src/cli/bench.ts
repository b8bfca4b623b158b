// `fnpool bench [dir]`: the benchmark driver pointed at the user's own function. Starts a local
// platform for it (the emulator or HTTP mode's front, and the bootstrap, as `fnpool invoke --dir`
// does), waits for a
// first answer, warms up, keeps N invocations outstanding for a duration or a count (the closed
// loop of src/loadgen/, which the benchmark suite uses too), and prints invocations per second,
// latency percentiles, errors by type, and the runtime's CPU time and peak RSS. On a terminal a
// progress line is redrawn in place on stderr. Exit status: 0 it ran (function errors are
// reported, not failed on), 1 the runtime died or never answered, 2 the command was wrong,
// 130 stopped by Ctrl-C (after printing what was measured).
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../config/env.js';
import {
  emulatorWire, EmulatorError, HTTP_LIMITS, httpLaunchEnvironment, launchEnvironment, OPENEDGE_LIMITS, openEdgeLaunch, type InvokeResult,
} from '../emulator/index.js';
import { closedLoop, nextRequestId, type LoadResult, type LoadTick } from '../loadgen/load.js';
import { rssMB } from '../loadgen/proc.js';
import { EXIT_OK, fnpoolVersion, parse, shownPath, toNumber, UsageError } from './args.js';
import { readEvent, type EventSource } from './event-input.js';
import { describeSettings, FUNCTION_OPTIONS, FUNCTION_OPTIONS_HELP, PACKAGE_JSON_HELP, resolveSettings, type FunctionSettings } from './function-settings.js';
import { LocalPlatform } from './local-platform.js';

export const HELP = `Usage: fnpool bench [dir] [options]

Benchmarks the function in dir (default: the current folder) on this machine. Starts a local
platform for it (FunctionGraph's unless --platform says otherwise: the runtime API emulator, or
HTTP mode's front, and the bootstrap, as fnpool start does), waits for a first answer, warms up, then keeps --concurrency invocations outstanding (each answer
sends the next) for a duration or a count. Prints invocations per second, latency percentiles
(from the invocation's hand-out to the runtime to its answer; in HTTP mode, from the request
sent to the runtime's port; a 429 counts as refused), errors by type, and the runtime's
CPU time and peak RSS. Function errors are counted and reported; exit status 0 all the same.

Options:
  -e, --event EVENT    the event of every invocation: a JSON file, - for standard input, or
                       inline JSON (default: dir/event.json if there is one, else {})
  -d, --duration SECS  measure for this long (default 10)
  -n, --count N        or: measure exactly N invocations
  --warmup SECS        load before measuring, not counted (default 1)
  --json               print one JSON object instead of the summary
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
  cat event.json | fnpool bench my-function --event - --memory 512
`;

const EXIT_RUNTIME_FAILED = 1;
const EXIT_INTERRUPTED = 130;
const DEFAULT_DURATION_S = 10;
const DEFAULT_WARMUP_S = 1;
/** Past the window, how long an invocation still on its way may take before it is withdrawn. */
const DRAIN_MS = 1000;

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
}

export async function bench(argv: string[]): Promise<number> {
  const { values, positionals } = parse('bench', argv, {
    ...FUNCTION_OPTIONS,
    event: { type: 'string', short: 'e' },
    duration: { type: 'string', short: 'd' },
    count: { type: 'string', short: 'n' },
    warmup: { type: 'string' },
    json: { type: 'boolean' },
    logs: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
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
  const settings = resolveSettings(positionals[0], values);
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
  });
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
  // The runtime's logs cost what they cost in production, but go nowhere unless asked for.
  const env = plan.logs ? process.env : { ...process.env, FNPOOL_LOG_FORMAT: process.env.FNPOOL_LOG_FORMAT ?? 'json' };
  const platform = await LocalPlatform.start({ settings, output: plan.logs ? 'stderr' : 'ignore', env });
  const progress = new ProgressLine(process.stderr.isTTY === true && !plan.logs, plan);

  const stop = new AbortController();
  let interrupted = false;
  let runtimeExit: string | undefined;
  const onSignal = (): void => {
    if (interrupted) {
      // A second Ctrl-C: no more waiting for the runtime's graceful shutdown.
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
    if (!firstAnswer.ok) {
      progress.clear();
      const e = firstAnswer.error;
      process.stderr.write(`fnpool bench: warning: the first invocation failed: ${e ? `${e.errorType}: ${e.errorMessage}` : 'no error body'}\n`);
    }
    const startRssMB = rssMB(pid);

    const result = await closedLoop({ name: settings.dir, invoker: platform.loadInvoker, pid }, {
      concurrency: plan.concurrency,
      ...(plan.count !== undefined ? { count: plan.count } : { durationMs: plan.durationS! * 1000 }),
      warmupMs: plan.warmupS * 1000,
      event: plan.event,
      invokeTimeoutMs,
      drainMs: DRAIN_MS,
      signal: stop.signal,
      onTick: (tick) => progress.tick(tick),
    });
    progress.clear();

    const report = toReport(plan, result, startRssMB, pid);
    process.stdout.write(plan.json ? `${JSON.stringify(report)}\n` : summary(report, result));
    if (runtimeExit !== undefined) {
      process.stderr.write(`fnpool bench: the runtime exited (${runtimeExit}) during the benchmark${plan.logs ? '' : '; --logs shows its output'}\n`);
      return EXIT_RUNTIME_FAILED;
    }
    return interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  } finally {
    progress.clear();
    await platform.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
  invocations: number;
  ok: number;
  errors: number;
  /** HTTP mode: answered 429 (the runtime was full: nothing ran); not in invocations. */
  refused: number;
  seconds: number;
  perSecond: number | null;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null; mean: number | null };
  errorsByType: Record<string, { count: number; message: string }>;
  runtime: {
    pid: number | null;
    cpu: { ms: number; cores: number | null; usPerInvocation: number | null; mainThreadCores: number | null; threads: { tid: number; main: boolean; ms: number }[] } | null;
    rssMB: { start: number | null; peak: number | null };
  };
  loadGeneratorCores: number | null;
  otherProcessesCores: number | null;
  machine: { cpus: number; model: string | null; node: string; fnpool: string };
}

const num = (v: number | undefined, digits: number): number | null => (v !== undefined && Number.isFinite(v) ? +v.toFixed(digits) : null);

function toReport(plan: Plan, r: LoadResult, startRssMB: number, pid: number | undefined): Report {
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
    invocations: r.completed,
    ok: r.completed - r.errors,
    errors: r.errors,
    refused: r.refused,
    seconds: +(r.durationMs / 1000).toFixed(3),
    perSecond: num(r.throughput, 1),
    latencyMs: { p50: num(r.latencyMs.p50, 3), p90: num(r.latencyMs.p90, 3), p99: num(r.latencyMs.p99, 3), max: num(r.latencyMs.max, 3), mean: num(r.latencyMs.mean, 3) },
    errorsByType: Object.fromEntries(Object.entries(r.errorsByType).sort(([ta, a], [tb, b]) => b.count - a.count || (ta < tb ? -1 : 1))),
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
  row('latency', `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (hand-out to answer)`);
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
  if ((report.otherProcessesCores ?? 0) > 0.25) {
    row('note', `other processes used ${f2(report.otherProcessesCores)} cores meanwhile: the figures are noisy`);
  }
  return `${lines.join('\n')}\n`;
}

const f0 = (v: number | null): string => (v !== null && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const f1 = (v: number | null): string => (v !== null && Number.isFinite(v) ? v.toFixed(1) : '—');
const f2 = (v: number | null): string => (v !== null && Number.isFinite(v) ? v.toFixed(2) : '—');
/** A latency with three significant digits or so. */
const ms = (v: number): string => (!Number.isFinite(v) ? '—' : `${v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`);

