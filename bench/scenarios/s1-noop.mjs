// Scenario 1: no-op throughput and latency at concurrency 1, 4, 16, 64 (outstanding invocations).
// fnpool at its default settings (2 threads × 8 = 16 in flight), fnpool with FNPOOL_CONCURRENCY set
// to the offered load, fnpool at the default log level (info: one record per invocation), the
// sequential baseline, and at 16 and 64 fnpool's inline loop with 8 pollers (the same wire code,
// the handler on the main thread: what the transport allows on this machine, which fnpool's
// default settings with info logs are compared with). Targets run one after another within each
// round.
import { aggregate, measure, startAll, stopAll } from './common.mjs';
import { f0, f1, f2, f3 } from '../lib/report.mjs';

export const id = 's1-noop';
export const title = 'No-op throughput and latency';

export async function run(ctx) {
  const levels = [1, 4, 16, 64];
  const specs = {
    default: { kind: 'fnpool', name: 'fnpool (defaults: 2 threads, 16 in flight)' },
    info: { kind: 'fnpool', name: 'fnpool (defaults, info logs)', env: { FNPOOL_LOG_LEVEL: 'info' } },
    sequential: { kind: 'sequential', name: 'sequential baseline' },
    inline8: { kind: 'inline', name: 'inline loop, 8 pollers', env: { INLINE_POLLERS: '8' } },
  };
  for (const c of levels) if (c !== 16) specs[`c${c}`] = { kind: 'fnpool', name: `fnpool (FNPOOL_CONCURRENCY=${c})`, env: { FNPOOL_CONCURRENCY: String(c) } };
  const plan = [];
  for (let r = 0; r < ctx.mode.rounds; r++) {
    for (const c of levels) {
      const keys = ['default', ...(c !== 16 ? [`c${c}`] : []), 'sequential', ...(c === 16 || c === 64 ? ['info', 'inline8'] : [])];
      // Alternate the order between rounds, so that no target always runs first.
      for (const key of r % 2 === 0 ? keys : keys.slice().reverse()) plan.push({ key, c });
    }
  }
  ctx.progress.stage(`1/7 ${title}`, plan.length + Object.keys(specs).length);
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < Object.keys(specs).length; i++) ctx.progress.advance();
  const runs = {};
  for (const { key, c } of plan) {
    const res = await measure(ctx, targets[key], { concurrency: c });
    (runs[`${key}@${c}`] ??= []).push(res);
  }
  const idleAfterMB = targets.default.rssMB();
  await stopAll(ctx, targets);

  const agg = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, aggregate(v)]));
  const at = (key, c) => agg[`${key}@${c}`];
  const tuned = (c) => (c === 16 ? at('default', 16) : at(`c${c}`, c));
  const rows = [];
  for (const c of levels) {
    for (const [label, a] of [['fnpool defaults', at('default', c)], ['fnpool tuned', tuned(c)], ['fnpool defaults, info logs', at('info', c)], ['sequential', at('sequential', c)], ['inline loop, 8 pollers', at('inline8', c)]]) {
      if (!a || (label === 'fnpool tuned' && c === 16)) continue;
      rows.push([String(c), label, f0(a.throughput), f3(a.latencyMs.p50), f3(a.latencyMs.p90), f3(a.latencyMs.p99),
        f2(a.cpu.runtimeCores), f2(a.cpu.emulatorCores), f2(a.cpu.otherCores), f0(a.cpu.runtimeUsPerInvocation), f1(a.rssMB?.mean), String(a.errors)]);
    }
  }
  const headers = ['load', 'runtime', 'inv/s', 'p50 ms', 'p90 ms', 'p99 ms', 'runtime cores', 'emulator cores', 'other cores', 'runtime µs CPU/inv', 'RSS MB', 'errors'];

  const seqBest = Math.max(...levels.map((c) => at('sequential', c).throughput));
  const defBest = Math.max(...levels.map((c) => at('default', c).throughput));
  const figures = {
    defaultVsSequential: {
      // The comparison at each load, and the best each can do.
      perLoad: Object.fromEntries(levels.map((c) => [c, at('default', c).throughput / at('sequential', c).throughput])),
      bestFnpool: defBest,
      bestSequential: seqBest,
      ratio: defBest / seqBest,
    },
    // Issue 13's yardstick: fnpool at its real defaults (info logs) against the transport's limit.
    vsInline8: Object.fromEntries([16, 64].map((c) => [`at${c}`, {
      fnpool: at('info', c).throughput, inline: at('inline8', c).throughput, ratio: at('info', c).throughput / at('inline8', c).throughput,
      fnpoolUsPerInvocation: at('info', c).cpu.runtimeUsPerInvocation, inlineUsPerInvocation: at('inline8', c).cpu.runtimeUsPerInvocation,
    }])),
    infoLogCost: {
      at16: 1 - at('info', 16).throughput / at('default', 16).throughput,
      at64: at('info', 64) ? 1 - at('info', 64).throughput / at('default', 64).throughput : undefined,
    },
    idleRssAfterLoadMB: idleAfterMB,
  };
  const chart = {
    title: 'Scenario 1 — no-op handler',
    subtitle: `closed loop, emulator on loopback; ${ctx.mode.name} run, ${ctx.mode.durationMs / 1000} s per point × ${ctx.mode.rounds} round(s)`,
    panels: [
      {
        title: 'Throughput', xLabel: 'invocations outstanding (load)', yLabel: 'invocations / s', categories: levels.map(String),
        series: [
          { name: 'fnpool defaults', values: levels.map((c) => at('default', c).throughput) },
          { name: 'fnpool, FNPOOL_CONCURRENCY = load', values: levels.map((c) => tuned(c).throughput), dashed: true },
          { name: 'fnpool defaults, info logs', values: levels.map((c) => at('info', c)?.throughput ?? NaN) },
          { name: 'sequential baseline', values: levels.map((c) => at('sequential', c).throughput), color: '#4b5563' },
          { name: 'inline loop, 8 pollers', values: levels.map((c) => at('inline8', c)?.throughput ?? NaN), color: '#9ca3af', dashed: true },
        ],
      },
      {
        kind: 'bar', title: 'Latency, fnpool defaults (handed out → answered)', xLabel: 'invocations outstanding (load)', yLabel: 'ms', categories: levels.map(String),
        series: [
          { name: 'p50', values: levels.map((c) => at('default', c).latencyMs.p50), color: '#93c5fd' },
          { name: 'p90', values: levels.map((c) => at('default', c).latencyMs.p90), color: '#3b82f6' },
          { name: 'p99', values: levels.map((c) => at('default', c).latencyMs.p99), color: '#1e3a8a' },
        ],
      },
    ],
  };
  return { headers, rows, figures, aggregates: agg, chart };
}
