// What every scenario shares: measuring one target with progress, and aggregating rounds.
import { closedLoop } from '../../dist/loadgen/load.js';
import { waitForQuiet } from '../../dist/loadgen/proc.js';
import { PushTarget } from '../lib/push-targets.mjs';
import { Target } from '../lib/targets.mjs';

export async function measure(ctx, target, opts) {
  ctx.progress.step(`${target.name} @ ${opts.concurrency}`);
  const quiet = ctx.mode.quietWaitMs > 0 ? await waitForQuiet({ maxWaitMs: ctx.mode.quietWaitMs }) : { cores: NaN, waitedMs: 0 };
  if (quiet.waitedMs > 300) ctx.progress.step(`${target.name} @ ${opts.concurrency} (waited ${(quiet.waitedMs / 1000).toFixed(1)} s for a quiet machine)`);
  const t0 = Date.now();
  const res = await closedLoop(target, {
    warmupMs: ctx.mode.warmupMs,
    durationMs: ctx.mode.durationMs,
    drainMs: ctx.mode.drainMs,
    ...opts,
    onTick: ({ progress, rate }) => ctx.progress.tick(progress, rate ? `${Math.round(rate).toLocaleString('en-US')}/s` : ''),
  });
  res.quietBefore = quiet;
  res.wallMs = Date.now() - t0;
  if (process.env.BENCH_DEBUG) ctx.progress.log(`  ${target.name} @ ${opts.concurrency}: ${res.wallMs} ms`);
  ctx.progress.advance();
  if (res.errors > 0) ctx.progress.log(`  ! ${target.name} @ ${opts.concurrency}: ${res.errors} errors, first: ${res.firstError}`);
  return res;
}

/**
 * Starts the targets: one after another in a full run (their start-ups would disturb each other's
 * warm-up), all at once in a quick run. A spec of platform 'http' is a runtime the load calls.
 */
export async function startAll(ctx, specs) {
  const targets = {};
  const start = async ([key, spec]) => {
    const runtime = spec.platform === 'http' ? PushTarget : Target;
    targets[key] = await runtime.start({ nodeArgs: ctx.nodeArgsFor?.(spec), ...spec });
    ctx.targets.add(targets[key]);
  };
  if (ctx.mode.name === 'quick') {
    ctx.progress.step(`starting ${Object.keys(specs).length} runtimes`);
    await Promise.all(Object.entries(specs).map(start));
  } else {
    for (const entry of Object.entries(specs)) {
      ctx.progress.step(`starting ${entry[1].name}`);
      await start(entry);
    }
  }
  return targets;
}

/** Stops the targets, all at once (nothing is measured any more). */
export async function stopAll(ctx, targets) {
  await Promise.all(Object.values(targets).map(async (t) => {
    await t.stop();
    ctx.targets.delete(t);
  }));
}

const mid = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/** Median over rounds of each figure of several runs of the same target and level. */
export function aggregate(runs) {
  if (runs.length === 0) return undefined;
  const pick = (f) => mid(runs.map(f));
  return {
    target: runs[0].target,
    concurrency: runs[0].concurrency,
    rounds: runs.length,
    completed: runs.reduce((a, r) => a + r.completed, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    refused: runs.reduce((a, r) => a + r.refused, 0),
    throughput: pick((r) => r.throughput),
    throughputPerRound: runs.map((r) => r.throughput),
    latencyMs: {
      p50: pick((r) => r.latencyMs.p50),
      p90: pick((r) => r.latencyMs.p90),
      p99: pick((r) => r.latencyMs.p99),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    rssMB: runs[0].rssMB ? { mean: pick((r) => r.rssMB?.mean ?? NaN), max: Math.max(...runs.map((r) => r.rssMB?.max ?? NaN)) } : undefined,
    cpu: {
      runtimeCores: pick((r) => r.cpu.runtimeCores),
      emulatorCores: pick((r) => r.cpu.emulatorCores),
      otherCores: pick((r) => r.cpu.otherCores),
      runtimeUsPerInvocation: pick((r) => r.cpu.runtimeUsPerInvocation ?? NaN),
      emulatorUsPerInvocation: pick((r) => r.cpu.emulatorUsPerInvocation ?? NaN),
      threads: runs[runs.length - 1].cpu.threads,
      otherCoresPerRound: runs.map((r) => r.cpu.otherCores),
    },
  };
}
