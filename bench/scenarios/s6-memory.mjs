// Scenario 6: memory. RSS of the runtime process (VmRSS of /proc/<pid>/status: main thread and
// workers together): idle after start and one invocation, at 1 and 2 threads and for the
// sequential baseline; under load, from scenarios 1 and 2 (sampled every 50 ms while measuring).
import { setTimeout as sleep } from 'node:timers/promises';
import { startAll, stopAll } from './common.mjs';
import { f1 } from '../lib/report.mjs';
import { median } from '../../dist/loadgen/stats.js';

export const id = 's6-memory';
export const title = 'Memory (RSS)';

export async function run(ctx, earlier) {
  const specs = {
    fn2: { kind: 'fnpool', name: 'fnpool, 2 threads (defaults)' },
    fn1: { kind: 'fnpool', name: 'fnpool, 1 thread', env: { FNPOOL_THREADS: '1' } },
    fn2b: { kind: 'fnpool', name: 'fnpool, 2 threads, RUNTIME_MEMORY=256', env: { RUNTIME_MEMORY: '256' } },
    sequential: { kind: 'sequential', name: 'sequential baseline' },
  };
  ctx.progress.stage(`6/7 ${title}`, 5);
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < 4; i++) ctx.progress.advance();
  ctx.progress.step('idle RSS');
  await sleep(ctx.mode.idleMs);
  const idle = {};
  for (let i = 0; i < 10; i++) {
    for (const [k, t] of Object.entries(targets)) (idle[k] ??= []).push(t.rssMB());
    await sleep(50);
  }
  ctx.progress.advance();
  await stopAll(ctx, targets);
  const idleMB = Object.fromEntries(Object.entries(idle).map(([k, v]) => [k, median(v)]));

  const s1 = earlier['s1-noop']?.aggregates;
  const s2 = earlier['s2-cpu']?.aggregates;
  const load = [];
  if (s1) {
    for (const c of [16, 64]) {
      const a = s1[`default@${c}`];
      if (a?.rssMB) load.push([`no-op, load ${c}, fnpool defaults`, a.rssMB.mean, a.rssMB.max, `no-op ${c}`]);
    }
    const c64 = s1['c64@64'];
    if (c64?.rssMB) load.push(['no-op, load 64, FNPOOL_CONCURRENCY=64', c64.rssMB.mean, c64.rssMB.max, 'no-op 64, c=64']);
    const seq = s1['sequential@64'];
    if (seq?.rssMB) load.push(['no-op, sequential baseline', seq.rssMB.mean, seq.rssMB.max, 'no-op seq.']);
  }
  if (s2) {
    const short = { t1: 'CPU 1 thr.', tN: 'CPU 2 thr.', sequential: 'CPU seq.' };
    for (const k of ['t1', 'tN', 'sequential']) if (s2[k]?.rssMB) load.push([`CPU-bound, ${s2[k].target}`, s2[k].rssMB.mean, s2[k].rssMB.max, short[k]]);
  }
  const figures = {
    idleMB,
    idleAfterLoadMB: earlier['s1-noop']?.figures?.idleRssAfterLoadMB,
    underLoad: load.map(([what, mean, max]) => ({ what, meanMB: mean, maxMB: max })),
  };
  const headers = ['runtime / state', 'RSS MB (mean)', 'RSS MB (max)'];
  const rows = [
    ...Object.entries(specs).map(([k, s]) => [`idle: ${s.name}`, f1(idleMB[k]), '']),
    ...(figures.idleAfterLoadMB ? [['idle after scenario 1: fnpool defaults', f1(figures.idleAfterLoadMB), '']] : []),
    ...load.map(([what, mean, max]) => [`load: ${what}`, f1(mean), f1(max)]),
  ];
  const chart = {
    title: 'Scenario 6 — resident memory of the runtime process',
    subtitle: 'VmRSS of the process (main thread + workers); idle = after start and one invocation',
    panels: [
      {
        kind: 'bar', title: 'Idle', yLabel: 'MB', categories: ['sequential', 'fnpool 1 thread', 'fnpool 2 threads', '2 threads, 256 MB budget'],
        series: [{ name: 'RSS MB', values: [idleMB.sequential, idleMB.fn1, idleMB.fn2, idleMB.fn2b], color: '#2563eb' }],
      },
      {
        kind: 'bar', title: 'Under load (mean)', yLabel: 'MB', categories: load.map(([, , , label]) => label),
        series: [{ name: 'RSS MB', values: load.map(([, mean]) => mean), color: '#2563eb' }],
        labels: true,
      },
    ],
  };
  return { headers, rows, figures, aggregates: { idle, load }, chart };
}
