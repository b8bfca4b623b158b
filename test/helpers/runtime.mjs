// Test harness: the real `bootstrap` as a child process against the emulator of a pull platform
// (FunctionGraph, Lambda or FC) on a loopback port, or in HTTP mode (platform 'http': the test
// calls the runtime's own port with runtime.request), with a real handler folder. Collects the
// runtime's stdout as parsed JSON log records. The behaviour suites run once per platform
// (forEachPlatform): a test gives the function's settings once and each platform's local emulator
// writes them in that platform's own variables.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, describe } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { launchEnvironment, PullEmulator } from '../../dist/emulator/index.js';
import { freePort, runtimeClient } from './grpc.mjs';

/** Every pull platform, or the ones FNPOOL_TEST_PLATFORMS names (comma-separated). */
export const TEST_PLATFORMS = (process.env.FNPOOL_TEST_PLATFORMS ?? 'functiongraph,lambda,fc').split(',').map((p) => p.trim()).filter(Boolean);

/** The platforms that call the runtime (no emulator: the test is the platform). */
export const PUSH_PLATFORMS = ['http', 'openedge'];

/**
 * The node each platform's runtime runs on (bootstrap's FNPOOL_NODE), from
 * FNPOOL_TEST_NODES="lambda=/…/bin/node,fc=/…/bin/node": CI spreads the Node.js release lines the
 * platforms offer over the platforms, so that every suite run per platform runs on each line
 * (.ci/run). A platform not named runs on the node that runs the tests.
 */
const RUNTIME_NODES = new Map((process.env.FNPOOL_TEST_NODES ?? '').split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => {
  const [platform, node] = pair.split('=');
  if (!node || !existsSync(node)) throw new Error(`FNPOOL_TEST_NODES: ${JSON.stringify(pair)} is not platform=<an existing node executable>`);
  return [platform, { node, version: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim() }];
}));

/**
 * Runs the suites that body declares once per platform, each under a describe named for it; with
 * { push: true }, on the push platforms too — HTTP mode and OpenEdge's gRPC (suites that only
 * invoke and read logs, not the emulator's own records) — unless FNPOOL_TEST_PLATFORMS leaves them out.
 */
export function forEachPlatform(body, { push = false } = {}) {
  const chosen = (p) => process.env.FNPOOL_TEST_PLATFORMS === undefined || TEST_PLATFORMS.includes(p);
  const platforms = [...TEST_PLATFORMS.filter((p) => !PUSH_PLATFORMS.includes(p)), ...(push ? PUSH_PLATFORMS.filter(chosen) : [])];
  for (const platform of platforms) {
    const node = RUNTIME_NODES.get(platform);
    describe(`on ${platform}${node === undefined ? '' : ` (Node.js ${node.version})`}`, () => body(platform));
  }
}

/**
 * Settings given in FunctionGraph's spelling (the variables this suite was first written with) →
 * the neutral settings every platform's local emulator writes in its own: RUNTIME_CPU is the
 * function's CPUs on FunctionGraph and FNPOOL_THREADS elsewhere, RUNTIME_TIMEOUT the deadline each
 * Lambda and FC hand-out carries, and so on.
 */
const SETTINGS = {
  RUNTIME_CPU: 'cpus', RUNTIME_TIMEOUT: 'timeout', RUNTIME_MEMORY: 'memory', RUNTIME_HANDLER: 'handler',
  RUNTIME_INITIALIZER_HANDLER: 'initializer', FNPOOL_CONCURRENCY: 'concurrency', RUNTIME_CODE_ROOT: 'dir',
};
/** FunctionGraph's own names of generic settings, and fnpool's name for them elsewhere. */
const GENERIC = {
  RUNTIME_INITIALIZER_TIMEOUT: 'FNPOOL_INITIALIZER_TIMEOUT',
  RUNTIME_MAX_REQUEST_BODY_SIZE: 'FNPOOL_MAX_REQUEST_BYTES',
  RUNTIME_MAX_RESP_BODY_SIZE: 'FNPOOL_MAX_RESPONSE_BYTES',
};

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BOOTSTRAP = path.join(ROOT, 'bootstrap');
export const fixture = (name) => path.join(ROOT, 'test', 'fixtures', name);

/** Variables of the machine that would leak into the runtime's configuration. */
const SCRUBBED = /^(RUNTIME_|FNPOOL_|AWS_LAMBDA_|_HANDLER$|LAMBDA_TASK_ROOT$|FC_|PORT$|K_SERVICE$)/;

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
 * @param {{ platform?: string, fixture?: string, codeRoot?: string, env?: Record<string,string>, ready?: boolean, emulator?: object }} opts
 */
