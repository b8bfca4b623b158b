#!/usr/bin/env node
// Profiles fnpool under one load: runs the real bootstrap with `node --cpu-prof` (every thread:
// main and workers write a .cpuprofile each) against the emulator, applies a closed-loop load,
// stops the runtime, and prints the top functions by self time per thread, plus the CPU time of
// the runtime's threads and of this process (emulator + load generator).
//
//   node bench/profile.mjs [--handler noop|cpu|io] [--load 16] [--seconds 5] [--env K=V ...]
//                          [--kind fnpool|sequential|inline] [--top 25] [--bootstrap path]
//                          [--platform functiongraph|lambda|fc] (Lambda: AWS_LAMBDA_MAX_CONCURRENCY = the load)
//                          [--platform http] (HTTP mode, called over loopback; --kind inline-http for the baseline)
//                          [--by function|module] (module: self time per package or folder, in µs per
//                          invocation of the measured window — samples outside it are left out — per thread)
//                          [--node-arg FLAG ...] (node or V8 flags for the runtime, e.g. --single-threaded-gc)
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop } from '../dist/loadgen/load.js';
import { PushTarget } from './lib/push-targets.mjs';
import { BENCH, Target } from './lib/targets.mjs';
import { calibrate } from './scenarios/s2-cpu.mjs';

const { values: a } = parseArgs({
  options: {
    handler: { type: 'string', default: 'noop' },
    load: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
    env: { type: 'string', multiple: true, default: [] },
    kind: { type: 'string', default: 'fnpool' },
    platform: { type: 'string', default: 'functiongraph' },
    top: { type: 'string', default: '25' },
    bootstrap: { type: 'string' },
    'no-prof': { type: 'boolean', default: false },
    by: { type: 'string', default: 'function' },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const dir = path.join(BENCH, 'results', 'profiles', `${a.kind}-${a.handler}-${a.load}-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const env = Object.fromEntries(a.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const event = a.handler === 'cpu' ? { rounds: (await calibrate(5)).rounds } : {};
const target = await (a.platform === 'http' ? PushTarget : Target).start({
  kind: a.kind, handler: a.handler, env, warmupEvent: event, bootstrap: a.bootstrap,
  platform: a.platform, concurrency: a.platform === 'lambda' ? Number(a.load) : undefined,
  nodeArgs: [...a['node-arg'], ...(a['no-prof'] ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`])],
});
// The measured window on CLOCK_MONOTONIC in µs, the clock of V8's profile timestamps.
const loopStartUs = Number(process.hrtime.bigint() / 1000n);
const window = { from: loopStartUs + 500_000, to: loopStartUs + 500_000 + Number(a.seconds) * 1e6 };
const res = await closedLoop(target, { concurrency: Number(a.load), durationMs: Number(a.seconds) * 1000, warmupMs: 500, event });
await target.stop();
console.log(`${a.kind} ${a.handler} load ${a.load} ${JSON.stringify(env)}: ${Math.round(res.throughput)} inv/s, p50 ${res.latencyMs.p50.toFixed(3)} ms, p99 ${res.latencyMs.p99.toFixed(3)} ms, errors ${res.errors}`);
console.log(`CPU cores: runtime ${res.cpu.runtimeCores.toFixed(2)} (${Math.round(res.cpu.runtimeUsPerInvocation)} µs/inv), emulator+load ${res.cpu.emulatorCores.toFixed(2)} (${Math.round(res.cpu.emulatorUsPerInvocation)} µs/inv), other processes ${res.cpu.otherCores.toFixed(2)}`);
console.log('threads:', res.cpu.threads.map((t) => `${t.main ? 'main' : t.tid}:${t.cores.toFixed(2)}`).join(' '));
if (a['no-prof']) process.exit(0);

const top = Number(a.top);
if (a.by === 'module') {
  byModule(dir, res.completed);
  process.exit(0);
}
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const self = new Map();
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const node = byId.get(prof.samples[i]);
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    const cf = node.callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const idle = self.get('(idle) ') ?? 0;
  console.log(`\n== ${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(100 * (1 - idle / total)).toFixed(1)}% not idle`);
  const rows = [...self.entries()].filter(([k]) => k !== '(idle) ').sort((x, y) => y[1] - x[1]).slice(0, top);
  for (const [k, v] of rows) console.log(`${(100 * v / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}
console.log(`\nprofiles: ${path.relative(process.cwd(), dir)}`);

/**
 * Per thread: self time inside the measured window grouped by where the code lives (an npm
 * package, a folder of dist/, Node's own JavaScript, or a native function by name), in µs per
 * invocation answered in the window.
 */
function byModule(profileDir, invocations) {
  for (const file of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const prof = JSON.parse(readFileSync(path.join(profileDir, file), 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const groups = new Map();
    let busy = 0;
    let at = prof.startTime;
    for (let i = 0; i < prof.samples.length; i++) {
      at += prof.timeDeltas[i] ?? 0;
      if (at < window.from || at > window.to) continue;
      const cf = byId.get(prof.samples[i]).callFrame;
      if (cf.functionName === '(idle)') continue;
      const dt = prof.timeDeltas[i + 1] ?? 0; // the time until the next sample is this one's
      busy += dt;
      const key = !cf.url ? `native ${cf.functionName || '(anonymous)'}`
        : cf.url.startsWith('node:') ? 'node (its own JavaScript)'
        : /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(cf.url)?.[1] ?? /\/(dist\/[^/]+(?:\/[^/.]+(?=\/))?)/.exec(cf.url)?.[1] ?? cf.url;
      groups.set(key, (groups.get(key) ?? 0) + dt);
    }
    console.log(`\n== ${file}: ${(busy / invocations).toFixed(1)} µs busy per invocation (${invocations} answered in the window)`);
    for (const [k, v] of [...groups].sort((x, y) => y[1] - x[1]).slice(0, Number(a.top))) {
      console.log(`${(v / invocations).toFixed(1).padStart(7)} µs  ${k}`);
    }
  }
}
