// Scenario 8: HTTP mode, where the platform calls the runtime (FC's custom runtime, Knative, Cloud
// Run). fnpool's real bootstrap with FNPOOL_PLATFORM=http, 2 threads and FNPOOL_CONCURRENCY = the
// load, against the inline node:http server of FC's tutorials (bench/runtimes/inline-http.mjs: one
// thread, the handler run inline), each a child process on loopback, driven by the closed loop over
// keep-alive connections with one request in flight each. No-op at 64, CPU-bound (~5 ms, calibrated
// as in scenario 2) at 16, I/O-bound (20 ms) at 64; then overload: the io handler at 32 and 256
// connections against fnpool with FNPOOL_CONCURRENCY=16 and FNPOOL_QUEUE=16 (and against the inline
// server, which admits everything). A 429 is an answer: its connection sends again at once, the
// harshest caller; latency and inv/s count the invocations that ran, the 429s are counted apart.
// The overload points warm up for at least 1 s: opening ~200 new connections at once holds fnpool's
// main thread for a few hundred ms, a start-up effect that a quick run's 0.2 s would measure.
import { aggregate, measure, startAll, stopAll } from './common.mjs';
import { calibrate } from './s2-cpu.mjs';
import { f0, f1, f2 } from '../lib/report.mjs';

export const id = 's8-http';
export const title = 'HTTP mode: fnpool vs an inline node:http server';

const THREADS = '2';
/** Overload: fnpool's admission, and the loads it is measured at (the first is the reference for p99). */
const ADMISSION = { concurrency: 16, queue: 16 };
const OVERLOAD_LOADS = [32, 256];
const OVERLOAD_WARMUP_MS = 1000;
const IO_MS = 20;

