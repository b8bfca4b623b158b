// The handler API (README "Writing a handler"): events, results, signatures and the context object, through the real
// bootstrap against the emulator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachPlatform, startRuntime } from './helpers/runtime.mjs';

forEachPlatform((platform) => {
  describe('handler API', () => {
    let rt;
    before(async () => {
      rt = await startRuntime({ platform,
        env: {
          RUNTIME_MEMORY: '512',
          RUNTIME_CPU: '1.5',
          RUNTIME_TIMEOUT: '5',
          RUNTIME_FUNC_VERSION: 'v7',
          RUNTIME_PACKAGE: 'pkg',
          RUNTIME_PROJECT_ID: 'proj-1',
          RUNTIME_USERDATA: JSON.stringify({ greeting: 'hi', n: 3 }),
        },
      });
    });
    after(() => rt.stop());

    test('a JSON event reaches the handler parsed, and the result comes back as JSON', async () => {
      const out = await rt.call({ action: 'echo', nested: { list: [1, 2, 3] }, text: 'žluťoučký 🐎' });
      assert.deepEqual(out.event, { action: 'echo', nested: { list: [1, 2, 3] }, text: 'žluťoučký 🐎' });
    });

    test('an empty body is the event {} (OpenEdge: an empty payload is an empty Buffer)', async () => {
      const res = await rt.invoke(Buffer.alloc(0));
      assert.equal(res.ok, true);
      if (platform === 'openedge') assert.deepEqual(JSON.parse(res.body), { isBuffer: true, length: 0, base64: '' });
      else assert.deepEqual(JSON.parse(res.body).event, {});
    });

    test('a body that is not JSON is given as a Buffer with the exact bytes', async () => {
      const bytes = Buffer.from([0xff, 0x00, 0x7b, 0x80, 0x41]);
      const out = await rt.call(bytes);
      assert.deepEqual(out, { isBuffer: true, length: 5, base64: bytes.toString('base64') });
    });

    test('a Buffer result is sent as raw bytes', async () => {
      const res = await rt.invoke({ action: 'buffer', text: 'bytes é' });
      assert.equal(res.ok, true);
      assert.equal(res.body.toString('utf8'), 'bytes é');
    });

    test('a Buffer that is a view into a larger one sends only its own bytes', async () => {
      const res = await rt.invoke({ action: 'buffer-slice' });
      assert.equal(res.body.toString('utf8'), 'world');
    });

    test('undefined is sent as null, a string as a JSON string (OpenEdge: nothing, and the string\'s UTF-8)', async () => {
      const openedge = platform === 'openedge';
      assert.equal((await rt.invoke({ action: 'undefined' })).body.toString(), openedge ? '' : 'null');
      assert.equal((await rt.invoke({ action: 'string' })).body.toString(), openedge ? 'plain text' : '"plain text"');
    });

    test('the context has FunctionGraph\'s methods with the documented units, and Lambda\'s fields', { skip: platform !== 'functiongraph' && 'FunctionGraph\'s wire (its own context test is in platform-context)' }, async () => {
      const started = Date.now();
      const res = await rt.invoke({ action: 'context' }, {
        requestId: 'ctx-1',
        invokeType: 'async',
        headers: {
          'X-CFF-Access-Key': 'AK-ctx-1111', 'X-CFF-Secret-Key': 'SK-ctx-2222', 'X-CFF-Auth-Token': 'TOKEN-ctx-3333',
          'X-CFF-Security-Access-Key': 'SAK-ctx-4444', 'X-CFF-Security-Secret-Key': 'SSK-ctx-5555', 'X-CFF-Security-Token': 'ST-ctx-6666',
        },
      });
      assert.equal(res.ok, true, JSON.stringify(res.error));
      const ctx = JSON.parse(res.body);
      assert.equal(ctx.requestId, 'ctx-1');
      assert.equal(ctx.awsRequestId, 'ctx-1');
      assert.ok(ctx.remaining > 4000 && ctx.remaining <= 5000, `remaining ${ctx.remaining}`);
      assert.ok(Math.abs(ctx.remainingMillis - ctx.remaining) < 50);
      assert.equal(ctx.accessKey, 'AK-ctx-1111');
      assert.equal(ctx.secretKey, 'SK-ctx-2222');
      assert.equal(ctx.token, 'TOKEN-ctx-3333');
      assert.equal(ctx.securityAccessKey, 'SAK-ctx-4444');
      assert.equal(ctx.securitySecretKey, 'SSK-ctx-5555');
      assert.equal(ctx.securityToken, 'ST-ctx-6666');
      assert.equal(ctx.userData, 'hi');
      assert.equal(ctx.functionName, 'test-fn');
      assert.equal(ctx.version, 'v7');
      assert.equal(ctx.package, 'pkg');
      assert.equal(ctx.projectId, 'proj-1');
      assert.equal(ctx.runningTimeInSeconds, 5);
      assert.equal(ctx.memorySize, 512);
      assert.equal(ctx.cpuNumber, 1.5);
      assert.equal(ctx.invokeType, 'async');
      assert.deepEqual(ctx.loggerMethods, ['debug', 'info', 'warn', 'error']);
      assert.equal(ctx.lambda.functionName, 'test-fn');
      assert.equal(ctx.lambda.functionVersion, 'v7');
      assert.equal(ctx.lambda.memoryLimitInMB, '512');
      assert.ok(Math.abs(ctx.lambda.deadlineMs - (started + 5000)) < 1000);
      assert.equal(ctx.lambda.isSignal, true);
      assert.equal(ctx.lambda.signalAborted, false);
      for (const secret of ['AK-ctx-1111', 'SK-ctx-2222', 'TOKEN-ctx-3333', 'SSK-ctx-5555', 'ST-ctx-6666']) {
        assert.ok(!ctx.inspected.includes(secret), `util.inspect(context) shows ${secret}`);
        assert.ok(!ctx.json.includes(secret), `JSON.stringify(context) shows ${secret}`);
      }
    });

    test('getUserData of a non-string value gives its JSON text', { skip: platform !== 'functiongraph' && 'RUNTIME_USERDATA is FunctionGraph\'s' }, async () => {
      assert.equal((await rt.call({ action: 'context', key: 'n' })).userData, '3');
    });

    test('each invocation gets its own context, with its own request id', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => `own-${i}`);
      const outs = await Promise.all(ids.map((requestId) => rt.call({ action: 'echo' }, { requestId })));
      assert.deepEqual(outs.map((o) => o.requestId), ids);
    });

    test('getRemainingTimeInMilliSeconds counts from the arrival and never goes below 0', async () => {
      const ctx = await rt.call({ action: 'context' });
      assert.ok(ctx.remaining >= 0);
    });
  });

  describe('handler signatures', () => {
    test('callback style: the first call wins', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_HANDLER: 'index.callbackHandler', RUNTIME_CPU: '1' } });
      try {
        assert.deepEqual(await rt.call({ a: 1 }), { via: 'callback', event: { a: 1 } });
        const failed = await rt.invoke({ fail: true });
        assert.equal(failed.ok, false);
        assert.equal(failed.error.errorType, 'Error');
        assert.equal(failed.error.errorMessage, 'callback failure');
      } finally {
        await rt.stop();
      }
    });

    test('a plain synchronous function returns its value', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_HANDLER: 'index.syncHandler', RUNTIME_CPU: '1' } });
      try {
        assert.deepEqual(await rt.call({ b: 2 }), { via: 'sync', event: { b: 2 } });
      } finally {
        await rt.stop();
      }
    });
  });

  describe('per-thread concurrency', () => {
    test('FNPOOL_TASKS_PER_THREAD=1: a thread never runs two invocations at once', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', FNPOOL_TASKS_PER_THREAD: '1' } });
      try {
        const outs = await Promise.all(Array.from({ length: 12 }, () => rt.call({ action: 'overlap', ms: 30 })));
        for (const o of outs) assert.equal(o.maxOnThread, 1);
        assert.equal(new Set(outs.map((o) => o.threadId)).size, 2);
      } finally {
        await rt.stop();
      }
    });

    test('the default lets async handlers overlap on a thread', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } });
      try {
        const outs = await Promise.all(Array.from({ length: 8 }, () => rt.call({ action: 'overlap', ms: 100 })));
        assert.ok(Math.max(...outs.map((o) => o.maxOnThread)) >= 4, JSON.stringify(outs));
      } finally {
        await rt.stop();
      }
    });
  });
}, { push: true });
