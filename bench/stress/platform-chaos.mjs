#!/usr/bin/env node
// Chaos of the platform: does the runtime lose or repeat anything when the platform's runtime API
// fails, does it stay idle while the API is away, and does it drain on SIGTERM meanwhile?
// `node bench/stress/platform-chaos.mjs [--quick]` (after `npm run build`).
//
// For each pull platform (FunctionGraph, Lambda, FC): fnpool's real bootstrap against the local
// emulator, 16 invocations in flight, under a steady open-loop load (300/s, 100/s quick) of a
// handler that awaits 5 ms. Scenarios (bench/stress/lib/chaos-scenarios.mjs): (a) the API
// restarted mid-poll (the load waits a moment for polls to be held), (b) restarted mid-post (posts delayed so that some are being handled; one
// restart drops them, one records them and loses the response), (c) down 10 s (2 s quick), then
// back, (d) hand-outs and answers delayed 2.5 s (1 s quick), (e) 5xx on every poll and post for
// 10 s (2 s quick); and (f) SIGTERM during each of them, on a runtime of its own.
//
// Measured per scenario, from the emulator's ledger and the runtime's own records: invocations
// sent, answered, lost (sent and never answered; with SIGTERM: taken by the runtime and never
// answered), duplicated (run twice), repeats (posts refused 409: a retry of an answer recorded
// before its response was lost); the runtime's CPU from /proc/<pid>/stat during each outage of
// 1 s or more (after 0.5 s of settling); the longest gap between two failed attempts of one poll
// during an outage (capped by the backoff's ceiling); how long after the API returned the first
// invocation was handed out, and the queue the outage left was drained; with SIGTERM, the exit
// status and time. Each platform runs in two lanes at once: the scenarios one after another on
// one runtime, and their SIGTERM variants one after another beside them; the full run takes the
// platforms one after another (six runtimes at 300/s would saturate two cores, and a saturated
// runtime holds no poll to cut), --quick all three at once, to stay within ~25 s.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS } from '../../dist/platforms/backoff.js';
import { ChaosRuntime, startEmulatorOffEphemeral } from './lib/chaos-runtime.mjs';
import { SteadyLoad } from './lib/chaos-load.mjs';
import { SCENARIOS, TIMINGS } from './lib/chaos-scenarios.mjs';
import { table } from '../lib/report.mjs';

const PLATFORMS = ['functiongraph', 'lambda', 'fc'];
const CONCURRENCY = 16;
const EVENT = { ms: 5 };
const FUNCTION_TIMEOUT_S = 30;
/** The runtime's CPU while the API is away, on average, at most (% of one core). */
const CPU_TARGET_PCT = 5;
/** Outages shorter than this are too short to average the CPU over (10 ms ticks). */
const CPU_MIN_WINDOW_MS = 1000;
/** The start of an outage not counted in its CPU: answers in flight fail and start backing off. */
const CPU_SETTLE_MS = 500;
/** Slack on the backoff's ceiling for a gap between attempts (the failed request's own time, timers on busy cores). */
const GAP_MARGIN_MS = 500;
/** Slack on the backoff's ceiling for the first hand-out after the API returned. */
const RESUME_MARGIN_MS = 1500;
/** Slack on the shutdown timeout for the exit after SIGTERM. */
const EXIT_MARGIN_MS = 3000;
/** How long the answers of a scenario may take to come in once the load stopped. */
const DRAIN_TIMEOUT_MS = 30_000;
/** After a runtime exited: time for the emulator to see its sockets close (an unread hand-out is taken back). */
const EXIT_SETTLE_MS = 300;
/** A retry of a recorded answer is done, not refused: the runtime must not log its 409 as a refusal. */
const REFUSED_REPEAT = /refused .* with HTTP 409/;

