// Error reporting (README "Errors"): the wire body, the handler's own errors, and each Runtime.* type that
// comes from the function's code or its size limits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachPlatform, startRuntime } from './helpers/runtime.mjs';

function assertWireError(res, errorType, messagePattern) {
  assert.equal(res.ok, false, `expected ${errorType}, got success ${res.body.subarray(0, 200)}`);
  assert.equal(res.error.errorType, errorType, JSON.stringify(res.error));
  assert.equal(typeof res.error.errorMessage, 'string');
  assert.ok(Array.isArray(res.error.stackTrace));
  for (const line of res.error.stackTrace) assert.equal(typeof line, 'string');
  if (messagePattern) assert.match(res.error.errorMessage, messagePattern);
}

forEachPlatform((platform) => {
  describe('errors from the handler', () => {
    let rt;
    before(async () => { rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } }); });
    after(() => rt.stop());

    test('a custom error class keeps its name as errorType, its message, and a stack', async () => {
      const res = await rt.invoke({ action: 'throw', detail: 'age' });
      assertWireError(res, 'ValidationError', /^bad input: age$/);
      assert.ok(res.error.stackTrace.some((line) => line.includes('index.js')), res.error.stackTrace.join('\n'));
    });

    test('a subclass that never set a name is reported by its class name', async () => {
      assertWireError(await rt.invoke({ action: 'throw-nameless' }), 'NamelessError', /no name set/);
    });

    test('a thrown string or object is reported with its type and its text', async () => {
      assertWireError(await rt.invoke({ action: 'throw-string' }), 'string', /^a plain string$/);
      assertWireError(await rt.invoke({ action: 'throw-object' }), 'object', /"code":42/);
    });

    test('a promise rejected with undefined is still an error', async () => {
      const res = await rt.invoke({ action: 'reject-undefined' });
      assert.equal(res.ok, false);
    });

    test('a result that cannot be serialized is Runtime.SerializationError (BigInt, cycles)', async () => {
      assertWireError(await rt.invoke({ action: 'bigint' }), 'Runtime.SerializationError', /BigInt/);
      assertWireError(await rt.invoke({ action: 'cycle' }), 'Runtime.SerializationError', /circular/i);
    });

    test('a huge error message is cut so that the error body still fits the platform\'s limit', async () => {
      const res = await rt.invoke({ action: 'huge-error', chars: 8 * 1024 * 1024 });
      assertWireError(res, 'Error', /more characters cut\)$/);
      assert.ok(res.error.errorMessage.length < 100 * 1024);
    });

    test('an unknown action (a plain Error) is reported as Error', async () => {
      assertWireError(await rt.invoke({ action: 'nope' }), 'Error', /unknown action nope/);
    });
  });

  describe('size limits', () => {
    test('a result over RUNTIME_MAX_RESP_BODY_SIZE is Runtime.ResponseTooLarge, and nothing of it is sent', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_MAX_RESP_BODY_SIZE: '1000' } });
      try {
        assertWireError(await rt.invoke({ action: 'big', bytes: 2000 }), 'Runtime.ResponseTooLarge', /1000 bytes/);
        const ok = await rt.invoke({ action: 'big', bytes: 900 });
        assert.equal(ok.ok, true);
      } finally {
        await rt.stop();
      }
    });

    test('the default response limit is 6 MiB (FC, its HTTP mode too: 32 MiB)', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } });
      try {
        // As a JSON string its quotes put it 2 bytes over.
        const limit = (platform === 'fc' || platform === 'http' ? 32 : 6) * 1024 * 1024; // HTTP mode here plays FC's custom runtime
        assertWireError(await rt.invoke({ action: 'big', bytes: limit }), 'Runtime.ResponseTooLarge');
      } finally {
        await rt.stop();
      }
    });

    test('a request over RUNTIME_MAX_REQUEST_BODY_SIZE is Runtime.RequestTooLarge and never reaches the handler', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_MAX_REQUEST_BODY_SIZE: '2048' } });
      try {
        const res = await rt.invoke({ action: 'echo', pad: 'p'.repeat(4096) }, { requestId: 'too-big' });
        assertWireError(res, 'Runtime.RequestTooLarge', /2048 bytes/);
        assert.equal(rt.records.some((r) => r.requestId === 'too-big' && r.msg !== 'invocation finished'), false);
        assert.equal((await rt.invoke({ action: 'echo' })).ok, true);
      } finally {
        await rt.stop();
      }
    });
  });

  describe('init errors: every invocation gets the error, the runtime does not crash-loop', () => {
    const cases = [
      { name: 'missing module', env: { RUNTIME_HANDLER: 'nothere.handler' }, type: 'Runtime.ImportModuleError', message: /nothere/ },
      { name: 'missing export', env: { RUNTIME_HANDLER: 'index.nope' }, type: 'Runtime.HandlerNotFound', message: /nope/ },
      // OpenEdge's config names the handler: a malformed one is refused at start (test/openedge.test.mjs).
      { name: 'malformed name', env: { RUNTIME_HANDLER: 'index' }, type: 'Runtime.MalformedHandlerName', message: /index/, configured: true },
      { name: '.. in the name', env: { RUNTIME_HANDLER: '../behaviours/index.handler' }, type: 'Runtime.MalformedHandlerName', message: /\.\./, configured: true },
      { name: 'initializer throws', fixture: 'initializer', env: { RUNTIME_INITIALIZER_HANDLER: 'index.initThrows' }, type: 'Runtime.InitializerError', message: /cannot reach the database/ },
      { name: 'initializer not exported', fixture: 'initializer', env: { RUNTIME_INITIALIZER_HANDLER: 'index.notThere' }, type: 'Runtime.InitializerError', message: /^the initializer index\.notThere is undefined or not exported$/ },
      { name: 'initializer never resolves', fixture: 'initializer', env: { RUNTIME_INITIALIZER_HANDLER: 'index.initHangs', RUNTIME_INITIALIZER_TIMEOUT: '1' }, type: 'Runtime.InitializerTimeout', message: /initializer/ },
    ];
    for (const c of cases) {
      test(`${c.name} → ${c.type}`, { skip: c.configured && platform === 'openedge' && 'a bad handler in the config is refused at start' }, async () => {
        const rt = await startRuntime({ platform, fixture: c.fixture, env: { RUNTIME_CPU: '2', ...c.env } });
        try {
          for (let i = 0; i < 3; i++) assertWireError(await rt.invoke({ i }), c.type, c.message);
          assert.equal(rt.child.exitCode, null, 'the runtime must keep serving');
        } finally {
          await rt.stop();
        }
      });
    }
  });

  describe('init failures after start', () => {
    test('a module that calls process.exit() while loading is reported at once as Runtime.ImportModuleError', async () => {
      const t0 = performance.now();
      const rt = await startRuntime({ platform, fixture: 'exit-at-load', env: { RUNTIME_CPU: '2' } });
      try {
        const res = await rt.invoke({});
        assertWireError(res, 'Runtime.ImportModuleError', /exited with code 3/);
        assert.ok(performance.now() - t0 < 10_000, 'no 30 s wait');
      } finally {
        await rt.stop();
      }
    });

    test('a replacement thread whose initializer fails is replaced again; the function recovers', async () => {
      const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'fnpool-flaky-')), 'down');
      const rt = await startRuntime({ platform,
        fixture: 'initializer',
        env: { RUNTIME_CPU: '1', RUNTIME_INITIALIZER_HANDLER: 'index.initFlaky', FNPOOL_TEST_FLAKY_MARKER: marker },
      });
      try {
        assert.equal((await rt.call({})).via, 'flaky');
        writeFileSync(marker, '');
        assert.equal((await rt.invoke({ exit: true })).error?.errorType, 'Runtime.WorkerExited');
        // Every replacement fails its init while the marker exists: after a few tries, the init error.
        assertWireError(await rt.invoke({}), 'Runtime.InitializerError', /database unreachable/);
        unlinkSync(marker);
        const back = await rt.invoke({});
        assert.equal(back.ok, true, JSON.stringify(back.error));
        assert.equal(JSON.parse(back.body).via, 'flaky');
      } finally {
        await rt.stop();
      }
    });
  });

  describe('the initializer', () => {
    test('runs once per worker thread before any invocation, with a context', async () => {
      const rt = await startRuntime({ platform, fixture: 'initializer', env: { RUNTIME_CPU: '2', RUNTIME_INITIALIZER_HANDLER: 'index.init' } });
      try {
        const outs = await Promise.all(Array.from({ length: 8 }, () => rt.call({})));
        for (const out of outs) {
          assert.equal(out.initialized, 1);
          assert.equal(out.via, 'async');
          assert.equal(typeof out.initRequestId, 'string');
          assert.ok(out.remaining > 0 && out.remaining <= 3000);
        }
      } finally {
        await rt.stop();
      }
    });

    test('callback style works', async () => {
      const rt = await startRuntime({ platform, fixture: 'initializer', env: { RUNTIME_CPU: '1', RUNTIME_INITIALIZER_HANDLER: 'index.initCallback' } });
      try {
        const out = await rt.call({});
        assert.equal(out.via, 'callback');
      } finally {
        await rt.stop();
      }
    });

    test('one that keeps its thread busy is Runtime.InitializerTimeout', async () => {
      const rt = await startRuntime({ platform,
        fixture: 'initializer', env: { RUNTIME_CPU: '1', RUNTIME_INITIALIZER_HANDLER: 'index.initSpins', RUNTIME_INITIALIZER_TIMEOUT: '1' },
      });
      try {
        assertWireError(await rt.invoke({}), 'Runtime.InitializerTimeout');
      } finally {
        await rt.stop();
      }
    });
  });
}, { push: true });