export async function run(ctx) {
  const cal = await calibrate(5);
  const cpuEvent = { rounds: cal.rounds };
  const fnpool = (handler, concurrency, queue) => ({
    kind: 'fnpool', platform: 'http', handler, warmupEvent: handler === 'cpu' ? cpuEvent : {},
    env: { FNPOOL_THREADS: THREADS, FNPOOL_CONCURRENCY: String(concurrency), ...(queue !== undefined ? { FNPOOL_QUEUE: String(queue) } : {}) },
  });
  const inline = (handler) => ({ kind: 'inline-http', platform: 'http', handler, warmupEvent: handler === 'cpu' ? cpuEvent : {} });
  const specs = {
    fnNoop: { name: `fnpool HTTP (${THREADS} threads, FNPOOL_CONCURRENCY=64)`, ...fnpool('noop', 64) },
    inNoop: { name: 'inline node:http', ...inline('noop') },
    fnCpu: { name: `fnpool HTTP (${THREADS} threads, FNPOOL_CONCURRENCY=16)`, ...fnpool('cpu', 16) },
    inCpu: { name: 'inline node:http', ...inline('cpu') },
    fnIo: { name: `fnpool HTTP (${THREADS} threads, FNPOOL_CONCURRENCY=64)`, ...fnpool('io', 64) },
    inIo: { name: 'inline node:http', ...inline('io') },
    fnAdmit: { name: `fnpool HTTP (${THREADS} threads, FNPOOL_CONCURRENCY=${ADMISSION.concurrency}, FNPOOL_QUEUE=${ADMISSION.queue})`,
      ...fnpool('io', ADMISSION.concurrency, ADMISSION.queue) },
  };
  // What is measured: a handler at a load, fnpool's target against the inline server's.
  const points = [
    { handler: 'no-op', load: 64, fn: 'fnNoop', inline: 'inNoop', event: {} },
    { handler: 'cpu', load: 16, fn: 'fnCpu', inline: 'inCpu', event: cpuEvent },
    { handler: 'io', load: 64, fn: 'fnIo', inline: 'inIo', event: {} },
    ...OVERLOAD_LOADS.map((load) => ({ handler: 'io', load, fn: 'fnAdmit', inline: 'inIo', event: {}, overload: true,
      warmupMs: Math.max(ctx.mode.warmupMs, OVERLOAD_WARMUP_MS) })),
  ];
  const plan = [];
  for (let r = 0; r < ctx.mode.rounds; r++) {
    // Alternate the order between rounds, so that neither runtime always runs first.
    for (const p of points) for (const key of r % 2 === 0 ? [p.fn, p.inline] : [p.inline, p.fn]) plan.push({ key, p });
  }
  ctx.progress.stage(`8/8 ${title}`, plan.length + Object.keys(specs).length);
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < Object.keys(specs).length; i++) ctx.progress.advance();
  const runs = {};
  try {
    for (const { key, p } of plan) {
      const opts = { concurrency: p.load, event: p.event, warmupMs: p.warmupMs ?? ctx.mode.warmupMs };
      (runs[`${key}@${p.load}`] ??= []).push(await measure(ctx, targets[key], opts));
    }
  } finally {
    await stopAll(ctx, targets);
  }

  const agg = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, aggregate(v)]));
  const at = (key, load) => agg[`${key}@${load}`];
  const idealIo = (load) => load / (IO_MS / 1000);
  const refusedShare = (a) => a.refused / (a.refused + a.completed);
  const headers = ['handler', 'load', 'runtime', 'inv/s', 'compared', 'p50 ms', 'p99 ms', 'runtime cores', 'load-gen cores', 'other cores',
    'runtime µs CPU/inv', 'errors', '429s'];
  // fnpool ÷ inline; for the io handler, % of the ideal (load ÷ 20 ms, or fnpool's concurrency ÷ 20 ms under admission).
  const compared = (p, key, a) => {
    if (p.handler !== 'io') return key === p.fn ? `${f2(a.throughput / at(p.inline, p.load).throughput)}× inline` : '';
    const ideal = idealIo(p.overload && key === p.fn ? ADMISSION.concurrency : p.load);
    return `${f1((100 * a.throughput) / ideal)}% of ${f0(ideal)}/s`;
  };
  const rows = [];
  for (const p of points) {
    for (const key of [p.fn, p.inline]) {
      const a = at(key, p.load);
      rows.push([p.handler, String(p.load), a.target, f0(a.throughput), compared(p, key, a), f1(a.latencyMs.p50), f1(a.latencyMs.p99),
        f2(a.cpu.runtimeCores), f2(a.cpu.emulatorCores), f2(a.cpu.otherCores), f0(a.cpu.runtimeUsPerInvocation), String(a.errors),
        a.refused ? `${f0(a.refused)} (${f1(100 * refusedShare(a))}%)` : '0']);
    }
  }

  const [low, high] = OVERLOAD_LOADS;
  const figures = {
    threads: Number(THREADS),
    calibration: { rounds: cal.rounds, handlerMs: cal.ms },
    // Targets: no-op ≥ 0.8× inline, CPU-bound ≥ 1.8× inline, I/O-bound ≥ 85% of ideal, overload p99 ≤ 3× the p99 at 32.
    noop: { fnpool: at('fnNoop', 64).throughput, inline: at('inNoop', 64).throughput, ratio: at('fnNoop', 64).throughput / at('inNoop', 64).throughput },
    cpu: { fnpool: at('fnCpu', 16).throughput, inline: at('inCpu', 16).throughput, ratio: at('fnCpu', 16).throughput / at('inCpu', 16).throughput },
    io: { throughput: at('fnIo', 64).throughput, ideal: idealIo(64), fractionOfIdeal: at('fnIo', 64).throughput / idealIo(64),
      inline: at('inIo', 64).throughput },
    overload: {
      admission: ADMISSION,
      loads: OVERLOAD_LOADS,
      p99AtLow: at('fnAdmit', low).latencyMs.p99,
      p99AtHigh: at('fnAdmit', high).latencyMs.p99,
      p99Ratio: at('fnAdmit', high).latencyMs.p99 / at('fnAdmit', low).latencyMs.p99,
      refusedShareAtHigh: refusedShare(at('fnAdmit', high)),
      throughputAtHigh: at('fnAdmit', high).throughput,
      inlineP99AtLow: at('inIo', low).latencyMs.p99,
      inlineP99AtHigh: at('inIo', high).latencyMs.p99,
    },
  };

  const categories = ['fnpool', 'inline node:http'];
  const pair = (p) => [at(p.fn, p.load).throughput, at(p.inline, p.load).throughput];
  const bars = (p, title) => ({ kind: 'bar', title, yLabel: 'invocations / s', categories, series: [{ name: 'invocations / s', values: pair(p), color: '#2563eb' }] });
  const chart = {
    title: 'Scenario 8 — HTTP mode: fnpool vs an inline node:http server',
    subtitle: `closed loop, one request in flight per connection; fnpool: ${THREADS} threads, FNPOOL_CONCURRENCY = the load; ${ctx.mode.name} run, ${ctx.mode.durationMs / 1000} s per point × ${ctx.mode.rounds} round(s)`,
    panels: [
      bars(points[0], 'No-op, 64 connections'),
      bars(points[1], `CPU-bound (${cal.ms.toFixed(2)} ms), 16 connections`),
      { ...bars(points[2], `I/O-bound (${IO_MS} ms), 64 connections`),
        series: [{ name: 'invocations / s', values: pair(points[2]), color: '#2563eb' }, { name: `ideal (64 ÷ ${IO_MS} ms)`, values: [idealIo(64), idealIo(64)], color: '#9ca3af' }] },
      {
        kind: 'bar', title: `Overload, io: p99 of the invocations that ran`, xLabel: 'connections', yLabel: 'ms', categories: OVERLOAD_LOADS.map(String),
        series: [
          { name: `fnpool, ${ADMISSION.concurrency} running + ${ADMISSION.queue} queued`, values: OVERLOAD_LOADS.map((l) => at('fnAdmit', l).latencyMs.p99), color: '#2563eb' },
          { name: 'inline node:http (no admission)', values: OVERLOAD_LOADS.map((l) => at('inIo', l).latencyMs.p99), color: '#4b5563' },
        ],
      },
    ],
  };
  return { headers, rows, figures, aggregates: agg, chart };
}