export async function startRuntime(opts = {}) {
  const platform = opts.platform ?? 'functiongraph';
  const given = { RUNTIME_TIMEOUT: '3', RUNTIME_CPU: '2', ...opts.env };
  const settings = {
    dir: opts.codeRoot ?? fixture(opts.fixture ?? 'behaviours'), handler: 'index.handler', timeout: 3, memory: undefined, cpus: 2,
  };
  const rest = {};
  for (const [name, value] of Object.entries(given)) {
    const key = SETTINGS[name];
    if (key === undefined) rest[platform === 'functiongraph' ? name : (GENERIC[name] ?? name)] = value;
    else settings[key] = ['cpus', 'timeout', 'memory', 'concurrency'].includes(key) ? Number(value) : value;
  }
  // Lambda runs one invocation at a time unless told more (Managed Instances): the suite asks for
  // as many as the other platforms run by default.
  // opts.classic: Lambda as it is without Managed Instances, one invocation at a time.
  if (platform === 'lambda' && !opts.classic) settings.concurrency ??= Math.ceil(settings.cpus) * Number(given.FNPOOL_TASKS_PER_THREAD ?? 8);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED.test(k)));
  const ids = { ...base, RUNTIME_FUNC_NAME: 'test-fn', AWS_LAMBDA_FUNCTION_NAME: 'test-fn', FC_FUNCTION_NAME: 'test-fn', FNPOOL_LOG_LEVEL: 'debug' };
  // Push platforms have no emulator: the test is the platform, calling the runtime's port
  // (HTTP: runtime.request; OpenEdge: runtime.grpc, started with -c as OpenEdge starts it).
  const push = PUSH_PLATFORMS.includes(platform);
  const emulator = push ? undefined
    : opts.emulator ?? await PullEmulator.start({ platform, port: 0, functionTimeoutMs: Math.round(settings.timeout * 1000) });
  const grpcPort = platform === 'openedge' ? await freePort() : undefined;
  const env = platform === 'http' ? httpEnvironment(settings, ids)
    : platform === 'openedge' ? openEdgeEnvironment(settings, ids)
    : launchEnvironment(platform, settings, emulator.address, ids);
  const args = opts.args ?? (platform === 'openedge' ? ['-c', JSON.stringify(openEdgeConfig(settings, grpcPort))] : []);
  // fnpool's JSON records (the suite reads them), not Lambda's Text lines, unless opts.platformLogs.
  if (platform === 'lambda' && !opts.platformLogs) env.FNPOOL_LOG_FORMAT = 'json';
  const node = RUNTIME_NODES.get(platform);
  if (node !== undefined) env.FNPOOL_NODE = node.node;
  Object.assign(env, rest);
  const child = spawn(BOOTSTRAP, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  started.add({ child, emulator, ownEmulator: emulator !== undefined && !opts.emulator });

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
    platform,
    emulator,
    child,
    records,
    lines,
    stderr,
    exited,
    waitForLog,
    invoke: (event, invokeOpts) => (platform === 'http' ? invokeOverHttp(runtime, event, settings, invokeOpts)
      : platform === 'openedge' ? invokeOverGrpc(runtime, event, invokeOpts)
      : emulator.invoke(event, { timeoutMs: 20_000, ...invokeOpts })),
    /** OpenEdge mode: a client of Runtime.Handle on the runtime's port. */
    grpc: grpcPort === undefined ? undefined : runtimeClient(`127.0.0.1:${grpcPort}`),
    grpcAddress: grpcPort === undefined ? undefined : `127.0.0.1:${grpcPort}`,
    /** The parsed JSON result of a successful invocation. */
    async call(event, invokeOpts) {
      const res = await runtime.invoke(event, invokeOpts);
      if (!res.ok) throw new Error(`invocation failed: ${JSON.stringify(res.error)}`);
      return JSON.parse(res.body.toString('utf8'));
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await exited;
      runtime.grpc?.close();
      if (!opts.emulator) await emulator?.close();
      return result;
    },
    /** HTTP mode: sets runtime.url once the runtime says where it listens (in any log format). */
    async listening() {
      const said = /listening on http:\/\/\S+:(\d+)/;
      const record = await waitForLog((r) => said.test(r.msg ?? r.unparsed ?? ''));
      runtime.url = `http://127.0.0.1:${said.exec(record.msg ?? record.unparsed)[1]}`;
      return runtime.url;
    },
    /** HTTP mode: one request to the runtime's port; the body comes back as a Buffer. */
    async request(pathAndQuery, { method = 'POST', headers = {}, body, signal } = {}) {
      const res = await request(new URL(pathAndQuery, runtime.url ?? await runtime.listening()), { method, headers, body, signal });
      return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
    },
  };
  if (opts.ready !== false) {
    await Promise.race([
      waitForLog((r) => /^(fnpool serving|function init failed)/.test(r.msg ?? r.message ?? r.unparsed?.split('\t')[3] ?? ''), 20_000),
      exited.then(({ code, signal }) => { throw new Error(`bootstrap exited early (${signal ?? code}): ${stderr.join('')}`); }),
    ]);
    if (platform === 'http') await runtime.listening();
    if (platform === 'openedge') await waitForLog((r) => /^gRPC server listening/.test(r.msg ?? r.unparsed ?? ''));
  }
  return runtime;
}

