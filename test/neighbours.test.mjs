// Only the culprit fails (README "What fnpool guarantees to neighbours"): what happens to the
// invocations beside one that blocks its thread, exhausts its heap or ends its thread.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachPlatform, startRuntime } from './helpers/runtime.mjs';

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

forEachPlatform((platform) => {
  describe('neighbours of a blocked thread', () => {
    let rt;
    before(async () => {
      rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '2', FNPOOL_TASKS_PER_THREAD: '8', FNPOOL_CONCURRENCY: '16' } });
    });
    after(() => rt.stop());

    test('what was placed behind a CPU loop and had not started runs elsewhere at once, and a throw keeps its own type', async () => {
      // A steady CPU-heavy load (4 ms slices) keeps both threads busy; then a loop holds one.
      // Whatever had been put on that thread before the loop was seen must run elsewhere — on the
      // other thread between its short slices, or on a new one — not wait behind the loop until
      // its deadline (2 s).
      let running = true;
      const clients = Array.from({ length: 6 }, async () => {
        while (running) await rt.invoke({ action: 'spin', ms: 4 });
      });
      await pause(200);
      const loop = rt.invoke({ action: 'spin' }, { requestId: 'loop-1' });
      const throws = [];
      for (let i = 0; i < 10; i++) {
        throws.push(rt.invoke({ action: 'throw', detail: `t${i}` }, { requestId: `throw-${i}` }));
        await pause(5);
      }
      const answered = await Promise.all(throws);
      running = false;
      await Promise.all(clients);
      for (const res of answered) {
        assert.equal(res.error?.errorType, 'ValidationError', `${res.requestId}: ${JSON.stringify(res.error)}`);
        assert.ok(res.answeredAt - res.handedOutAt < 1500, `${res.requestId} answered after ${(res.answeredAt - res.handedOutAt).toFixed(0)} ms`);
      }
      assert.equal((await loop).error?.errorType, 'Runtime.Timeout');
    });
  });

  describe('one thread held by a loop', () => {
    test('a throw that arrives behind it is answered with its own error, not Runtime.Timeout', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_TIMEOUT: '2', FNPOOL_TASKS_PER_THREAD: '4' } });
      try {
        const loop = rt.invoke({ action: 'spin' }, { requestId: 'loop-3' });
        await pause(50);
        const res = await rt.invoke({ action: 'throw', detail: 'behind a loop' }, { requestId: 'throw-behind' });
        assert.equal(res.error?.errorType, 'ValidationError', JSON.stringify(res.error));
        assert.match(res.error.errorMessage, /behind a loop/);
        assert.equal((await loop).error?.errorType, 'Runtime.Timeout');
      } finally {
        await rt.stop();
      }
    });
  });

  describe('a pool that adapts', () => {
    test('with every thread held by a loop, what arrives runs at once on a stand-in thread', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '3', FNPOOL_TASKS_PER_THREAD: '8', FNPOOL_CONCURRENCY: '16' } });
      try {
        const loops = [rt.invoke({ action: 'spin' }, { requestId: 'hold-1' }), rt.invoke({ action: 'spin' }, { requestId: 'hold-2' })];
        await pause(400);
        const echoes = await Promise.all(Array.from({ length: 8 }, (_, i) => rt.invoke({ action: 'echo', i })));
        for (const res of echoes) {
          assert.equal(res.ok, true, JSON.stringify(res.error));
          assert.ok(res.answeredAt - res.handedOutAt < 1500, `answered after ${(res.answeredAt - res.handedOutAt).toFixed(0)} ms`);
        }
        for (const res of await Promise.all(loops)) assert.equal(res.error?.errorType, 'Runtime.Timeout');
      } finally {
        await rt.stop();
      }
    });

    test('after invocations that hold their thread, fewer share a thread, and no invocation waits for a thread to start; idle, the pool shrinks back', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '1', FNPOOL_TASKS_PER_THREAD: '8', FNPOOL_CONCURRENCY: '16' } });
      try {
        const wave = () => Promise.all(Array.from({ length: 16 }, () => rt.call({ action: 'overlap', ms: 450 })));
        const before = await wave();
        assert.ok(Math.max(...before.map((o) => o.maxOnThread)) >= 4, 'an awaiting function shares its threads');
        // Enough invocations for the pool to trust what it learns (a fresh runtime's first are not the function's).
        await Promise.all(Array.from({ length: 64 }, () => rt.call({ action: 'echo' })));
        // Two loops, one after the other: each is a long slice the pool learns from.
        for (const id of ['learn-1', 'learn-2']) assert.equal((await rt.invoke({ action: 'spin', ms: 300 }, { requestId: id })).ok, true);
        await pause(300);
        // Under steady load the pool grows: threads start beside the running ones, and take the
        // next invocations once loaded. Every invocation meanwhile runs within its 1 s deadline
        // (rt.call throws on a Runtime.Timeout): none waits for a thread to start (fourteen
        // starting at once take 0.4–0.7 s on two cores).
        const spread = [];
        for (let i = 0; i < 12 && (spread.at(-1) ?? 0) < 6; i++) spread.push(new Set((await wave()).map((o) => o.threadId)).size);
        assert.ok(spread.at(-1) >= 6, `16 invocations at once ran on ${spread.join(', then ')} threads`);
        // Idle, the pool goes back to its two threads.
        await rt.waitForLog((r) => /no longer needs/.test(r.msg ?? '') && r.threads === 2, 10_000);
        assert.equal((await rt.call({ action: 'echo' })).event.action, 'echo');
      } finally {
        await rt.stop();
      }
    });
    test('what had to wait for a thread to start moves to a loaded thread as soon as that one has room', async () => {
      // Each thread takes 2 s to load the function; 2 threads, 3 invocations per thread.
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '4', FNPOOL_TASKS_PER_THREAD: '3', BEHAVIOURS_LOAD_MS: '2000' } });
      try {
        // A loop holds one thread for 1.5 s and three sleeps fill the other for 0.9 s. What arrives
        // meanwhile makes the pool start threads, and is placed on the first one: the only thread
        // with room once it has started, though it has not loaded the function yet.
        const loop = rt.invoke({ action: 'spin', ms: 1500 });
        await pause(60);
        const fill = Array.from({ length: 3 }, () => rt.call({ action: 'sleep', ms: 900 }));
        await pause(300);
        const waiting = [];
        for (let i = 0; i < 2; i++) {
          waiting.push(rt.invoke({ action: 'sleep', ms: 50 }, { requestId: `waiting-${i}` }));
          await pause(100);
        }
        const filled = await Promise.all(fill);
        // Each ran on the thread the sleeps freed at ~0.9 s, not on a new one at ~2.4 s.
        for (const res of await Promise.all(waiting)) {
          assert.equal(res.ok, true, `${res.requestId}: ${JSON.stringify(res.error)}`);
          const took = res.answeredAt - res.handedOutAt;
          assert.ok(took < 1300, `${res.requestId} answered ${took.toFixed(0)} ms after it was sent`);
          assert.equal(JSON.parse(res.body).threadId, filled[0].threadId, res.requestId);
        }
        assert.equal((await loop).ok, true);
      } finally {
        await rt.stop();
      }
    });
    if (platform === 'functiongraph') {
      test('once threads have been lost with their invocations, one waits for a free thread rather than start beside another', async () => {
        // Two threads at most: the pool cannot grow out of the choice.
        const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', RUNTIME_TIMEOUT: '1', FNPOOL_TASKS_PER_THREAD: '8', FNPOOL_CONCURRENCY: '16', FNPOOL_MAX_THREADS: '2' } });
        try {
          // Enough invocations for the pool to trust what it learns, then one that costs its thread.
          await Promise.all(Array.from({ length: 100 }, () => rt.call({ action: 'echo' })));
          assert.equal((await rt.invoke({ action: 'spin' }, { requestId: 'lost-1' })).error?.errorType, 'Runtime.Timeout');
          await rt.waitForLog((r) => /stopping worker thread: invocation lost-1/.test(r.msg ?? ''), 5_000);
          await pause(300);
          // Each thread has one invocation; a third must not start beside either.
          const first = [rt.call({ action: 'overlap', ms: 400 }), rt.call({ action: 'overlap', ms: 400 })];
          await pause(100);
          const third = await rt.call({ action: 'overlap', ms: 100 });
          const both = await Promise.all(first);
          assert.deepEqual([...both, third].map((o) => o.maxOnThread), [1, 1, 1], JSON.stringify([...both, third]));
        } finally {
          await rt.stop();
        }
      });
    }
  });

  describe('neighbours that had started', () => {
    test('one that had started on the thread a CPU loop holds fails with Runtime.NeighbourFailed naming the loop, not Runtime.Timeout', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_TIMEOUT: '1' } });
      try {
        const started = rt.invoke({ action: 'sleep', ms: 200 }, { requestId: 'started-1' });
        await pause(30);
        const loop = rt.invoke({ action: 'spin' }, { requestId: 'loop-2' });
        const res = await started;
        assert.equal(res.error?.errorType, 'Runtime.NeighbourFailed', JSON.stringify(res.error));
        assert.match(res.error.errorMessage, /loop-2 has held the event loop/);
        assert.equal((await loop).error?.errorType, 'Runtime.Timeout');
        assert.equal((await rt.call({ action: 'echo' })).event.action, 'echo');
      } finally {
        await rt.stop();
      }
    });

    if (platform === 'functiongraph') {
      test('an asynchronous invocation that had started beside a heap exhaustion is run again: the platform would retry it anyway', async () => {
        const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', RUNTIME_MEMORY: '256', RUNTIME_TIMEOUT: '20' } });
        try {
          const sync = rt.invoke({ action: 'sleep', ms: 300 }, { requestId: 'sync-1' });
          const async = rt.invoke({ action: 'sleep', ms: 300 }, { requestId: 'async-1', invokeType: 'async' });
          await pause(30);
          assert.equal((await rt.invoke({ action: 'oom' }, { requestId: 'oom-3' })).error?.errorType, 'Runtime.OutOfMemory');
          assert.equal((await sync).error?.errorType, 'Runtime.NeighbourFailed');
          const again = await async;
          assert.equal(again.ok, true, JSON.stringify(again.error));
        } finally {
          await rt.stop();
        }
      });
    }
  });
}, { push: true });
