// Configuration (README "How it runs" and "Configuration"): defaults, derivations, and errors that name the
// variable and the bad value — in the parser, and at the real bootstrap (exit status 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { loadConfig } from '../dist/config/config.js';
import { BOOTSTRAP } from './helpers/runtime.mjs';

const base = { RUNTIME_API_ADDR: '127.0.0.1:1' };
const cores = os.availableParallelism();

test('defaults', () => {
  const c = loadConfig({ ...base });
  assert.equal(c.platform, 'functiongraph');
  assert.equal(c.timeoutMs, 3000);
  assert.equal(c.threads, cores);
  assert.equal(c.tasksPerThread, 8);
  assert.equal(c.concurrency, cores * 8);
  assert.equal(c.maxRequestBytes, 6 * 1024 * 1024);
  assert.equal(c.worker.maxResponseBytes, 6 * 1024 * 1024);
  assert.equal(c.worker.handler, 'index.handler');
  assert.equal(c.shutdownTimeoutMs, 10000);
  assert.equal(c.memory.workerHeapMB, undefined);
  assert.equal(c.worker.memoryShareBytes, 0);
  assert.equal(c.idempotent, false);
  assert.equal(c.worker.log.format, 'json');
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.worker.function));
});

test('threads from RUNTIME_CPU: fractional rounds up, at least 1, at most the cores; FNPOOL_THREADS overrides', () => {
  assert.equal(loadConfig({ ...base, RUNTIME_CPU: '0.25' }).threads, 1);
  assert.equal(loadConfig({ ...base, RUNTIME_CPU: '1.5' }).threads, Math.min(2, cores));
  assert.equal(loadConfig({ ...base, RUNTIME_CPU: '64' }).threads, cores);
  assert.equal(loadConfig({ ...base, RUNTIME_CPU: '1', FNPOOL_THREADS: '3' }).threads, 3);
  assert.equal(loadConfig({ ...base, RUNTIME_CPU: '1.5' }).worker.function.cpus, 1.5);
});

test('concurrency and tasks per thread derive from each other', () => {
  const a = loadConfig({ ...base, FNPOOL_THREADS: '2', FNPOOL_CONCURRENCY: '64' });
  assert.deepEqual([a.concurrency, a.tasksPerThread], [64, 32]);
  const b = loadConfig({ ...base, FNPOOL_THREADS: '2', FNPOOL_TASKS_PER_THREAD: '3' });
  assert.deepEqual([b.concurrency, b.tasksPerThread], [6, 3]);
  assert.throws(() => loadConfig({ ...base, FNPOOL_THREADS: '2', FNPOOL_TASKS_PER_THREAD: '1', FNPOOL_CONCURRENCY: '5' }),
    /FNPOOL_CONCURRENCY=5 is more than/);
});

test('memory budget: worker heap share, FNPOOL_MEMORY_MB over RUNTIME_MEMORY', () => {
  const c = loadConfig({ ...base, FNPOOL_THREADS: '2', RUNTIME_MEMORY: '256' });
  assert.equal(c.memory.workerHeapMB, 100);
  assert.equal(c.worker.memoryShareBytes, 100 * 1024 * 1024);
  assert.equal(c.worker.function.memoryMB, 256);
  assert.equal(loadConfig({ ...base, FNPOOL_THREADS: '2', RUNTIME_MEMORY: '256', FNPOOL_MEMORY_MB: '1024' }).memory.budgetMB, 1024);
  assert.equal(loadConfig({ ...base, FNPOOL_THREADS: '4', RUNTIME_MEMORY: '64' }).memory.workerHeapMB, 16);
});

