#!/usr/bin/env node
// Chaos benchmark: does a misbehaving invocation fail alone? `npm run chaos -- --quick`.
// The real `bootstrap` against the local emulator of a platform (bench/lib/targets.mjs, as in every
// scenario) — on a push platform behind the local platform's front instead (HTTP mode: FC's front
// end; OpenEdge: its function module; bench/lib/push-targets.mjs FrontTarget) — a fresh runtime per
// mix, driven by clients that each send one invocation after another. Each invocation picks a
// behaviour of bench/handlers/chaos/ from the mix with a seeded PRNG, so that runs with the same
// seed send the same sequence; a client waits for the answers of the well-behaved only (see
// drive()). Per mix it reports how many well-behaved invocations failed and whether their handler
// had started before their answer (the handler writes the id and time of each start to a file);
// how many misbehaving ones were answered with a type not their own; whether each invocation got
// exactly one answer (the emulator's ledger; on a push platform one request has one response by
// construction: answered = those with a response, lost = a timeout or a transport failure,
// duplicated 0); and what the misbehaviour cost the well-behaved in throughput and latency. Prints
// two tables per platform (and notes under a push platform's) and the targets; writes
// bench/results/chaos.json.
//
// Runtime settings: 2 threads, 16 in flight, a 2 s deadline, a 256 MB budget (each worker's heap is
// then ~100 MB, so heap exhaustion comes quickly), FNPOOL_LOG_LEVEL=warn. HTTP: FC's flavour, the
// deadline in FNPOOL_TIMEOUT and each request's x-fc-function-timeout, FNPOOL_CONCURRENCY=16 (and
// FNPOOL_QUEUE's default, 16 more waiting; past that 429); OpenEdge: -c config instance.max 16,
// instance.timeout 2s. On both the deadline counts from the request's arrival, a wait for a slot
// included, and the front cannot see when the runtime gave an invocation its slot: the slot bound
// is '—' there.
// Behaviours: echo, await (5 ms) — the well-behaved, half each; throw (ChaosError), stray (a timer
// that throws), loop (synchronous), exit (process.exit), oom (allocates until the heap is full).
//
//   --mix clean,loops,oom,realistic   the mixes to run, in this order (default: all four)
//   --platform functiongraph|lambda|fc|http|openedge|all
//                      (default functiongraph; all: the five in turn; http and openedge are push)
//   --count N          well-behaved invocations per mix (default 2000)
//   --quick            --count 400
//   --concurrency N    clients, i.e. well-behaved invocations outstanding (default 16); the
//                      runtime's own in-flight limit stays 16 (change it with --env; on
//                      OpenEdge instance.max 16 can only be lowered, with FNPOOL_CONCURRENCY)
//   --env K=V          an extra runtime variable, repeatable (e.g. --env FNPOOL_IDEMPOTENT=1)
//   --seed N           the PRNG's seed (default 1)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { EmulatorError } from '../dist/emulator/index.js';
import { closedLoop } from '../dist/loadgen/load.js';
import { summarize } from '../dist/loadgen/stats.js';
import { FrontTarget } from './lib/push-targets.mjs';
import { BENCH, Target } from './lib/targets.mjs';
import { describeMachine } from './lib/machine.mjs';
import { Progress, f0, f1, f2, table } from './lib/report.mjs';

// --- what is sent, and what each behaviour must be answered with ---------------------------------

