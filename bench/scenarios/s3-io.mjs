// Scenario 3: I/O-bound concurrency. A handler that awaits 20 ms, at 1, 16, 64 and 256 invocations
// outstanding: fnpool with FNPOOL_CONCURRENCY set to the load, fnpool at its defaults (16 in
// flight), and the sequential baseline. The ideal is load / 20 ms.
import { aggregate, measure, startAll, stopAll } from './common.mjs';
import { f0, f1, f2 } from '../lib/report.mjs';

export const id = 's3-io';
export const title = 'I/O-bound concurrency (handler awaits 20 ms)';

export async function run(ctx) {
  const levels = [1, 16, 64, 256];
  const specs = {
    default: { kind: 'fnpool', name: 'fnpool (defaults: 16 in flight)', handler: 'io' },
    sequential: { kind: 'sequential', name: 'sequential baseline', handler: 'io' },
  };
  for (const c of levels) if (c !== 16) specs[`c${c}`] = { kind: 'fnpool', name: `fnpool (FNPOOL_CONCURRENCY=${c})`, handler: 'io', env: { FNPOOL_CONCURRENCY: String(c) } };
  const plan = [];
  for (let r = 0; r < ctx.mode.rounds; r++) {
    for (const c of levels) {
      // The defaults cap at 16 in flight: in a quick run they are measured at load 64 only.
      const keys = [...(c !== 16 ? [`c${c}`] : []), ...(ctx.mode.name === 'full' || c === 64 || c === 16 ? ['default'] : []), 'sequential'];
      for (const key of r % 2 === 0 ? keys : keys.slice().reverse()) plan.push({ key, c });
    }
  }
  ctx.progress.stage(`3/7 ${title}`, plan.length + Object.keys(specs).length);
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < Object.keys(specs).length; i++) ctx.progress.advance();
  const runs = {};
  for (const { key, c } of plan) (runs[`${key}@${c}`] ??= []).push(await measure(ctx, targets[key], { concurrency: c }));
  await stopAll(ctx, targets);

  const agg = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, aggregate(v)]));
  const at = (key, c) => agg[`${key}@${c}`];
  const tuned = (c) => (c === 16 ? at('default', 16) : at(`c${c}`, c));
  const ideal = (c) => c / 0.020;
  const headers = ['load', 'runtime', 'inv/s', 'ideal', '% of ideal', 'p50 ms', 'p99 ms', 'runtime cores', 'emulator cores', 'other cores', 'runtime µs CPU/inv', 'errors'];
  const rows = [];
  for (const c of levels) {
    for (const [label, a] of [['fnpool, FNPOOL_CONCURRENCY = load', tuned(c)], ['fnpool defaults', c === 16 ? undefined : at('default', c)], ['sequential', at('sequential', c)]]) {
      if (!a) continue;
      rows.push([String(c), label, f0(a.throughput), f0(ideal(c)), f1((100 * a.throughput) / ideal(c)) + '%', f1(a.latencyMs.p50), f1(a.latencyMs.p99), f2(a.cpu.runtimeCores), f2(a.cpu.emulatorCores), f2(a.cpu.otherCores), f0(a.cpu.runtimeUsPerInvocation), String(a.errors)]);
    }
  }
  const figures = {
    at64: { throughput: tuned(64).throughput, ideal: ideal(64), fractionOfIdeal: tuned(64).throughput / ideal(64) },
    at256: { throughput: tuned(256).throughput, ideal: ideal(256), fractionOfIdeal: tuned(256).throughput / ideal(256) },
  };
  const chart = {
    title: 'Scenario 3 — I/O-bound handler (awaits 20 ms)',
    subtitle: 'closed loop; ideal = load ÷ 20 ms',
    panels: [
      {
        title: 'Throughput', xLabel: 'invocations outstanding (load)', yLabel: 'invocations / s', categories: levels.map(String),
        series: [
          { name: 'ideal (load ÷ 20 ms)', values: levels.map(ideal), color: '#9ca3af', dashed: true },
          { name: 'fnpool, FNPOOL_CONCURRENCY = load', values: levels.map((c) => tuned(c).throughput), color: '#2563eb' },
          { name: 'fnpool defaults (16)', values: levels.map((c) => at('default', c)?.throughput ?? NaN), color: '#16a34a' },
          { name: 'sequential baseline', values: levels.map((c) => at('sequential', c).throughput), color: '#4b5563' },
        ],
      },
      {
        kind: 'bar', title: 'Latency, FNPOOL_CONCURRENCY = load', xLabel: 'invocations outstanding (load)', yLabel: 'ms', categories: levels.map(String),
        series: [
          { name: 'p50', values: levels.map((c) => tuned(c).latencyMs.p50), color: '#93c5fd' },
          { name: 'p90', values: levels.map((c) => tuned(c).latencyMs.p90), color: '#3b82f6' },
          { name: 'p99', values: levels.map((c) => tuned(c).latencyMs.p99), color: '#1e3a8a' },
        ],
      },
    ],
  };
  return { headers, rows, figures, aggregates: agg, chart };
}
