// Test harness: the real `bootstrap` as a child process against the emulator on a loopback port,
// with a real handler folder. Collects the runtime's stdout as parsed JSON log records.
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FunctionGraphEmulator } from '../../dist/emulator/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BOOTSTRAP = path.join(ROOT, 'bootstrap');
export const fixture = (name) => path.join(ROOT, 'test', 'fixtures', name);

/** Variables of the machine that would leak into the runtime's configuration. */
const SCRUBBED = /^(RUNTIME_|FNPOOL_|AWS_LAMBDA_|_HANDLER$|LAMBDA_TASK_ROOT$|FC_SERVER_PORT$|PORT$|K_SERVICE$)/;

/** Everything started in this test file, stopped at its end even when a test failed midway. */
const started = new Set();
after(async () => {
  await Promise.allSettled([...started].map(async ({ child, emulator, ownEmulator }) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (ownEmulator) await emulator.close();
  }));
});

/**
 * Starts an emulator and the real bootstrap against it.
 * @param {{ fixture?: string, codeRoot?: string, env?: Record<string,string>, ready?: boolean, emulator?: object }} opts
 */
export async function startRuntime(opts = {}) {
  const emulator = opts.emulator ?? await FunctionGraphEmulator.start({ port: 0 });
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED.test(k)));
  Object.assign(env, {
    RUNTIME_API_ADDR: emulator.address,
    RUNTIME_CODE_ROOT: opts.codeRoot ?? fixture(opts.fixture ?? 'behaviours'),
    RUNTIME_HANDLER: 'index.handler',
    RUNTIME_TIMEOUT: '3',
    RUNTIME_CPU: '2',
    RUNTIME_FUNC_NAME: 'test-fn',
    FNPOOL_LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const child = spawn(BOOTSTRAP, opts.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const records = [];
  const lines = [];
  const stderr = [];
  const waiters = new Set();
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        record = { unparsed: line };
      }
      records.push(record);
      for (const waiter of waiters) waiter();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  started.add({ child, emulator, ownEmulator: !opts.emulator });

  /** Resolves with the first record that matches, failing after timeoutMs. */
  const waitForLog = (predicate, timeoutMs = 10_000) => new Promise((resolve, reject) => {
    const check = () => {
      const found = records.find(predicate);
      if (found) {
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      }
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no matching log record within ${timeoutMs} ms; stderr: ${stderr.join('')}; last records: ${lines.slice(-5).join('\n')}`));
    }, timeoutMs);
    waiters.add(check);
    check();
  });

  const runtime = {
    emulator,
    child,
    records,
    lines,
    stderr,
    exited,
    waitForLog,
    invoke: (event, invokeOpts) => emulator.invoke(event, { timeoutMs: 20_000, ...invokeOpts }),
    /** The parsed JSON result of a successful invocation. */
    async call(event, invokeOpts) {
      const res = await runtime.invoke(event, invokeOpts);
      if (!res.ok) throw new Error(`invocation failed: ${JSON.stringify(res.error)}`);
      return JSON.parse(res.body.toString('utf8'));
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      if (!opts.emulator) await emulator.close();
      return result;
    },
  };
  if (opts.ready !== false) {
    await Promise.race([
      waitForLog((r) => r.msg === 'fnpool serving' || r.msg?.startsWith('function init failed'), 20_000),
      exited.then(({ code, signal }) => { throw new Error(`bootstrap exited early (${signal ?? code}): ${stderr.join('')}`); }),
    ]);
  }
  return runtime;
}

/** Records that an invocation's handler logged (not the runtime's own summary). */
export const handlerRecords = (records, requestId) =>
  records.filter((r) => r.requestId === requestId && r.msg !== 'invocation finished');
