// Scenario 2: CPU-bound scaling. A handler that hashes for ~5 ms (calibrated here, sent in the
// event so every runtime does the same work): fnpool with 1 thread and with every core, against
// the sequential baseline, with 16 invocations outstanding.
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { availableParallelism } from 'node:os';
import { aggregate, measure, startAll, stopAll } from './common.mjs';
import { handlerDir } from '../lib/targets.mjs';
import { f0, f1, f2 } from '../lib/report.mjs';
import { median } from '../../dist/loadgen/stats.js';

export const id = 's2-cpu';
export const title = 'CPU-bound scaling (~5 ms of hashing)';

/** Hash rounds for ~targetMs of CPU on this machine, and the measured time of one call. */
export async function calibrate(targetMs = 5) {
  const { handler } = await import(pathToFileURL(path.join(handlerDir('cpu'), 'index.mjs')).href);
  const time = async (rounds) => {
    const samples = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await handler({ rounds });
      samples.push(performance.now() - t);
    }
    return median(samples);
  };
  await time(200);
  let rounds = 200;
  const perRound = (await time(rounds)) / rounds;
  rounds = Math.max(1, Math.round(targetMs / perRound));
  return { rounds, ms: await time(rounds) };
}

export async function run(ctx) {
  const cores = availableParallelism();
  const cal = await calibrate(5);
  const event = { rounds: cal.rounds };
  const load = 16;
  const specs = {
    t1: { kind: 'fnpool', name: 'fnpool, 1 thread', handler: 'cpu', env: { FNPOOL_THREADS: '1' }, warmupEvent: event },
    tN: { kind: 'fnpool', name: `fnpool, ${cores} threads (defaults)`, handler: 'cpu', warmupEvent: event },
    tNc: { kind: 'fnpool', name: `fnpool, ${cores} threads, 1 task per thread`, handler: 'cpu', env: { FNPOOL_TASKS_PER_THREAD: '1' }, warmupEvent: event },
    sequential: { kind: 'sequential', name: 'sequential baseline', handler: 'cpu', warmupEvent: event },
  };
  const keys = Object.keys(specs);
  ctx.progress.stage(`2/7 ${title}`, keys.length * (ctx.mode.rounds + 1));
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < keys.length; i++) ctx.progress.advance();
  const runs = {};
  for (let r = 0; r < ctx.mode.rounds; r++) {
    for (const key of r % 2 === 0 ? keys : keys.slice().reverse()) {
      (runs[key] ??= []).push(await measure(ctx, targets[key], { concurrency: load, event }));
    }
  }
  await stopAll(ctx, targets);
  const agg = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, aggregate(v)]));
  const seq = agg.sequential.throughput;
  const headers = ['runtime', 'inv/s', '× sequential', 'p50 ms', 'p99 ms', 'runtime cores', 'emulator cores', 'other cores', 'runtime µs CPU/inv', 'RSS MB', 'errors'];
  const rows = keys.map((k) => {
    const a = agg[k];
    return [a.target, f0(a.throughput), f2(a.throughput / seq) + '×', f1(a.latencyMs.p50), f1(a.latencyMs.p99),
      f2(a.cpu.runtimeCores), f2(a.cpu.emulatorCores), f2(a.cpu.otherCores), f0(a.cpu.runtimeUsPerInvocation), f1(a.rssMB?.mean), String(a.errors)];
  });
  const figures = {
    calibration: { rounds: cal.rounds, handlerMs: cal.ms },
    load,
    idealAllCores: (1000 / cal.ms) * cores,
    allThreadsVsSequential: agg.tN.throughput / seq,
    oneThreadVsSequential: agg.t1.throughput / seq,
    scaling: agg.tN.throughput / agg.t1.throughput,
  };
  const chart = {
    title: 'Scenario 2 — CPU-bound handler (~5 ms of SHA-256)',
    subtitle: `${load} invocations outstanding; one call takes ${cal.ms.toFixed(2)} ms here; ideal with ${cores} cores ≈ ${f0(figures.idealAllCores)}/s`,
    panels: [
      {
        kind: 'bar', title: 'Throughput', yLabel: 'invocations / s', categories: ['sequential', '1 thread', `${cores} threads`, `${cores} threads, 1/thread`],
        series: [{ name: 'invocations / s', values: [seq, agg.t1.throughput, agg.tN.throughput, agg.tNc.throughput], color: '#2563eb' }],
      },
      {
        kind: 'bar', title: 'Latency (handed out → answered)', yLabel: 'ms', categories: ['sequential', '1 thread', `${cores} threads`, `${cores} threads, 1/thread`],
        series: [
          { name: 'p50', values: ['sequential', 't1', 'tN', 'tNc'].map((k) => agg[k].latencyMs.p50), color: '#93c5fd' },
          { name: 'p99', values: ['sequential', 't1', 'tN', 'tNc'].map((k) => agg[k].latencyMs.p99), color: '#1e3a8a' },
        ],
      },
    ],
  };
  return { headers, rows, figures, aggregates: agg, chart };
}
