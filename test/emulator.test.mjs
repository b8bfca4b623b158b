// The FunctionGraph emulator (src/emulator) against a tiny runtime loop written here with fetch and
// raw sockets: hand-out order, long polls, answers, the refusals (404/409/413/400), every fault
// kind, requeue after a dead poll, the invoke endpoint, and close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { PullEmulator, startInvokeEndpoint } from '../dist/emulator/index.js';

const POLL = '/v1/runtime/invocation/request';

async function withEmulator(opts, fn) {
  const emu = await PullEmulator.start(opts);
  try {
    await fn(emu);
  } finally {
    await emu.close();
  }
}

/** One GET of the next invocation. */
async function poll(emu, signal) {
  const res = await fetch(`http://${emu.address}${POLL}`, { signal });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, id: res.headers.get('x-cff-request-id'), headers: res.headers, body };
}

/** One POST of a result (kind 'response') or an error (kind 'error'); resolves with the status. */
async function post(emu, kind, id, body, headers = {}) {
  const res = await fetch(`http://${emu.address}/v1/runtime/invocation/${kind}/${id}`, { method: 'POST', body, headers });
  await res.arrayBuffer();
  return res.status;
}

const errorBody = (type, message) => JSON.stringify({ errorType: type, errorMessage: message, stackTrace: ['at x (y.js:1:1)'] });

/** A runtime of `concurrency` pollers that echo each event back; stop() aborts the polls. */
function startEchoRuntime(emu, concurrency = 1, answer = (inv) => ['response', inv.body, { 'content-type': 'application/json' }]) {
  const ac = new AbortController();
  const loops = [];
  for (let i = 0; i < concurrency; i++) {
    loops.push((async () => {
      while (!ac.signal.aborted) {
        let inv;
        try {
          inv = await poll(emu, ac.signal);
        } catch {
          if (ac.signal.aborted) return;
          await sleep(5);
          continue;
        }
        if (inv.status !== 200) continue;
        const [kind, body, headers] = answer(inv);
        await post(emu, kind, inv.id, body, headers);
      }
    })());
  }
  return async () => {
    ac.abort();
    await Promise.allSettled(loops);
  };
}

