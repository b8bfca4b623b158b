// OpenEdge (BAETYL) mode: the real bootstrap started as OpenEdge starts it (`bootstrap -c CONFIG`),
// and these tests are OpenEdge's function module, calling runtime.Runtime/Handle over real gRPC
// connections. They prove that the config is read from inline JSON, a JSON file or a YAML file and
// refused field by field; that payloads, the message's fields and the context go through as
// OpenEdge's runtimes give them; which gRPC status and trailers each failure is answered with; that
// a cancelled call aborts its invocation; that instance.max bounds what runs, function.env reaches
// the handler, SIGTERM lets what runs finish; and that `fnpool start --platform openedge` plays it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { post, run, startCli } from './fixtures/cli-helpers/cli.mjs';
import { freePort, runtimeClient } from './helpers/grpc.mjs';
import { BOOTSTRAP, fixture, startRuntime } from './helpers/runtime.mjs';

const FIXTURE = fixture('openedge');
const Status = { OK: 0, CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 };
/** As the harness scrubs the machine's variables that would configure the runtime. */
const SCRUBBED = /^(RUNTIME_|FNPOOL_|AWS_LAMBDA_|_HANDLER$|LAMBDA_TASK_ROOT$|FC_|PORT$|K_SERVICE$)/;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fnpool-openedge-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const payload = (event) => Buffer.from(JSON.stringify(event));
const json = (reply) => JSON.parse(reply.Payload.toString('utf8'));
const errorBody = (res) => JSON.parse(res.metadata['fnpool-error']);

/** A config serving FIXTURE on port; fn and server fields over the defaults. */
function configFor(port, fn = {}, server = {}) {
  return {
    name: 'oe-test',
    server: { address: `127.0.0.1:${port}`, ...server },
    function: { name: 'oe-fn', handler: 'index.handler', codedir: FIXTURE, ...fn },
  };
}

/**
 * The real bootstrap started with `-c <arg>` (arg: a config object, given inline, or a file's path)
 * serving on port, with `client` a Runtime.Handle client of it.
 */
async function startOpenEdge(port, arg, env = {}) {
  const rt = await startRuntime({ platform: 'openedge', args: ['-c', typeof arg === 'string' ? arg : JSON.stringify(arg)], env });
  const client = runtimeClient(`127.0.0.1:${port}`);
  const stop = rt.stop;
  return Object.assign(rt, { client, stop: async (signal) => { client.close(); return stop(signal); } });
}

/** A runtime from configFor(port, fn, server). */
async function openEdge(fn = {}, server = {}, env = {}) {
  const port = await freePort();
  return startOpenEdge(port, configFor(port, fn, server), env);
}

