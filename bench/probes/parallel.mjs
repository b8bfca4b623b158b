#!/usr/bin/env node
// What two cores give to CPU-bound work on this machine, with no runtime at all: the benchmark
// handler's own work (sha256 over 4 KB blocks) in one worker thread for 2 s, then in two at once.
// The ratio is the ceiling of any "CPU-bound, 2 threads ÷ 1" figure here, fnpool's or another's.
//   node bench/probes/parallel.mjs [--rounds 3]
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const SOURCE = `
const { createHash } = require('node:crypto');
const { parentPort } = require('node:worker_threads');
const block = Buffer.alloc(4096, 7);
let digest = block.subarray(0, 32);
let n = 0;
const end = Date.now() + 2000;
while (Date.now() < end) { digest = createHash('sha256').update(block).update(digest).digest(); n++; }
parentPort.postMessage(n);`;

const hashing = (threads) => Promise.all(Array.from({ length: threads }, () =>
  new Promise((resolve, reject) => new Worker(SOURCE, { eval: true }).once('message', resolve).once('error', reject))));

for (let round = 1; round <= Number(values.rounds); round++) {
  const [alone] = await hashing(1);
  const pair = await hashing(2);
  const together = pair[0] + pair[1];
  console.log(`round ${round}: 1 thread ${alone} hashes in 2 s; 2 threads ${pair.join(' + ')} = ${together}: ${(together / alone).toFixed(2)}×`);
}
