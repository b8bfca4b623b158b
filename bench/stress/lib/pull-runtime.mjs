// The real fnpool runtime for the hostile-input run: the repository's bootstrap as a child process,
// with the environment the platform gives a runtime (written by fnpool's own launch settings, as
// every benchmark starts it), against a crafted runtime API, logging in the platform's own format
// (JSON; Lambda: its Text lines). Keeps all of its stdout and stderr as bytes (to search for
// leaked secrets) and its stdout as parsed records.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchEnvironment } from '../../../dist/emulator/index.js';
import { BOOTSTRAP, cleanEnv } from '../../lib/targets.mjs';

const HANDLER_DIR = fileURLToPath(new URL('./pull-handler', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export class PullRuntime {
  /** stdout and stderr as they came, and the stdout lines parsed as records (a line that is none as { line }). */
  stdout = [];
  stderr = [];
  records = [];
  #pending = '';
  #decoder = new StringDecoder('utf8');
  #waiters = new Set();

  /**
   * @param {string} platform functiongraph | lambda | fc
   * @param {string} apiAddress host:port of the runtime API
   * @param {{ timeoutMs: number, concurrency: number, env?: Record<string, string> }} opts
   */
  static async start(platform, apiAddress, { timeoutMs, concurrency, env = {} }) {
    const settings = { dir: HANDLER_DIR, handler: 'index.handler', timeout: timeoutMs / 1000, cpus: 1, memory: undefined, concurrency };
    const childEnv = {
      ...launchEnvironment(platform, settings, apiAddress, cleanEnv()),
      FNPOOL_LOG_LEVEL: 'debug', FNPOOL_THREADS: '1', ...env,
    };
    const runtime = new PullRuntime(spawn(BOOTSTRAP, [], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], cwd: path.dirname(BOOTSTRAP) }));
    const ready = await Promise.race([
      runtime.waitForRecord((r) => /^fnpool serving\b/.test(r.msg ?? ''), READY_TIMEOUT_MS),
      runtime.exited.then(() => undefined),
    ]);
    if (ready === undefined) {
      await runtime.stop();
      throw new Error(`the runtime did not start on ${platform}: ${runtime.output()}`);
    }
    return runtime;
  }

  constructor(child) {
    this.child = child;
    child.stdout.on('data', (chunk) => this.#onStdout(chunk));
    child.stderr.on('data', (chunk) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Bytes written to stdout and stderr so far: marks where a case's output starts. */
  get mark() {
    return { records: this.records.length, stdout: this.stdout.length, stderr: this.stderr.length };
  }

  /** stdout and stderr written since a mark, as one buffer each. */
  since(mark) {
    return { stdout: Buffer.concat(this.stdout.slice(mark.stdout)), stderr: Buffer.concat(this.stderr.slice(mark.stderr)) };
  }

  output() {
    return `${Buffer.concat(this.stderr).toString('utf8')}${Buffer.concat(this.stdout).toString('utf8').slice(-2000)}`;
  }

  /** The first record (from the start) that matches; undefined after timeoutMs. */
  waitForRecord(predicate, timeoutMs, from = 0) {
    const find = () => this.records.slice(from).find(predicate);
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => {
      const check = () => {
        const record = find();
        if (record !== undefined) done(record);
      };
      const done = (record) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(record);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(check);
    });
  }

  /** SIGTERM (SIGKILL after 15 s); resolves with how it exited. */
  async stop() {
    if (this.alive) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  #onStdout(chunk) {
    this.stdout.push(chunk);
    this.#pending += this.#decoder.write(chunk);
    let nl;
    while ((nl = this.#pending.indexOf('\n')) !== -1) {
      const line = this.#pending.slice(0, nl);
      this.#pending = this.#pending.slice(nl + 1);
      this.records.push(parseLine(line));
    }
    for (const check of [...this.#waiters]) check();
  }
}

/** Lambda's Text format: time, request id (`-` for none), level and message, tab-separated. */
const TEXT_RECORD = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\t(.*?)\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t(.*)$/s;

/** A stdout line as a record: a JSON object, or a Text line ({ time, requestId, level, msg }); else { line }. */
function parseLine(line) {
  try {
    const record = JSON.parse(line);
    if (typeof record === 'object' && record !== null) return record;
  } catch {
    // not JSON: a Text line, or no record at all
  }
  const text = TEXT_RECORD.exec(line);
  if (text === null) return { line };
  const [, time, requestId, level, msg] = text;
  return { time, requestId: requestId === '-' ? undefined : requestId, level: level.toLowerCase(), msg };
}
