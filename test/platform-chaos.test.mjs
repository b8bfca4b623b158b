// Chaos of the platform (issue 14): the runtime API restarted, away, slow or answering 5xx, with
// and without SIGTERM. The emulator's restart (stop, resume, restart over HTTP), what the runtime
// does about a retried answer the API had recorded and about an API that is away (one poll
// probes it, the others wait), the ledger's view of a hand-out written to a poll the runtime had
// just closed, and the quick run of bench/stress/platform-chaos.mjs with no failures.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { PullEmulator } from '../dist/emulator/index.js';
import { startRuntime, TEST_PLATFORMS } from './helpers/runtime.mjs';
import { run as runPlatformChaos } from '../bench/stress/platform-chaos.mjs';

const POLL = '/v1/runtime/invocation/request';
const answerUrl = (emu, id) => `http://${emu.address}/v1/runtime/invocation/response/${id}`;

async function waitFor(cond, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** One raw HTTP/1.1 connection to the emulator: send a request, read what comes back. */
async function rawConnection(emu) {
  const [host, port] = emu.address.split(':');
  const socket = net.connect(Number(port), host);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk) => { received += chunk; });
  socket.on('error', () => {});
  return { socket, received: () => received };
}

describe('platform chaos', { concurrency: true }, () => {
  describe('the emulator restarts as a platform API does', () => {
    test('stop() cuts held polls and keeps the ledger; invoke() queues while down; resume() comes back on the same port', async () => {
      const emu = await PullEmulator.start();
      try {
        const port = emu.port;
        const handedOut = emu.invoke({ n: 1 }, { requestId: 'before' });
        const first = await fetch(`http://${emu.address}${POLL}`);
        assert.equal(first.headers.get('x-cff-request-id'), 'before');
        await first.arrayBuffer();
        const held = fetch(`http://${emu.address}${POLL}`).then(() => 'answered', () => 'cut');
        await waitFor(() => emu.stats().polls === 1, 'a parked poll');

        const cut = await emu.stop();
        assert.deepEqual(cut, { polls: 1, postsDropped: 0, postsRecorded: 0, handoutsTakenBack: 0, inFlight: 1 });
        assert.equal(emu.isDown, true);
        assert.equal(await held, 'cut');
        await assert.rejects(fetch(`http://${emu.address}${POLL}`), 'nothing listens while down');
        const queuedWhileDown = emu.invoke({ n: 2 }, { requestId: 'while-down' });
        assert.equal(emu.stats().waiting, 1);

        await emu.resume();
        assert.equal(emu.port, port);
        assert.equal(emu.isDown, false);
        // The hand-out from before the stop is still answerable, once.
        let res = await fetch(answerUrl(emu, 'before'), { method: 'POST', body: 'one' });
        assert.equal(res.status, 202);
        res = await fetch(answerUrl(emu, 'before'), { method: 'POST', body: 'two' });
        assert.equal(res.status, 409);
        assert.equal((await handedOut).body.toString(), 'one');
        const next = await fetch(`http://${emu.address}${POLL}`);
        assert.equal(next.headers.get('x-cff-request-id'), 'while-down');
        await next.arrayBuffer();
        await fetch(answerUrl(emu, 'while-down'), { method: 'POST', body: 'ok' });
        assert.equal((await queuedWhileDown).ok, true);
        assert.equal(emu.stats().inFlight, 0);
      } finally {
        await emu.close();
      }
    });

    test('answers caught mid-handling by a restart: dropped (the retry is recorded) or recorded with the response lost (the retry gets 409)', async () => {
      const emu = await PullEmulator.start();
      try {
        const pending = ['drop-1', 'record-1'].map((requestId) => emu.invoke({}, { requestId }));
        for (let i = 0; i < 2; i++) await (await fetch(`http://${emu.address}${POLL}`)).arrayBuffer();
        emu.injectFaults({ postDelayMs: 5000 });

        const dropped = fetch(answerUrl(emu, 'drop-1'), { method: 'POST', body: 'a' }).then((r) => r.status, () => 'cut');
        await waitFor(() => emu.postsHeld === 1, 'the answer held');
        assert.deepEqual(await emu.restart({ postsInFlight: 'drop' }), { polls: 0, postsDropped: 1, postsRecorded: 0, handoutsTakenBack: 0, inFlight: 2 });
        assert.equal(await dropped, 'cut');
        assert.equal(emu.answers('drop-1'), 0, 'lost with the API');

        const recorded = fetch(answerUrl(emu, 'record-1'), { method: 'POST', body: 'b' }).then((r) => r.status, () => 'cut');
        await waitFor(() => emu.postsHeld === 1, 'the answer held');
        assert.deepEqual(await emu.restart({ downMs: 50, postsInFlight: 'record' }), { polls: 0, postsDropped: 0, postsRecorded: 1, handoutsTakenBack: 0, inFlight: 1 });
        assert.equal(await recorded, 'cut', 'its response was lost');
        assert.equal(emu.answers('record-1'), 1);

        emu.clearFaults();
        assert.equal((await fetch(answerUrl(emu, 'drop-1'), { method: 'POST', body: 'a' })).status, 202, 'the retry of the dropped one');
        assert.equal((await fetch(answerUrl(emu, 'record-1'), { method: 'POST', body: 'b' })).status, 409, 'the retry of the recorded one');
        const [a, b] = await Promise.all(pending);
        assert.equal(a.body.toString(), 'a');
        assert.equal(b.body.toString(), 'b');
        assert.equal(emu.stats().answered, 2);
      } finally {
        await emu.close();
      }
    });

    test('POST /_emulator/restart answers 202, goes down, comes back after downMs; bad plans are refused by name', async () => {
      const emu = await PullEmulator.start({ platform: 'lambda' });
      try {
        const base = `http://${emu.address}/_emulator/restart`;
        for (const [body, message] of [
          ['{"downMs":-5}', /downMs must be an integer from 0 to 600000, got -5/],
          ['{"downMs":1.5}', /downMs/],
          ['{"postsInFlight":"keep"}', /postsInFlight must be "drop" or "record", got "keep"/],
          ['{"down":100}', /unknown restart field "down"/],
          ['[]', /a restart plan must be a JSON object/],
          ['not json', /JSON/],
        ]) {
          const res = await fetch(base, { method: 'POST', body });
          assert.equal(res.status, 400, body);
          const refusal = await res.json();
          assert.equal(refusal.errorCode, 'InvalidRestart');
          assert.match(refusal.errorMessage, message);
        }
        const went = once(emu, 'down');
        const came = once(emu, 'up');
        const res = await fetch(base, { method: 'POST', body: '{"downMs":300}' });
        assert.equal(res.status, 202);
        assert.deepEqual(await res.json(), { downMs: 300, postsInFlight: 'drop' });
        await went;
        assert.equal(emu.isDown, true);
        const t0 = Date.now();
        await came;
        assert.ok(Date.now() - t0 >= 200, 'down for downMs');
        assert.equal((await fetch(`http://${emu.address}/_emulator/stats`)).status, 200);

        await assert.rejects(emu.restart({ downMs: 700_000 }), { code: 'INVALID_RESTART', message: /downMs/ });
        await emu.stop();
        await assert.rejects(emu.restart(), { code: 'INVALID_RESTART', message: /down already/ });
        await emu.resume();
      } finally {
        await emu.close();
      }
      await assert.rejects(emu.resume(), { code: 'EMULATOR_CLOSED' });
    });

    test('close() during a restart ends it: the API does not come back', async () => {
      const emu = await PullEmulator.start();
      const restarting = emu.restart({ downMs: 60_000 });
      await waitFor(() => emu.isDown, 'the API going down');
      const t0 = Date.now();
      await emu.close();
      await restarting;
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(emu.isDown, true);
    });

    test('a hand-out written to a poll the runtime had just closed is taken back, not counted as taken', async () => {
      const emu = await PullEmulator.start();
      try {
        const conn = await rawConnection(emu);
        conn.socket.write(`GET ${POLL} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await waitFor(() => emu.stats().polls === 1, 'the parked poll');
        // The runtime gives up on the poll (as on SIGTERM) while the emulator is busy: the
        // invocation is written before the emulator has read the runtime's FIN.
        conn.socket.destroy();
        const busyUntil = Date.now() + 50;
        while (Date.now() < busyUntil);
        const pending = emu.invoke({}, { requestId: 'raced' });
        assert.equal(emu.stats().inFlight, 1, 'written');
        await waitFor(() => emu.stats().waiting === 1, 'the hand-out taken back', 2000);
        assert.equal(emu.stats().inFlight, 0);
        assert.equal(emu.stats().requeued, 1);
        const next = await fetch(`http://${emu.address}${POLL}`);
        assert.equal(next.headers.get('x-cff-request-id'), 'raced');
        await next.arrayBuffer();
        await fetch(answerUrl(emu, 'raced'), { method: 'POST', body: 'ok' });
        assert.equal((await pending).ok, true);
      } finally {
        await emu.close();
      }
    });

    test('a hand-out the runtime read before closing the connection stays taken', async () => {
      const emu = await PullEmulator.start();
      try {
        const conn = await rawConnection(emu);
        conn.socket.write(`GET ${POLL} HTTP/1.1\r\nHost: x\r\n\r\n`);
        await waitFor(() => emu.stats().polls === 1, 'the parked poll');
        const pending = emu.invoke({ n: 1 }, { requestId: 'read' });
        await waitFor(() => conn.received().includes('{"n":1}'), 'the hand-out read');
        conn.socket.destroy();
        await sleep(100);
        assert.equal(emu.stats().inFlight, 1);
        assert.equal(emu.stats().requeued, 0);
        await fetch(answerUrl(emu, 'read'), { method: 'POST', body: 'ok' });
        assert.equal((await pending).ok, true);
      } finally {
        await emu.close();
      }
    });
  });

  describe('the runtime when the API fails', { concurrency: true }, () => {
    for (const platform of TEST_PLATFORMS) {
      test(`${platform}: a retried answer the API had recorded (its response lost) is done; its 409 is no refusal`, async () => {
        const rt = await startRuntime({ platform, env: { RUNTIME_CPU: '1' } });
        try {
          rt.emulator.injectFaults({ postResetAfterRecord: 1 });
          const res = await rt.invoke({ action: 'echo' }, { requestId: 'recorded-then-cut' });
          assert.equal(res.ok, true);
          const done = await rt.waitForLog((r) => r.requestId === 'recorded-then-cut' && /recorded an earlier attempt/.test(r.msg ?? ''), 5000);
          assert.equal(done.level, 'info');
          assert.equal(rt.records.filter((r) => r.level === 'warn' && /409/.test(r.msg ?? '')).length, 0);
          assert.equal(rt.emulator.stats().duplicates, 1);
          assert.equal(rt.emulator.answers('recorded-then-cut'), 1);
        } finally {
          await rt.stop();
        }
      });
    }

    test('while the API is away, one poll probes it and the others wait: the attempts do not grow with the slots', async () => {
      const rt = await startRuntime({ platform: TEST_PLATFORMS[0], env: { RUNTIME_CPU: '2', FNPOOL_CONCURRENCY: '16' } });
      try {
        await waitFor(() => rt.emulator.stats().polls === 16, '16 parked polls');
        await rt.emulator.stop();
        const from = Date.now() + 1000;
        await sleep(3000);
        const to = Date.now();
        const attempts = rt.records.filter((r) => r.poll !== undefined && Date.parse(r.time) >= from && Date.parse(r.time) <= to);
        const polls = new Set(attempts.map((r) => r.poll));
        // The probe's backoff is near its 2 s cap by then: one or two attempts, from one poll.
        assert.ok(attempts.length <= 3, `${attempts.length} attempts from ${polls.size} polls in 2 s`);
        await rt.emulator.resume();
        const results = await Promise.all(Array.from({ length: 32 }, (_, i) => rt.invoke({ action: 'sleep', ms: 50 + i })));
        for (const r of results) assert.equal(r.ok, true);
        assert.equal(rt.emulator.stats().inFlight, 0);
      } finally {
        await rt.stop();
      }
    });
  });

  test('bench/stress/platform-chaos.mjs --quick: nothing lost or duplicated, no busy loop, capped backoff, SIGTERM drains', async () => {
    const report = await runPlatformChaos({ quick: true });
    assert.deepEqual(report.failures, []);
    assert.equal(report.rows.length, 30);
    for (const platform of ['functiongraph', 'lambda', 'fc']) {
      const c = report.figures.platforms[platform].c;
      assert.equal(c.steady.lost, 0);
      assert.ok(c.steady.cpuPct <= report.figures.cpuTargetPct, `${platform}: CPU ${c.steady.cpuPct}% while down`);
      assert.equal(c.sigterm.exitCode, 0);
    }
  });
});
