// Runtimes under test as child processes, each against its own emulator. The load generator and
// the /proc readers they are measured with are fnpool's own (src/loadgen/, shared with
// `fnpool bench`), imported from the build.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchEnvironment, PullEmulator } from '../../dist/emulator/index.js';
import { nextRequestId } from '../../dist/loadgen/load.js';
import { rssMB } from '../../dist/loadgen/proc.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH = path.join(ROOT, 'bench');
export const BOOTSTRAP = path.join(ROOT, 'bootstrap');
export const handlerDir = (name) => path.join(BENCH, 'handlers', name);

/** Variables of the machine that would leak into a runtime's configuration. */
const SCRUBBED = /^(RUNTIME_|FNPOOL_|AWS_LAMBDA_|_HANDLER$|LAMBDA_TASK_ROOT$|FC_|PORT$|K_SERVICE$|NODE_OPTIONS$)/;

export function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED.test(k)));
}

/** fnpool's bootstrap: this checkout's, or another build's (FNPOOL_BENCH_BOOTSTRAP) to compare a change. */
export const fnpoolBootstrap = (bootstrap) => bootstrap ?? process.env.FNPOOL_BENCH_BOOTSTRAP ?? BOOTSTRAP;

// With node flags (--cpu-prof is refused in NODE_OPTIONS), fnpool runs as `node FLAGS main.js serve`,
// which is what bootstrap execs. The runtimes by kind: [command, args].
export const KINDS = {
  fnpool: (bootstrap, nodeArgs) => (nodeArgs?.length
    ? [process.execPath, [...nodeArgs, path.join(path.dirname(fnpoolBootstrap(bootstrap)), 'dist', 'cli', 'main.js'), 'serve']]
    : [fnpoolBootstrap(bootstrap), []]),
  sequential: (_, nodeArgs = []) => [process.execPath, [...nodeArgs, path.join(BENCH, 'runtimes', 'sequential.mjs')]],
  inline: (_, nodeArgs = []) => [process.execPath, [...nodeArgs, path.join(BENCH, 'runtimes', 'inline-loop.mjs')]],
  'inline-http': (_, nodeArgs = []) => [process.execPath, [...nodeArgs, path.join(BENCH, 'runtimes', 'inline-http.mjs')]],
};

/**
 * One runtime under test: its own emulator of the platform's API (so that no two runtimes share a queue) and a child
 * process — fnpool's real bootstrap, the sequential baseline, the inline loop, or any command.
 */
export class Target {
  static async start({ kind, name, handler = 'noop', env = {}, warmupEvent = {}, nodeArgs, bootstrap, platform = 'functiongraph', command, memory, concurrency, timeout = 60, stdout = 'pipe' }) {
    // The function's timeout (s): the deadline each Lambda and FC hand-out carries, FunctionGraph's RUNTIME_TIMEOUT.
    const emulator = await PullEmulator.start({ platform, port: 0, functionTimeoutMs: timeout * 1000 });
    // A kind of fnpool's, or any other runtime's command ([cmd, args]: AWS's client in scenario 7).
    const [cmd, args] = command ?? KINDS[kind](bootstrap, nodeArgs);
    // The environment the platform gives a runtime, 2 CPUs, the timeout (60 s unless asked), the
    // memory and (on Lambda: Managed Instances') concurrency asked for; the scenario's own variables last.
    const settings = { dir: handlerDir(handler), handler: 'index.handler', timeout, cpus: 2, memory, concurrency };
    const childEnv = { ...launchEnvironment(platform, settings, emulator.address, cleanEnv()), FNPOOL_LOG_LEVEL: 'warn', ...env };
    // stdout 'ignore': the runtime's logs go to /dev/null, as a platform's collector costs this
    // machine nothing (read through a pipe, they cost the harness, which shares the cores).
    const child = spawn(cmd, args, { env: childEnv, stdio: ['ignore', stdout, 'pipe'], ...(command ? { cwd: settings.dir } : {}) });
    return Target.readied(new Target(name ?? kind, kind, emulator, child), warmupEvent);
  }

  /** The target once it answered a first invocation; stopped, and the error thrown, if it never did. */
  static async readied(target, warmupEvent) {
    try {
      await target.ready(warmupEvent);
    } catch (err) {
      await target.stop();
      throw err;
    }
    return target;
  }

  constructor(name, kind, emulator, child) {
    this.name = name;
    this.kind = kind;
    this.emulator = emulator;
    this.child = child;
    this.stderr = '';
    this.stdoutBytes = 0;
    this.stdoutTail = '';
    child.stdout?.on('data', (chunk) => {
      this.stdoutBytes += chunk.length;
      this.stdoutTail = (this.stdoutTail + chunk.toString('utf8')).slice(-4000);
    });
    child.stderr.on('data', (chunk) => { this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid() {
    return this.child.pid;
  }

  /** Ready = a first invocation answered (at FNPOOL_LOG_LEVEL=warn fnpool logs nothing at start). */
  async ready(event) {
    const answered = this.emulator.invoke(event, { requestId: nextRequestId(), timeoutMs: 30_000 });
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`${this.name} exited before it answered (${signal ?? code}): ${this.stderr}${this.stdoutTail}`);
    });
    const res = await Promise.race([answered, died]);
    if (!res.ok) throw new Error(`${this.name}: warm-up invocation failed: ${JSON.stringify(res.error)}`);
  }

  rssMB() {
    return rssMB(this.pid);
  }

  async stop() {
    await this.stopChild();
    await this.emulator.close();
  }

  /** SIGTERM, and SIGKILL after 15 s; resolves once the process is gone. */
  async stopChild() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs a command to completion and returns its stdout. */
export function runToEnd(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { err += c; });
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`))));
  });
}
