// The runtime under attack, for the hostile-input stress run: fnpool's real bootstrap started as a
// child process in HTTP mode (as FC's custom runtime starts it) or in OpenEdge mode (`-c CONFIG`,
// as OpenEdge starts it), serving the hostile-echo handler on a loopback port. It keeps what the
// runtime writes — stdout's JSON records and raw text, stderr — so that the run can check, after
// each kind of input, that the process is alive, that nothing crashed or leaked a credential, and
// how often the handler ran for each request id.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../dist/emulator/index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** This checkout's bootstrap, or another build's (FNPOOL_BENCH_BOOTSTRAP, as for the benchmarks), to compare a change. */
export const BOOTSTRAP = process.env.FNPOOL_BENCH_BOOTSTRAP ?? path.join(ROOT, 'bootstrap');
export const HANDLER_DIR = path.join(ROOT, 'bench', 'handlers', 'hostile-echo');
/** Variables of this machine that would configure the runtime. */
const SCRUBBED = /^(RUNTIME_|FNPOOL_|AWS_LAMBDA_|_HANDLER$|LAMBDA_TASK_ROOT$|FC_|PORT$|K_SERVICE$|K_REVISION$|NODE_OPTIONS$)/;
/** What the handler logs each time it runs. */
export const RAN = 'hostile-echo ran';
const READY_MS = 30_000;

/** The settings both modes share: small limits, so that "too large" costs little to send. */
export const LIMITS = { maxRequestBytes: 256 * 1024, concurrency: 8, queue: 8, timeoutSeconds: 5 };

/** HTTP mode, as FC's custom runtime (404 errors); env is added to (and wins over) the defaults. */
export async function startHttpRuntime({ env = {} } = {}) {
  const port = await freePort();
  const runtime = launch([], {
    FC_SERVER_PORT: String(port), FC_FUNC_CODE_PATH: HANDLER_DIR, FC_FUNCTION_NAME: 'hostile-echo', FNPOOL_HANDLER: 'index.handler',
    FNPOOL_HOST: '127.0.0.1', FNPOOL_THREADS: '2', FNPOOL_CONCURRENCY: String(LIMITS.concurrency), FNPOOL_QUEUE: String(LIMITS.queue),
    FNPOOL_TIMEOUT: String(LIMITS.timeoutSeconds), FNPOOL_MAX_REQUEST_BYTES: String(LIMITS.maxRequestBytes), ...env,
  }, /^listening on http:/);
  await runtime.ready;
  return Object.assign(runtime, { port, url: `http://127.0.0.1:${port}` });
}

/** OpenEdge mode, with server.message.length.max at LIMITS.maxRequestBytes. */
export async function startGrpcRuntime({ env = {} } = {}) {
  const port = await freePort();
  const config = {
    name: 'hostile-echo',
    server: { address: `127.0.0.1:${port}`, message: { length: { max: LIMITS.maxRequestBytes } } },
    function: {
      name: 'hostile-echo', handler: 'index.handler', codedir: HANDLER_DIR,
      instance: { max: LIMITS.concurrency, timeout: `${LIMITS.timeoutSeconds}s` },
    },
  };
  const runtime = launch(['-c', JSON.stringify(config)], { FNPOOL_THREADS: '2', ...env }, /^gRPC server listening/);
  await runtime.ready;
  return Object.assign(runtime, { port, address: `127.0.0.1:${port}` });
}

/** Starts the bootstrap; `ready` resolves once a record's msg matches readyMsg. */
function launch(args, env, readyMsg) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED.test(k)));
  const child = spawn(BOOTSTRAP, args, {
    env: { ...base, FNPOOL_LOG_LEVEL: 'info', FNPOOL_LOG_FORMAT: 'json', FNPOOL_PARENT_PID: String(process.pid), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const runtime = {
    child,
    /** Parsed stdout records (a plain line: { unparsed }). */
    records: [],
    /** Everything written, to look for credentials in. */
    stdout: '',
    stderr: '',
    exit: undefined,
    /** Times the handler ran, by request id. */
    ran: new Map(),
    alive: () => runtime.exit === undefined,
    stop: () => stopChild(runtime),
  };
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    runtime.stdout += chunk;
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) !== -1) {
      onLine(runtime, pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { runtime.stderr += chunk; });
  runtime.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    runtime.exit = { code, signal };
    resolve(runtime.exit);
  }));
  runtime.ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the runtime did not start within ${READY_MS} ms: ${runtime.stderr}`)), READY_MS);
    runtime.onRecord = (record) => {
      if (!readyMsg.test(record.msg ?? '')) return;
      clearTimeout(timer);
      runtime.onRecord = undefined;
      resolve();
    };
    void runtime.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the runtime exited at start (${signal ?? code}): ${runtime.stderr}${runtime.stdout.slice(-2000)}`));
    });
  });
  runtime.ready.catch(() => stopChild(runtime));
  return runtime;
}

function onLine(runtime, line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    record = { unparsed: line };
  }
  runtime.records.push(record);
  if (record.msg === RAN && typeof record.requestId === 'string') runtime.ran.set(record.requestId, (runtime.ran.get(record.requestId) ?? 0) + 1);
  runtime.onRecord?.(record);
}

/** SIGTERM, then SIGKILL after 5 s; resolves with how it exited. */
async function stopChild(runtime) {
  if (runtime.exit !== undefined) return runtime.exit;
  runtime.child.kill('SIGTERM');
  const killer = setTimeout(() => runtime.child.kill('SIGKILL'), 5_000);
  const exit = await runtime.exited;
  clearTimeout(killer);
  return exit;
}

/** How many sockets the runtime's process holds open (Linux's /proc), or undefined where that cannot be read. */
export function openSockets(runtime) {
  try {
    const dir = `/proc/${runtime.child.pid}/fd`;
    return readdirSync(dir).filter((fd) => {
      try {
        return readlinkSync(`${dir}/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return undefined;
  }
}

/** Waits until the runtime's records stop growing for quietMs (at most maxMs): its answers logged, its writes flushed. */
export async function settled(runtime, quietMs = 150, maxMs = 3_000) {
  const until = Date.now() + maxMs;
  let seen = -1;
  while (runtime.records.length !== seen && Date.now() < until) {
    seen = runtime.records.length;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}