async function waitFor(cond, what, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

test('hands invocations out in FIFO order with the request id, invoke type and headers', async () => {
  await withEmulator({ defaultHeaders: { 'X-CFF-Access-Key': 'ak-default', 'X-CFF-Secret-Key': 'sk-default' } }, async (emu) => {
    assert.match(emu.address, /^127\.0\.0\.1:\d+$/);
    const handouts = [];
    emu.on('handout', (id) => handouts.push(id));
    const a = emu.invoke({ n: 1 }, { requestId: 'req-a' });
    const b = emu.invoke('plain text', { requestId: 'req-b', invokeType: 'async', headers: { 'x-cff-access-key': 'ak-own' } });
    const c = emu.invoke(Buffer.from([0, 1, 2]), { requestId: 'req-c' });
    assert.equal(emu.stats().waiting, 3);

    const first = await poll(emu);
    assert.equal(first.status, 200);
    assert.equal(first.id, 'req-a');
    assert.equal(first.headers.get('x-cff-invoke-type'), 'sync');
    assert.equal(first.headers.get('x-cff-access-key'), 'ak-default');
    assert.equal(first.headers.get('x-cff-secret-key'), 'sk-default');
    assert.deepEqual(JSON.parse(first.body.toString()), { n: 1 });

    const second = await poll(emu);
    assert.equal(second.id, 'req-b');
    assert.equal(second.headers.get('x-cff-invoke-type'), 'async');
    assert.equal(second.headers.get('x-cff-access-key'), 'ak-own', 'own headers override defaults, case-insensitively');
    assert.equal(second.body.toString(), 'plain text');

    const third = await poll(emu);
    assert.equal(third.id, 'req-c');
    assert.deepEqual([...third.body], [0, 1, 2]);
    assert.deepEqual(handouts, ['req-a', 'req-b', 'req-c']);

    assert.equal(await post(emu, 'response', 'req-c', '"c"', { 'content-type': 'application/json' }), 202);
    assert.equal(await post(emu, 'response', 'req-a', 'a-bytes', { 'content-type': 'text/plain' }), 202);
    assert.equal(await post(emu, 'response', 'req-b', 'b'), 202);
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    assert.equal(ra.ok, true);
    assert.equal(ra.status, 202);
    assert.equal(ra.body.toString(), 'a-bytes');
    assert.equal(ra.contentType, 'text/plain');
    assert.ok(ra.queuedAt <= ra.handedOutAt && ra.handedOutAt <= ra.answeredAt);
    assert.equal(rb.body.toString(), 'b');
    assert.equal(rc.contentType, 'application/json');
    for (const id of ['req-a', 'req-b', 'req-c']) assert.equal(emu.answers(id), 1);
    assert.equal(emu.answers('never'), 0);
    assert.deepEqual(emu.stats(), {
      queued: 3, handedOut: 3, answered: 3, duplicates: 0, rejectedPosts: 0, inFlight: 0, waiting: 0, polls: 0, requeued: 0, initErrors: 0,
    });
  });
});

test('a long poll is held open until an invocation arrives; parked polls are served in order', async () => {
  await withEmulator({}, async (emu) => {
    const p1 = poll(emu);
    const p2 = poll(emu);
    await waitFor(() => emu.stats().polls === 2, 'two parked polls');
    await sleep(100);
    assert.equal(emu.stats().polls, 2, 'still held');
    const answers = [];
    emu.on('answer', (r) => answers.push(r.requestId));
    const i1 = emu.invoke({ k: 1 });
    const i2 = emu.invoke({ k: 2 });
    const [g1, g2] = await Promise.all([p1, p2]);
    assert.notEqual(g1.id, g2.id);
    assert.deepEqual(JSON.parse(g1.body), { k: 1 });
    assert.deepEqual(JSON.parse(g2.body), { k: 2 });
    await post(emu, 'response', g2.id, '2');
    await post(emu, 'response', g1.id, '1');
    assert.equal((await i1).body.toString(), '1');
    assert.equal((await i2).body.toString(), '2');
    assert.deepEqual(answers, [g2.id, g1.id]);
  });
});

test('the error path parses the error body; malformed error bodies get 400 and leave the id open', async () => {
  await withEmulator({}, async (emu) => {
    const pending = emu.invoke({}, { requestId: 'e1' });
    await poll(emu);
    for (const bad of [
      'not json',
      '[]',
      JSON.stringify({ errorType: 'X', errorMessage: 'm' }),
      JSON.stringify({ errorType: 1, errorMessage: 'm', stackTrace: [] }),
      JSON.stringify({ errorType: 'X', errorMessage: 'm', stackTrace: 'at x' }),
      JSON.stringify({ errorType: 'X', errorMessage: 'm', stackTrace: [1] }),
    ]) {
      assert.equal(await post(emu, 'error', 'e1', bad, { 'content-type': 'application/json' }), 400, bad);
    }
    assert.equal(emu.answers('e1'), 0);
    assert.equal(emu.stats().rejectedPosts, 6);
    assert.equal(await post(emu, 'error', 'e1', errorBody('Runtime.Timeout', 'too slow'), { 'content-type': 'application/json' }), 202);
    const result = await pending;
    assert.equal(result.ok, false);
    assert.deepEqual(result.error, { errorType: 'Runtime.Timeout', errorMessage: 'too slow', stackTrace: ['at x (y.js:1:1)'] });
    assert.equal(emu.answers('e1'), 1);
  });
});

test('unknown ids get 404, repeated answers 409, bodies over the limit 413; other routes 404', async () => {
  await withEmulator({ maxResponseBytes: 1024 }, async (emu) => {
    const queuedOnly = emu.invoke({}, { requestId: 'not-yet' });
    assert.equal(await post(emu, 'response', 'nobody', 'x'), 404);
    const pending = emu.invoke({}, { requestId: 'r1' });
    assert.equal((await poll(emu)).id, 'not-yet');
    assert.equal(await post(emu, 'response', 'r1', 'x'), 404, 'queued but not handed out');
    assert.equal((await poll(emu)).id, 'r1');

    assert.equal(await post(emu, 'response', 'r1', Buffer.alloc(1025)), 413);
    assert.equal(emu.answers('r1'), 0, 'a refused body does not answer');
    assert.equal(await post(emu, 'response', 'r1', Buffer.alloc(1024, 0x61)), 202);
    assert.equal(await post(emu, 'response', 'r1', 'again'), 409);
    assert.equal(await post(emu, 'error', 'r1', errorBody('E', 'm')), 409);
    assert.equal((await pending).body.length, 1024);
    assert.equal(emu.answers('r1'), 1);

    const stats = emu.stats();
    assert.equal(stats.duplicates, 2);
    assert.equal(stats.rejectedPosts, 3);

    for (const [method, path] of [['GET', '/'], ['POST', POLL], ['GET', '/v1/runtime/invocation/response/r1'], ['PUT', '/_emulator/faults']]) {
      const res = await fetch(`http://${emu.address}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      await res.arrayBuffer();
    }
    await post(emu, 'response', 'not-yet', '{}');
    await queuedOnly;
  });
});

test('events over the platform request limit (and malformed invocations) are refused before the runtime sees them', async () => {
  await withEmulator({}, async (emu) => {
    await assert.rejects(emu.invoke(Buffer.alloc(6 * 1024 * 1024 + 1)), { code: 'REQUEST_TOO_LARGE' });
    await assert.rejects(emu.invoke(Buffer.alloc(256 * 1024 + 1), { invokeType: 'async' }), { code: 'REQUEST_TOO_LARGE' });
    await assert.rejects(emu.invoke({}, { requestId: 'a/b' }), { code: 'INVALID_INVOCATION' });
    await assert.rejects(emu.invoke({}, { headers: { 'X-CFF-Auth-Token': 'bad\nvalue' } }), { code: 'INVALID_INVOCATION' });
    assert.equal(emu.stats().queued, 0);
    const ok = emu.invoke(Buffer.alloc(256 * 1024), { invokeType: 'async' });
    const got = await poll(emu);
    assert.equal(got.body.length, 256 * 1024);
    await post(emu, 'response', got.id, '');
    assert.equal((await ok).body.length, 0);
  });
});

test('invoke timeoutMs rejects with INVOKE_TIMEOUT and withdraws an invocation never handed out', async () => {
  await withEmulator({}, async (emu) => {
    await assert.rejects(emu.invoke({}, { requestId: 't1', timeoutMs: 30 }), { code: 'INVOKE_TIMEOUT' });
    assert.equal(emu.stats().waiting, 0);
    const next = emu.invoke({}, { requestId: 't2' });
    assert.equal((await poll(emu)).id, 't2', 'the withdrawn one is skipped');
    await post(emu, 'response', 't2', '1');
    await next;
    await assert.rejects(emu.invoke({}, { requestId: 't2' }), { code: 'DUPLICATE_REQUEST_ID' });
  });
});

test('poll faults: injected statuses, resets and delays', async () => {
  await withEmulator({}, async (emu) => {
    emu.injectFaults({ pollStatus: { status: 503, count: 2 } });
    const pending = emu.invoke({}, { requestId: 'p1' });
    assert.equal((await poll(emu)).status, 503);
    assert.equal((await poll(emu)).status, 503);
    emu.injectFaults({ pollReset: 1 });
    await assert.rejects(poll(emu));
    assert.equal(emu.stats().handedOut, 0, 'faulted polls hand out nothing');
    const got = await poll(emu);
    assert.equal(got.id, 'p1');
    await post(emu, 'response', 'p1', 'ok');
    await pending;

    emu.injectFaults({ pollDelayMs: 80 });
    const delayed = emu.invoke({}, { requestId: 'p2' });
    const t0 = performance.now();
    const g2 = await poll(emu);
    assert.ok(performance.now() - t0 >= 75, 'hand-out delayed');
    emu.clearFaults();
    await post(emu, 'response', g2.id, 'ok');
    const r2 = await delayed;
    assert.ok(r2.handedOutAt - r2.queuedAt >= 75);
  });
});

test('post faults: injected statuses and resets are not recorded; a reset after record makes the retry a 409', async () => {
  await withEmulator({}, async (emu) => {
    const pending = emu.invoke({}, { requestId: 'f1' });
    await poll(emu);
    emu.injectFaults({ postStatus: { status: 500, count: 1 }, postReset: 1 });
    await assert.rejects(post(emu, 'response', 'f1', 'x'), 'reset first');
    assert.equal(await post(emu, 'response', 'f1', 'x'), 500);
    assert.equal(emu.answers('f1'), 0);
    emu.injectFaults({ postResetAfterRecord: 1, postDelayMs: 40 });
    const t0 = performance.now();
    await assert.rejects(post(emu, 'response', 'f1', 'final'));
    assert.ok(performance.now() - t0 >= 35, 'post delayed');
    assert.equal(emu.answers('f1'), 1, 'recorded before the reset');
    assert.equal(await post(emu, 'response', 'f1', 'final'), 409, 'the retry');
    assert.equal((await pending).body.toString(), 'final');
    assert.equal(emu.stats().duplicates, 1);
    assert.equal(emu.stats().answered, 1);
  });
});

test('faults and stats are reachable over HTTP', async () => {
  await withEmulator({}, async (emu) => {
    const base = `http://${emu.address}`;
    let res = await fetch(`${base}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ pollStatus: { status: 500, count: 1 } }) });
    assert.equal(res.status, 204);
    assert.equal((await poll(emu)).status, 500);
    res = await fetch(`${base}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ pollStatus: { status: 500, count: 5 } }) });
    assert.equal(res.status, 204);
    res = await fetch(`${base}/_emulator/faults`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    const pending = emu.invoke({}, { requestId: 'h1' });
    assert.equal((await poll(emu)).status, 200, 'faults cleared');
    res = await fetch(`${base}/_emulator/faults`, { method: 'POST', body: '{"pollReset":-1}' });
    assert.equal(res.status, 400);
    assert.match((await res.json()).errorMessage, /pollReset/);
    res = await fetch(`${base}/_emulator/faults`, { method: 'POST', body: '{"nope":1}' });
    assert.equal(res.status, 400);
    await res.arrayBuffer();
    res = await fetch(`${base}/_emulator/stats`);
    assert.deepEqual(await res.json(), emu.stats());
    assert.equal(emu.stats().inFlight, 1);
    await post(emu, 'response', 'h1', '1');
    await pending;
  });
});

test('a poll whose socket closed does not swallow an invocation', async () => {
  await withEmulator({}, async (emu) => {
    const ac = new AbortController();
    const dead = poll(emu, ac.signal).catch(() => 'aborted');
    await waitFor(() => emu.stats().polls === 1, 'parked poll');
    ac.abort();
    assert.equal(await dead, 'aborted');
    await waitFor(() => emu.stats().polls === 0, 'closed poll noticed');
    const pending = emu.invoke({}, { requestId: 'q1' });
    assert.equal(emu.stats().waiting, 1, 'not handed to the dead poll');
    const got = await poll(emu);
    assert.equal(got.id, 'q1');
    await post(emu, 'response', 'q1', 'ok');
    await pending;
  });
});

test('a hand-out whose write fails is requeued at the front', async () => {
  // A big event on a socket that never reads cannot be flushed; destroying that socket makes the
  // write fail after the emulator handed the invocation out.
  const size = 24 * 1024 * 1024;
  await withEmulator({ maxSyncRequestBytes: size }, async (emu) => {
    const raw = net.connect(emu.port, '127.0.0.1');
    await once(raw, 'connect');
    raw.pause();
    raw.write(`GET ${POLL} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitFor(() => emu.stats().polls === 1, 'raw poll parked');
    const big = emu.invoke(Buffer.alloc(size, 0x62), { requestId: 'big' });
    const small = emu.invoke({}, { requestId: 'small' });
    assert.equal(emu.stats().handedOut, 1);
    raw.destroy();
    await waitFor(() => emu.stats().requeued === 1, 'requeue');
    assert.equal(emu.stats().handedOut, 0);
    assert.equal(emu.stats().waiting, 2);
    const got = await poll(emu);
    assert.equal(got.id, 'big', 'front of the queue');
    assert.equal(got.body.length, size);
    await post(emu, 'response', 'big', 'ok');
    const got2 = await poll(emu);
    assert.equal(got2.id, 'small');
    await post(emu, 'response', 'small', 'ok');
    await Promise.all([big, small]);
    assert.equal(emu.answers('big'), 1);
  });
});

test('a hand-out reset unread by the runtime (RST) is requeued; one read and followed by a new request is not', async () => {
  await withEmulator({}, async (emu) => {
    const port = emu.port;
    const raw = net.connect(port, '127.0.0.1');
    await once(raw, 'connect');
    raw.write(`GET ${POLL} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitFor(() => emu.stats().polls === 1, 'raw poll parked');
    const pending = emu.invoke({}, { requestId: 'rst' });
    await once(raw, 'data'); // every byte reached the client
    assert.equal(emu.stats().inFlight, 1);
    raw.resetAndDestroy(); // as a client closing with unread data does
    await waitFor(() => emu.stats().requeued === 1, 'requeue');
    assert.equal(emu.stats().inFlight, 0);
    const got = await poll(emu);
    assert.equal(got.id, 'rst');
    await post(emu, 'response', 'rst', 'ok');
    await pending;

    // A runtime that read its hand-out and polled again on the same socket keeps it, reset or not.
    const raw2 = net.connect(port, '127.0.0.1');
    await once(raw2, 'connect');
    raw2.write(`GET ${POLL} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitFor(() => emu.stats().polls === 1, 'second raw poll parked');
    const kept = emu.invoke({}, { requestId: 'kept' });
    await once(raw2, 'data');
    raw2.write(`GET ${POLL} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitFor(() => emu.stats().polls === 1, 'next poll on the same socket');
    raw2.resetAndDestroy();
    await waitFor(() => emu.stats().polls === 0, 'reset noticed');
    assert.equal(emu.stats().requeued, 1);
    assert.equal(emu.stats().inFlight, 1);
    await post(emu, 'response', 'kept', 'ok');
    await kept;
  });
});

test('many concurrent pollers: every invocation answered exactly once', async () => {
  await withEmulator({}, async (emu) => {
    const stop = startEchoRuntime(emu, 8);
    const n = 600;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => emu.invoke({ i })));
    await stop();
    results.forEach((r, i) => assert.deepEqual(JSON.parse(r.body), { i }));
    const s = emu.stats();
    assert.equal(s.queued, n);
    assert.equal(s.handedOut, n);
    assert.equal(s.answered, n);
    assert.equal(s.duplicates, 0);
    assert.equal(s.rejectedPosts, 0);
    assert.equal(s.inFlight, 0);
  });
});

test('invoke endpoint: results, function errors, 413, health and 404', async () => {
  await withEmulator({ maxSyncRequestBytes: 1024, maxAsyncRequestBytes: 16 }, async (emu) => {
    const stop = startEchoRuntime(emu, 2, (inv) => {
      const event = JSON.parse(inv.body.toString() || '{}');
      if (event.fail) return ['error', errorBody('MyError', 'boom'), { 'content-type': 'application/json' }];
      return ['response', JSON.stringify({ echo: event, type: inv.headers.get('x-cff-invoke-type'), ak: inv.headers.get('x-cff-access-key') }), {}];
    });
    const endpoint = await startInvokeEndpoint(emu, { port: 0 });
    try {
      let res = await fetch(`${endpoint.url}/invoke`, { method: 'POST', body: '{"a":1}', headers: { 'X-CFF-Access-Key': 'ak' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain;charset=UTF-8', 'the runtime\'s content type is passed on');
      assert.deepEqual(await res.json(), { echo: { a: 1 }, type: 'sync', ak: 'ak' });

      res = await fetch(`${endpoint.url}/invoke`, { method: 'POST', body: '{"b":2}', headers: { 'X-CFF-Invoke-Type': 'async' } });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).type, 'async');

      res = await fetch(`${endpoint.url}/invoke`, { method: 'POST', body: '{"fail":true}' });
      assert.equal(res.status, 500);
      assert.equal(res.headers.get('x-fnpool-error-type'), 'MyError');
      assert.equal((await res.json()).errorMessage, 'boom');

      res = await fetch(`${endpoint.url}/invoke`, { method: 'POST', body: Buffer.alloc(1025, 0x20) });
      assert.equal(res.status, 413);
      assert.equal((await res.json()).errorType, 'Runtime.RequestTooLarge');
      res = await fetch(`${endpoint.url}/invoke`, { method: 'POST', body: Buffer.alloc(17, 0x20), headers: { 'X-CFF-Invoke-Type': 'async' } });
      assert.equal(res.status, 413);
      await res.arrayBuffer();

      res = await fetch(`${endpoint.url}/health`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      res = await fetch(`${endpoint.url}/nope`);
      assert.equal(res.status, 404);
      assert.equal((await res.json()).errorType, 'NotFound');
      res = await fetch(`${endpoint.url}/invoke`);
      assert.equal(res.status, 404);
      await res.arrayBuffer();
    } finally {
      await endpoint.close();
      await stop();
    }
  });
});

test('invoke endpoint: a port in use is reported by number', async () => {
  const blocker = http.createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const { port } = blocker.address();
  try {
    await withEmulator({}, async (emu) => {
      await assert.rejects(startInvokeEndpoint(emu, { port }), (err) => {
        assert.match(err.message, new RegExp(`port ${port} is already in use`));
        assert.equal(err.code, 'EADDRINUSE');
        return true;
      });
    });
  } finally {
    blocker.close();
  }
});

test('close() ends held long polls and rejects pending invocations', async () => {
  const emu = await PullEmulator.start();
  const held = poll(emu).then(() => 'answered', () => 'failed');
  await waitFor(() => emu.stats().polls === 1, 'parked poll');
  const inFlight = emu.invoke({}, { requestId: 'c1' }).then(() => 'answered', (err) => err);
  await held; // handed out to the held poll
  const queued = emu.invoke({}, { requestId: 'c2' }).then(() => 'answered', (err) => err);
  const t0 = performance.now();
  const held2 = poll(emu).then(() => 'answered', () => 'failed');
  await waitFor(() => emu.stats().waiting === 0, 'c2 handed out');
  const held3 = poll(emu).then(() => 'answered', () => 'failed');
  await waitFor(() => emu.stats().polls === 1, 'third poll parked');
  await emu.close();
  assert.ok(performance.now() - t0 < 1000, 'close does not hang');
  assert.equal(await held3, 'failed');
  await held2;
  const [e1, e2] = await Promise.all([inFlight, queued]);
  assert.equal(e1.code, 'EMULATOR_CLOSED');
  assert.match(e1.message, /c1/);
  assert.equal(e2.code, 'EMULATOR_CLOSED');
  await assert.rejects(emu.invoke({}), { code: 'EMULATOR_CLOSED' });
  await emu.close(); // idempotent
});