const WELL_BEHAVED = new Set(['echo', 'await']);
/** Types a synchronous loop may be answered with and still count as its own (widen here). */
const EXPECTED_LOOP_TYPES = new Set(['Runtime.Timeout']);
/** The answer each misbehaving kind must get. */
const EXPECTED = {
  throw: new Set(['ChaosError']),
  stray: new Set(['Runtime.UncaughtException']),
  loop: EXPECTED_LOOP_TYPES,
  exit: new Set(['Runtime.WorkerExited']),
  oom: new Set(['Runtime.OutOfMemory']),
};
/** Share of each misbehaving kind; the rest is well-behaved. */
const MIXES = {
  clean: {},
  loops: { loop: 0.01 },
  oom: { oom: 0.01 },
  realistic: { throw: 0.05, loop: 0.01, exit: 0.01, oom: 0.005, stray: 0.02 },
};
const PLATFORMS = ['functiongraph', 'lambda', 'fc', 'http', 'openedge'];
/** Platforms that call the runtime (bench/lib/push-targets.mjs FrontTarget): no ledger, a front. */
const PUSH = new Set(['http', 'openedge']);
/**
 * What a push front answers when the runtime never did: the connection failed or the runtime was
 * gone (Fnpool.RuntimeExited, both fronts), or the call was cancelled by the front's close
 * (OpenEdge). Such an invocation is lost, not answered.
 */
const TRANSPORT_FAILURES = new Set(['Fnpool.RuntimeExited', 'grpc.CANCELLED']);
/** HTTP mode's refusal: the runtime was full (its slots and FNPOOL_QUEUE), nothing ran. */
const REFUSED = 'Fnpool.TooManyRequests';

/** Every runtime: 2 threads (Target gives 2 CPUs), 16 in flight, a 2 s deadline, 256 MB. */
const RUNTIME = { threads: 2, concurrency: 16, timeoutS: 2, memoryMB: 256 };
/**
 * Echo load before each mix (not counted), so that no mix measures a cold runtime: after 300 ms the
 * clean mix of --quick ran at about half the rate it reached after 1.5 s.
 */
const WARMUP_MS = 1500;
/** An invocation with no answer after this long is given up as lost. */
const NO_ANSWER_MS = 30_000;

// --- options --------------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    mix: { type: 'string', default: Object.keys(MIXES).join(',') },
    platform: { type: 'string', default: 'functiongraph' },
    count: { type: 'string' },
    quick: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '16' },
    env: { type: 'string', multiple: true, default: [] },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  const header = readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1);
  process.stdout.write(header.slice(0, header.findIndex((l) => !l.startsWith('//'))).map((l) => l.slice(3)).join('\n') + '\n');
  process.exit(0);
}

const fail = (message) => {
  process.stderr.write(`chaos: ${message} (--help for usage)\n`);
  process.exit(2);
};
const wholeNumber = (name, text) => (/^\d+$/.test(text) && Number(text) >= 1 ? Number(text) : fail(`--${name} must be a whole number ≥ 1, got ${text}`));
const mixes = [...new Set(args.mix.split(',').map((m) => m.trim()))];
for (const m of mixes) if (!(m in MIXES)) fail(`unknown mix ${m}; the mixes are ${Object.keys(MIXES).join(', ')}`);
const platforms = args.platform === 'all' ? PLATFORMS : [args.platform];
if (!PLATFORMS.includes(platforms[0])) fail(`unknown platform ${args.platform}`);
const count = args.count !== undefined ? wholeNumber('count', args.count) : args.quick ? 400 : 2000;
const clients = wholeNumber('concurrency', args.concurrency);
const seed = /^\d+$/.test(args.seed) ? Number(args.seed) : fail(`--seed must be a whole number, got ${args.seed}`);
const extraEnv = Object.fromEntries(args.env.map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : fail(`--env wants K=V, got ${kv}`))));

// --- the sequence ---------------------------------------------------------------------------------

/** mulberry32: a small PRNG with a 32-bit seed, floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The kinds to send, in order, until `count` are well-behaved (half echo, half await). */
function planOf(mix, count, seed) {
  const random = prng(seed);
  const wellShare = (1 - Object.values(mix).reduce((a, b) => a + b, 0)) / 2;
  const shares = [...Object.entries(mix), ['echo', wellShare], ['await', wellShare]];
  const plan = [];
  for (let well = 0; well < count;) {
    let r = random();
    const [kind] = shares.find(([, share]) => (r -= share) < 0) ?? shares.at(-1);
    if (WELL_BEHAVED.has(kind)) well++;
    plan.push(kind);
  }
  return plan;
}

