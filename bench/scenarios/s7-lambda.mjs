// Scenario 7: on the Lambda emulator, fnpool against AWS's own Node runtime client. Both in Lambda
// Managed Instances' multi-concurrent mode (AWS_LAMBDA_MAX_CONCURRENCY=16) on 2 threads: fnpool with
// FNPOOL_THREADS=2, aws-lambda-ric 4 (Node 22) with AWS_LAMBDA_NODEJS_WORKER_COUNT=2 worker threads.
// No-op throughput at 16 outstanding, and the CPU-bound handler (~5 ms of hashing, as scenario 2)
// against the sequential baseline speaking Lambda's API. When aws-lambda-ric cannot be prepared here
// (no registry, no compiler), its rows are left out and the reason is shown; the rest still runs.
import { aggregate, measure, stopAll } from './common.mjs';
import { calibrate } from './s2-cpu.mjs';
import { Target } from '../lib/targets.mjs';
import { f0, f1, f2, f3 } from '../lib/report.mjs';
import { prepareAwsRic } from '../../test/helpers/aws-ric.mjs';

export const id = 's7-lambda';
export const title = 'Lambda: fnpool vs aws-lambda-ric';

const LOAD = 16;
const CONCURRENCY = '16';
const THREADS = '2';

export async function run(ctx) {
  ctx.progress.stage(`7/7 ${title}`, 1);
  ctx.progress.step('preparing aws-lambda-ric (the first time: download and native build, ~1 min)');
  const ric = await awsRicCommand((line) => ctx.progress.step(line));
  ctx.progress.advance();
  if (ric.skip) ctx.progress.log(`  ! aws-lambda-ric left out: ${ric.skip}`);
  const cal = await calibrate(5);
  const cpuEvent = { rounds: cal.rounds };

  // [key, how to start it, event] — the same event for every runtime of a handler.
  // Lambda always gives a memory size (AWS's client never answers without one): 2048 MB for all.
  const common = { platform: 'lambda', memory: 2048 };
  const fnpool = (handler, warmupEvent) => ({ kind: 'fnpool', ...common, handler, warmupEvent,
    concurrency: Number(CONCURRENCY), env: { FNPOOL_THREADS: THREADS } });
  const ricSpec = (handler, warmupEvent) => ({ kind: 'aws-ric', ...common, command: ric.command, handler, warmupEvent,
    concurrency: Number(CONCURRENCY), env: { AWS_LAMBDA_NODEJS_WORKER_COUNT: THREADS } });
  const seqSpec = (handler, warmupEvent) => ({ kind: 'sequential', ...common, handler, warmupEvent });
  const specs = {
    fnNoop: { name: `fnpool (${THREADS} threads, ${CONCURRENCY} in flight), no-op`, ...fnpool('noop', {}) },
    ...(ric.skip ? {} : { ricNoop: { name: `aws-lambda-ric (${THREADS} workers), no-op`, ...ricSpec('noop', {}) } }),
    seqNoop: { name: 'sequential Lambda baseline, no-op', ...seqSpec('noop', {}) },
    fnCpu: { name: `fnpool (${THREADS} threads, ${CONCURRENCY} in flight), CPU`, ...fnpool('cpu', cpuEvent) },
    ...(ric.skip ? {} : { ricCpu: { name: `aws-lambda-ric (${THREADS} workers), CPU`, ...ricSpec('cpu', cpuEvent) } }),
    seqCpu: { name: 'sequential Lambda baseline, CPU', ...seqSpec('cpu', cpuEvent) },
  };
  const eventOf = (key) => (key.endsWith('Cpu') ? cpuEvent : {});
  const keys = Object.keys(specs);
  ctx.progress.stage(`7/7 ${title}`, keys.length * (ctx.mode.rounds + 1));

  // One after another: their start-ups (aws-lambda-ric's Node 22 and its workers) would disturb each
  // other.
  const targets = {};
  for (const key of keys) {
    const spec = specs[key];
    ctx.progress.step(`starting ${spec.name}`);
    targets[key] = await Target.start({ nodeArgs: ctx.nodeArgsFor?.(spec), ...spec });
    ctx.targets.add(targets[key]);
    ctx.progress.advance();
  }

  const runs = {};
  try {
    for (let r = 0; r < ctx.mode.rounds; r++) {
      // Alternate the order between rounds, so that no target always runs first.
      for (const key of r % 2 === 0 ? keys : keys.slice().reverse()) {
        (runs[key] ??= []).push(await measure(ctx, targets[key], { concurrency: LOAD, event: eventOf(key) }));
      }
    }
  } finally {
    await stopAll(ctx, targets);
  }

  const agg = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, aggregate(v)]));
  const tp = (key) => agg[key]?.throughput ?? NaN;
  const headers = ['handler', 'runtime', 'inv/s', '× sequential', 'p50 ms', 'p99 ms', 'runtime cores', 'emulator cores', 'other cores', 'runtime µs CPU/inv', 'RSS MB', 'errors'];
  const rows = keys.map((k) => {
    const a = agg[k];
    const seq = k.endsWith('Cpu') ? tp('seqCpu') : tp('seqNoop');
    return [k.endsWith('Cpu') ? 'cpu' : 'no-op', a.target, f0(a.throughput), `${f2(a.throughput / seq)}×`, f3(a.latencyMs.p50), f3(a.latencyMs.p99),
      f2(a.cpu.runtimeCores), f2(a.cpu.emulatorCores), f2(a.cpu.otherCores), f0(a.cpu.runtimeUsPerInvocation), f1(a.rssMB?.mean), String(a.errors)];
  });
  if (ric.skip) rows.push(['', `aws-lambda-ric: left out (${ric.skip})`, '', '', '', '', '', '', '', '', '', '']);

  const figures = {
    load: LOAD,
    settings: { AWS_LAMBDA_MAX_CONCURRENCY: CONCURRENCY, FNPOOL_THREADS: THREADS, AWS_LAMBDA_NODEJS_WORKER_COUNT: THREADS },
    calibration: { rounds: cal.rounds, handlerMs: cal.ms },
    ric: ric.skip ? { skipped: ric.skip } : { builtMs: ric.builtMs },
    // Targets: fnpool ≥ 1.5× aws-lambda-ric on the no-op; CPU-bound ≥ 1.8× sequential.
    noopVsRic: ric.skip ? undefined : tp('fnNoop') / tp('ricNoop'),
    noopFnpool: tp('fnNoop'),
    noopRic: ric.skip ? undefined : tp('ricNoop'),
    noopVsSequential: tp('fnNoop') / tp('seqNoop'),
    cpuVsSequential: tp('fnCpu') / tp('seqCpu'),
    cpuRicVsSequential: ric.skip ? undefined : tp('ricCpu') / tp('seqCpu'),
    cpuVsRic: ric.skip ? undefined : tp('fnCpu') / tp('ricCpu'),
  };

  const categories = ['fnpool', ...(ric.skip ? [] : ['aws-lambda-ric']), 'sequential'];
  const per = (suffix) => ['fn', ...(ric.skip ? [] : ['ric']), 'seq'].map((p) => tp(`${p}${suffix}`));
  const chart = {
    title: 'Scenario 7 — Lambda: fnpool vs aws-lambda-ric',
    subtitle: `${LOAD} invocations outstanding, AWS_LAMBDA_MAX_CONCURRENCY=${CONCURRENCY}, 2 threads each; ${ctx.mode.name} run, ${ctx.mode.durationMs / 1000} s per point × ${ctx.mode.rounds} round(s)`,
    panels: [
      { kind: 'bar', title: 'No-op throughput', yLabel: 'invocations / s', categories, series: [{ name: 'invocations / s', values: per('Noop'), color: '#2563eb' }] },
      { kind: 'bar', title: `CPU-bound throughput (${cal.ms.toFixed(2)} ms per call)`, yLabel: 'invocations / s', categories, series: [{ name: 'invocations / s', values: per('Cpu'), color: '#1e3a8a' }] },
    ],
  };
  return { headers, rows, figures, aggregates: agg, chart };
}

/**
 * aws-lambda-ric's bootstrap, prepared (the first time: downloaded and compiled, about a minute) in
 * the cache the tests use, outside the repository. { skip } says why it cannot be had here.
 */
async function awsRicCommand(log) {
  const ric = await prepareAwsRic({ log });
  return ric.skip ? { skip: ric.skip } : { command: [ric.bootstrap, []], builtMs: ric.built ? ric.ms : undefined };
}