test('bad values are refused with the variable and the value named', () => {
  const cases = [
    [{ RUNTIME_TIMEOUT: 'soon' }, /RUNTIME_TIMEOUT="soon" is not a number/],
    [{ RUNTIME_TIMEOUT: '-1' }, /RUNTIME_TIMEOUT="-1" must be at least/],
    [{ FNPOOL_THREADS: '1.5' }, /FNPOOL_THREADS="1.5" must be a whole number/],
    [{ FNPOOL_LOG_FORMAT: 'xml' }, /FNPOOL_LOG_FORMAT="xml" must be one of json, text/],
    [{ FNPOOL_PLATFORM: 'azure' }, /FNPOOL_PLATFORM="azure" must be one of/],
    [{ RUNTIME_USERDATA: '{bad' }, /RUNTIME_USERDATA is not valid JSON/],
    [{ RUNTIME_USERDATA: '[1]' }, /RUNTIME_USERDATA must be a JSON object/],
    [{ RUNTIME_INITIALIZER_TIMEOUT: '301' }, /RUNTIME_INITIALIZER_TIMEOUT="301" must be at most 300/],
  ];
  for (const [env, pattern] of cases) assert.throws(() => loadConfig({ ...base, ...env }), pattern);
  assert.throws(() => loadConfig({}), /no platform found/);
});

test('FNPOOL_PARENT_PID: the runtime stops by itself when that process is gone', async () => {
  const { PullEmulator } = await import('../dist/emulator/index.js');
  const { spawn } = await import('node:child_process');
  const emulator = await PullEmulator.start({ port: 0 });
  const parent = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  const runtime = spawn(BOOTSTRAP, [], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH, RUNTIME_API_ADDR: emulator.address, RUNTIME_CODE_ROOT: new URL('./fixtures/behaviours', import.meta.url).pathname, RUNTIME_CPU: '1', FNPOOL_PARENT_PID: String(parent.pid) },
  });
  try {
    assert.equal((await emulator.invoke({ action: 'echo' }, { timeoutMs: 10_000 })).ok, true);
    parent.kill('SIGKILL');
    const code = await new Promise((resolve) => runtime.once('exit', resolve));
    assert.equal(code, 0);
  } finally {
    parent.kill('SIGKILL');
    runtime.kill('SIGKILL');
    await emulator.close();
  }
});

test('the bootstrap exits with status 2 and a one-line message on a bad value', () => {
  const res = spawnSync(BOOTSTRAP, [], { env: { PATH: process.env.PATH, ...base, FNPOOL_THREADS: 'many' }, encoding: 'utf8' });
  assert.equal(res.status, 2);
  assert.equal(res.stderr, 'fnpool: FNPOOL_THREADS="many" is not a number\n');
});