/** Runs the platform chaos and reports it: { name, rows, failures, figures }. */
export async function run({ quick = false, log = () => {} } = {}) {
  const t = quick ? TIMINGS.quick : TIMINGS.full;
  const started = performance.now();
  const lanes = (platform) => Promise.all([scenariosLane(platform, t, log), sigtermLane(platform, t, log)]);
  const outcomes = [];
  if (quick) outcomes.push(...(await Promise.all(PLATFORMS.map(lanes))).flat(2));
  else for (const platform of PLATFORMS) outcomes.push(...(await lanes(platform)).flat());
  const rows = [];
  const failures = [];
  const platforms = {};
  for (const platform of PLATFORMS) {
    platforms[platform] = {};
    for (const scenario of SCENARIOS) {
      for (const sigterm of [false, true]) {
        const o = outcomes.find((x) => x.platform === platform && x.key === scenario.key && x.sigterm === sigterm);
        rows.push({ platform, kind: o.kind, tried: o.tried, outcome: describe(o), ok: o.problems.length === 0 });
        for (const problem of o.problems) failures.push(`${platform}, ${o.kind}: ${problem}`);
        (platforms[platform][scenario.key] ??= {})[sigterm ? 'sigterm' : 'steady'] = o.figures;
      }
    }
  }
  return {
    name: 'chaos of the platform',
    rows,
    failures,
    figures: {
      mode: quick ? 'quick' : 'full',
      seconds: Math.round((performance.now() - started) / 100) / 10,
      load: { ratePerS: t.rate, concurrency: CONCURRENCY, handler: `bench/handlers/io, ${EVENT.ms} ms`, shutdownTimeoutMs: t.shutdownTimeoutMs },
      backoff: { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS, source: 'BACKOFF_CAP_MS in src/platforms/backoff.ts' },
      cpuTargetPct: CPU_TARGET_PCT,
      platforms,
    },
  };
}

// --- lanes --------------------------------------------------------------------------------------

/** Every scenario in turn on one runtime under steady load. */
async function scenariosLane(platform, t, log) {
  const emulator = await startEmulatorOffEphemeral(platform, FUNCTION_TIMEOUT_S * 1000);
  let runtime;
  try {
    runtime = await ChaosRuntime.start(emulator, runtimeSettings(t));
    const load = new SteadyLoad(emulator, { rate: t.rate, event: EVENT });
    const outcomes = [];
    for (const scenario of SCENARIOS) {
      log(`${platform}: (${scenario.key}) ${scenario.kind}`);
      outcomes.push(await steadyScenario(platform, scenario, emulator, runtime, load, t));
    }
    return outcomes;
  } finally {
    runtime?.kill();
    await emulator.close();
  }
}

/** The SIGTERM variant of every scenario in turn, each on a runtime of its own. */
async function sigtermLane(platform, t, log) {
  const outcomes = [];
  for (const scenario of SCENARIOS) {
    log(`${platform}: (f) SIGTERM during (${scenario.key}) ${scenario.kind}`);
    outcomes.push(await sigtermScenario(platform, scenario, t));
  }
  return outcomes;
}

function runtimeSettings(t) {
  return { concurrency: CONCURRENCY, shutdownTimeoutMs: t.shutdownTimeoutMs, timeoutS: FUNCTION_TIMEOUT_S };
}

// --- one scenario -------------------------------------------------------------------------------

