#!/usr/bin/env node
// Does idle RSS keep growing as worker threads come and go? fnpool (the real bootstrap, a 256 MB
// function, 16 in flight) against its own emulator: 2,000 echo invocations to warm up, then rounds
// of 2,000 in which every tenth ends its thread (`process.exit`, so the pool replaces it: 200
// replacements a round), with idle RSS after each warm-up or round, once the pool has settled
// (IDLE_MS). Prints one line; a leak grows round after round, a high-water mark does not.
//   node bench/probes/thread-churn-rss.mjs [rounds, default 8] [kind, default exit: also oom, loop]
import { nextRequestId } from '../../dist/loadgen/load.js';
import { Target } from '../lib/targets.mjs';

const rounds = Number(process.argv[2] ?? 8);
const kind = process.argv[3] ?? 'exit';
/** Past the pool's shrink (5 s after the last invocation) and V8's memory reducer (~8–15 s). */
const IDLE_MS = 15_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const target = await Target.start({
  kind: 'fnpool', handler: 'chaos', warmupEvent: { kind: 'echo', id: 'warm' }, memory: 256, concurrency: 16, timeout: 1,
});
let sent = 0;
/** n invocations from 16 clients; every tenth is `misbehaving`, the rest echo. */
const send = (n, misbehaving) => Promise.all(Array.from({ length: 16 }, async () => {
  while (sent < n) {
    const i = sent++;
    await target.emulator.invoke({ kind: i % 10 === 0 ? misbehaving : 'echo', id: `c${i}` }, { requestId: nextRequestId(), timeoutMs: 30_000 });
  }
}));
const idleRss = async () => {
  await sleep(IDLE_MS);
  return (await target.rssMB()).toFixed(1);
};
try {
  await send(2000, 'echo');
  const line = [`idle RSS, MB: after 2,000 echo ${await idleRss()}`];
  for (let round = 1; round <= rounds; round++) {
    sent = 0;
    await send(2000, kind);
    line.push(`after ${round * 200} ${kind} ${await idleRss()}`);
  }
  process.stdout.write(`${line.join(' | ')}\n`);
} finally {
  await target.stop();
}