describe('OpenEdge mode: the -c config', () => {
  // Each config sets a variable of its own in function.env: the handler seeing it proves that this
  // config, and not some default, is the one that was read.
  const sourceSeen = async (rt) => {
    const res = await rt.client.handle({ Payload: payload({ action: 'env', names: ['OE_SOURCE'] }) });
    assert.equal(res.ok, true, JSON.stringify(res));
    return json(res.reply).OE_SOURCE;
  };

  test('inline JSON starts the runtime, which answers', async () => {
    const rt = await openEdge({ env: { OE_SOURCE: 'inline' } });
    try {
      assert.equal(await sourceSeen(rt), 'inline');
    } finally {
      assert.equal((await rt.stop()).code, 0);
    }
  });

  test('a .json file starts the runtime, which answers', async () => {
    const port = await freePort();
    const file = path.join(tmp, 'config.json');
    writeFileSync(file, JSON.stringify(configFor(port, { env: { OE_SOURCE: 'json file' } }), null, 2));
    const rt = await startOpenEdge(port, file);
    try {
      assert.equal(await sourceSeen(rt), 'json file');
    } finally {
      await rt.stop();
    }
  });

  test('a .yaml file starts the runtime, which answers', async () => {
    const port = await freePort();
    const file = path.join(tmp, 'config.yaml');
    writeFileSync(file, [
      'name: oe-yaml',
      'server:',
      `  address: "127.0.0.1:${port}"`,
      '  timeout: 10s',
      'function:',
      '  name: oe-yaml-fn',
      '  handler: index.handler',
      `  codedir: ${JSON.stringify(FIXTURE)}`,
      '  instance:',
      '    max: 2',
      '    timeout: 1m30s',
      '  env:',
      '    OE_SOURCE: yaml file',
      '',
    ].join('\n'));
    const rt = await startOpenEdge(port, file);
    try {
      assert.equal(await sourceSeen(rt), 'yaml file');
      const serving = await rt.waitForLog((r) => r.msg === 'fnpool serving');
      assert.equal(serving.timeoutMs, 90_000, 'instance.timeout read from the YAML');
    } finally {
      await rt.stop();
    }
  });

  /** The bootstrap started with `-c arg` as OpenEdge starts it, run until it exits. */
  function bootstrapWith(arg) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SCRUBBED.test(k)));
    const child = spawn(BOOTSTRAP, ['-c', arg], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    return new Promise((resolve) => child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }));
  }

  const valid = () => configFor(50051);
  const bad = [
    ['a missing server.address', (c) => { delete c.server.address; }, /server\.address is required/],
    ['a function.name with a space', (c) => { c.function.name = 'my function'; }, /function\.name must match/],
    ['a function.handler without a dot', (c) => { c.function.handler = 'index'; }, /function\.handler must be file\.export.*"index"/],
    ['a function.instance.timeout without a unit ("30")', (c) => { c.function.instance = { timeout: '30' }; }, /function\.instance\.timeout must be a duration such as "30s" \(got "30"\)/],
    ['a server.timeout given as a number', (c) => { c.server.timeout = 30; }, /server\.timeout must be a duration/],
    ['function.instance.max 0', (c) => { c.function.instance = { max: 0 }; }, /function\.instance\.max must be a whole number from 1 .*\(got 0\)/],
    ['server.message.length.max 0', (c) => { c.server.message = { length: { max: 0 } }; }, /server\.message\.length\.max must be a whole number/],
  ];
  for (const [what, change, pattern] of bad) {
    test(`${what} makes the bootstrap exit 2 with one stderr line naming the field`, async () => {
      const config = valid();
      change(config);
      const result = await bootstrapWith(JSON.stringify(config));
      assert.equal(result.code, 2, `exit status; stderr: ${result.stderr}`);
      const lines = result.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
      assert.match(lines[0], /^fnpool: /);
      assert.match(lines[0], pattern);
      assert.equal(result.stdout, '');
    });
  }

  test('a config file that is not there, or a YAML file with a bad field, is refused naming the file and the field', async () => {
    const missing = await bootstrapWith(path.join(tmp, 'nowhere.yml'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^fnpool: -c \S*nowhere\.yml: no such file\n$/);
    const file = path.join(tmp, 'bad.yml');
    writeFileSync(file, 'server:\n  address: "127.0.0.1:50051"\nfunction:\n  name: fn\n  handler: index.handler\n  instance:\n    max: 0\n');
    const badYaml = await bootstrapWith(file);
    assert.equal(badYaml.code, 2);
    assert.match(badYaml.stderr, /^fnpool: function\.instance\.max must be a whole number .*\(got 0\)\n$/);
  });
});

