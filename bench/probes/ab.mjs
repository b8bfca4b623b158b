#!/usr/bin/env node
// Two or more builds or settings of a runtime against each other, interleaved: in every round each
// variant runs once (the order reversed every other round) for the same closed loop, so that the
// drift of this shared VM between hours (±15% in a whole run) falls on all of them alike. Prints
// each variant's throughput, runtime CPU µs per invocation and RSS per round, and the median of
// the per-round throughput ratios to the first variant.
//   node bench/probes/ab.mjs '<variants JSON>' [rounds 6] [load 16] [seconds 4] [handler noop] [event JSON {}, or @file]
// A variant: { "kind": "fnpool"|"inline"|"sequential", "bootstrap": path, "env": {…}, "platform": "lambda", "concurrency": n,
// "stdout": "ignore" (the runtime's logs to /dev/null instead of a pipe the harness reads) } — Target.start's options.
// e.g. info logs against warn, this checkout against another:
//   node bench/probes/ab.mjs '{"info":{"env":{"FNPOOL_LOG_LEVEL":"info"}},"warn":{"env":{"FNPOOL_LOG_LEVEL":"warn"}}}' 8
//   node bench/probes/ab.mjs '{"here":{},"there":{"bootstrap":"/other/checkout/bootstrap"}}'
import { readFileSync } from 'node:fs';
import { closedLoop } from '../../dist/loadgen/load.js';
import { Target } from '../lib/targets.mjs';

const [json, rounds = '6', load = '16', seconds = '4', handler = 'noop', eventJson = '{}'] = process.argv.slice(2);
if (json === undefined) {
  console.error('usage: node bench/probes/ab.mjs \'{"a":{…},"b":{…}}\' [rounds] [load] [seconds] [handler] [event JSON]');
  process.exit(2);
}
const variants = JSON.parse(json);
const event = JSON.parse(eventJson.startsWith('@') ? readFileSync(eventJson.slice(1), 'utf8') : eventJson);
const names = Object.keys(variants);
const rows = Object.fromEntries(names.map((name) => [name, []]));

for (let round = 0; round < Number(rounds); round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const { kind = 'fnpool', ...options } = variants[name];
    const target = await Target.start({ kind, handler, warmupEvent: event, ...options });
    try {
      const res = await closedLoop(target, { concurrency: Number(load), durationMs: Number(seconds) * 1000, warmupMs: 1000, event });
      rows[name].push({ perSecond: res.throughput, usPerInvocation: res.cpu.runtimeUsPerInvocation, rssMB: target.rssMB(), errors: res.errors });
    } finally {
      await target.stop();
    }
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const first = rows[names[0]];
for (const name of names) {
  const r = rows[name];
  const ratio = median(r.map((row, i) => row.perSecond / first[i].perSecond));
  console.log(`${name}: ${r.map((row) => Math.round(row.perSecond)).join(' ')} inv/s | ` +
    `${r.map((row) => Math.round(row.usPerInvocation)).join(' ')} µs CPU/inv | ${r.map((row) => Math.round(row.rssMB)).join(' ')} MB | ` +
    `errors ${r.reduce((sum, row) => sum + row.errors, 0)} | median ratio to ${names[0]}: ${ratio.toFixed(3)}`);
}
