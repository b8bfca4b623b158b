// Closed-loop load: keep `concurrency` invocations outstanding against one target's emulator for a
// warm-up, then a measured window. Latency is the emulator's view: handed out → answer received.
// Also samples the runtime's RSS and the CPU time of every thread of the runtime and of this
// process (the emulator and the load generator) over the measured window.
import { performance } from 'node:perf_hooks';
import { cpuBetween, machineBusyMs, nextRequestId, rssMB, threadCpu } from './proc.mjs';
import { summarize } from './stats.mjs';

/**
 * @param {import('./proc.mjs').Target} target
 * @param {{ concurrency: number, durationMs: number, warmupMs?: number, event?: unknown, onTick?: (info) => void }} opts
 */
export async function closedLoop(target, { concurrency, durationMs, warmupMs = 300, event = {}, onTick, keepSamples = false, drainMs = 2000 }) {
  const em = target.emulator;
  const body = Buffer.from(JSON.stringify(event));
  const start = performance.now();
  const windowStart = start + warmupMs;
  const windowEnd = windowStart + durationMs;
  let latencies = new Float64Array(4096);
  let n = 0;
  let errors = 0;
  let firstError;
  let stopping = false;
  let inWindowDone = 0;
  let cpuBefore;
  let selfBefore;
  let windowStarted = false;
  const rss = [];

  const record = (lat) => {
    if (n === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[n++] = lat;
  };

  const startWindow = () => {
    windowStarted = true;
    cpuBefore = threadCpu(target.pid);
    selfBefore = { cpu: process.cpuUsage(), at: performance.now(), machine: machineBusyMs() };
  };

  const loop = async () => {
    while (!stopping) {
      let res;
      try {
        // Past the window, invocations still queued in the emulator are withdrawn after drainMs
        // (a sequential runtime with 256 queued would otherwise take 5 s to drain them).
        const timeoutMs = Math.max(0, windowEnd - performance.now()) + drainMs;
        res = await em.invoke(body, { requestId: nextRequestId(), timeoutMs });
      } catch (err) {
        if (stopping || performance.now() >= windowEnd) break;
        errors++;
        firstError ??= String(err?.message ?? err);
        continue;
      }
      const t = res.answeredAt;
      if (t >= windowStart && t < windowEnd) {
        inWindowDone++;
        record(t - res.handedOutAt);
        if (!res.ok) {
          errors++;
          firstError ??= JSON.stringify(res.error);
        }
      }
      if (t >= windowEnd) stopping = true;
    }
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    if (!windowStarted && now >= windowStart) startWindow();
    if (windowStarted && now < windowEnd) rss.push(rssMB(target.pid));
    onTick?.({ progress: Math.min(1, (now - start) / (warmupMs + durationMs)), done: inWindowDone,
      rate: windowStarted ? inWindowDone / ((Math.min(now, windowEnd) - windowStart) / 1000) : 0 });
    if (now >= windowEnd) stopping = true;
  }, 50);
  // The window must start on time even when the event loop is busy with answers.
  const windowTimer = setTimeout(() => { if (!windowStarted) startWindow(); }, warmupMs);
  const endTimer = setTimeout(() => { stopping = true; }, warmupMs + durationMs + 5);

  let cpuAfter;
  let selfAfter;
  const endSample = setTimeout(() => {
    cpuAfter = threadCpu(target.pid);
    selfAfter = { cpu: process.cpuUsage(), at: performance.now(), machine: machineBusyMs() };
  }, warmupMs + durationMs);

  await Promise.all(Array.from({ length: concurrency }, loop));
  clearInterval(ticker);
  clearTimeout(windowTimer);
  clearTimeout(endTimer);
  clearTimeout(endSample);
  if (!windowStarted) startWindow();
  cpuAfter ??= threadCpu(target.pid);
  selfAfter ??= { cpu: process.cpuUsage(), at: performance.now(), machine: machineBusyMs() };

  const seconds = durationMs / 1000;
  const lat = summarize(latencies.subarray(0, n));
  const runtimeCpu = cpuBetween(target.pid, cpuBefore, cpuAfter);
  const selfCpuMs = (selfAfter.cpu.user - selfBefore.cpu.user + selfAfter.cpu.system - selfBefore.cpu.system) / 1000;
  const wallMs = selfAfter.at - selfBefore.at;
  const finiteRss = rss.filter(Number.isFinite);
  return {
    target: target.name,
    concurrency,
    samples: keepSamples ? Array.from(latencies.subarray(0, n)) : undefined,
    durationMs,
    completed: n,
    errors,
    firstError,
    throughput: n / seconds,
    latencyMs: lat,
    rssMB: finiteRss.length ? { mean: finiteRss.reduce((a, b) => a + b, 0) / finiteRss.length, max: Math.max(...finiteRss) } : undefined,
    cpu: {
      wallMs,
      // CPU ms per invocation and cores used, of the runtime and of the emulator + load generator.
      runtimeCores: runtimeCpu.totalMs / wallMs,
      emulatorCores: selfCpuMs / wallMs,
      // Everything else on the machine (other processes): noise that this run could not control.
      otherCores: Math.max(0, (selfAfter.machine - selfBefore.machine - runtimeCpu.totalMs - selfCpuMs) / wallMs),
      runtimeUsPerInvocation: n ? (runtimeCpu.totalMs * 1000) / n : undefined,
      emulatorUsPerInvocation: n ? (selfCpuMs * 1000) / n : undefined,
      threads: runtimeCpu.threads.slice(0, 8).map((t) => ({ ...t, cores: t.ms / wallMs })),
    },
  };
}