describe('OpenEdge mode: messages, payloads and the context', () => {
  let rt;
  before(async () => { rt = await openEdge({ instance: { max: 4, timeout: '5s' } }); });
  after(() => rt.stop());

  test('a JSON payload is the parsed event; QOS, Topic, FunctionName and FunctionInvokeID come back in the reply', async () => {
    const message = { QOS: 1, Topic: 'sensors/t1', FunctionName: 'fn-from-module', FunctionInvokeID: 'oe-echo-1', Payload: payload({ action: 'echo', n: 7 }) };
    const res = await rt.client.handle(message);
    assert.equal(res.ok, true, JSON.stringify(res));
    assert.equal(res.reply.QOS, 1);
    assert.equal(res.reply.Topic, 'sensors/t1');
    assert.equal(res.reply.FunctionName, 'fn-from-module');
    assert.equal(res.reply.FunctionInvokeID, 'oe-echo-1');
    const out = json(res.reply);
    assert.deepEqual(out.event, { action: 'echo', n: 7 });
    assert.equal(out.requestId, 'oe-echo-1', 'FunctionInvokeID is the request id');
  });

  test('a payload that is not JSON is given as a Buffer of its bytes; an empty payload as an empty Buffer', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7b, 0x01, 0x80]);
    const raw = await rt.client.handle({ Payload: bytes });
    assert.equal(raw.ok, true, JSON.stringify(raw));
    assert.deepEqual(json(raw.reply), { isBuffer: true, length: 5, base64: bytes.toString('base64') });
    const text = await rt.client.handle({ Payload: Buffer.from('hello, not json') });
    assert.equal(json(text.reply).base64, Buffer.from('hello, not json').toString('base64'));
    const empty = await rt.client.handle({ Payload: Buffer.alloc(0) });
    assert.deepEqual(json(empty.reply), { isBuffer: true, length: 0, base64: '' });
  });

  test('a Buffer result is the payload as it is, a string its UTF-8, an object its JSON, null and undefined an empty payload', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x22]);
    const cases = [
      [{ action: 'return-bytes', base64: bytes.toString('base64') }, bytes],
      [{ action: 'buffer', text: 'caf\u00e9 bytes' }, Buffer.from('caf\u00e9 bytes', 'utf8')],
      [{ action: 'return', value: 'plain caf\u00e9' }, Buffer.from('plain caf\u00e9', 'utf8')],
      [{ action: 'return', value: { a: [1, 'two'] } }, Buffer.from('{"a":[1,"two"]}')],
      [{ action: 'return', value: 42 }, Buffer.from('42')],
      [{ action: 'return', value: null }, Buffer.alloc(0)],
      [{ action: 'undefined' }, Buffer.alloc(0)],
    ];
    for (const [event, expected] of cases) {
      const res = await rt.client.handle({ Payload: payload(event) });
      assert.equal(res.ok, true, JSON.stringify(res));
      assert.deepEqual(res.reply.Payload, expected, JSON.stringify(event));
    }
  });

  test("the context has the message's messageQOS, messageTopic, functionInvokeID and invokeid", async () => {
    const res = await rt.client.handle({ QOS: 1, Topic: 'a/b/c', FunctionInvokeID: 'oe-ctx-1', Payload: payload({ action: 'message' }) });
    assert.equal(res.ok, true, JSON.stringify(res));
    const seen = json(res.reply);
    assert.equal(seen.messageQOS, 1);
    assert.equal(seen.messageTopic, 'a/b/c');
    assert.equal(seen.functionInvokeID, 'oe-ctx-1');
    assert.equal(seen.invokeid, 'oe-ctx-1');
    assert.equal(seen.requestId, 'oe-ctx-1');
    const qos0 = json((await rt.client.handle({ QOS: 0, Topic: 'x', Payload: payload({ action: 'message' }) })).reply);
    assert.equal(qos0.messageQOS, 0);
    assert.equal(qos0.messageTopic, 'x');
  });

  test('without a FunctionInvokeID an id is made up: the reply, the context and the log record carry the same one', async () => {
    const res = await rt.client.handle({ FunctionInvokeID: '', Payload: payload({ action: 'message' }) });
    assert.equal(res.ok, true, JSON.stringify(res));
    const id = res.reply.FunctionInvokeID;
    assert.match(id, /^[0-9a-f-]{36}$/);
    const seen = json(res.reply);
    assert.equal(seen.functionInvokeID, id);
    assert.equal(seen.invokeid, id);
    assert.equal(seen.requestId, id);
    await rt.waitForLog((r) => r.requestId === id && r.msg === 'invocation finished', 3000);
  });
});

