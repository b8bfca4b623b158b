#!/usr/bin/env node
// How long a postMessage takes to reach a thread, against how long that thread had been asleep.
// The sender busy-waits for a set time before each message while the receiver waits in its event
// loop, then each side stamps the time (performance.timeOrigin + now(), comparable across
// threads). At concurrency 1 a worker sleeps through a whole HTTP round trip between invocations,
// so its wake-up is the slow kind; a back-to-back round trip measures the fast kind. It also times
// the postMessage call itself on the sending thread: waking a sleeping receiver is paid there too,
// out of the main thread's time per invocation (the profiles' "native postMessage").
//   node bench/probes/wake.mjs [count per point]
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const count = Number(process.argv[2] ?? 2000);
const now = () => performance.timeOrigin + performance.now();
const worker = new Worker(`
  const { parentPort } = require('node:worker_threads');
  const { performance } = require('node:perf_hooks');
  parentPort.on('message', () => {
    const at = performance.timeOrigin + performance.now();
    parentPort.postMessage({ at, sent: performance.timeOrigin + performance.now() });
  });`, { eval: true });

function median(xs) {
  const sorted = xs.slice().sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function point(sleepUs) {
  const there = [];
  const back = [];
  const call = [];
  for (let i = 0; i < count + 100; i++) {
    // The receiver has been idle since its last message: make that last sleepUs.
    const until = performance.now() + sleepUs / 1000;
    while (performance.now() < until);
    const sentAt = now();
    let callUs = 0;
    const reply = await new Promise((resolve) => {
      worker.once('message', resolve);
      const before = performance.now();
      worker.postMessage(i);
      callUs = (performance.now() - before) * 1000;
    });
    const gotAt = now();
    if (i >= 100) {
      there.push((reply.at - sentAt) * 1000);
      back.push((gotAt - reply.sent) * 1000);
      call.push(callUs);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { there: median(there), back: median(back), call: median(call) };
}

console.log('receiver asleep for   to the worker µs   back to the main thread µs   the postMessage call µs');
for (const sleepUs of [0, 20, 50, 100, 200, 500]) {
  const { there, back, call } = await point(sleepUs);
  console.log(`${String(sleepUs).padStart(8)} µs ${there.toFixed(1).padStart(20)} ${back.toFixed(1).padStart(28)} ${call.toFixed(1).padStart(25)}`);
}
await worker.terminate();
