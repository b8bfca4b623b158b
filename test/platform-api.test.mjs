// The FunctionGraph wire and its faults (docs/platforms.md, README "How it runs"): refused connections, resets, 5xx and slow
// answers are retried with backoff; every invocation received is answered exactly once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { PullEmulator } from '../dist/emulator/index.js';
import { forEachPlatform, startRuntime } from './helpers/runtime.mjs';
import { WIRE } from './helpers/wire.mjs';

/**
 * A bare runtime API for wire cases the emulator does not produce: onPoll(n, req, res) answers
 * the n-th poll as it likes; result and error posts are recorded and answered 202.
 */
async function startBareApi(onPoll) {
  let polls = 0;
  const posted = [];
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') return onPoll(++polls, req, res);
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { posted.push({ url: req.url, body }); res.statusCode = 202; res.end(); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    posted,
    fake: { address: `127.0.0.1:${server.address().port}`, close: async () => {} },
    async firstPost(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (posted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(posted.length > 0, 'nothing was posted');
      return posted[0];
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function assertExactlyOnce(emulator, results) {
  for (const r of results) assert.equal(emulator.answers(r.requestId), 1, `${r.requestId} answered ${emulator.answers(r.requestId)} times`);
  const stats = emulator.stats();
  assert.equal(stats.inFlight, 0);
}

forEachPlatform((platform) => {
  describe('the wire', () => {
    test('high concurrency: many long polls at once, nothing on stderr, every answer once', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2', FNPOOL_CONCURRENCY: '64' } });
      try {
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => rt.invoke({ action: 'sleep', ms: 5 + (i % 10) })));
        for (const r of results) assert.equal(r.ok, true);
        assertExactlyOnce(rt.emulator, results);
        assert.equal(rt.stderr.join(''), '');
      } finally {
        await rt.stop();
      }
    });
  });

  describe('admission', () => {
    test('nothing is fetched that cannot start at once: FNPOOL_CONCURRENCY bounds what is handed out', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1', FNPOOL_CONCURRENCY: '2' } });
      try {
        const all = Array.from({ length: 6 }, () => rt.invoke({ action: 'sleep', ms: 300 }));
        await new Promise((resolve) => setTimeout(resolve, 150));
        const stats = rt.emulator.stats();
        assert.equal(stats.handedOut, 2);
        assert.equal(stats.inFlight, 2);
        for (const r of await Promise.all(all)) assert.equal(r.ok, true);
      } finally {
        await rt.stop();
      }
    });

    test('the handler is loaded before the first invocation is fetched: init is not billed to it', async () => {
      const rt = await startRuntime({ platform, fixture: 'slow-load', env: { RUNTIME_CPU: '1' } });
      try {
        const ready = rt.records.find((r) => r.msg === 'workers ready');
        assert.ok(ready.initMs >= 800, `workers ready after ${ready.initMs} ms`);
        const res = await rt.invoke({}, { requestId: 'first' });
        assert.equal(res.ok, true);
        const summary = await rt.waitForLog((r) => r.requestId === 'first' && r.msg === 'invocation finished');
        assert.ok(summary.durationMs < 300, `first invocation took ${summary.durationMs} ms`);
        assert.ok(summary.initDurationMs >= 800, 'its init duration is reported apart');
      } finally {
        await rt.stop();
      }
    });
  });

  describe('platform API faults', () => {
    test('5xx and resets on the poll are retried; nothing is lost', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2' } });
      try {
        rt.emulator.injectFaults({ pollStatus: { status: 503, count: 5 }, pollReset: 5 });
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => rt.invoke({ action: 'echo', i })));
        for (const r of results) assert.equal(r.ok, true);
        assertExactlyOnce(rt.emulator, results);
        assert.equal(rt.child.exitCode, null);
      } finally {
        await rt.stop();
      }
    });

    test('5xx and resets on result posts are retried; each invocation is recorded once', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2' } });
      try {
        rt.emulator.injectFaults({ postStatus: { status: 500, count: 6 }, postReset: 4 });
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => rt.invoke({ action: 'echo', i })));
        for (const r of results) assert.equal(r.ok, true);
        assertExactlyOnce(rt.emulator, results);
        assert.equal(rt.emulator.stats().duplicates, 0);
      } finally {
        await rt.stop();
      }
    });

    test('slow answers from the API do not lose or duplicate invocations', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '2' } });
      try {
        rt.emulator.injectFaults({ pollDelayMs: 30, postDelayMs: 30 });
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rt.invoke({ action: 'echo', i })));
        for (const r of results) assert.equal(r.ok, true);
        assertExactlyOnce(rt.emulator, results);
      } finally {
        await rt.stop();
      }
    });

    test('a 4xx on a result post is final: not retried, logged, and the runtime goes on', async () => {
      const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } });
      try {
        rt.emulator.injectFaults({ postStatus: { status: 400, count: 1 } });
        const first = rt.invoke({ action: 'echo' }, { requestId: 'refused-1', timeoutMs: 1500 });
        await assert.rejects(first, (err) => err.code === 'INVOKE_TIMEOUT');
        await rt.waitForLog((r) => r.requestId === 'refused-1' && r.status === 400 && r.level === 'warn');
        assert.equal(rt.emulator.answers('refused-1'), 0);
        assert.equal((await rt.invoke({ action: 'echo' })).ok, true);
      } finally {
        await rt.stop();
      }
    });

    test('an API that is not there yet: the runtime waits with backoff, without spinning, and serves once it is up', async () => {
      // Reserve a free port, start the runtime against it while nothing listens, then start the emulator there.
      const probe = net.createServer();
      await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = probe.address().port;
      await new Promise((resolve) => probe.close(resolve));
      const placeholder = { address: `127.0.0.1:${port}`, close: async () => {} };
      const rt = await startRuntime({ platform, emulator: placeholder, env: { RUNTIME_CPU: '1' } });
      try {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const faults = rt.records.filter((r) => /polling for the next invocation failed/.test(r.msg ?? ''));
        assert.ok(faults.length >= 1, 'the refused connection is logged');
        // With capped backoff the attempts stay few: at most ~8 per poller per 1.5 s, never thousands.
        assert.ok(faults.length < 200, `${faults.length} fault records in 1.5 s: spinning`);
        const emulator = await PullEmulator.start({ platform, port });
        try {
          const res = await emulator.invoke({ action: 'echo' }, { timeoutMs: 10_000 });
          assert.equal(res.ok, true);
        } finally {
          await rt.stop();
          await emulator.close();
        }
      } finally {
        if (rt.child.exitCode === null) await rt.stop();
      }
    });

    test('an unreachable API is one warning for the whole runtime, however many polls, and one record when it answers again', async () => {
      const probe = net.createServer();
      await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = probe.address().port;
      await new Promise((resolve) => probe.close(resolve));
      const placeholder = { address: `127.0.0.1:${port}`, close: async () => {} };
      // 16 polls in flight, each failing and retrying on its own.
      const rt = await startRuntime({ platform, emulator: placeholder, env: { RUNTIME_CPU: '2', FNPOOL_CONCURRENCY: '16' } });
      let emulator;
      try {
        const fault = (r) => /polling for the next invocation failed/.test(r.msg ?? '');
        // Every poll has failed at least once.
        for (let waited = 0; rt.records.filter(fault).length < 16; waited += 50) {
          assert.ok(waited < 10_000, `only ${rt.records.filter(fault).length} failures in 10 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const warnings = rt.records.filter((r) => fault(r) && r.level === 'warn');
        assert.equal(warnings.length, 1, `one warning per streak, got ${warnings.length}`);
        assert.match(warnings[0].msg, /logged at debug until the runtime API answers again/);
        emulator = await PullEmulator.start({ platform, port });
        assert.equal((await emulator.invoke({ action: 'echo' }, { timeoutMs: 10_000 })).ok, true);
        const recovered = (r) => /^the runtime API answers again/.test(r.msg ?? '');
        const back = await rt.waitForLog(recovered);
        assert.equal(back.level, 'info');
        assert.ok(back.faults >= 16, `${back.faults} faults in the streak`);
        assert.equal(rt.records.filter(recovered).length, 1);
        assert.equal(rt.records.filter((r) => fault(r) && r.level === 'warn').length, 1);
      } finally {
        await rt.stop();
        await emulator?.close();
      }
    });

    test('an invocation whose body breaks off mid-read is still answered: Runtime.InvalidRequest', async () => {
      const api = await startBareApi((poll, req, res) => {
        if (poll > 1) return; // hold later polls open
        // Headers promise 100 bytes; 10 arrive, then the connection drops.
        res.writeHead(200, { [WIRE[platform].idHeader]: 'broken-body', 'Content-Length': '100' });
        res.write('{"action":');
        setTimeout(() => req.socket.destroy(), 20);
      });
      const rt = await startRuntime({ platform, emulator: api.fake, env: { RUNTIME_CPU: '1', FNPOOL_CONCURRENCY: '1' } });
      try {
        const posted = await api.firstPost();
        assert.equal(posted.url, WIRE[platform].answerPath('broken-body', false));
        const error = JSON.parse(posted.body);
        assert.equal(error.errorType, 'Runtime.InvalidRequest');
        assert.match(error.errorMessage, /could not be read/);
      } finally {
        await rt.stop();
        await api.close();
      }
    });

    test('a response without a request id is skipped, and the next invocation is served', async () => {
      // The first poll gets a 200 with no request id, the next a proper invocation.
      const api = await startBareApi((poll, req, res) => {
        if (poll === 1) return res.end('{"action":"echo"}');
        if (poll === 2) {
          res.setHeader(WIRE[platform].idHeader, 'after-skip');
          return res.end('{"action":"echo"}');
        }
        // later polls: hold them open
      });
      const rt = await startRuntime({ platform, emulator: api.fake, env: { RUNTIME_CPU: '1', FNPOOL_CONCURRENCY: '1' } });
      try {
        await rt.waitForLog((r) => /without a request id/.test(r.msg ?? ''));
        const posted = await api.firstPost();
        assert.equal(posted.url, WIRE[platform].answerPath('after-skip', true));
        assert.deepEqual(JSON.parse(posted.body).event, { action: 'echo' });
        assert.equal(api.posted.length, 1);
      } finally {
        await rt.stop();
        await api.close();
      }
    });
  });
});