/**
 * HTTP mode's POST /invoke, answered in the emulator's InvokeResult shape, so that the behaviour
 * suites read both alike: the deadline header FC sends, the request id given or made up here,
 * and a request refused with 429 sent again, as the platform's own queue would.
 */
async function invokeOverHttp(runtime, event, settings, opts = {}) {
  const requestId = opts.requestId ?? randomUUID();
  const body = Buffer.isBuffer(event) || typeof event === 'string' ? event : JSON.stringify(event);
  const headers = { 'x-fc-request-id': requestId, 'x-fc-function-timeout': String(settings.timeout), ...opts.headers };
  // A platform sends no more than the runtime takes: it holds what a 429 refused and sends it again.
  let res;
  let handedOutAt;
  do {
    if (res !== undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    handedOutAt = performance.now();
    res = await runtime.request('/invoke', { headers, body });
  } while (res.status === 429);
  const answeredAt = performance.now();
  const ok = res.status === 200;
  const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
  return {
    requestId, ok, status: res.status, headers: flat, body: res.body, contentType: flat['content-type'],
    error: ok ? undefined : JSON.parse(res.body.toString('utf8')), queuedAt: handedOutAt, handedOutAt, answeredAt,
  };
}

/**
 * OpenEdge's Runtime.Handle, answered in the emulator's InvokeResult shape: the event as Payload,
 * the request id as FunctionInvokeID; a failed call's error from its fnpool-error trailer.
 */
async function invokeOverGrpc(runtime, event, opts = {}) {
  const requestId = opts.requestId ?? randomUUID();
  const payload = Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event));
  const handedOutAt = performance.now();
  const res = await runtime.grpc.handle({ Payload: payload, FunctionInvokeID: requestId, Topic: 'test/topic', QOS: 1 });
  const answeredAt = performance.now();
  if (res.ok) {
    return { requestId, ok: true, status: 0, headers: {}, body: res.reply.Payload, queuedAt: handedOutAt, handedOutAt, answeredAt };
  }
  const body = res.metadata['fnpool-error'];
  const error = typeof body === 'string' ? JSON.parse(body) : { errorType: `grpc ${res.code}`, errorMessage: res.details, stackTrace: [] };
  return { requestId, ok: false, status: res.code, headers: {}, body: Buffer.from(JSON.stringify(error)), error, queuedAt: handedOutAt, handedOutAt, answeredAt };
}

/** OpenEdge's config for the function (given with -c): instance.max is its concurrency, instance.timeout its deadline. */
function openEdgeConfig(settings, port) {
  return {
    name: 'test-fn',
    server: { address: `127.0.0.1:${port}` },
    function: {
      name: 'test-fn', handler: settings.handler, codedir: settings.dir,
      instance: { max: settings.concurrency ?? Math.ceil(settings.cpus) * 8, timeout: `${settings.timeout}s` },
    },
  };
}

/** What OpenEdge mode reads besides its config: fnpool's own variables for what the config does not say. */
function openEdgeEnvironment(settings, base) {
  const env = { ...base, FNPOOL_THREADS: String(Math.ceil(settings.cpus)) };
  if (settings.memory !== undefined) env.FNPOOL_MEMORY_MB = String(settings.memory);
  if (settings.initializer !== undefined) env.FNPOOL_INITIALIZER = settings.initializer;
  return env;
}

/** What FC's custom runtime gets in HTTP mode, on a port of the system's choosing. */
function httpEnvironment(settings, base) {
  const env = {
    ...base, FC_SERVER_PORT: '0', FC_FUNC_CODE_PATH: settings.dir, FNPOOL_HANDLER: settings.handler,
    FNPOOL_TIMEOUT: String(settings.timeout), FNPOOL_THREADS: String(Math.ceil(settings.cpus)),
  };
  if (settings.memory !== undefined) env.FNPOOL_MEMORY_MB = String(settings.memory);
  if (settings.concurrency !== undefined) env.FNPOOL_CONCURRENCY = String(settings.concurrency);
  if (settings.initializer !== undefined) env.FNPOOL_INITIALIZER = settings.initializer;
  return env;
}

/** Records that an invocation's handler logged (not the runtime's own summary). */
export const handlerRecords = (records, requestId) =>
  records.filter((r) => r.requestId === requestId && r.msg !== 'invocation finished');
