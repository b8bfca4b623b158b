// Scenario 4: the cost of the worker hop. At concurrency 1 with a no-op handler: fnpool (one
// invocation in flight) against fnpool's inline loop (the same client and conversions, handler on
// the main thread), beside a raw worker_threads postMessage round trip and a Piscina run() round
// trip of a no-op task, each measured in its own process. Rounds alternate fnpool / inline / round
// trips; medians are over every sample of the run.
import path from 'node:path';
import { measure, startAll, stopAll } from './common.mjs';
import { BENCH, runToEnd } from '../lib/targets.mjs';
import { f0, f1, f3 } from '../lib/report.mjs';
import { summarize } from '../../dist/loadgen/stats.js';

export const id = 's4-overhead';
export const title = 'Worker-hop overhead at concurrency 1';

export async function run(ctx) {
  const rounds = ctx.mode.overheadRounds;
  const specs = {
    fnpool: { kind: 'fnpool', name: 'fnpool (FNPOOL_CONCURRENCY=1)', env: { FNPOOL_CONCURRENCY: '1' } },
    inline: { kind: 'inline', name: 'fnpool inline loop (no worker)' },
    sequential: { kind: 'sequential', name: 'sequential baseline' },
  };
  ctx.progress.stage(`4/7 ${title}`, rounds * 4 + 3);
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < 3; i++) ctx.progress.advance();
  const samples = { fnpool: [], inline: [], sequential: [], rtt: [], rttGap: [], piscina: [] };
  const throughput = { fnpool: [], inline: [], sequential: [] };
  const cpuUs = { fnpool: [], inline: [], sequential: [] };
  const order = ['fnpool', 'inline', 'sequential'];
  for (let r = 0; r < rounds; r++) {
    for (const key of r % 2 === 0 ? order : order.slice().reverse()) {
      const res = await measure(ctx, targets[key], { concurrency: 1, keepSamples: true, durationMs: ctx.mode.overheadMs });
      samples[key].push(...res.samples);
      throughput[key].push(res.throughput);
      cpuUs[key].push(res.cpu.runtimeUsPerInvocation);
    }
    ctx.progress.step('postMessage and Piscina round trips');
    const script = path.join(BENCH, 'runtimes', 'postmessage-rtt.mjs');
    samples.rtt.push(...JSON.parse(await runToEnd(process.execPath, [script, String(ctx.mode.rttCount), '0'])).samplesUs);
    // With a 1 ms pause between round trips, the receiving thread has gone fully idle each time.
    samples.rttGap.push(...JSON.parse(await runToEnd(process.execPath, [script, String(Math.ceil(ctx.mode.rttCount / 10)), '1'])).samplesUs);
    const piscinaScript = path.join(BENCH, 'runtimes', 'piscina-rtt.mjs');
    samples.piscina.push(...JSON.parse(await runToEnd(process.execPath, [piscinaScript, String(ctx.mode.rttCount), '0'])).samplesUs);
    ctx.progress.advance();
  }
  await stopAll(ctx, targets);

  const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const hopUs = (s.fnpool.p50 - s.inline.p50) * 1000;
  const rttUs = s.rtt.p50;
  const figures = {
    fnpoolMedianUs: s.fnpool.p50 * 1000,
    inlineMedianUs: s.inline.p50 * 1000,
    sequentialMedianUs: s.sequential.p50 * 1000,
    hopOverheadUs: hopUs,
    hopOverheadP90Us: (s.fnpool.p90 - s.inline.p90) * 1000,
    postMessageRttMedianUs: rttUs,
    postMessageRttIdleMedianUs: s.rttGap.p50,
    ratioToRtt: hopUs / rttUs,
    ratioToIdleRtt: hopUs / s.rttGap.p50,
    piscinaRttMedianUs: s.piscina.p50,
    piscinaRatioToRtt: s.piscina.p50 / rttUs,
    /** What fnpool's own code adds to Piscina's round trip (executor, worker module, adapter). */
    hopOverPiscinaUs: hopUs - s.piscina.p50,
    throughput: Object.fromEntries(Object.entries(throughput).map(([k, v]) => [k, mean(v)])),
    runtimeCpuUsPerInvocation: Object.fromEntries(Object.entries(cpuUs).map(([k, v]) => [k, mean(v)])),
  };
  const headers = ['what', 'median µs', 'p90 µs', 'p99 µs', 'inv/s', 'runtime µs CPU/inv', 'samples'];
  const us = (v) => f0(v * 1000);
  const rows = [
    ['fnpool, concurrency 1', us(s.fnpool.p50), us(s.fnpool.p90), us(s.fnpool.p99), f0(figures.throughput.fnpool), f0(figures.runtimeCpuUsPerInvocation.fnpool), String(s.fnpool.n)],
    ['fnpool inline loop', us(s.inline.p50), us(s.inline.p90), us(s.inline.p99), f0(figures.throughput.inline), f0(figures.runtimeCpuUsPerInvocation.inline), String(s.inline.n)],
    ['sequential baseline', us(s.sequential.p50), us(s.sequential.p90), us(s.sequential.p99), f0(figures.throughput.sequential), f0(figures.runtimeCpuUsPerInvocation.sequential), String(s.sequential.n)],
    ['worker hop = fnpool − inline', f0(hopUs), f0(figures.hopOverheadP90Us), '', '', '', ''],
    ['raw postMessage round trip', f0(rttUs), f0(s.rtt.p90), f0(s.rtt.p99), '', '', String(s.rtt.n)],
    ['raw round trip, 1 ms apart', f0(s.rttGap.p50), f0(s.rttGap.p90), f0(s.rttGap.p99), '', '', String(s.rttGap.n)],
    ['Piscina run() round trip, no-op task', f0(s.piscina.p50), f0(s.piscina.p90), f0(s.piscina.p99), '', '', String(s.piscina.n)],
    ['hop ÷ round trip', f1(figures.ratioToRtt) + '×', '', '', '', '', ''],
    ['Piscina round trip ÷ round trip', f1(figures.piscinaRatioToRtt) + '×', '', '', '', '', ''],
  ];
  const chart = {
    title: 'Scenario 4 — worker-hop overhead at concurrency 1 (no-op handler)',
    subtitle: 'latency handed out → answered; the hop is fnpool minus its inline loop; the floor is a raw postMessage round trip',
    panels: [
      {
        kind: 'bar', title: 'Latency per invocation', yLabel: 'µs', categories: ['sequential', 'inline loop', 'fnpool'],
        series: [
          { name: 'p50', values: [s.sequential.p50, s.inline.p50, s.fnpool.p50].map((v) => v * 1000), color: '#93c5fd' },
          { name: 'p90', values: [s.sequential.p90, s.inline.p90, s.fnpool.p90].map((v) => v * 1000), color: '#3b82f6' },
        ],
      },
      {
        kind: 'bar', title: 'The hop against the floor (medians)', yLabel: 'µs', categories: ['fnpool − inline', 'Piscina RTT', 'postMessage RTT', 'RTT, idle thread', '1.5 × RTT'],
        series: [{ name: 'median µs', values: [hopUs, s.piscina.p50, rttUs, s.rttGap.p50, 1.5 * rttUs], color: '#2563eb' }],
      },
    ],
  };
  return { headers, rows, figures, aggregates: s, chart };
}
