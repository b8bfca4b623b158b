// SIGTERM/SIGINT drain (README "How it runs") and logs (README "Logs"): request-id correlation under concurrency,
// secrets never logged, records cut at 90 KB, one summary record per invocation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { forEachPlatform, PUSH_PLATFORMS, handlerRecords, startRuntime } from './helpers/runtime.mjs';
import { WIRE } from './helpers/wire.mjs';

forEachPlatform((platform) => {
  describe('shutdown', () => {
    test('SIGTERM: in-flight invocations finish, nothing new is fetched, exit 0', { skip: PUSH_PLATFORMS.includes(platform) && 'the emulator plays the platform here; push platforms: test/http.test.mjs, test/openedge.test.mjs' }, async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '10' } });
      const inflight = Array.from({ length: 6 }, (_, i) => rt.invoke({ action: 'sleep', ms: 400 }, { requestId: `drain-${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      rt.child.kill('SIGTERM');
      const results = await Promise.all(inflight);
      for (const r of results) assert.equal(r.ok, true, JSON.stringify(r.error));
      const { code } = await rt.exited;
      assert.equal(code, 0);
      // Queued after the signal: never handed out.
      const late = rt.emulator.invoke({ action: 'echo' }, { timeoutMs: 300 });
      await assert.rejects(late);
      assert.equal(rt.emulator.stats().handedOut, 6);
      await rt.emulator.close();
    });

    test('SIGINT: invocations still running at FNPOOL_SHUTDOWN_TIMEOUT_MS get Runtime.Shutdown, exactly once', { skip: PUSH_PLATFORMS.includes(platform) && 'the emulator plays the platform here; push platforms: test/http.test.mjs, test/openedge.test.mjs' }, async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_TIMEOUT: '30', FNPOOL_SHUTDOWN_TIMEOUT_MS: '300' } });
      const slow = rt.invoke({ action: 'hang' }, { requestId: 'slow-1' });
      const quick = rt.invoke({ action: 'sleep', ms: 50 }, { requestId: 'quick-1' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const t0 = performance.now();
      rt.child.kill('SIGINT');
      const res = await slow;
      assert.equal(res.error?.errorType, 'Runtime.Shutdown', JSON.stringify(res.error));
      assert.ok(performance.now() - t0 < 2000);
      assert.equal((await quick).ok, true);
      assert.equal((await rt.exited).code, 0);
      assert.equal(rt.emulator.answers('slow-1'), 1);
      await rt.emulator.close();
    });

    if (platform === 'functiongraph') {
      test('SIGTERM with stdout closed by its reader: the answers still go out, and the runtime exits at once', async () => {
        const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', FNPOOL_LOG_LEVEL: 'info' } });
        await rt.call({ action: 'echo' });
        // The reader of stdout goes away (a log collector that died): every write is EPIPE.
        rt.child.stdout.destroy();
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => rt.invoke({ action: 'echo', i })));
        for (const res of answers) assert.equal(res.ok, true, JSON.stringify(res.error));
        const t0 = performance.now();
        rt.child.kill('SIGTERM');
        assert.equal((await rt.exited).code, 0);
        // It waited 2 s for the logs to be written before (pino makes a broken destination a no-op that never closes).
        assert.ok(performance.now() - t0 < 1500, `exited ${(performance.now() - t0).toFixed(0)} ms after SIGTERM`);
        await rt.emulator.close();
      });
    }

    test('context.signal aborts, with Runtime.Shutdown as its reason, when shutdown gives up on the invocation', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_TIMEOUT: '30', FNPOOL_SHUTDOWN_TIMEOUT_MS: '200' } });
      try {
        const coop = rt.invoke({ action: 'cooperative' }, { requestId: 'coop-shutdown' });
        await new Promise((resolve) => setTimeout(resolve, 100));
        rt.child.kill('SIGTERM');
        assert.equal((await coop).error?.errorType, 'Runtime.Shutdown');
        await rt.exited;
        const record = rt.records.find((r) => r.requestId === 'coop-shutdown' && /signal aborted/.test(r.msg ?? ''));
        assert.ok(record, 'the handler saw its signal abort');
        assert.match(record.msg, /Runtime\.Shutdown/);
      } finally {
        await rt.stop();
      }
    });

    test('an invocation answered Runtime.Shutdown before it started never runs', async () => {
      const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'fnpool-mark-')), 'ran');
      // One thread that may not grow a stand-in: the second invocation cannot start before the stop.
      const rt = await startRuntime({ platform, env: {
        RUNTIME_CPU: '1', FNPOOL_TASKS_PER_THREAD: '4', FNPOOL_MAX_THREADS: '1', RUNTIME_TIMEOUT: '30', FNPOOL_SHUTDOWN_TIMEOUT_MS: '100',
      } });
      try {
        const busy = rt.invoke({ action: 'spin', ms: 600 });
        await new Promise((resolve) => setTimeout(resolve, 30));
        const waiting = rt.invoke({ action: 'mark', path: marker });
        await new Promise((resolve) => setTimeout(resolve, 250));
        rt.child.kill('SIGTERM');
        assert.equal((await waiting).error?.errorType, 'Runtime.Shutdown');
        assert.equal((await busy).error?.errorType, 'Runtime.Shutdown');
        await rt.exited;
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(existsSync(marker), false, 'the handler of an invocation answered as stopped ran');
      } finally {
        await rt.stop();
      }
    });

    test('no record of the main thread is lost at exit when stdout is slow to be read', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', FNPOOL_CONCURRENCY: '32' } });
      try {
        rt.child.stdout.pause();
        const n = 1500;
        const results = await Promise.all(Array.from({ length: n }, (_, i) => rt.invoke({ action: 'echo' }, { requestId: `slow-${i}` })));
        for (const r of results) assert.equal(r.ok, true);
        rt.child.kill('SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 500));
        rt.child.stdout.resume();
        assert.equal((await rt.exited).code, 0);
        const summaries = new Set(rt.records.filter((r) => r.msg === 'invocation finished').map((r) => r.requestId));
        for (let i = 0; i < n; i++) assert.ok(summaries.has(`slow-${i}`), `summary of slow-${i} lost`);
        assert.ok(rt.records.some((r) => r.msg === 'stopped'));
      } finally {
        await rt.stop();
      }
    });

    test('the shutdown wait never goes past an invocation\'s own deadline', { skip: PUSH_PLATFORMS.includes(platform) && 'the emulator plays the platform here; push platforms: test/http.test.mjs, test/openedge.test.mjs' }, async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_TIMEOUT: '1', FNPOOL_SHUTDOWN_TIMEOUT_MS: '10000' } });
      const hung = rt.invoke({ action: 'hang' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      rt.child.kill('SIGTERM');
      assert.equal((await hung).error?.errorType, 'Runtime.Timeout');
      const t0 = performance.now();
      assert.equal((await rt.exited).code, 0);
      assert.ok(performance.now() - t0 < 3000, 'exits soon after the last invocation ended');
      await rt.emulator.close();
    });
  });

  describe('logs', () => {
    test('every handler log line carries its own request id, under concurrency, across awaits and timers', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2' } });
      try {
        const ids = Array.from({ length: 24 }, (_, i) => `log-${i}`);
        const results = await Promise.all(ids.map((requestId, i) => rt.invoke({ action: 'log', tag: requestId, ms: 5 + (i % 7) * 3 }, { requestId })));
        for (const r of results) assert.equal(r.ok, true);
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (const id of ids) {
          const mine = handlerRecords(rt.records, id);
          const messages = mine.map((r) => r.msg);
          assert.ok(messages.includes(`start ${id}`), `${id}: ${messages}`);
          assert.ok(messages.some((m) => m.startsWith('multi\nline')), 'one console call with newlines is one record');
          assert.ok(messages.includes(`timer ${id}`));
          assert.ok(messages.includes(`logger ${id}`));
          assert.ok(messages.includes(`caught ${id}`));
          for (const m of messages) assert.ok(!/log-\d+/.test(m) || m.includes(id), `record "${m}" of ${id} names another invocation`);
          const levels = Object.fromEntries(mine.map((r) => [r.msg.split(' ')[0], r.level]));
          assert.equal(levels.start, 'info');
          assert.equal(levels.timer, 'warn');
          assert.equal(levels.logger, 'error');
        }
      } finally {
        await rt.stop();
      }
    });

    test('one summary record per invocation: outcome, duration, billed duration, memory, init duration once per worker', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2' } });
      try {
        await rt.invoke({ action: 'sleep', ms: 20 }, { requestId: 'sum-ok' });
        await rt.invoke({ action: 'throw' }, { requestId: 'sum-err' });
        // The main thread writes its records in batches: they may follow the answer by a moment.
        await rt.waitForLog((r) => r.requestId === 'sum-err' && r.msg === 'invocation finished');
        const ok = rt.records.filter((r) => r.requestId === 'sum-ok' && r.msg === 'invocation finished');
        assert.equal(ok.length, 1);
        assert.equal(ok[0].outcome, 'success');
        assert.ok(ok[0].durationMs >= 20);
        assert.equal(ok[0].billedDurationMs, Math.ceil(ok[0].durationMs));
        assert.ok(ok[0].memoryUsedMB > 10);
        const err = rt.records.filter((r) => r.requestId === 'sum-err' && r.msg === 'invocation finished');
        assert.equal(err.length, 1);
        assert.equal(err[0].outcome, 'error');
        assert.equal(err[0].errorType, 'ValidationError');
        await Promise.all(Array.from({ length: 16 }, (_, i) => rt.invoke({ action: 'sleep', ms: 30 }, { requestId: `sum-${i}` })));
        for (let i = 0; i < 16; i++) await rt.waitForLog((r) => r.requestId === `sum-${i}` && r.msg === 'invocation finished');
        const inits = rt.records.filter((r) => r.msg === 'invocation finished' && r.initDurationMs !== undefined);
        assert.ok(inits.length >= 1 && inits.length <= 2, `${inits.length} records with initDurationMs for 2 workers`);
      } finally {
        await rt.stop();
      }
    });

    test('secrets never appear in logs, even when the handler logs them or the whole context', { skip: WIRE[platform].credentials.length === 0 && 'no credentials in its invocations' }, async () => {
      const values = ['AKSECRET0001', 'SKSECRET0002', 'AUTHSECRET0003', 'SAKSECRET0004', 'SSKSECRET0005', 'STSECRET0006'];
      const secrets = Object.fromEntries(WIRE[platform].credentials.map((name, i) => [name, values[i]]));
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', FNPOOL_LOG_LEVEL: 'trace' } });
      try {
        const res = await rt.invoke({ action: 'log-secrets' }, { requestId: 'sec-1', headers: secrets });
        assert.equal(res.ok, true);
        // An error thrown by the handler's stray code after the invocation ended is logged, scrubbed.
        assert.equal((await rt.invoke({ action: 'stray-secret-late' }, { requestId: 'sec-2', headers: secrets })).ok, true);
        await rt.waitForLog((r) => r.requestId === 'sec-2' && /stray with/.test(r.msg ?? ''));
        const all = rt.lines.join('\n') + rt.stderr.join('');
        for (const value of Object.values(secrets)) assert.ok(!all.includes(value), `${value} leaked into the logs`);
        assert.ok(handlerRecords(rt.records, 'sec-1').some((r) => r.msg.includes('[REDACTED]')));
      } finally {
        await rt.stop();
      }
    });

    test('a record over 90 KB is cut into chunks that all carry the request id', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } });
      try {
        const size = 250 * 1024;
        await rt.invoke({ action: 'log-big', bytes: size }, { requestId: 'big-1' });
        // A worker's output reaches stdout through the main thread: the last chunk may come just after the answer.
        await rt.waitForLog(() => handlerRecords(rt.records, 'big-1').length >= 3).catch(() => {});
        const chunks = handlerRecords(rt.records, 'big-1');
        assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
        for (const line of rt.lines.filter((l) => l.includes('"big-1"'))) assert.ok(Buffer.byteLength(line) <= 90 * 1024, `a line of ${Buffer.byteLength(line)} bytes`);
        assert.equal(chunks.map((r) => r.msg).join('').length, size);
      } finally {
        await rt.stop();
      }
    });

    test('FNPOOL_LOG_FORMAT=text writes plain lines with the request id', async () => {
      const rt = await startRuntime({ platform, ready: false, env: { RUNTIME_CPU: '1', FNPOOL_LOG_FORMAT: 'text' } });
      try {
        await rt.waitForLog((r) => /fnpool serving/.test(r.unparsed ?? ''));
        await rt.invoke({ action: 'log', tag: 'txt-1' }, { requestId: 'txt-1' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const line = rt.lines.find((l) => l.includes('start txt-1'));
        assert.match(line, /^\d{4}-\d\d-\d\dT\S+ INFO {2}txt-1 start txt-1$/);
      } finally {
        await rt.stop();
      }
    });
  });
}, { push: true });
