#!/usr/bin/env node
// The worker's own cost per invocation, without the hop: the worker module's task function
// (dist/worker/main.bundle.js, as each pool thread loads it) called in a loop inside one worker
// thread with the no-op handler — claim, context, AsyncLocalStorage, the handler, the result.
// Prints CPU µs per call for 7 rounds of 20,000 (the first includes warm-up).
//   node bench/probes/worker-task.mjs [checkout, default this one]   (compare two builds)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] ?? path.join(here, '..', '..'));
const { loadConfig } = await import(path.join(root, 'dist/config/config.js'));
const { createClaims } = await import(path.join(root, 'dist/executor/claims.js'));
const { createHeartbeats } = await import(path.join(root, 'dist/executor/heartbeats.js'));
const config = loadConfig({
  RUNTIME_API_ADDR: '127.0.0.1:1', RUNTIME_CODE_ROOT: path.join(here, '..', 'handlers', 'noop'), RUNTIME_HANDLER: 'index.handler',
  RUNTIME_CPU: '2', FNPOOL_LOG_LEVEL: 'warn', RUNTIME_TIMEOUT: '60',
});
const code = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const worker = await import(${JSON.stringify(path.join(root, 'dist/worker/main.bundle.js'))});
  const { Claims } = await import(${JSON.stringify(path.join(root, 'dist/executor/claims.js'))});
  const claims = new Claims(workerData.claims, workerData.concurrency);
  const body = new TextEncoder().encode('{}');
  const perCall = [];
  for (let round = 0; round < 7; round++) {
    const calls = 20000;
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      await worker.default({ token: claims.arm(0), slot: 0, requestId: 'r' + i, body, deadlineMs: Date.now() + 60000, meta: { invokeType: 'sync' } });
    }
    const used = process.cpuUsage(before);
    perCall.push(((used.user + used.system) / calls).toFixed(2));
  }
  parentPort.postMessage(perCall.join(' '));
})();`;
const worker = new Worker(code, {
  eval: true,
  workerData: { config: config.worker, claims: createClaims(config.concurrency), concurrency: config.concurrency, heartbeats: createHeartbeats(16) },
});
worker.on('message', (line) => {
  console.log(`${root}: µs of CPU per call, by round: ${line}`);
  process.exit(0);
});
worker.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
