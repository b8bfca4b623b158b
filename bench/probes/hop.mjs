#!/usr/bin/env node
// Where the worker hop's time goes, layer by layer, one invocation at a time (concurrency 1) with
// a no-op handler, in this one process, the layers interleaved round after round:
//   raw       worker_threads postMessage echo (the physical floor: two thread wake-ups)
//   piscina   pool.run() of a task that does nothing, with fnpool's pool options
//   worker    pool.run() of fnpool's own worker module (claims, context, ALS, result) with piscina
//   executor  fnpool's Executor.run() (Job, deadline timer, health monitor, log check) end to end
// Prints the median and p90 wall time per round trip, and the CPU time of the whole process per
// round trip (all threads). Usage: node bench/probes/hop.mjs [count per layer per round] [rounds]
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { loadConfig } from '../../dist/config/config.js';
import { Claims, createClaims } from '../../dist/executor/claims.js';
import { Executor } from '../../dist/executor/executor.js';
import { createLogger } from '../../dist/logging/logger.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const count = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const env = {
  RUNTIME_API_ADDR: '127.0.0.1:1', RUNTIME_CODE_ROOT: path.join(here, '..', 'handlers', 'noop'),
  RUNTIME_HANDLER: 'index.handler', RUNTIME_CPU: '2', FNPOOL_LOG_LEVEL: 'warn', RUNTIME_TIMEOUT: '60',
};
const config = loadConfig(env);
const body = new TextEncoder().encode('{}');
const meta = { invokeType: 'sync' };
const tick = () => new Promise((resolve) => setImmediate(resolve));

// raw
const raw = new Worker(`const { parentPort } = require('node:worker_threads');
  parentPort.on('message', (m) => parentPort.postMessage({ kind: 'ok', body: '{"ok":true}', threadId: 1, memoryBytes: 0 }));`, { eval: true });
let rawResolve;
raw.on('message', (m) => rawResolve(m));
const rawRun = (task) => new Promise((resolve) => { rawResolve = resolve; raw.postMessage(task); });

const poolOptions = {
  minThreads: config.threads, maxThreads: config.threads, idleTimeout: Infinity,
  concurrentTasksPerWorker: config.concurrency, maxQueue: config.concurrency, atomics: 'disabled',
};
const echo = new Piscina({ ...poolOptions, filename: path.join(here, 'echo-worker.mjs') });
const echoNoTiming = new Piscina({ ...poolOptions, recordTiming: false, filename: path.join(here, 'echo-worker.mjs') });
const claims = new Claims(createClaims(config.concurrency), config.concurrency);
const fnWorker = new Piscina({
  ...poolOptions, filename: path.join(here, '..', '..', 'dist', 'worker', 'main.js'),
  workerData: { config: config.worker, claims: claims.buffer, concurrency: config.concurrency },
});
const executor = await Executor.start(config, createLogger(config.worker.log));
await Promise.all([echo.run({}), echoNoTiming.run({}), new Promise((r) => setTimeout(r, 500))]);

let n = 0;
const layers = {
  raw: () => rawRun({ token: 1, slot: 0, requestId: `r${n}`, body, deadlineMs: Date.now() + 60_000, meta }),
  piscina: () => echo.run({ token: 1, slot: 0, requestId: `r${n}`, body, deadlineMs: Date.now() + 60_000, meta }),
  'piscina, recordTiming off': () => echoNoTiming.run({ token: 1, slot: 0, requestId: `r${n}`, body, deadlineMs: Date.now() + 60_000, meta }),
  worker: () => {
    const token = claims.arm(0);
    return fnWorker.run({ token, slot: 0, requestId: `r${n}`, body, deadlineMs: Date.now() + 60_000, meta });
  },
  executor: async () => {
    const slot = await executor.admission.acquire();
    return executor.run({ requestId: `r${n}`, body, deadlineMs: Date.now() + 60_000, receivedAt: performance.now(), meta }, slot);
  },
};
const samples = Object.fromEntries(Object.keys(layers).map((k) => [k, []]));
const cpu = Object.fromEntries(Object.keys(layers).map((k) => [k, 0]));
for (let r = 0; r < rounds + 1; r++) {
  for (const [name, run] of Object.entries(layers)) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      n++;
      const t = performance.now();
      const res = await run();
      const dt = performance.now() - t;
      if (res.kind !== 'ok' && res.ok !== true) throw new Error(`${name}: ${JSON.stringify(res)}`);
      if (r > 0) samples[name].push(dt * 1000);
      await tick();
    }
    const c = process.cpuUsage(c0);
    if (r > 0) cpu[name] += c.user + c.system;
  }
}
const q = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
console.log('layer                        median µs   p90 µs   CPU µs/op (all threads)');
for (const name of Object.keys(layers)) {
  const xs = samples[name];
  console.log(`${name.padEnd(28)} ${q(xs, 50).toFixed(1).padStart(9)} ${q(xs, 90).toFixed(1).padStart(8)} ${(cpu[name] / xs.length).toFixed(1).padStart(10)}`);
}
await raw.terminate();
await Promise.all([echo.destroy(), echoNoTiming.destroy(), fnWorker.destroy(), executor.shutdown(1000)]);
process.exit(0);