describe('OpenEdge mode: error statuses', () => {
  let rt;
  const LIMIT = 1024;
  before(async () => {
    rt = await openEdge({ instance: { max: 4, timeout: '1s' } }, { message: { length: { max: LIMIT } } });
  });
  after(() => rt.stop());

  test("a handler's error is UNKNOWN, details `ValidationError: …`, its type and JSON body in the trailers", async () => {
    const res = await rt.client.handle({ FunctionInvokeID: 'oe-throw-1', Payload: payload({ action: 'throw', detail: 'over grpc' }) });
    assert.equal(res.ok, false);
    assert.equal(res.code, Status.UNKNOWN);
    assert.equal(res.details, 'ValidationError: bad input: over grpc');
    assert.equal(res.metadata['fnpool-error-type'], 'ValidationError');
    const body = errorBody(res);
    assert.deepEqual(Object.keys(body), ['errorType', 'errorMessage', 'stackTrace']);
    assert.equal(body.errorType, 'ValidationError');
    assert.equal(body.errorMessage, 'bad input: over grpc');
    assert.ok(Array.isArray(body.stackTrace) && body.stackTrace.some((line) => line.includes('index.js')), JSON.stringify(body.stackTrace));
  });

  test('instance.timeout is the deadline of each call: past it, DEADLINE_EXCEEDED with Runtime.Timeout', async () => {
    const t0 = Date.now();
    const res = await rt.client.handle({ Payload: payload({ action: 'hang' }) });
    const took = Date.now() - t0;
    assert.equal(res.ok, false);
    assert.equal(res.code, Status.DEADLINE_EXCEEDED, JSON.stringify(res));
    assert.equal(res.metadata['fnpool-error-type'], 'Runtime.Timeout');
    assert.equal(errorBody(res).errorType, 'Runtime.Timeout');
    assert.ok(took >= 950 && took < 2500, `answered after ${took} ms; instance.timeout is 1s`);
  });

  test('a result over server.message.length.max is RESOURCE_EXHAUSTED with Runtime.ResponseTooLarge', async () => {
    const res = await rt.client.handle({ Payload: payload({ action: 'big', bytes: LIMIT + 1 }) });
    assert.equal(res.ok, false);
    assert.equal(res.code, Status.RESOURCE_EXHAUSTED, JSON.stringify(res));
    assert.equal(res.metadata['fnpool-error-type'], 'Runtime.ResponseTooLarge');
    assert.match(errorBody(res).errorMessage, /server\.message\.length\.max/);
    const fits = await rt.client.handle({ Payload: payload({ action: 'big', bytes: LIMIT }) });
    assert.equal(fits.ok, true, 'a result of exactly the limit is sent');
    assert.equal(fits.reply.Payload.length, LIMIT);
  });

  test('a payload over server.message.length.max is RESOURCE_EXHAUSTED and the handler never runs', async () => {
    const marker = path.join(tmp, 'too-large-ran');
    // Just over the limit (the runtime's own check), and far over it (grpc-js refuses the message).
    for (const pad of [LIMIT, 200 * 1024]) {
      const res = await rt.client.handle({ Payload: payload({ action: 'mark', path: marker, pad: 'x'.repeat(pad) }) });
      assert.equal(res.ok, false);
      assert.equal(res.code, Status.RESOURCE_EXHAUSTED, JSON.stringify({ pad, code: res.code, details: res.details }));
      if (pad === LIMIT) {
        assert.equal(res.metadata['fnpool-error-type'], 'Runtime.RequestTooLarge');
        assert.match(errorBody(res).errorMessage, /server\.message\.length\.max/);
      }
    }
    await sleep(100);
    assert.equal(existsSync(marker), false, 'the handler ran on a payload over the limit');
    const fits = await rt.client.handle({ Payload: payload({ action: 'mark', path: marker }) });
    assert.equal(fits.ok, true, 'a payload under the limit runs');
    assert.equal(existsSync(marker), true);
  });
});

