// The physical floor of a worker hop: a raw worker_threads postMessage round trip between two
// threads, one message each way, with a payload shaped like fnpool's task (a request id and a few
// bytes of event out; a short JSON string back). Between round trips both threads are idle, as a
// worker is between invocations at concurrency 1, so each hop pays the wake-up of a sleeping thread.
// Prints one JSON line: { samplesUs: [...] } (microseconds per round trip).
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const count = Number(process.argv[2] ?? 2000);
const gapMs = Number(process.argv[3] ?? 0);
const worker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, body: '{"ok":true}' }));`,
  { eval: true },
);
const payload = new TextEncoder().encode('{}');
const samples = new Float64Array(count);
const warm = Math.min(200, Math.ceil(count / 10));
let i = -warm;
let sentAt = 0;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const send = () => {
  sentAt = performance.now();
  worker.postMessage({ id: `r${i}`, slot: 0, token: i, body: payload, deadlineMs: 0 });
};
worker.on('message', async () => {
  const rtt = performance.now() - sentAt;
  if (i >= 0) samples[i] = rtt * 1000;
  i++;
  if (i === count) {
    process.stdout.write(JSON.stringify({ samplesUs: Array.from(samples) }) + '\n');
    await worker.terminate();
    return;
  }
  if (gapMs > 0) await sleep(gapMs);
  else await new Promise((resolve) => setImmediate(resolve));
  send();
});
worker.once('online', send);
