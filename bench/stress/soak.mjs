#!/usr/bin/env node
// Soak: a long run of invocations through each platform the runtime serves, with the runtime's RSS,
// open file descriptors and threads sampled along the way. Two loads:
//   no-op  — N invocations of bench/handlers/noop at 64 outstanding, info logs (the default);
//   mixed  — invocations of bench/handlers/chaos, each picking a behaviour with a seeded PRNG: 5%
//            throw, 1% CPU loops past their deadline (a 1 s timeout), 1% process.exit, 1% heap
//            exhaustion, the rest echo or await 5 ms; 32 outstanding, a 256 MB function.
// Checks: every invocation answered exactly once (the emulator's ledger on pull platforms: one
// accepted answer per hand-out, no repeated post; on push platforms one answer per request, none
// missing), each answered with its own outcome or as a casualty (counted), the runtime alive at
// the end; a tenth of the invocations warms up, then 7 s idle, the rest, 7 s idle again: idle RSS
// after the run at most 10% over idle RSS after the warm-up, idle descriptors at most FD_SLACK
// more, and under the no-op load RSS growing less than 10% from the run's first tenth to its last.
//   node bench/stress/soak.mjs [--quick] [--platform functiongraph,lambda,fc,http,openedge] [--load noop,mixed] [--seed N]
// SOAK_ENV='{"NAME":"value"}' adds variables to every runtime's environment (to compare a setting).
// Exported: run({ quick, log, platforms, loads }) for `npm run stress` (bench/stress/run.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { nextRequestId } from '../../dist/loadgen/load.js';
import { prng } from './lib/prng.mjs';
import { Target } from '../lib/targets.mjs';
import { PushTarget } from '../lib/push-targets.mjs';
import { table, f0, f1 } from '../lib/report.mjs';

export const PLATFORMS = ['functiongraph', 'lambda', 'fc', 'http', 'openedge'];
const PULL = new Set(['functiongraph', 'lambda', 'fc']);
/** Invocations per platform: the issue's 1,000,000 no-ops each, and 100,000 mixed over all five platforms. */
const COUNTS = { full: { noop: 1_000_000, mixed: 20_000 }, quick: { noop: 20_000, mixed: 600 } };
/** How the mixed load picks a behaviour, in percent; the rest is split between echo and await. */
const MIX = { throw: 5, loop: 1, exit: 1, oom: 1 };
/**
 * What each behaviour may be answered with: its own outcome, or — for any of them — one of the two
 * types the runtime gives an invocation that could not run to its end because of another one
 * (Runtime.NeighbourFailed: it had started on a thread a loop or a heap exhaustion took down;
 * Runtime.Timeout: it waited past its 1 s deadline for a thread, while the loops held both cores).
 * Those are counted and shown; anything else is a failure.
 */
const OWN = {
  echo: ['ok'],
  await: ['ok'],
  throw: ['ChaosError'],
  loop: ['Runtime.Timeout'],
  exit: ['Runtime.WorkerExited'],
  // The heap limit and the deadline race when the loops hold the cores: either is the invocation's own failure.
  oom: ['Runtime.OutOfMemory', 'Runtime.Timeout'],
};
const CASUALTY = ['Runtime.NeighbourFailed', 'Runtime.Timeout'];
const allowed = (kind, outcome) => OWN[kind].includes(outcome) || CASUALTY.includes(outcome);
/** RSS after warm-up may grow this much (a fraction) by the end. */
const MAX_DRIFT = 0.10;
/** Descriptors the idle runtime may hold after the run beyond what it held before it (a socket being replaced). */
const FD_SLACK = 4;
/** After the run, idle this long before the descriptors are counted: the pool stops its extra threads after 5 s idle. */
const IDLE_AFTER_MS = 7000;
/** How often the runtime's process is sampled, ms (quick runs last seconds: more often). */
const SAMPLE_MS = { full: 1000, quick: 200 };
/** Invocations outstanding, per load. */
const OUTSTANDING = { noop: 64, mixed: 32 };

function pickKind(random) {
  let r = random() * 100;
  for (const [kind, pct] of Object.entries(MIX)) {
    if (r < pct) return kind;
    r -= pct;
  }
  return random() < 0.5 ? 'echo' : 'await';
}