describe("OpenEdge mode: the client's deadline and cancellation", () => {
  let rt;
  // One call at a time, on one thread, with a deadline far away.
  before(async () => { rt = await openEdge({ instance: { max: 1, timeout: '20s' } }, {}, { FNPOOL_THREADS: '1' }); });
  after(() => rt.stop());

  test("a client deadline shorter than instance.timeout shortens the invocation's", async () => {
    const own = json((await rt.client.handle({ Payload: payload({ action: 'message' }) })).reply);
    assert.ok(own.remainingMs > 15_000, `without a client deadline, ${own.remainingMs} ms left of instance.timeout's 20 s`);
    const shortened = await rt.client.handle({ Payload: payload({ action: 'message' }) }, { deadlineMs: 3000 });
    assert.equal(shortened.ok, true, JSON.stringify(shortened));
    const { remainingMs } = json(shortened.reply);
    assert.ok(remainingMs > 1500 && remainingMs <= 3000, `with a 3 s client deadline, ${remainingMs} ms left`);

    const t0 = Date.now();
    const hung = await rt.client.handle({ FunctionInvokeID: 'oe-short-1', Payload: payload({ action: 'hang' }) }, { deadlineMs: 500 });
    assert.equal(hung.code, Status.DEADLINE_EXCEEDED);
    const ended = await rt.waitForLog((r) => r.requestId === 'oe-short-1' && r.msg === 'invocation finished', 3000);
    assert.ok(Date.now() - t0 < 2500, `the invocation ended ${Date.now() - t0} ms after it was sent`);
    // grpc-js also ends the call as cancelled at the client's deadline: that is still a timeout.
    assert.equal(ended.errorType, 'Runtime.Timeout');
    // Its one slot is free again: the next call does not wait for instance.timeout.
    const next = await rt.client.handle({ Payload: payload({ action: 'echo' }) }, { deadlineMs: 3000 });
    assert.equal(next.ok, true, JSON.stringify(next));
  });

  test('a client that cancels a running call aborts context.signal with Runtime.Cancelled and frees its slot', async () => {
    const controller = new AbortController();
    const call = rt.client.handle({ FunctionInvokeID: 'oe-cancel-1', Payload: payload({ action: 'cooperative' }) }, { signal: controller.signal });
    await sleep(300);
    controller.abort();
    const res = await call;
    assert.equal(res.code, Status.CANCELLED);
    const aborted = await rt.waitForLog((r) => r.requestId === 'oe-cancel-1' && /signal aborted after/.test(r.msg ?? ''), 3000);
    assert.match(aborted.msg, /: Runtime\.Cancelled$/);
    const finished = await rt.waitForLog((r) => r.requestId === 'oe-cancel-1' && r.msg === 'invocation finished', 3000);
    assert.equal(finished.errorType, 'Runtime.Cancelled');
    const t0 = Date.now();
    const next = await rt.client.handle({ Payload: payload({ action: 'echo' }) }, { deadlineMs: 5000 });
    assert.equal(next.ok, true, JSON.stringify(next));
    assert.ok(Date.now() - t0 < 1000, `the next call waited ${Date.now() - t0} ms for the one slot`);
  });

  test('a call cancelled while it waits for a slot never runs', async () => {
    const marker = path.join(tmp, 'cancelled-waiting-ran');
    const running = rt.client.handle({ Payload: payload({ action: 'sleep', ms: 800 }) });
    await sleep(100);
    const controller = new AbortController();
    const waiting = rt.client.handle({ FunctionInvokeID: 'oe-cancel-2', Payload: payload({ action: 'mark', path: marker }) }, { signal: controller.signal });
    await sleep(100);
    controller.abort();
    assert.equal((await waiting).code, Status.CANCELLED);
    assert.equal((await running).ok, true);
    await sleep(200);
    assert.equal(existsSync(marker), false, 'the call cancelled while it waited ran once a slot was free');
  });
});

describe('OpenEdge mode: instance.max and function.env', () => {
  test('with instance.max 2, six calls at once never run more than two at a time, and all succeed', async () => {
    const rt = await openEdge({ instance: { max: 2, timeout: '10s' } }, {}, { FNPOOL_THREADS: '1' });
    try {
      const t0 = Date.now();
      const answers = await Promise.all(Array.from({ length: 6 }, () => rt.client.handle({ Payload: payload({ action: 'window', ms: 200 }) })));
      const took = Date.now() - t0;
      for (const a of answers) assert.equal(a.ok, true, JSON.stringify(a));
      const windows = answers.map((a) => json(a.reply));
      // The most windows open at any one start: how many ran at once.
      const most = Math.max(...windows.map((w) => windows.filter((o) => o.start <= w.start && w.start < o.end).length));
      assert.equal(most, 2, `at most ${most} ran at once; windows ${JSON.stringify(windows)}`);
      assert.ok(took >= 550, `six 200 ms calls two at a time took only ${took} ms`);
      const overlap = await Promise.all(Array.from({ length: 6 }, () => rt.client.handle({ Payload: payload({ action: 'overlap', ms: 100 }) })));
      assert.equal(Math.max(...overlap.map((a) => json(a.reply).maxOnThread)), 2);
    } finally {
      await rt.stop();
    }
  });

  test("function.env's variables, strings and numbers, are in the handler's process.env", async () => {
    const rt = await openEdge({ env: { OE_GREETING: 'hello from function.env', OE_PORT: 8080, OE_DEBUG: true } });
    try {
      const res = await rt.client.handle({ Payload: payload({ action: 'env', names: ['OE_GREETING', 'OE_PORT', 'OE_DEBUG', 'OE_ABSENT'] }) });
      assert.equal(res.ok, true, JSON.stringify(res));
      assert.deepEqual(json(res.reply), { OE_GREETING: 'hello from function.env', OE_PORT: '8080', OE_DEBUG: 'true', OE_ABSENT: null });
    } finally {
      await rt.stop();
    }
  });
});