// --- one mix on one platform ----------------------------------------------------------------------

const progress = new Progress();
const running = new Set();

/** A fresh runtime; the plan sent by `clients` clients; what came back, the starts and the ledger's counts. */
async function runMix(platform, mixName) {
  const plan = planOf(MIXES[mixName], count, seed);
  const dir = mkdtempSync(path.join(tmpdir(), 'fnpool-chaos-'));
  const startsFile = path.join(dir, 'starts');
  try {
    progress.stage(`${platform} ${mixName}`, 1);
    progress.step('starting the runtime');
    const push = PUSH.has(platform);
    const target = await (push ? FrontTarget : Target).start({
      kind: 'fnpool', name: `fnpool on ${platform}`, platform, handler: 'chaos', warmupEvent: { kind: 'echo' },
      timeout: RUNTIME.timeoutS, memory: RUNTIME.memoryMB, concurrency: RUNTIME.concurrency,
      env: { CHAOS_STARTS_FILE: startsFile, ...extraEnv },
    });
    running.add(target);
    let run;
    try {
      progress.step('warm-up');
      await closedLoop(target, { concurrency: clients, durationMs: WARMUP_MS, warmupMs: 0, event: { kind: 'echo' } });
      progress.step(`${plan.length} invocations`);
      if (push) {
        // One request, one response: answered = a response came (refusals included), duplicates 0.
        run = await drive(target, plan);
        run.ledger = {
          answered: run.outcomes.filter((o) => o.answered).length,
          duplicates: 0,
          refusedPosts: undefined,
        };
      } else {
        const before = target.emulator.stats();
        run = await drive(target, plan);
        const after = target.emulator.stats();
        run.ledger = {
          answered: run.outcomes.filter((o) => target.emulator.answers(o.id) === 1).length,
          duplicates: after.duplicates - before.duplicates,
          refusedPosts: after.rejectedPosts - before.rejectedPosts,
        };
      }
      run.push = push;
    } finally {
      await target.stop();
      running.delete(target);
    }
    // Read once the runtime is gone: every start it recorded is in the file.
    return { plan, ...run, starts: startsOf(startsFile) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The load: `clients` clients, each sending the plan's next invocation while any is left. A client
 * waits for the answer of a well-behaved invocation only: a misbehaving one is sent and left to be
 * answered in the background. The well-behaved are so a closed loop of `clients`, and what the
 * misbehaving cost them is the runtime's doing — were a client held by every loop until its 2 s
 * deadline, 1% of loops would take the clients themselves, and so the well-behaved rate, below
 * 0.2× the clean one with any runtime. One outcome per invocation sent: its errorType ('ok' for a
 * result), undefined when no answer came. Stops sending if the runtime exits (the emulator, or the
 * push front, is then closed: nothing would answer what is outstanding). On a push platform the
 * front (HttpFront, GrpcFront) gives the same InvokeResult as the emulator; a transport failure
 * (TRANSPORT_FAILURES) is no answer, kept in the outcome's `transport`.
 */
async function drive(target, plan) {
  const push = target.front !== undefined;
  const caller = push ? target.front : target.emulator;
  const outcomes = new Array(plan.length);
  const misbehaving = [];
  let next = 0;
  let finished = false;
  let runtimeExit;
  void target.exited.then((exit) => {
    if (finished) return;
    runtimeExit = { ...exit, stderr: target.stderr.slice(-1000) };
    void caller.close();
  });
  const send = async (outcome) => {
    try {
      const res = await caller.invoke({ kind: outcome.kind, id: outcome.id }, { requestId: outcome.id, timeoutMs: NO_ANSWER_MS });
      if (push && !res.ok && TRANSPORT_FAILURES.has(res.error?.errorType)) {
        outcome.transport = `${res.error.errorType}: ${res.error.errorMessage}`;
        return;
      }
      outcome.answered = true;
      outcome.type = res.ok ? 'ok' : res.error?.errorType ?? 'malformed error';
      if (!res.ok) outcome.message = res.error?.errorMessage;
      if (push && outcome.type === REFUSED) outcome.refused = true;
      // A casualty's message names the invocation that took its thread down ("invocation i42 …").
      if (outcome.type === 'Runtime.NeighbourFailed') outcome.culprit = /invocation (i\d+)\b/.exec(res.error?.errorMessage ?? '')?.[1] ?? 'unnamed';
      outcome.latencyMs = res.answeredAt - res.queuedAt;
      // How long it held one of the runtime's admission slots: from its hand-out to its answer. On a
      // push platform handedOutAt is the request sent: the wait for a slot inside the runtime is in it.
      outcome.heldMs = res.answeredAt - res.handedOutAt;
      outcome.answeredAt = res.answeredAt;
      outcome.answeredAtEpochMs = performance.timeOrigin + res.answeredAt;
    } catch (err) {
      if (!(err instanceof EmulatorError && (err.code === 'INVOKE_TIMEOUT' || err.code === 'EMULATOR_CLOSED'))) throw err;
    }
  };
  const client = async () => {
    while (runtimeExit === undefined && next < plan.length) {
      const i = next++;
      const outcome = { kind: plan[i], id: `i${i}`, type: undefined, latencyMs: NaN, heldMs: 0, answeredAt: NaN, answeredAtEpochMs: Infinity, answered: false };
      outcomes[i] = outcome;
      if (WELL_BEHAVED.has(outcome.kind)) await send(outcome);
      else misbehaving.push(send(outcome));
      progress.tick((i + 1) / plan.length, '');
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  await Promise.all(misbehaving);
  finished = true;
  return { outcomes: outcomes.filter(Boolean), startedAt, wallMs: performance.now() - startedAt, runtimeExit };
}

/** When the handler of each well-behaved id started (Date.now(), once per start), from the file it writes. */
function startsOf(file) {
  const starts = new Map();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no well-behaved invocation started
  }
  for (const line of text.split('\n')) {
    const [id, at] = line.split(' ');
    if (id) starts.set(id, [...(starts.get(id) ?? []), Number(at)]);
  }
  return starts;
}

// --- figures --------------------------------------------------------------------------------------

const increment = (record, key) => { record[key] = (record[key] ?? 0) + 1; };

/** The figures of one mix from its outcomes and starts. */
function figuresOf(mixName, { plan, outcomes, starts, startedAt, wallMs, runtimeExit, ledger, push }) {
  const well = outcomes.filter((o) => WELL_BEHAVED.has(o.kind));
  const failed = well.filter((o) => o.type !== 'ok');
  const failedByType = {};
  for (const o of failed) increment(failedByType, o.type ?? 'no answer');
  // Casualties by what their culprit did (its kind in the plan).
  const kindOf = new Map(outcomes.map((o) => [o.id, o.kind]));
  const casualtiesOf = {};
  for (const o of failed) if (o.culprit !== undefined) increment(casualtiesOf, kindOf.get(o.culprit) ?? o.culprit);
  // A start after the answer (the invocation run anyway once it had failed) does not make it a
  // casualty that had started.
  const startedBefore = (o) => (starts.get(o.id) ?? []).some((at) => at <= o.answeredAtEpochMs);
  const neverStarted = failed.filter((o) => !startedBefore(o)).length;

  const misbehavingSent = {};
  const misreported = {};
  let oomAsTimeout = 0;
  // A misbehaving invocation that awaits (a stray exception comes from a timer) can itself be a
  // casualty of another one on its thread: answered Runtime.NeighbourFailed naming that other, it
  // is not misreported.
  let misbehavingCasualties = 0;
  // HTTP mode: refused with 429 (nothing ran) is not an answer of the wrong type; counted apart.
  let misbehavingRefused = 0;
  for (const o of outcomes) {
    if (WELL_BEHAVED.has(o.kind)) continue;
    increment(misbehavingSent, o.kind);
    if (o.type === undefined || EXPECTED[o.kind].has(o.type)) continue;
    if (o.refused) {
      misbehavingRefused++;
      continue;
    }
    if (o.type === 'Runtime.NeighbourFailed' && o.culprit !== undefined && o.culprit !== o.id && o.culprit !== 'unnamed') {
      misbehavingCasualties++;
      continue;
    }
    if (o.kind === 'oom' && o.type === 'Runtime.Timeout') oomAsTimeout++;
    else increment(misreported, `${o.kind}→${o.type}`);
  }

  // The well-behaved throughput counts up to their last answer: a loop sent near the end would
  // otherwise add its deadline to the time.
  const ok = well.filter((o) => o.type === 'ok');
  const lastWellAnswer = ok.reduce((last, o) => Math.max(last, o.answeredAt), startedAt);
  const latency = summarize(well.filter((o) => o.type !== undefined).map((o) => o.latencyMs));
  // Slot-seconds the misbehaving held: a loop holds its slot to its deadline in any runtime that
  // keeps deadlines (its handler cannot be interrupted sooner), whatever happens to its neighbours.
  // On a push platform the same sum is request sent → answer, the wait for a slot in the runtime
  // included: not the slots held, so no slot bound there.
  const misbehavingHeldS = outcomes.filter((o) => !WELL_BEHAVED.has(o.kind)).reduce((sum, o) => sum + o.heldMs, 0) / 1000;
  // What the deadline was seen to be: a loop's hand-out (push: request sent) → its answer.
  const loops = summarize(outcomes.filter((o) => o.kind === 'loop' && o.type !== undefined).map((o) => o.heldMs));
  // What the failed well-behaved were told, a few of each type (a casualty's names its culprit).
  const failedMessages = {};
  for (const o of failed) {
    const key = o.type ?? 'no answer';
    const text = o.type === undefined ? o.transport ?? `no answer within ${NO_ANSWER_MS} ms` : o.message ?? '';
    const seen = (failedMessages[key] ??= []);
    if (seen.length < 3 && !seen.includes(text)) seen.push(text);
  }
  return {
    mix: mixName,
    shares: MIXES[mixName],
    planned: plan.length,
    sent: outcomes.length,
    answered: ledger.answered,
    lost: outcomes.length - ledger.answered,
    duplicates: ledger.duplicates,
    duplicatesBy: push ? 'construction: one request, one response' : "the emulator's ledger",
    refusedPosts: ledger.refusedPosts,
    transportFailures: push ? outcomes.filter((o) => o.transport !== undefined).length : undefined,
    refused: push ? outcomes.filter((o) => o.refused).length : undefined,
    runtimeExit,
    wellBehaved: {
      sent: well.length,
      failed: failed.length,
      failedPct: (100 * failed.length) / well.length,
      failedByType,
      failedMessages,
      casualtiesOf,
      neverStarted,
      started: failed.length - neverStarted,
      startedTwice: well.filter((o) => starts.get(o.id)?.length > 1).length,
      startedAfterAnswer: well.filter((o) => (starts.get(o.id) ?? []).some((at) => at > o.answeredAtEpochMs)).length,
      okPerSecond: ok.length ? ok.length / ((lastWellAnswer - startedAt) / 1000) : 0,
      latencyMs: { p50: latency.p50, p99: latency.p99, max: latency.max },
    },
    misbehaving: {
      sent: misbehavingSent,
      heldSlotSeconds: push ? undefined : misbehavingHeldS,
      sentToAnswerSeconds: push ? misbehavingHeldS : undefined,
      loopAnswerMs: loops.n ? { p50: loops.p50, max: loops.max } : undefined,
      refused: push ? misbehavingRefused : undefined,
      casualties: misbehavingCasualties,
      misreported: Object.values(misreported).reduce((a, b) => a + b, 0),
      misreportedAs: misreported,
      oomAsTimeout,
    },
    wallMs,
  };
}

// --- report ---------------------------------------------------------------------------------------

/**
 * The well-behaved throughput of a mix if misbehaving invocations cost nothing but the admission
 * slots they held (from hand-out to answer) and the well-behaved ran as fast as in the clean mix:
 * N / (N / clean rate + slot-seconds held / slots). What isolation can reach at best; the rest of
 * the gap to the clean mix is the slots themselves.
 */
function admissionBound(figures, clean) {
  if (!clean || clean.wellBehaved.okPerSecond === 0 || figures.misbehaving.heldSlotSeconds === undefined) return undefined;
  const n = figures.wellBehaved.sent;
  return n / (n / clean.wellBehaved.okPerSecond + figures.misbehaving.heldSlotSeconds / RUNTIME.concurrency);
}

const short = (type) => type.replace(/^Runtime\./, '');
const listed = (record) => Object.entries(record).map(([k, n]) => `${short(k)} ${n}`).join(', ') || '—';

function tablesOf(figures) {
  const clean = figures.find((f) => f.mix === 'clean');
  const isolation = {
    headers: ['mix', 'sent', 'answered', 'well-behaved', 'wb failed', 'never started', 'started', 'wb failed as', 'culprits', 'misbehaving, casualties', 'misreported', 'misreported as', 'oom as timeout'],
    rows: figures.map((f) => {
      const w = f.wellBehaved;
      return [f.mix, f0(f.sent), f0(f.answered), f0(w.sent), `${w.failed} (${f2(w.failedPct)}%)`, String(w.neverStarted), String(w.started),
        listed(w.failedByType), listed(w.casualtiesOf ?? {}), String(f.misbehaving.casualties ?? 0), String(f.misbehaving.misreported), listed(f.misbehaving.misreportedAs), String(f.misbehaving.oomAsTimeout)];
    }),
  };
  const speed = {
    headers: ['mix', 'lost', 'duplicated', 'wb started twice', 'wb started after answer', 'wb ok/s', '× clean', 'slot bound/s', '× bound', 'wb p50 ms', 'wb p99 ms', 'wall s', 'runtime'],
    rows: figures.map((f) => {
      const w = f.wellBehaved;
      const exit = f.runtimeExit ? `exited (${f.runtimeExit.signal ?? f.runtimeExit.code})` : 'up';
      const bound = admissionBound(f, clean);
      return [f.mix, String(f.lost), String(f.duplicates), String(w.startedTwice), String(w.startedAfterAnswer), f0(w.okPerSecond), clean ? `${f2(w.okPerSecond / clean.wellBehaved.okPerSecond)}×` : '—',
        bound === undefined ? '—' : f0(bound), bound === undefined ? '—' : `${f2(w.okPerSecond / bound)}×`,
        f1(w.latencyMs.p50), f1(w.latencyMs.p99), f1(f.wallMs / 1000), exit];
    }),
  };
  return { isolation, speed };
}

/** [target, measured, met] for the mixes that ran. */
function targetsOf(platform, figures) {
  const of = (mix) => figures.find((f) => f.mix === mix);
  const targets = [[`${platform}: never-started casualties = 0 in every mix`,
    figures.map((f) => `${f.mix} ${f.wellBehaved.neverStarted}`).join(', '), figures.every((f) => f.wellBehaved.neverStarted === 0)]];
  const loops = of('loops');
  if (loops) targets.push([`${platform}: loops, well-behaved failed ≤ 0.5%`, `${f2(loops.wellBehaved.failedPct)}%`, loops.wellBehaved.failedPct <= 0.5]);
  const realistic = of('realistic');
  if (realistic) {
    const w = realistic.wellBehaved;
    const m = realistic.misbehaving.misreported;
    targets.push([`${platform}: realistic, well-behaved failed ≤ 1%, 0 misreported`, `${f2(w.failedPct)}%, ${m} misreported`, w.failedPct <= 1 && m === 0]);
    const clean = of('clean');
    if (clean) {
      const ratio = w.okPerSecond / clean.wellBehaved.okPerSecond;
      const bound = admissionBound(realistic, clean);
      const boundText = bound === undefined ? 'slot bound —' : `slot bound ${f2(bound / clean.wellBehaved.okPerSecond)}×, ${f2(w.okPerSecond / bound)}× of it reached`;
      targets.push([`${platform}: realistic well-behaved throughput ≥ 0.8× clean`,
        `${f2(ratio)}× (${f0(w.okPerSecond)} vs ${f0(clean.wellBehaved.okPerSecond)}/s); ${boundText}`, ratio >= 0.8]);
    }
  }
  return targets;
}

// --- push platforms -------------------------------------------------------------------------------

/** How the push platforms are run and read, for settings.push in chaos.json. */
const PUSH_SETTINGS = {
  http: {
    front: "HttpFront (src/emulator/http-front.ts), flavour 'fc': FC's front end in front of a custom runtime",
    runtime: 'FC_SERVER_PORT, FC_FUNC_CODE_PATH, FNPOOL_THREADS=2, FNPOOL_CONCURRENCY=16, FNPOOL_MEMORY_MB=256 (and FC_FUNCTION_MEMORY_SIZE), FNPOOL_TIMEOUT=2; FNPOOL_QUEUE unset (= the concurrency: 16 more may wait for a slot, past that the runtime answers 429)',
    deadline: 'x-fc-function-timeout: 2 on each request (seconds from its arrival, a wait for a slot included); FNPOOL_TIMEOUT=2 without it',
    errorType: "the front's InvokeResult.error: x-fc-error-type, else the JSON body's errorType; errorMessage from the body (FC answers an error 404)",
    exactlyOnce: 'one HTTP request, one response: answered = a response came (a 429 included), lost = none within NO_ANSWER_MS or a transport failure (Fnpool.RuntimeExited from the front), duplicated 0 by construction (not measured: a second answer cannot reach the caller)',
    refused: "HTTP 429 (Fnpool.TooManyRequests): the runtime full, nothing ran; counted in figures.refused, in the well-behaved failures, and apart from a misbehaving invocation's misreports (misbehaving.refused)",
    slotBound: "not measurable: handedOutAt is the request sent, so a wait for a slot inside the runtime is in hand-out → answer (misbehaving.sentToAnswerSeconds); the bound is '—'",
  },
  openedge: {
    front: "GrpcFront (src/emulator/grpc-front.ts): OpenEdge's function module, Runtime.Handle per invocation on one HTTP/2 connection, no call deadline",
    runtime: "bootstrap -c '<config>': function.instance.max 16 (OpenEdge's concurrency; FNPOOL_CONCURRENCY may only lower it), instance.timeout 2s, server.timeout 30s; FNPOOL_THREADS=2, FNPOOL_MEMORY_MB=256",
    deadline: 'function.instance.timeout 2s, from the call\'s arrival (a wait for a slot included); the front sets no gRPC deadline that could shorten it',
    errorType: "the front's InvokeResult.error: the fnpool-error trailer (the runtime's JSON error: errorType, errorMessage, stackTrace, at most 4096 characters), else grpc.<STATUS> with the status details",
    exactlyOnce: 'one unary call, one status: answered = a reply or a status came, lost = none within NO_ANSWER_MS or a transport failure (Fnpool.RuntimeExited: UNAVAILABLE or the runtime gone; grpc.CANCELLED), duplicated 0 by construction (not measured)',
    slotBound: "not measurable: handedOutAt is the call started, so a wait for a slot inside the runtime is in hand-out → answer (misbehaving.sentToAnswerSeconds); the bound is '—'",
  },
};

/** Lines under a push platform's tables: what its columns mean there, and what the table does not show. */
function pushNotes(platform, figures) {
  const lines = [`${platform}: duplicated is 0 by construction (one request, one response), lost = no response (timeout or transport failure); slot bound —: the front cannot see when the runtime gave an invocation its slot`];
  for (const f of figures) {
    const extra = [];
    if (f.refused) extra.push(`${f.refused} refused 429 (${f.misbehaving.refused} of them misbehaving, not counted as misreported)`);
    if (f.transportFailures) extra.push(`${f.transportFailures} transport failures (in lost)`);
    const loop = f.misbehaving.loopAnswerMs;
    if (loop) extra.push(`the 2 s deadline: loops answered after p50 ${f0(loop.p50)} ms, max ${f0(loop.max)} ms from the request sent`);
    if (extra.length) lines.push(`  ${f.mix}: ${extra.join('; ')}`);
  }
  return lines.join('\n') + '\n\n';
}

// --- main -----------------------------------------------------------------------------------------

process.on('SIGINT', () => {
  progress.clear();
  process.stderr.write('\ninterrupted: stopping the runtime…\n');
  void Promise.allSettled([...running].map((t) => t.stop())).then(() => process.exit(130));
});

const machine = describeMachine();
const settings = {
  count, clients, seed, mixes: Object.fromEntries(mixes.map((m) => [m, MIXES[m]])),
  runtime: { ...RUNTIME, FNPOOL_LOG_LEVEL: 'warn', env: extraEnv },
  expectedLoopTypes: [...EXPECTED_LOOP_TYPES],
  latency: "caller's view: invocation queued in the emulator → answer received",
  throughput: 'well-behaved answered ok per second, from the first send to the last well-behaved answer',
  slotBound: 'well-behaved per second if the misbehaving cost only the admission slots they held (hand-out to answer): N / (N / clean rate + held slot-seconds / concurrency)',
  push: Object.fromEntries(platforms.filter((p) => PUSH.has(p)).map((p) => [p, PUSH_SETTINGS[p]])),
};
process.stdout.write(`fnpool chaos — ${count} well-behaved per mix, ${clients} clients, seed ${seed}; ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}, fnpool ${machine.commit}\n\n`);

const started = Date.now();
const results = {};
const targets = [];
for (const platform of platforms) {
  const figures = [];
  for (const mixName of mixes) {
    try {
      figures.push(figuresOf(mixName, await runMix(platform, mixName)));
    } catch (err) {
      progress.clear();
      process.stderr.write(`\n${platform} ${mixName} failed: ${err?.stack ?? err}\n`);
      process.exit(1);
    }
  }
  progress.clear();
  const tables = tablesOf(figures);
  process.stdout.write(`${platform}: isolation (wb = well-behaved)\n${table(tables.isolation.headers, tables.isolation.rows)}\n\n`);
  process.stdout.write(`${platform}: exactly once and speed\n${table(tables.speed.headers, tables.speed.rows)}\n\n`);
  if (PUSH.has(platform)) process.stdout.write(pushNotes(platform, figures));
  results[platform] = { figures, tables };
  targets.push(...targetsOf(platform, figures));
}

const targetRows = targets.map(([what, measured, met]) => [what, measured, met ? 'PASS' : 'FAIL']);
process.stdout.write(`Targets\n${table(['target', 'measured', ''], targetRows)}\n`);
const seconds = (Date.now() - started) / 1000;
const resultsDir = path.join(BENCH, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, 'chaos.json');
writeFileSync(file, JSON.stringify({
  scenario: 'chaos', title: 'Chaos: does a misbehaving invocation fail alone?', at: new Date().toISOString(), machine, settings, seconds,
  platforms: results, targets: targets.map(([target, measured, met]) => ({ target, measured, met })),
}, null, 2) + '\n');
process.stdout.write(`\n${seconds.toFixed(1)} s in all; results in ${path.relative(process.cwd(), file)}\n`);