/** A scenario on a runtime that keeps running: everything sent must be answered once. */
async function steadyScenario(platform, scenario, emulator, runtime, load, t) {
  const watch = new OutageWatch(emulator, runtime);
  const before = { repeats: emulator.stats().duplicates, warnings: runtime.warnings.length, errors: runtime.errors.length };
  const tally = load.begin(`${platform}-${scenario.key}`);
  await sleep(t.leadMs);
  const { tried, missed } = await scenario.disturb({ emulator, t, load, ...watch.marks(), sigterm: () => {} });
  await sleep(t.tailMs);
  load.pause();
  await tally.settled(DRAIN_TIMEOUT_MS);
  await sleep(EXIT_SETTLE_MS); // the last "invocation finished" records
  watch.close();

  const answered = tally.ids.filter((id) => emulator.answers(id) === 1).length;
  const outages = watch.summary(runtime.pollFaults);
  const figures = {
    sent: tally.ids.length,
    answered,
    lost: tally.ids.length - answered,
    duplicated: duplicatedIn(tally, runtime),
    repeats: emulator.stats().duplicates - before.repeats,
    errors: tally.errorTypes(),
    ...outages,
  };
  const warnings = runtime.warnings.slice(before.warnings);
  const errors = runtime.errors.slice(before.errors);
  const problems = [
    ...(missed === undefined ? [] : [`the scenario missed its point: ${missed}`]),
    ...countProblems(figures),
    ...outageProblems(figures),
    ...(runtime.running ? [] : [`the runtime exited (${runtime.child.exitCode ?? runtime.child.signalCode})`]),
    ...warnings.filter((r) => REFUSED_REPEAT.test(r.msg)).slice(0, 1).map((r) => `a repeat's 409 was logged as a refusal: ${r.msg}`),
    ...errors.slice(0, 3).map(loggedError),
  ];
  return { platform, key: scenario.key, kind: `(${scenario.key}) ${scenario.kind}`, sigterm: false, tried, figures, problems };
}

/** A scenario with SIGTERM in the middle of it: drained, exit 0 in time, everything taken answered once. */
async function sigtermScenario(platform, scenario, t) {
  const emulator = await startEmulatorOffEphemeral(platform, FUNCTION_TIMEOUT_S * 1000);
  let runtime;
  try {
    runtime = await ChaosRuntime.start(emulator, runtimeSettings(t));
    const load = new SteadyLoad(emulator, { rate: t.rate, event: EVENT });
    const tally = load.begin(`${platform}-${scenario.key}-sigterm`);
    await sleep(t.leadMs);
    let exit;
    const sigterm = () => {
      if (exit !== undefined) return;
      load.pause();
      exit = runtime.terminate(t.shutdownTimeoutMs + EXIT_MARGIN_MS + 10_000);
    };
    // Nothing is sent once the runtime was told to stop: a stopping runtime takes nothing new.
    const loadUntilSigterm = { pause: () => load.pause(), resume: () => exit === undefined && load.resume() };
    const noMarks = { outageBegins: () => {}, outageEnds: () => {} };
    const { tried, missed } = await scenario.disturb({ emulator, t, load: loadUntilSigterm, ...noMarks, sigterm });
    const { code, signal, ms } = await exit;
    await sleep(EXIT_SETTLE_MS);
    const stats = emulator.stats();
    const answered = tally.ids.filter((id) => emulator.answers(id) === 1).length;
    const figures = {
      sent: tally.ids.length,
      answered,
      lost: stats.inFlight,
      neverTaken: stats.waiting,
      duplicated: duplicatedIn(tally, runtime),
      repeats: stats.duplicates,
      errors: tally.errorTypes(),
      exitCode: code ?? signal,
      exitMs: Math.round(ms),
    };
    const bound = t.shutdownTimeoutMs + EXIT_MARGIN_MS;
    const problems = [
      ...(missed === undefined ? [] : [`the scenario missed its point: ${missed}`]),
      ...countProblems(figures),
      ...(code === 0 ? [] : [`exit status ${code ?? signal}, not 0`]),
      ...(ms <= bound ? [] : [`exited ${Math.round(ms)} ms after SIGTERM, over ${bound} ms (shutdown timeout + ${EXIT_MARGIN_MS} ms)`]),
      ...(answered + figures.lost + figures.neverTaken === figures.sent ? [] : [`${figures.sent} sent, but ${answered} answered + ${figures.lost} lost + ${figures.neverTaken} never taken`]),
      ...runtime.errors.slice(0, 3).map(loggedError),
    ];
    return { platform, key: scenario.key, kind: `(f) SIGTERM during (${scenario.key})`, sigterm: true, tried, figures, problems };
  } finally {
    runtime?.kill();
    await emulator.close();
  }
}

function loggedError(record) {
  return `the runtime logged an error: ${record.msg}${record.err?.message ? ` (${record.err.message})` : ''}`;
}

