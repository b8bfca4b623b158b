// The runtime under platform chaos: fnpool's real bootstrap as a child process against a local
// emulator of a pull platform, with what the chaos run reads of it — the log records it needs
// (one "invocation finished" per execution, the runtime API's fault records with their poll,
// warnings and errors), its CPU time from /proc, and its exit after SIGTERM.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launchEnvironment, PullEmulator } from '../../../dist/emulator/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BOOTSTRAP = path.join(ROOT, 'bootstrap');
/** The handler: awaits event.ms (a stand-in for a call to another service). */
const HANDLER_DIR = path.join(ROOT, 'bench', 'handlers', 'io');
/** /proc counts CPU time in clock ticks of 10 ms (USER_HZ is 100 on every Linux). */
const TICK_MS = 10;
/** Variables of the machine that would leak into the runtime's configuration. */
const SCRUBBED = /^(RUNTIME_|FNPOOL_|AWS_LAMBDA_|_HANDLER$|LAMBDA_TASK_ROOT$|FC_|PORT$|K_SERVICE$|NODE_OPTIONS$)/;
/** The records #read() keeps, told apart before parsing. */
const WANTED = /"msg":"invocation finished"|"poll":|"level":"(warn|error|fatal)"/;
/** The messages of the runtime API client's fault records (see src/platforms/pull/client.ts). */
const POLL_FAULT = /^polling for the next invocation|^skipped an invocation without a request id/;

/**
 * An emulator on a port below the machine's ephemeral range. While the API is down, the runtime's
 * connection attempts pick ephemeral ports of their own; one that picked the API's port would
 * connect to itself and hold that port, and the API could not come back on it.
 */
export async function startEmulatorOffEphemeral(platform, functionTimeoutMs) {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const ceiling = Number.isFinite(low) && low > 2048 ? low : 32768;
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * (ceiling - 20000));
    try {
      return await PullEmulator.start({ platform, port, functionTimeoutMs });
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || attempt >= 20) throw err;
    }
  }
}

/** CPU time (user + system) of a whole process so far, ms, from /proc/<pid>/stat; NaN once it is gone. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime: fields 14 and 15 of stat(5), 11 and 12 after the name and state.
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

export class ChaosRuntime {
  /**
   * Starts the bootstrap against the emulator and resolves once it answered a first invocation.
   * settings: { concurrency, shutdownTimeoutMs, timeoutS }.
   */
  static async start(emulator, { concurrency, shutdownTimeoutMs, timeoutS }) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED.test(k)));
    const settings = { dir: HANDLER_DIR, handler: 'index.handler', timeout: timeoutS, cpus: 2, concurrency };
    const env = {
      ...launchEnvironment(emulator.platform, settings, emulator.address, base),
      FNPOOL_LOG_LEVEL: 'debug', FNPOOL_LOG_FORMAT: 'json', FNPOOL_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    };
    const runtime = new ChaosRuntime(emulator, spawn(BOOTSTRAP, [], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const first = emulator.invoke({ ms: 1 }, { requestId: `warmup-${runtime.pid}`, timeoutMs: 30_000 });
    const died = runtime.exited.then(({ code, signal }) => {
      throw new Error(`the runtime exited before its first answer (${signal ?? code}): ${runtime.stderr}`);
    });
    try {
      const answer = await Promise.race([first, died]);
      if (!answer.ok) throw new Error(`the first invocation failed: ${answer.body}`);
    } catch (err) {
      runtime.kill();
      throw err;
    }
    return runtime;
  }

  constructor(emulator, child) {
    this.emulator = emulator;
    this.child = child;
    this.pid = child.pid;
    this.stderr = '';
    /** Executions per request id ("invocation finished" records). */
    this.finished = new Map();
    /** Fault records of polls: { time (epoch ms, from the record's ISO time), poll }. */
    this.pollFaults = [];
    /** Warning and error records, as parsed. */
    this.warnings = [];
    this.errors = [];
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => this.#read(line));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => { this.stderr = (this.stderr + chunk).slice(-4000); });
  }

  #read(line) {
    // Only the records read here are parsed (FC's Start/End lines are no JSON at all).
    if (!line.startsWith('{') || !WANTED.test(line)) return;
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    if (record.msg === 'invocation finished') {
      this.finished.set(record.requestId, (this.finished.get(record.requestId) ?? 0) + 1);
      return;
    }
    if (record.poll !== undefined && POLL_FAULT.test(record.msg ?? '')) {
      this.pollFaults.push({ time: Date.parse(record.time ?? record.timestamp), poll: record.poll });
    }
    if (record.level === 'warn') this.warnings.push(record);
    else if (record.level === 'error' || record.level === 'fatal') this.errors.push(record);
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  cpuMs() {
    return processCpuMs(this.pid);
  }

  /** Sends SIGTERM now; resolves with the exit and how long it took, killing the runtime past killAfterMs. */
  async terminate(killAfterMs) {
    const sent = performance.now();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), killAfterMs);
    const { code, signal, at } = await this.exited;
    clearTimeout(timer);
    return { code, signal, ms: at - sent };
  }

  kill() {
    if (this.running) this.child.kill('SIGKILL');
  }
}
