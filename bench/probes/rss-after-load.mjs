#!/usr/bin/env node
// Does the runtime give memory back after a long load? fnpool (the real bootstrap, info logs)
// against its own emulator: idle RSS, then a closed loop of N no-op invocations at 64
// outstanding, then RSS every 5 s for 30 s of idle. Prints one JSON line.
//   node bench/probes/rss-after-load.mjs [invocations, default 1000000] [NODE_OPTIONS for the runtime]
// e.g. node bench/probes/rss-after-load.mjs 1000000 --max-semi-space-size=16   (V8's default size)
import { closedLoop } from '../../dist/loadgen/load.js';
import { Target } from '../lib/targets.mjs';

const count = Number(process.argv[2] ?? 1_000_000);
const nodeOptions = process.argv.slice(3).join(' ');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const target = await Target.start({
  kind: 'fnpool', handler: 'noop',
  env: { FNPOOL_LOG_LEVEL: 'info', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
});
try {
  await sleep(2000);
  const idleMB = target.rssMB();
  const res = await closedLoop(target, { concurrency: 64, count, warmupMs: 500, event: {} });
  const afterMB = [target.rssMB()];
  for (let i = 0; i < 6; i++) {
    await sleep(5000);
    afterMB.push(target.rssMB());
  }
  console.log(JSON.stringify({
    nodeOptions, idleMB: Math.round(idleMB), invocations: res.completed, perSecond: Math.round(res.throughput),
    loadMeanMB: Math.round(res.rssMB?.mean), afterMB: afterMB.map(Math.round), 'after 0, 5, …, 30 s': 'afterMB',
    ratioAt30s: Number((afterMB.at(-1) / idleMB).toFixed(2)),
  }));
} finally {
  await target.stop();
}