/** Invocations the runtime ran more than once (one "invocation finished" record per run). */
function duplicatedIn(tally, runtime) {
  return tally.ids.filter((id) => (runtime.finished.get(id) ?? 0) > 1).length;
}

function countProblems(f) {
  const problems = [];
  if (f.lost > 0) problems.push(`${f.lost} of ${f.sent} invocations lost`);
  if (f.duplicated > 0) problems.push(`${f.duplicated} invocations ran twice`);
  return problems;
}

function outageProblems(f) {
  const problems = [];
  if (f.cpuPct > CPU_TARGET_PCT) problems.push(`the runtime used ${f.cpuPct.toFixed(1)}% of a core while the API was away (target ≤ ${CPU_TARGET_PCT}%)`);
  if (f.longestGapMs > BACKOFF_CAP_MS + GAP_MARGIN_MS) problems.push(`a poll waited ${f.longestGapMs} ms between attempts (cap ${BACKOFF_CAP_MS} ms)`);
  if (f.resumeMs > BACKOFF_CAP_MS + RESUME_MARGIN_MS) problems.push(`the first hand-out came ${f.resumeMs} ms after the API returned`);
  if (f.outages > 0 && !(f.resumeMs >= 0)) problems.push('nothing was handed out after the API returned');
  return problems;
}

// --- outages: CPU, poll gaps, resume ------------------------------------------------------------

/**
 * The windows in which a scenario made the API unavailable: the runtime's CPU over each (after
 * CPU_SETTLE_MS), the failed poll attempts in it, and the first hand-out after its end.
 */
class OutageWatch {
  #emulator;
  #runtime;
  #windows = [];
  #onHandout = () => {
    const last = this.#windows.at(-1);
    if (last?.endedAt === undefined || last.drainMs !== undefined) return;
    const since = performance.now() - last.endedAt;
    last.resumeMs ??= since;
    if (this.#emulator.stats().waiting === 0) last.drainMs = since;
  };