describe('OpenEdge mode: stopping', () => {
  test('SIGTERM: a call in flight finishes with its result, one waiting for a slot is Runtime.Shutdown, one sent after is UNAVAILABLE, exit 0', async () => {
    const port = await freePort();
    const rt = await startOpenEdge(port, configFor(port, { instance: { max: 1, timeout: '10s' } }, { timeout: '5s' }));
    try {
      const inFlight = rt.client.handle({ Payload: payload({ action: 'sleep', ms: 800 }) });
      await sleep(100);
      const waiting = rt.client.handle({ Payload: payload({ action: 'echo' }) });
      await sleep(100);
      rt.child.kill('SIGTERM');
      await rt.waitForLog((r) => /^stopping/.test(r.msg ?? ''), 3000);
      const stopped = await waiting;
      assert.equal(stopped.code, Status.UNAVAILABLE, JSON.stringify(stopped));
      assert.equal(stopped.metadata['fnpool-error-type'], 'Runtime.Shutdown');
      const late = await rt.client.handle({ Payload: payload({ action: 'echo' }) }, { deadlineMs: 3000 });
      assert.equal(late.ok, false);
      assert.equal(late.code, Status.UNAVAILABLE, JSON.stringify(late));
      const fresh = runtimeClient(`127.0.0.1:${port}`);
      const lateFresh = await fresh.handle({ Payload: payload({ action: 'echo' }) }, { deadlineMs: 3000 });
      fresh.close();
      assert.equal(lateFresh.code, Status.UNAVAILABLE, JSON.stringify(lateFresh));
      const finished = await inFlight;
      assert.equal(finished.ok, true, JSON.stringify(finished));
      assert.equal(json(finished.reply).slept, 800);
      assert.deepEqual(await rt.exited, { code: 0, signal: null });
    } finally {
      await rt.stop();
    }
  });
});

describe('OpenEdge mode: fnpool start --platform openedge', () => {
  test("the local OpenEdge calls the bootstrap over gRPC with --topic and --qos; fnpool invoke reads its errors; Ctrl-C exits 0", async () => {
    const platform = await startCli([FIXTURE, '--platform', 'openedge', '--port', '0', '--topic', 'x/y', '--qos', '1'], { api: false });
    try {
      assert.match(platform.stdout(), /local OpenEdge \(gRPC\) platform/);
      assert.match(platform.stdout(), /runtime at: +server\.address=127\.0\.0\.1:\d+/);
      const seen = await post(platform.url, { action: 'message' }, { 'x-fc-request-id': 'cli-oe-1' });
      assert.equal(seen.status, 200, JSON.stringify(seen.body));
      assert.equal(seen.body.messageTopic, 'x/y');
      assert.equal(seen.body.messageQOS, 1);
      assert.match(seen.body.functionInvokeID, /\S/);
      assert.equal(seen.body.invokeid, seen.body.functionInvokeID);

      const echoed = await run(['invoke', '--url', platform.url, '{"action":"echo","n":3}']);
      assert.equal(echoed.code, 0, echoed.stderr);
      assert.deepEqual(JSON.parse(echoed.stdout).event, { action: 'echo', n: 3 });
      const failed = await run(['invoke', '--url', platform.url, '{"action":"throw","detail":"via cli"}']);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /^ValidationError: bad input: via cli/);
    } finally {
      assert.deepEqual(await platform.stop('SIGINT'), { code: 0, signal: null });
    }
  });
});
