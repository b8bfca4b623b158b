// Isolation (README "How it runs"): out of memory, Buffer-heavy workers, process.exit, stray async errors. Each
// fails only its own invocation, its worker is replaced, and the runtime keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forEachPlatform, startRuntime } from './helpers/runtime.mjs';

async function assertServes(rt, count = 8) {
  const outs = await Promise.all(Array.from({ length: count }, (_, i) => rt.invoke({ action: 'echo', i })));
  for (const o of outs) assert.equal(o.ok, true, JSON.stringify(o.error));
}

forEachPlatform((platform) => {
  describe('memory', () => {
    let rt;
    before(async () => {
      // 256 MB for the process and 2 threads: each worker's heap is limited to about 100 MB.
      rt = await startRuntime({ platform, env: { RUNTIME_MEMORY: '256', RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '20' } });
    });
    after(() => rt.stop());

    test('a handler that exhausts its heap fails with Runtime.OutOfMemory; only those that had started on its thread fail beside it', async () => {
      // Already running on both threads when the allocation loop starts: those on its thread are casualties.
      const before = Array.from({ length: 6 }, (_, i) => rt.invoke({ action: 'sleep', ms: 300 + i }, { requestId: `before-${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const oom = rt.invoke({ action: 'oom' }, { requestId: 'oom-1' });
      // Sent while the loop holds its thread: they must go to (or be moved to) the other one.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const later = Array.from({ length: 6 }, (_, i) => rt.invoke({ action: 'sleep', ms: 20 + i }));
      const res = await oom;
      assert.equal(res.ok, false);
      assert.equal(res.error.errorType, 'Runtime.OutOfMemory', JSON.stringify(res.error));
      assert.match(res.error.errorMessage, /memory/);
      const survivors = new Set();
      for (const n of await Promise.all(before)) {
        if (n.ok) { survivors.add(JSON.parse(n.body).threadId); continue; }
        assert.equal(n.error.errorType, 'Runtime.NeighbourFailed', JSON.stringify(n.error));
        assert.match(n.error.errorMessage, /oom-1 ran out of memory/);
        assert.match(n.error.errorMessage, /FNPOOL_IDEMPOTENT=1/);
      }
      assert.equal(survivors.size, 1, 'those on the other thread succeed');
      for (const n of await Promise.all(later)) assert.equal(n.ok, true, JSON.stringify(n.error));
      await assertServes(rt);
      assert.equal(rt.child.exitCode, null);
    });

    test('with FNPOOL_IDEMPOTENT=1 those that had started beside a heap exhaustion run again and succeed', async () => {
      const idem = await startRuntime({ platform, env: { RUNTIME_MEMORY: '256', RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '20', FNPOOL_IDEMPOTENT: '1' } });
      try {
        const before = Array.from({ length: 6 }, (_, i) => idem.invoke({ action: 'sleep', ms: 300 + i }));
        await new Promise((resolve) => setTimeout(resolve, 30));
        const res = await idem.invoke({ action: 'oom' }, { requestId: 'oom-2' });
        assert.equal(res.error?.errorType, 'Runtime.OutOfMemory', JSON.stringify(res.error));
        for (const n of await Promise.all(before)) assert.equal(n.ok, true, JSON.stringify(n.error));
        await idem.waitForLog((r) => /running the invocation again on another thread: invocation oom-2 ran out of memory/.test(r.msg ?? ''), 2000);
      } finally {
        await idem.stop();
      }
    });

    test('a worker whose Buffers go over its share is replaced after the invocation, which succeeds', async () => {
      const res = await rt.invoke({ action: 'retain-buffers', mb: 20, count: 8 });
      assert.equal(res.ok, true, JSON.stringify(res.error));
      const { threadId } = JSON.parse(res.body);
      await rt.waitForLog((r) => /replacing worker thread/.test(r.msg ?? '') && r.threadId === threadId && /over its share/.test(r.msg), 3000);
      await rt.waitForLog((r) => /stopping worker thread/.test(r.msg ?? '') && r.threadId === threadId, 3000);
      await assertServes(rt);
    });
  });

  describe('process.exit() beside others', () => {
    test('ends only its own invocation: one that had started on the same thread succeeds', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } });
      try {
        const beside = rt.invoke({ action: 'sleep', ms: 300 }, { requestId: 'beside-1' });
        await new Promise((resolve) => setTimeout(resolve, 30));
        const res = await rt.invoke({ action: 'exit', code: 4 }, { requestId: 'exit-4' });
        assert.equal(res.error?.errorType, 'Runtime.WorkerExited');
        assert.match(res.error.errorMessage, /process\.exit\(4\)/);
        const kept = await beside;
        assert.equal(kept.ok, true, JSON.stringify(kept.error));
        // The thread that ran it is replaced once the invocation beside it has finished.
        const threadId = JSON.parse(kept.body).threadId;
        await rt.waitForLog((r) => /stopping worker thread/.test(r.msg ?? '') && r.threadId === threadId, 3000);
        await assertServes(rt);
      } finally {
        await rt.stop();
      }
    });

    test('nothing after the call runs', async () => {
      const rt = await startRuntime({ platform, fixture: 'behaviours', env: { RUNTIME_CPU: '1' } });
      try {
        const mark = path.join(mkdtempSync(path.join(tmpdir(), 'fnpool-exit-')), 'after-exit');
        const res = await rt.invoke({ action: 'exit-then-mark', path: mark }, { requestId: 'exit-mark' });
        assert.equal(res.error?.errorType, 'Runtime.WorkerExited');
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(existsSync(mark), false, 'code after process.exit() ran');
      } finally {
        await rt.stop();
      }
    });
  });

  describe('crashes', () => {
    let rt;
    before(async () => { rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '5' } }); });
    after(() => rt.stop());

    test('process.exit() in a handler is Runtime.WorkerExited; the worker is replaced, those beside it succeed', async () => {
      const beside = Array.from({ length: 6 }, () => rt.invoke({ action: 'sleep', ms: 200 }));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const res = await rt.invoke({ action: 'exit', code: 3 });
      for (const n of await Promise.all(beside)) assert.equal(n.ok, true, JSON.stringify(n.error));
      assert.equal(res.error?.errorType, 'Runtime.WorkerExited', JSON.stringify(res.error));
      assert.match(res.error.errorMessage, /process\.exit/);
      await assertServes(rt);
    });

    test('an exception thrown by stray async work is Runtime.UncaughtException for its own invocation', async () => {
      const neighbours = Array.from({ length: 4 }, () => rt.invoke({ action: 'sleep', ms: 100 }));
      const res = await rt.invoke({ action: 'stray-throw' });
      assert.equal(res.error?.errorType, 'Runtime.UncaughtException', JSON.stringify(res.error));
      assert.match(res.error.errorMessage, /stray boom/);
      for (const n of await Promise.all(neighbours)) assert.equal(n.ok, true, JSON.stringify(n.error));
      await assertServes(rt);
    });

    test('a promise rejection nobody handles is Runtime.UnhandledPromiseRejection', async () => {
      const res = await rt.invoke({ action: 'stray-reject' });
      assert.equal(res.error?.errorType, 'Runtime.UnhandledPromiseRejection', JSON.stringify(res.error));
      assert.match(res.error.errorMessage, /RangeError: nobody awaits me/);
      await assertServes(rt);
    });

    test('many crashes in a row do not stop the runtime', async () => {
      for (let i = 0; i < 5; i++) {
        const res = await rt.invoke({ action: 'exit', code: 1 });
        assert.equal(res.error?.errorType, 'Runtime.WorkerExited');
      }
      await assertServes(rt, 16);
    });
  });
}, { push: true });
