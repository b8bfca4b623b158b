// What Linux's /proc says about a process under test and about the machine: resident memory, CPU
// time per thread, busy time of every core. Off Linux (no /proc) the readers return NaN or nothing,
// and the figures built on them are missing rather than wrong.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** /proc counts CPU time in clock ticks; USER_HZ is 100 on every Linux. */
const TICK_MS = 10;

/** Resident memory of a process now (VmRSS), MB; NaN when it cannot be read. */
export function rssMB(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) of each thread of a process, keyed by thread id. */
export type ThreadCpuSample = Record<string, { comm: string; ms: number }>;

/** CPU time of each thread of a process so far, from /proc/<pid>/task/<tid>/stat; {} when unreadable. */
export function threadCpu(pid: number | undefined): ThreadCpuSample {
  const out: ThreadCpuSample = {};
  if (pid === undefined) return out;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The name (comm) is in parentheses and may itself hold spaces or parentheses.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // utime and stime: fields 14 and 15 of stat(5), 11 and 12 after the name and state.
      out[tid] = { comm, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
    } catch {
      // the thread ended
    }
  }
  return out;
}

export interface ThreadCpu {
  tid: number;
  comm: string;
  ms: number;
  /** The process's main thread (tid = pid). */
  main: boolean;
}

export interface CpuBetween {
  totalMs: number;
  /** Threads that used CPU between the samples, busiest first. */
  threads: ThreadCpu[];
}

/**
 * CPU ms per thread between two threadCpu() samples. A thread that ended in between is missing
 * from `after` and its time is lost: the total is a lower bound when threads come and go.
 */
export function cpuBetween(pid: number | undefined, before: ThreadCpuSample, after: ThreadCpuSample): CpuBetween {
  const threads: ThreadCpu[] = [];
  for (const [tid, a] of Object.entries(after)) {
    const ms = a.ms - (before[tid]?.ms ?? 0);
    threads.push({ tid: Number(tid), comm: a.comm, ms, main: Number(tid) === pid });
  }
  threads.sort((x, y) => y.ms - x.ms);
  const totalMs = threads.reduce((s, t) => s + t.ms, 0);
  return { totalMs, threads: threads.filter((t) => t.ms > 0) };
}

/** Busy CPU ms of the whole machine so far (every process), from /proc/stat; NaN off Linux. */
export function machineBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

export interface QuietOptions {
  /** Cores the rest of the machine may use and still count as quiet. */
  maxCores?: number;
  maxWaitMs?: number;
  sampleMs?: number;
}

/**
 * Other work may share this machine: before a measurement, wait (up to maxWaitMs) until the rest of
 * the machine has used less than `maxCores` over a short sample. Returns the last sample.
 */
export async function waitForQuiet({ maxCores = 0.15, maxWaitMs = 5000, sampleMs = 250 }: QuietOptions = {}): Promise<{ cores: number; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const before = machineBusyMs();
    const self = process.cpuUsage();
    await sleep(sampleMs);
    const used = process.cpuUsage(self);
    const selfMs = (used.user + used.system) / 1000;
    const cores = Math.max(0, (machineBusyMs() - before - selfMs) / sampleMs);
    // NaN (no /proc) is not a reason to wait.
    if (!(cores > maxCores) || Date.now() - started >= maxWaitMs) return { cores, waitedMs: Date.now() - started };
  }
}
