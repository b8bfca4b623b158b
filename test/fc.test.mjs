// What only Function Compute's runtime API has: lifecycle calls by x-fc-function-type, FC's Node
// context shape, HTTP triggers through x-fc-http-params, "FC … Start/End RequestId:" lines, and a
// failed init reported to /runtime/init/error while the runtime goes on answering with it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInvokeEndpoint } from '../dist/emulator/index.js';
import { fixture, startRuntime } from './helpers/runtime.mjs';

const CONTEXT = fixture('platform-context');
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64');
const unb64 = (text) => JSON.parse(Buffer.from(text, 'base64').toString('utf8'));

describe('FC: lifecycle calls', () => {
  test('initializer (1), preStop (2) and preFreeze (3) run their exports, framed by FC\'s lines', async () => {
    const rt = await startRuntime({
      platform: 'fc', codeRoot: CONTEXT,
      env: { RUNTIME_CPU: '2', RUNTIME_INITIALIZER_HANDLER: 'index.init', FNPOOL_PRE_FREEZE: 'index.preFreeze' },
    });
    try {
      // The initializer FNPOOL_INITIALIZER names ran on every thread at start: the call answers at once.
      const init = await rt.invoke({}, { requestId: 'life-1', headers: { 'x-fc-function-type': '1', 'x-fc-function-handler': 'index.init' } });
      assert.equal(init.ok, true);
      assert.equal(init.body.toString(), 'null');
      const ctx = JSON.parse((await rt.invoke({ action: 'fc' })).body);
      assert.equal(ctx.initialized, 1, 'once on this thread, not again for the call');
      const stop = await rt.invoke({}, {
        requestId: 'life-2', headers: { 'x-fc-function-type': '2', 'x-fc-instance-lifecycle-pre-stop-handler': 'index.preStop' },
      });
      assert.deepEqual(JSON.parse(stop.body), { hook: 'preStop', requestId: 'life-2' });
      const freeze = await rt.invoke({}, { requestId: 'life-3', headers: { 'x-fc-function-type': '3' } });
      assert.deepEqual(JSON.parse(freeze.body), { hook: 'preFreeze', requestId: 'life-3' });
      // A lifecycle call with nothing to run is answered at once.
      const none = await rt.invoke({}, { requestId: 'life-4', headers: { 'x-fc-function-type': '2' } });
      assert.equal(none.ok, true);
      await rt.waitForLog((r) => r.unparsed === 'FC PreStop End RequestId: life-4');
      for (const [id, kind] of [['life-1', 'Initialize'], ['life-2', 'PreStop'], ['life-3', 'PreFreeze']]) {
        const start = rt.lines.indexOf(`FC ${kind} Start RequestId: ${id}`);
        const end = rt.lines.indexOf(`FC ${kind} End RequestId: ${id}`);
        assert.ok(start !== -1 && end > start, `${kind} lines for ${id}`);
      }
    } finally {
      await rt.stop();
    }
  });

  test('every invocation is framed by FC Invoke Start/End lines; a failed one says so', async () => {
    const rt = await startRuntime({ platform: 'fc', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1' } });
    try {
      await rt.invoke({}, { requestId: 'inv-ok' });
      await rt.invoke({ action: 'throw' }, { requestId: 'inv-bad' });
      await rt.waitForLog((r) => r.unparsed?.startsWith('FC Invoke End RequestId: inv-bad'));
      assert.ok(rt.lines.includes('FC Invoke Start RequestId: inv-ok'));
      assert.ok(rt.lines.includes('FC Invoke End RequestId: inv-ok'));
      assert.ok(rt.lines.includes('FC Invoke End RequestId: inv-bad, Error: Unhandled function error'));
    } finally {
      await rt.stop();
    }
  });

  test("a handler's own lines come between its Start and End lines, under load", async () => {
    const rt = await startRuntime({ platform: 'fc', env: { RUNTIME_CPU: '2' } });
    try {
      // Many at once: the main thread's own records go out in batches, the handlers' at once.
      const ids = Array.from({ length: 40 }, (_, i) => `framed-${i}`);
      await Promise.all(ids.map((id) => rt.invoke({ action: 'log', tag: id, ms: 1 }, { requestId: id })));
      await rt.waitForLog((r) => r.unparsed === `FC Invoke End RequestId: ${ids.at(-1)}`);
      await Promise.all(ids.map((id) => rt.waitForLog((r) => r.unparsed === `FC Invoke End RequestId: ${id}`)));
      for (const id of ids) {
        const start = rt.lines.indexOf(`FC Invoke Start RequestId: ${id}`);
        const first = rt.records.findIndex((r) => r.requestId === id && /start /.test(r.msg ?? ''));
        const end = rt.lines.indexOf(`FC Invoke End RequestId: ${id}`);
        assert.ok(start >= 0 && start < first && first < end, `${id}: Start at ${start}, its first line at ${first}, End at ${end}`);
        assert.equal(rt.lines.filter((l) => l === `FC Invoke Start RequestId: ${id}`).length, 1, `${id}: one Start line`);
      }
    } finally {
      await rt.stop();
    }
  });
});

describe('FC: the context and HTTP triggers', () => {
  test('FC\'s Node context: credentials, function, service, region, accountId, retryCount, logger', async () => {
    const rt = await startRuntime({ platform: 'fc', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1', RUNTIME_MEMORY: '512', RUNTIME_TIMEOUT: '5' } });
    try {
      const res = await rt.invoke({ action: 'fc' }, {
        requestId: 'fc-ctx',
        headers: {
          'x-fc-access-key-id': 'AK-fc-1', 'x-fc-access-key-secret': 'SK-fc-2', 'x-fc-security-token': 'ST-fc-3',
          'x-fc-function-handler': 'index.handler', 'x-fc-service-name': 'svc', 'x-fc-service-logproject': 'proj',
          'x-fc-service-logstore': 'store', 'x-fc-qualifier': 'LATEST', 'x-fc-version-id': '3', 'x-fc-retry-count': '2',
        },
      });
      const ctx = JSON.parse(res.body);
      assert.equal(ctx.requestId, 'fc-ctx');
      assert.deepEqual(ctx.credentials, { accessKeyId: 'AK-fc-1', accessKeySecret: 'SK-fc-2', securityToken: 'ST-fc-3' });
      assert.deepEqual(ctx.function, { name: 'test-fn', handler: 'index.handler', memory: 512, timeout: 5 });
      assert.deepEqual(ctx.service, { name: 'svc', logProject: 'proj', logStore: 'store', qualifier: 'LATEST', versionId: '3' });
      assert.equal(ctx.region, 'local');
      assert.equal(typeof ctx.accountId, 'string');
      assert.equal(ctx.retryCount, 2);
      assert.deepEqual(ctx.loggerMethods, ['debug', 'info', 'warn', 'error']);
      assert.equal(ctx.accessKey, 'AK-fc-1', 'the common getAccessKey() reads FC\'s credentials too');
    } finally {
      await rt.stop();
    }
  });

  test('an HTTP trigger\'s request becomes an API-gateway event; its status and headers go back in x-fc-http-params', async () => {
    const rt = await startRuntime({ platform: 'fc', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1' } });
    try {
      const params = b64({ method: 'post', path: '/items/7', requestURI: '/items/7?q=a&q=b', headersMap: { 'X-Client': ['c1'] }, queriesMap: { q: ['a', 'b'] } });
      const res = await rt.invoke(Buffer.from('hello body'), { requestId: 'http-1', headers: { 'x-fc-http-params': params } });
      assert.equal(res.ok, true, JSON.stringify(res.error));
      const back = unb64(res.headers['x-fc-http-params']);
      assert.equal(back.status, 201);
      assert.deepEqual(back.headersMap['x-echo'], ['yes']);
      assert.deepEqual(back.headersMap['set-cookie'], ['a=1', 'b=2']);
      const event = JSON.parse(res.body);
      assert.deepEqual(event, {
        httpMethod: 'POST', path: '/items/7', headers: { 'x-client': 'c1' }, queryParameters: { q: ['a', 'b'] },
        body: 'hello body', isBase64Encoded: false, requestContext: { requestId: 'http-1' },
      });
      const bad = await rt.invoke({}, { headers: { 'x-fc-http-params': '!!not base64 json' } });
      assert.equal(bad.error?.errorType, 'Runtime.InvalidRequest');
    } finally {
      await rt.stop();
    }
  });
});

describe('FC: the local invoke endpoint', () => {
  test('an HTTP trigger through POST /invoke answers with the handler\'s status, headers and body', async () => {
    const rt = await startRuntime({ platform: 'fc', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1' } });
    const endpoint = await startInvokeEndpoint(rt.emulator, { port: 0 });
    try {
      const res = await fetch(`${endpoint.url}/invoke`, {
        method: 'POST', body: 'payload', headers: { 'x-fc-http-params': b64({ method: 'PUT', path: '/x', headersMap: {}, queriesMap: {} }) },
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('x-echo'), 'yes');
      const event = await res.json();
      assert.equal(event.httpMethod, 'PUT');
      assert.equal(event.body, 'payload');
    } finally {
      await endpoint.close();
      await rt.stop();
    }
  });
});

describe('FC: init errors', () => {
  test('a failed init is posted to /runtime/init/error and every invocation is answered with it; no exit', async () => {
    const rt = await startRuntime({ platform: 'fc', fixture: 'missing-dep', env: { RUNTIME_CPU: '1' } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await rt.invoke({})).error?.errorType, 'Runtime.ImportModuleError');
      assert.equal(rt.emulator.stats().initErrors, 1);
      assert.equal(rt.child.exitCode, null);
    } finally {
      await rt.stop();
    }
  });
});