test('the platform is found from the environment: OpenEdge\'s -c, then Lambda, then FC, then FunctionGraph, then HTTP; FNPOOL_PLATFORM forces one', () => {
  const openedge = ['-c', JSON.stringify({ server: { address: '127.0.0.1:50051' }, function: { name: 'f', handler: 'index.handler' } })];
  assert.equal(loadConfig({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1' }, openedge).platform, 'openedge');
  assert.equal(loadConfig({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1' }).platform, 'lambda');
  assert.equal(loadConfig({ FC_RUNTIME_API: '127.0.0.1:1' }).platform, 'fc');
  assert.equal(loadConfig({ RUNTIME_API_ADDR: '127.0.0.1:1' }).platform, 'functiongraph');
  // One zip on every platform: whichever variables a platform sets, the first in the order wins.
  assert.equal(loadConfig({ RUNTIME_API_ADDR: '127.0.0.1:1', FC_RUNTIME_API: '127.0.0.1:2', AWS_LAMBDA_RUNTIME_API: '127.0.0.1:3' }).platform, 'lambda');
  assert.equal(loadConfig({ RUNTIME_API_ADDR: '127.0.0.1:1', FC_RUNTIME_API: '127.0.0.1:2' }).apiAddress, '127.0.0.1:2');
  assert.equal(loadConfig({ FNPOOL_PLATFORM: 'functiongraph', RUNTIME_API_ADDR: '127.0.0.1:1', AWS_LAMBDA_RUNTIME_API: 'x:1' }).platform, 'functiongraph');
  assert.throws(() => loadConfig({ FNPOOL_PLATFORM: 'lambda' }), /AWS_LAMBDA_RUNTIME_API is not set/);
  assert.throws(() => loadConfig({ FNPOOL_PLATFORM: 'openedge' }), /OpenEdge mode needs -c CONFIG/);
  assert.throws(() => loadConfig({}), (err) => {
    for (const name of ['AWS_LAMBDA_RUNTIME_API', 'FC_RUNTIME_API', 'RUNTIME_API_ADDR', 'FC_SERVER_PORT', 'PORT', '-c', 'FNPOOL_PLATFORM']) {
      assert.ok(err.message.includes(name), `the message names ${name}: ${err.message}`);
    }
    return true;
  });
});

test('HTTP mode: FC_SERVER_PORT (default 9000) or PORT (default 8080), FNPOOL_HOST, FNPOOL_QUEUE, Knative errors as 500', () => {
  const fc = loadConfig({ FC_FUNC_CODE_PATH: '/code' });
  assert.equal(fc.platform, 'http');
  assert.deepEqual(fc.server, { host: '0.0.0.0', port: 9000, queue: fc.concurrency, errorStatus: 404 });
  assert.equal(fc.worker.codeRoot, '/code');
  assert.equal(fc.maxRequestBytes, 32 * 1024 * 1024);
  assert.equal(loadConfig({ FC_SERVER_PORT: '9001' }).server.port, 9001);
  const knative = loadConfig({ PORT: '8081', K_SERVICE: 'svc', FNPOOL_HOST: '127.0.0.1', FNPOOL_QUEUE: '0' });
  assert.deepEqual(knative.server, { host: '127.0.0.1', port: 8081, queue: 0, errorStatus: 500 });
  assert.equal(knative.maxRequestBytes, 6 * 1024 * 1024);
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
});

test('Lambda: _HANDLER, LAMBDA_TASK_ROOT, memory budget, one at a time unless AWS_LAMBDA_MAX_CONCURRENCY', () => {
  const lambda = { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1', _HANDLER: 'app.main', LAMBDA_TASK_ROOT: '/var/task', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' };
  const c = loadConfig(lambda);
  assert.deepEqual([c.worker.handler, c.worker.codeRoot, c.memory.budgetMB], ['app.main', '/var/task', 512]);
  assert.deepEqual([c.concurrency, c.threads], [1, 1]);
  assert.equal(c.worker.log.format, 'tsv');
  const managed = loadConfig({ ...lambda, AWS_LAMBDA_MAX_CONCURRENCY: '64' });
  assert.deepEqual([managed.concurrency, managed.threads], [64, cores]);
  assert.equal(loadConfig({ ...lambda, AWS_LAMBDA_MAX_CONCURRENCY: '64', FNPOOL_CONCURRENCY: '8' }).concurrency, 8);
  assert.equal(loadConfig({ ...lambda, AWS_LAMBDA_MAX_CONCURRENCY: '2', FNPOOL_CONCURRENCY: '8' }).concurrency, 2, 'never past the platform');
  const json = loadConfig({ ...lambda, AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'warn' }).worker.log;
  assert.deepEqual(json, { level: 'warn', format: 'json', timeKey: 'timestamp', messageKey: 'message', upperLevel: true });
  assert.throws(() => loadConfig({ ...lambda, AWS_LAMBDA_LOG_FORMAT: 'xml' }), /AWS_LAMBDA_LOG_FORMAT="xml" must be Text or JSON/);
  assert.throws(() => loadConfig({ ...lambda, AWS_LAMBDA_MAX_CONCURRENCY: 'lots' }), /AWS_LAMBDA_MAX_CONCURRENCY="lots" is not a number/);
});

test('FC: FC_FUNC_CODE_PATH, FC_FUNCTION_HANDLER, FC_FUNCTION_MEMORY_SIZE; FNPOOL_* settings win', () => {
  const fc = { FC_RUNTIME_API: '127.0.0.1:1', FC_FUNC_CODE_PATH: '/code', FC_FUNCTION_HANDLER: 'main.handler', FC_FUNCTION_MEMORY_SIZE: '1024' };
  const c = loadConfig(fc);
  assert.deepEqual([c.worker.handler, c.worker.codeRoot, c.memory.budgetMB], ['main.handler', '/code', 1024]);
  assert.equal(c.maxRequestBytes, 32 * 1024 * 1024);
  const over = loadConfig({ ...fc, FNPOOL_HANDLER: 'other.fn', FNPOOL_CODE_ROOT: '/srv', FNPOOL_MEMORY_MB: '256', FNPOOL_PRE_STOP: 'index.stop' });
  assert.deepEqual([over.worker.handler, over.worker.codeRoot, over.memory.budgetMB, over.hooks.preStop], ['other.fn', '/srv', 256, 'index.stop']);
});