  constructor(emulator, runtime) {
    this.#emulator = emulator;
    this.#runtime = runtime;
    emulator.on('handout', this.#onHandout);
  }

  /** The context's marks: the API becomes unavailable, the API is back. */
  marks() {
    return {
      outageBegins: () => {
        const window = { from: Date.now(), to: undefined, endedAt: undefined, resumeMs: undefined, drainMs: undefined, cpu: undefined };
        window.settle = setTimeout(() => { window.cpu = { at: performance.now(), ms: this.#runtime.cpuMs() }; }, CPU_SETTLE_MS);
        this.#windows.push(window);
      },
      outageEnds: () => {
        const window = this.#windows.at(-1);
        clearTimeout(window.settle);
        window.to = Date.now();
        window.endedAt = performance.now();
        if (window.cpu !== undefined && window.endedAt - window.cpu.at >= CPU_MIN_WINDOW_MS - CPU_SETTLE_MS) {
          window.cpuPct = (100 * (this.#runtime.cpuMs() - window.cpu.ms)) / (window.endedAt - window.cpu.at);
        }
      },
    };
  }

  close() {
    this.#emulator.off('handout', this.#onHandout);
  }

  /**
   * Figures over every window, the worst of each: CPU (of windows long enough), the longest gap
   * between two attempts of one poll, the attempts a second, the resume and the drain.
   */
  summary(pollFaults) {
    const out = { outages: this.#windows.length, cpuPct: undefined, longestGapMs: undefined, attemptsPerS: undefined, resumeMs: undefined, drainMs: undefined };
    const worst = (key, value) => {
      if (value !== undefined) out[key] = Math.max(out[key] ?? 0, value);
    };
    for (const w of this.#windows) {
      worst('cpuPct', w.cpuPct);
      worst('resumeMs', w.resumeMs === undefined ? undefined : Math.round(w.resumeMs));
      worst('drainMs', w.drainMs === undefined ? undefined : Math.round(w.drainMs));
      const gaps = pollGaps(pollFaults, w.from, w.to);
      if (gaps.attempts === 0) continue;
      worst('longestGapMs', gaps.longestMs);
      worst('attemptsPerS', gaps.attempts / ((w.to - w.from) / 1000));
    }
    return out;
  }
}

/**
 * The failed poll attempts within [from, to] (epoch ms): how many, and the longest gap between two
 * consecutive ones of the same poll.
 */
function pollGaps(pollFaults, from, to) {
  const byPoll = new Map();
  let attempts = 0;
  let longestMs = 0;
  for (const f of pollFaults) {
    if (f.time < from || f.time > to) continue;
    attempts++;
    const previous = byPoll.get(f.poll);
    if (previous !== undefined) longestMs = Math.max(longestMs, f.time - previous);
    byPoll.set(f.poll, f.time);
  }
  return { attempts, longestMs };
}

// --- report -------------------------------------------------------------------------------------

function describe(o) {
  const f = o.figures;
  const parts = [`sent ${f.sent}, answered ${f.answered}, lost ${f.lost}, duplicated ${f.duplicated}, repeats (409) ${f.repeats}`];
  if (o.sigterm) parts.push(`never taken ${f.neverTaken}; exit ${f.exitCode} after ${f.exitMs} ms`);
  if (f.cpuPct !== undefined) parts.push(`CPU while away ${f.cpuPct.toFixed(1)}% of a core`);
  if (f.longestGapMs !== undefined) parts.push(`longest poll gap ${f.longestGapMs} ms (${f.attemptsPerS.toFixed(1)} attempts/s)`);
  if (f.resumeMs !== undefined) parts.push(`first hand-out ${f.resumeMs} ms after the return, backlog drained after ${f.drainMs ?? '—'} ms`);
  const errors = Object.entries(f.errors).map(([type, n]) => `${type} ×${n}`).join(', ');
  if (errors !== '') parts.push(`answered with errors: ${errors}`);
  return parts.join('; ');
}

const ms = (v) => (v === undefined ? '' : `${Math.round(v)} ms`);

/** The report as text: one table per platform, what each scenario tried, the failures. */
export function formatReport(report) {
  const { figures } = report;
  const lines = [
    `${report.name} (${figures.mode}, ${figures.seconds} s): ${figures.load.ratePerS}/s, ${figures.load.concurrency} in flight, ` +
      `${figures.load.handler}; backoff ${figures.backoff.baseMs} ms doubling to a cap of ${figures.backoff.capMs} ms (${figures.backoff.source})`,
  ];
  for (const platform of PLATFORMS) {
    const rows = report.rows.filter((r) => r.platform === platform);
    const body = SCENARIOS.flatMap((s) => {
      const { steady, sigterm } = figures.platforms[platform][s.key];
      return [
        [`(${s.key}) ${s.kind}`, steady.sent, steady.answered, steady.lost, steady.duplicated, steady.repeats,
          steady.cpuPct === undefined ? '' : `${steady.cpuPct.toFixed(1)}%`, ms(steady.longestGapMs), ms(steady.resumeMs), '',
          rows.find((r) => r.kind.startsWith(`(${s.key})`)).ok ? 'ok' : 'FAILED'],
        [`  + SIGTERM`, sigterm.sent, sigterm.answered, sigterm.lost, sigterm.duplicated, sigterm.repeats, '', '', '',
          `${sigterm.exitCode} in ${sigterm.exitMs} ms (${sigterm.neverTaken} never taken)`,
          rows.find((r) => r.kind === `(f) SIGTERM during (${s.key})`).ok ? 'ok' : 'FAILED'],
      ];
    });
    lines.push('', platform, table(['scenario', 'sent', 'answered', 'lost', 'dup', '409', 'CPU away', 'poll gap', 'resume', 'SIGTERM exit', ''], body));
  }
  lines.push('', 'what each scenario did (FunctionGraph):');
  for (const row of report.rows.filter((r) => r.platform === PLATFORMS[0])) lines.push(`  ${row.kind}: ${row.tried}`);
  lines.push('', report.failures.length === 0 ? 'no failures' : `${report.failures.length} failure(s):`);
  for (const failure of report.failures) lines.push(`  - ${failure}`);
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const report = await run({ quick: values.quick, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