/** The runtime's process, read from /proc: RSS (MB), open descriptors, threads. */
function sampleProcess(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
    return { rssMB: field('VmRSS') / 1024, fds: readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads') };
  } catch {
    return undefined; // the process is gone
  }
}

/** The runtime under test on a platform: its environment, handler and (mixed) limits. */
async function startTarget(platform, load) {
  const handler = load === 'noop' ? 'noop' : 'chaos';
  // Mixed: a 1 s deadline so that loops end soon, and a 256 MB function so that heap exhaustion hits a ~100 MB heap.
  const timeout = load === 'noop' ? 60 : 1;
  const memory = 256;
  const env = { FNPOOL_LOG_LEVEL: 'info', FNPOOL_CONCURRENCY: String(OUTSTANDING[load]), ...JSON.parse(process.env.SOAK_ENV ?? '{}') };
  if (PULL.has(platform)) {
    return Target.start({ kind: 'fnpool', platform, handler, timeout, memory, env, concurrency: OUTSTANDING[load], warmupEvent: load === 'noop' ? {} : { kind: 'echo' } });
  }
  const pushEnv = { ...env, FNPOOL_MEMORY_MB: String(memory), FNPOOL_TIMEOUT: String(timeout) };
  return PushTarget.start({
    kind: 'fnpool', handler, env: pushEnv, protocol: platform === 'openedge' ? 'grpc' : 'http',
    instanceMax: OUTSTANDING[load], timeout, warmupEvent: load === 'noop' ? {} : { kind: 'echo' },
  });
}

/**
 * Sends `count` invocations with `concurrency` outstanding; returns the tally of outcomes by
 * behaviour and the samples of the runtime's process (one per SAMPLE_MS, with the count done).
 */
