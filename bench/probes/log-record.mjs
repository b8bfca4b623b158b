#!/usr/bin/env node
// What the per-invocation summary record costs the main thread: recordInvocation() with a batched
// info logger (as `fnpool serve` sets it up), 5 rounds of 50,000, letting the event loop turn every
// 8 records so that writes complete as they do under load. Run with stdout to /dev/null or a file.
//   node bench/probes/log-record.mjs [checkout, default this one] > /dev/null
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..'));
const { createLogger } = await import(path.join(root, 'dist/logging/logger.js'));
const { recordInvocation } = await import(path.join(root, 'dist/executor/invocation-record.js'));
const log = createLogger({ level: 'info', format: 'json', batched: true });
const inv = { requestId: '5f0e2c3a-8d1b-4c7e-9a6f-1b2c3d4e5f60', receivedAt: performance.now() };
const outcome = { ok: true, body: 'null' };
const result = { kind: 'ok', body: 'null', threadId: 1, memoryBytes: 0 };
const perRecord = [];
for (let round = 0; round < 5; round++) {
  const records = 50_000;
  const before = process.cpuUsage();
  for (let i = 0; i < records; i++) {
    recordInvocation(log, inv, outcome, result);
    if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
  }
  const used = process.cpuUsage(before);
  perRecord.push(((used.user + used.system) / records).toFixed(2));
}
console.error(`${root}: µs of CPU per record (with the event loop's turns), by round: ${perRecord.join(' ')}`);
