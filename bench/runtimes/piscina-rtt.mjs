// The floor of a hop through Piscina: `pool.run()` of a task that does nothing, with fnpool's own
// pool options (two threads, tasks per thread, atomics off, no timing), one task at a time, in a
// process of its own. Beside postmessage-rtt.mjs it shows what Piscina's task bookkeeping (on
// both threads) adds to a raw round trip, before any of fnpool's own work.
// Prints one JSON line: { samplesUs: [...] } (microseconds per round trip).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

const count = Number(process.argv[2] ?? 2000);
const gapMs = Number(process.argv[3] ?? 0);
const here = path.dirname(fileURLToPath(import.meta.url));
const pool = new Piscina({
  filename: path.join(here, '..', 'probes', 'echo-worker.mjs'),
  minThreads: 2, maxThreads: 2, idleTimeout: Infinity, concurrentTasksPerWorker: 8, maxQueue: 16,
  atomics: 'disabled', recordTiming: false,
});
const payload = new TextEncoder().encode('{}');
const samples = new Float64Array(count);
const warm = Math.min(200, Math.ceil(count / 10));
const pause = () => new Promise((resolve) => (gapMs > 0 ? setTimeout(resolve, gapMs) : setImmediate(resolve)));

// Both threads have booted and loaded the task module before the first sample.
await Promise.all([pool.run({ slot: 0 }), pool.run({ slot: 1 })]);
for (let i = -warm; i < count; i++) {
  await pause();
  const sentAt = performance.now();
  await pool.run({ id: `r${i}`, slot: 0, token: i, body: payload, deadlineMs: 0 });
  if (i >= 0) samples[i] = (performance.now() - sentAt) * 1000;
}
process.stdout.write(JSON.stringify({ samplesUs: Array.from(samples) }) + '\n');
await pool.destroy();