async function drive(target, { count, concurrency, eventFor, timeoutMs, sampleMs, onProgress }) {
  const invoker = 'invoker' in target && target.invoker ? target.invoker : target.emulator;
  const samples = [];
  const outcomes = new Map(); // kind → Map(outcome → n)
  const unexpected = [];
  let sent = 0;
  let done = 0;
  let noAnswer = 0;
  let casualties = 0;
  const t0 = performance.now();
  const sample = () => {
    const s = sampleProcess(target.pid);
    if (s) samples.push({ t: (performance.now() - t0) / 1000, done, ...s });
  };
  sample();
  const timer = setInterval(() => { sample(); onProgress?.(done, count); }, sampleMs);
  const worker = async () => {
    while (sent < count) {
      sent++;
      const { kind, body } = eventFor();
      let outcome;
      try {
        const res = await invoker.invoke(body, { requestId: nextRequestId(), timeoutMs });
        outcome = res.refused ? 'refused (429)' : res.ok ? 'ok' : (res.error?.errorType ?? 'error without a type');
      } catch (err) {
        if (err?.code !== 'INVOKE_TIMEOUT') throw err;
        outcome = 'no answer';
        noAnswer++;
      }
      done++;
      const byKind = outcomes.get(kind) ?? new Map();
      byKind.set(outcome, (byKind.get(outcome) ?? 0) + 1);
      outcomes.set(kind, byKind);
      if (!OWN[kind].includes(outcome) && !['loop', 'oom'].includes(kind)) casualties++;
      if (!allowed(kind, outcome) && unexpected.length < 5) unexpected.push(`${kind} answered ${outcome}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(timer);
  }
  sample();
  const seconds = (performance.now() - t0) / 1000;
  return { samples, outcomes, unexpected, done, noAnswer, casualties, seconds };
}

/** RSS under load: the median of the first tenth of the samples against the median of the last tenth. */
export function driftUnderLoad(samples) {
  if (samples.length < 6) return { driftPct: Number.NaN };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const tenth = Math.max(2, Math.ceil(samples.length / 10));
  const firstMB = median(samples.slice(0, tenth).map((s) => s.rssMB));
  const lastMB = median(samples.slice(-tenth).map((s) => s.rssMB));
  return { firstMB, lastMB, driftPct: ((lastMB - firstMB) / firstMB) * 100, maxMB: Math.max(...samples.map((s) => s.rssMB)) };
}

/** Adds a phase's tally of outcomes to the run's. */
function addOutcomes(into, from) {
  for (const [kind, m] of from) {
    const byKind = into.get(kind) ?? new Map();
    for (const [o, n] of m) byKind.set(o, (byKind.get(o) ?? 0) + n);
    into.set(kind, byKind);
  }
  return into;
}

/**
 * One platform, one load: a warm-up of a tenth of the invocations, idle until the pool has stopped
 * its extra threads, then the rest, idle again. Leaks show as idle RSS or descriptors after the run
 * above those after the warm-up (when the connection pools and caches have reached their size);
 * under the steady no-op load, RSS must not grow either.
 */
async function soakOne(platform, load, { quick, log, seed }) {
  const count = COUNTS[quick ? 'quick' : 'full'][load];
  const warmCount = Math.ceil(count / 10);
  const random = prng(seed).next;
  const noopBody = Buffer.from('{}');
  const eventFor = load === 'noop'
    ? () => ({ kind: 'echo', body: noopBody })
    : () => {
      const kind = pickKind(random);
      return { kind, body: Buffer.from(JSON.stringify({ kind })) };
    };
  const target = await startTarget(platform, load);
  const what = `${platform} ${load}`;
  const failures = [];
  let warm;
  let main;
  let ledger;
  let idleWarm;
  let idleEnd;
  try {
    const before = target.emulator?.stats();
    const opts = { concurrency: OUTSTANDING[load], eventFor, timeoutMs: 60_000, sampleMs: SAMPLE_MS[quick ? 'quick' : 'full'] };
    warm = await drive(target, { ...opts, count: warmCount });
    await sleep(IDLE_AFTER_MS);
    idleWarm = sampleProcess(target.pid);
    let lastPct = -1;
    main = await drive(target, {
      ...opts, count: count - warmCount,
      onProgress: (done) => {
        const pct = Math.floor(((warmCount + done) / count) * 10);
        if (pct !== lastPct) { lastPct = pct; log(`  ${what}: ${f0(warmCount + done)} of ${f0(count)}`); }
      },
    });
    await sleep(IDLE_AFTER_MS);
    idleEnd = sampleProcess(target.pid);
    if (target.emulator) {
      const after = target.emulator.stats();
      ledger = {
        queued: after.queued - before.queued, answered: after.answered - before.answered,
        duplicates: after.duplicates, rejectedPosts: after.rejectedPosts, inFlight: after.inFlight, waiting: after.waiting,
      };
    }
  } catch (err) {
    failures.push(`${what}: the load stopped: ${err.message}`);
  }
  const alive = target.child.exitCode === null && target.child.signalCode === null;
  const stderr = target.stderr;
  await target.stop();
  if (!main) return { platform, load, count, failures };
  const done = warm.done + main.done;
  const underLoad = driftUnderLoad(main.samples);
  const idleGrowthPct = ((idleEnd.rssMB - idleWarm.rssMB) / idleWarm.rssMB) * 100;
  if (!alive) failures.push(`${what}: the runtime died during the run: ${stderr.slice(-300)}`);
  if (done !== count) failures.push(`${what}: ${done} of ${count} answered`);
  if (warm.noAnswer + main.noAnswer > 0) failures.push(`${what}: ${warm.noAnswer + main.noAnswer} invocations got no answer`);
  for (const line of [...warm.unexpected, ...main.unexpected].slice(0, 5)) failures.push(`${what}: ${line}`);
  if (ledger) {
    if (ledger.answered !== ledger.queued) failures.push(`${what}: the platform queued ${ledger.queued} and recorded ${ledger.answered} answers`);
    if (ledger.duplicates > 0) failures.push(`${what}: ${ledger.duplicates} answers posted twice`);
    if (ledger.inFlight > 0 || ledger.waiting > 0) failures.push(`${what}: ${ledger.inFlight} handed out and ${ledger.waiting} queued, never answered`);
  }
  // A quick run is too short for its pools and caches to reach their size: its drift is shown, not judged.
  const judged = quick ? [] : failures;
  if (load === 'noop' && !(underLoad.driftPct < MAX_DRIFT * 100)) {
    judged.push(`${what}: RSS under load grew ${f1(underLoad.driftPct)}% (${f1(underLoad.firstMB)} → ${f1(underLoad.lastMB)} MB)`);
  }
  if (!(idleGrowthPct < MAX_DRIFT * 100)) judged.push(`${what}: idle RSS grew ${f1(idleGrowthPct)}% (${f1(idleWarm.rssMB)} MB after the warm-up, ${f1(idleEnd.rssMB)} MB after the run)`);
  if (!(idleEnd.fds <= idleWarm.fds + FD_SLACK)) judged.push(`${what}: open fds, idle, were ${idleWarm.fds} after the warm-up and ${idleEnd.fds} after the run`);
  return {
    platform, load, count, seed, done, seconds: main.seconds, perSecond: main.done / main.seconds,
    casualties: warm.casualties + main.casualties, outcomes: Object.fromEntries([...addOutcomes(addOutcomes(new Map(), warm.outcomes), main.outcomes)].map(([k, m]) => [k, Object.fromEntries(m)])),
    ledger, idleWarm, idleEnd, idleGrowthPct, underLoad, samples: main.samples, failures,
  };
}

/**
 * Runs the soak on each platform and load; returns rows for the stress report, the failures, and
 * each run's series (for the report file and its chart).
 */
export async function run({ quick = false, log = () => {}, platforms = PLATFORMS, loads = ['noop', 'mixed'], seed = Date.now() % 1_000_000 } = {}) {
  const runs = [];
  for (const load of loads) {
    for (const platform of platforms) {
      log(`soak: ${load} on ${platform}${load === 'mixed' ? ` (seed ${seed})` : ''}`);
      runs.push(await soakOne(platform, load, { quick, log, seed }));
    }
  }
  const rows = runs.map((r) => ({
    platform: r.platform, kind: `soak ${r.load}`, tried: r.done ?? 0,
    outcome: r.underLoad ? `${f0(r.perSecond)}/s; idle RSS ${f1(r.idleWarm.rssMB)} → ${f1(r.idleEnd.rssMB)} MB, fds ${r.idleWarm.fds} → ${r.idleEnd.fds}` : 'did not run',
    ok: r.failures.length === 0,
  }));
  return { name: 'soak', rows, failures: runs.flatMap((r) => r.failures), runs, seed };
}

/** The table a person reads: one line per platform and load. */
export function soakTable(runs) {
  const has = (r) => r.underLoad !== undefined;
  return table(
    ['platform', 'load', 'invocations', 'per s', 'outcomes', 'casualties', 'RSS under load, MB', 'growth', 'idle RSS, MB', 'idle fds', 'threads max', 'ok'],
    runs.map((r) => [
      r.platform, r.load, f0(r.done), has(r) ? f0(r.perSecond) : '—',
      has(r) ? Object.entries(r.outcomes).map(([k, m]) => `${k} ${Object.entries(m).map(([o, n]) => `${o === 'ok' ? '' : `${o} `}${f0(n)}`).join('/')}`).join(', ') : '—',
      has(r) ? `${f0(r.casualties)} (${f1((r.casualties / r.done) * 100)}%)` : '—',
      has(r) ? `${f1(r.underLoad.firstMB)} → ${f1(r.underLoad.lastMB)} (max ${f1(r.underLoad.maxMB)})` : '—',
      has(r) ? `${f1(r.underLoad.driftPct)}%` : '—',
      has(r) ? `${f1(r.idleWarm.rssMB)} → ${f1(r.idleEnd.rssMB)} (${f1(r.idleGrowthPct)}%)` : '—',
      has(r) ? `${r.idleWarm.fds} → ${r.idleEnd.fds}` : '—',
      has(r) ? String(Math.max(...r.samples.map((s) => s.threads))) : '—',
      r.failures.length === 0 ? 'yes' : 'NO',
    ]),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, platform: { type: 'string' }, load: { type: 'string' }, seed: { type: 'string' } } });
  const platforms = values.platform ? values.platform.split(',') : PLATFORMS;
  for (const p of platforms) if (!PLATFORMS.includes(p)) throw new Error(`--platform: unknown platform ${JSON.stringify(p)}; one of ${PLATFORMS.join(', ')}`);
  const loads = values.load ? values.load.split(',') : ['noop', 'mixed'];
  for (const l of loads) if (!['noop', 'mixed'].includes(l)) throw new Error(`--load: unknown load ${JSON.stringify(l)}; noop or mixed`);
  const report = await run({ quick: values.quick, platforms, loads, log: (line) => process.stderr.write(`${line}\n`), ...(values.seed ? { seed: Number(values.seed) } : {}) });
  process.stdout.write(`${soakTable(report.runs)}\n`);
  for (const f of report.failures) process.stdout.write(`FAIL ${f}\n`);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}
