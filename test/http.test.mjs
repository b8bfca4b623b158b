// HTTP mode (FC's custom runtime and container, Knative, Cloud Run): the real bootstrap listens,
// and these tests are the platform, calling its port through real sockets (undici).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startRuntime } from './helpers/runtime.mjs';

const json = (res) => JSON.parse(res.body.toString('utf8'));
const post = (rt, event, headers = {}) => rt.request('/invoke', { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(event) });

describe('HTTP mode: event invocations', () => {
  let rt;
  before(async () => { rt = await startRuntime({ platform: 'http', env: { RUNTIME_TIMEOUT: '3', FNPOOL_MAX_REQUEST_BYTES: '4096' } }); });
  after(() => rt.stop());

  test('POST /invoke runs the handler on the body: 200, x-fc-status 200, the request id kept', async () => {
    const res = await post(rt, { action: 'echo', n: 1 }, { 'x-fc-request-id': 'req-1' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-fc-status'], '200');
    assert.equal(res.headers['x-fc-request-id'], 'req-1');
    const out = json(res);
    assert.deepEqual(out.event, { action: 'echo', n: 1 });
    assert.equal(out.requestId, 'req-1');
    // Plain lines of their own around the invocation's records, as FC's console looks for them.
    await rt.waitForLog((r) => r.unparsed === 'FC Invoke End RequestId: req-1');
    const start = rt.lines.indexOf('FC Invoke Start RequestId: req-1');
    const record = rt.lines.findIndex((line) => line.includes('"requestId":"req-1"'));
    assert.ok(start >= 0 && start < record && record < rt.lines.indexOf('FC Invoke End RequestId: req-1'), 'FC Invoke Start/End lines');
  });

  test('without x-fc-request-id an id is made up, answered and given to the handler', async () => {
    const res = await post(rt, { action: 'echo' });
    const id = res.headers['x-fc-request-id'];
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(json(res).requestId, id);
  });

  test("a handler's error is 404 with x-fc-status, x-fc-error-type and the JSON error", async () => {
    const res = await post(rt, { action: 'throw', detail: 'nope' });
    assert.equal(res.status, 404);
    assert.equal(res.headers['x-fc-status'], '404');
    assert.equal(res.headers['x-fc-error-type'], 'ValidationError');
    assert.deepEqual(Object.keys(json(res)), ['errorType', 'errorMessage', 'stackTrace']);
    assert.equal(json(res).errorMessage, 'bad input: nope');
  });

  test('x-fc-function-timeout is the deadline, counted from arrival', async () => {
    const t0 = Date.now();
    const res = await post(rt, { action: 'hang' }, { 'x-fc-function-timeout': '1' });
    assert.equal(res.headers['x-fc-error-type'], 'Runtime.Timeout');
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 1500, `answered after ${took} ms`);
  });

  test('a body over the limit is refused with 413: by its Content-Length, or once too much has come', async () => {
    const declared = await post(rt, { action: 'echo', pad: 'x'.repeat(5000) });
    assert.equal(declared.status, 413);
    assert.equal(declared.headers['x-fc-error-type'], 'Runtime.RequestTooLarge');
    assert.match(json(declared).errorMessage, /FNPOOL_MAX_REQUEST_BYTES/);
    async function* chunks() { for (let i = 0; i < 10; i++) yield Buffer.alloc(1000, 97); }
    const streamed = await rt.request('/invoke', { body: chunks() });
    assert.equal(streamed.status, 413);
    assert.equal((await post(rt, { action: 'echo' })).status, 200, 'the runtime serves on');
  });

  test('lifecycle paths with no export to run answer 200 at once', async () => {
    for (const path of ['/initialize', '/pre-stop', '/pre-freeze']) {
      const res = await rt.request(path, { body: '' });
      assert.equal(res.status, 200, path);
    }
  });
});

describe('HTTP mode: HTTP triggers', () => {
  let rt;
  before(async () => { rt = await startRuntime({ platform: 'http', fixture: 'http-trigger' }); });
  after(() => rt.stop());

  test('any other path is an API-gateway event: method, path, repeated query values and headers, body', async () => {
    const res = await rt.request('/some/where?a=1&a=2&b=3', { method: 'PUT', headers: { 'x-one': 'y' }, body: 'hello' });
    assert.equal(res.status, 200);
    const { event } = json(res);
    assert.equal(event.httpMethod, 'PUT');
    assert.equal(event.path, '/some/where');
    assert.deepEqual(event.queryParameters, { a: ['1', '2'], b: '3' });
    assert.equal(event.headers['x-one'], 'y');
    assert.equal(Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString(), 'hello');
    assert.equal(event.requestContext.requestId, res.headers['x-fc-request-id']);
    const malformed = await rt.request('/caf%C3%A9/%E0%A4%A', { method: 'GET' });
    assert.equal(malformed.status, 200);
    assert.equal(json(malformed).event.path, '/caf%C3%A9/%E0%A4%A', 'a path that does not decode is given as it came');
  });

  test('a text body that starts with a byte order mark reaches the handler with it', async () => {
    const res = await rt.request('/bom', { method: 'POST', body: '\ufeff{"a":1}' });
    assert.equal(res.status, 200);
    const { event } = json(res);
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.body, '\ufeff{"a":1}');
  });

  test("the handler's status, headers (repeated too) and body go back as they are; binary bodies too", async () => {
    const created = await rt.request('/created', { method: 'GET' });
    assert.equal(created.status, 201);
    assert.equal(created.headers['x-made'], 'yes');
    assert.deepEqual(created.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(created.body.toString(), 'created');
    const binary = await rt.request('/binary', { method: 'GET' });
    assert.deepEqual([...binary.body], [0, 1, 2, 255]);
  });
});

describe('HTTP mode: admission', () => {
  test('past FNPOOL_CONCURRENCY running and FNPOOL_QUEUE waiting, 429 with Retry-After; every request answered once', async () => {
    const rt = await startRuntime({ platform: 'http', fixture: 'http-trigger', env: { FNPOOL_CONCURRENCY: '2', FNPOOL_QUEUE: '1', RUNTIME_CPU: '1' } });
    try {
      const answers = await Promise.all(Array.from({ length: 6 }, () => rt.request('/sleep?ms=400', { method: 'GET' })));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
      for (const a of answers.filter((x) => x.status === 429)) assert.equal(a.headers['retry-after'], '1');
    } finally {
      await rt.stop();
    }
  });

  test('the wait for a slot counts against the deadline', async () => {
    const rt = await startRuntime({ platform: 'http', env: { FNPOOL_CONCURRENCY: '1', RUNTIME_CPU: '1' } });
    try {
      const first = post(rt, { action: 'sleep', ms: 1500 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const t0 = Date.now();
      const second = await post(rt, { action: 'echo' }, { 'x-fc-function-timeout': '1' });
      assert.equal(second.headers['x-fc-error-type'], 'Runtime.Timeout');
      assert.ok(Date.now() - t0 < 1400, `answered after ${Date.now() - t0} ms`);
      assert.equal((await first).status, 200);
    } finally {
      await rt.stop();
    }
  });
});

describe('HTTP mode: callers that go away', () => {
  test("a caller that disconnects aborts its invocation's context.signal and frees its slot; one still waiting never runs", async () => {
    const rt = await startRuntime({ platform: 'http', env: { FNPOOL_CONCURRENCY: '1', RUNTIME_CPU: '1', RUNTIME_TIMEOUT: '20' } });
    try {
      const running = new AbortController();
      const waiting = new AbortController();
      const marker = path.join(mkdtempSync(path.join(tmpdir(), 'fnpool-gone-')), 'ran');
      const first = rt.request('/invoke', { headers: { 'x-fc-request-id': 'gone-1' }, body: '{"action":"cooperative"}', signal: running.signal }).catch((err) => err);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = rt.request('/invoke', { headers: { 'x-fc-request-id': 'gone-2' }, body: JSON.stringify({ action: 'mark', path: marker }), signal: waiting.signal }).catch((err) => err);
      await new Promise((resolve) => setTimeout(resolve, 100));
      waiting.abort();
      running.abort();
      await Promise.all([first, second]);
      const aborted = await rt.waitForLog((r) => r.requestId === 'gone-1' && /signal aborted/.test(r.msg ?? ''), 3000);
      assert.match(aborted.msg, /Runtime\.Cancelled/);
      // The one slot is free again at once, and what waited for it did not run.
      const t0 = Date.now();
      assert.equal((await post(rt, { action: 'echo' })).status, 200);
      assert.ok(Date.now() - t0 < 1000, `the next one waited ${Date.now() - t0} ms`);
      assert.equal(existsSync(marker), false, 'the invocation whose caller left while it waited ran');
      for (const id of ['gone-1', 'gone-2']) {
        const record = await rt.waitForLog((r) => r.requestId === id && r.msg === 'invocation finished', 3000);
        assert.equal(record.errorType, 'Runtime.Cancelled');
      }
    } finally {
      await rt.stop();
    }
  });
});

describe('HTTP mode: the platform around it', () => {
  test('on Knative (K_SERVICE) an error is a 500', async () => {
    const rt = await startRuntime({ platform: 'http', env: { K_SERVICE: 'svc' } });
    try {
      const res = await post(rt, { action: 'throw' });
      assert.equal(res.status, 500);
      assert.equal(res.headers['x-fc-error-type'], 'ValidationError');
    } finally {
      await rt.stop();
    }
  });

  test('SIGTERM: what runs finishes, the listener closes, the rest is Runtime.Shutdown, exit 0', async () => {
    const rt = await startRuntime({ platform: 'http', env: { FNPOOL_SHUTDOWN_TIMEOUT_MS: '600', RUNTIME_TIMEOUT: '30' } });
    const port = new URL(rt.url).port;
    const finishing = post(rt, { action: 'sleep', ms: 300 });
    const hanging = post(rt, { action: 'hang' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    rt.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(false); });
      socket.once('error', () => resolve(true));
    });
    assert.equal(refused, true, 'the listener is closed');
    assert.equal((await finishing).status, 200);
    const stopped = await hanging;
    assert.equal(stopped.headers['x-fc-error-type'], 'Runtime.Shutdown');
    assert.equal((await rt.exited).code, 0);
  });

  test('an initializer that fails answers /initialize with 404 Runtime.InitializerError, and every invocation after', async () => {
    const rt = await startRuntime({ platform: 'http', fixture: 'initializer', env: { RUNTIME_INITIALIZER_HANDLER: 'index.initThrows' } });
    try {
      const init = await rt.request('/initialize', { body: '' });
      assert.equal(init.status, 404);
      assert.equal(init.headers['x-fc-error-type'], 'Runtime.InitializerError');
      assert.equal((await post(rt, {})).headers['x-fc-error-type'], 'Runtime.InitializerError');
    } finally {
      await rt.stop();
    }
  });

  test('sockets the platform keeps for reuse stay open while idle', async () => {
    const rt = await startRuntime({ platform: 'http' });
    try {
      const { Client } = await import('undici');
      const client = new Client(rt.url, { keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
      let connects = 0;
      client.on('connect', () => { connects += 1; });
      const call = () => client.request({ path: '/invoke', method: 'POST', body: '{"action":"echo"}' }).then((r) => r.body.text());
      await call();
      // Node's own default closes a keep-alive socket idle for 5 s.
      await new Promise((resolve) => setTimeout(resolve, 5500));
      await call();
      assert.equal(connects, 1);
      await client.close();
    } finally {
      await rt.stop();
    }
  });
});
