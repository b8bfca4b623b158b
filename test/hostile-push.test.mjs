// Hostile input on the push platforms (HTTP mode and OpenEdge's gRPC): the quick run of
// bench/stress/hostile-push.mjs must find no failure, and each bug it found has a test of its own
// here, against the real bootstrap started as the platform starts it, over raw sockets and HTTP/2.
// HTTP: a half-closed connection still gets its answer (and one closed for good still cancels its
// invocation); a request id in flight twice is refused, not cancelled under its first caller;
// x-fc-function-timeout past a timer's range or not a number; a path that reads like a host;
// __proto__ in a query; an upgrade followed by a request; a malformed request behind pipelined
// ones; the headers timeout (FNPOOL_HEADERS_TIMEOUT_MS). gRPC: malformed protobuf; a
// FunctionInvokeID in flight twice, with a line break, or too long; connections node's HTTP/2
// gives up on after a protocol error, closed by the keepalive ping (FNPOOL_GRPC_KEEPALIVE_MS) and
// no reason for SIGTERM to end the process before its stop is done.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { run } from '../bench/stress/hostile-push.mjs';
import { call, connect, frame, message, replyOf, Status } from '../bench/stress/lib/push-grpc-wire.mjs';
import { Flag, GRPC_REQUEST_HEADERS, goawayOf, h2Frame, headerBlock, PREFACE, settings, Type } from '../bench/stress/lib/push-h2-frames.mjs';
import { exchange, headerOf, invokeRequest, jsonOf, rawRequest } from '../bench/stress/lib/push-http-wire.mjs';
import { BOOTSTRAP, HANDLER_DIR, openSockets, settled, startGrpcRuntime, startHttpRuntime } from '../bench/stress/lib/push-runtime.mjs';

const HOST = ['Host', 'runtime'];
const HEADERS_TIMEOUT_MS = 1_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection that sends node's HTTP/2 a DATA frame over its frame size: node answers GOAWAY and gives up on it. */
function givenUpConnection(port) {
  const bytes = Buffer.concat([PREFACE, settings(), h2Frame(Type.HEADERS, Flag.END_HEADERS, 1, headerBlock(GRPC_REQUEST_HEADERS)),
    h2Frame(Type.DATA, Flag.END_STREAM, 1, frame(message({ payload: Buffer.alloc(40_000, 0x61) })))]);
  return exchange(port, [bytes], { until: (received) => goawayOf(received) !== undefined, lingerMs: 50, timeoutMs: 3_000 });
}

// The quick run and the two suites of targeted tests side by side (each suite's tests in turn):
// they start runtimes of their own, and waiting on timeouts takes most of the time.
describe('hostile input on the push platforms', { concurrency: true }, () => {
  test('the quick hostile-input run finds no failure on either wire', async () => {
    const result = await run({ quick: true });
    assert.deepEqual(result.failures, []);
    assert.ok(result.rows.length >= 15, `${result.rows.length} kinds ran`);
    assert.ok(result.rows.every((row) => row.tried > 0));
  });

  describe('HTTP mode under hostile clients', () => {
    let rt;
    before(async () => { rt = await startHttpRuntime({ env: { FNPOOL_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS) } }); });
    after(async () => {
      const exit = await rt.stop();
      assert.equal(rt.stderr, '', 'nothing on stderr');
      assert.equal(exit.code, 0);
    });

    test('a client that ends its side after the request (half-close) still gets the answer, then the close', async () => {
      const result = await exchange(rt.port, [invokeRequest('half-1', { sleepMs: 150 }), 'end'], { timeoutMs: 5_000 });
      assert.deepEqual(result.responses.map((r) => [r.status, headerOf(r, 'x-fc-request-id')]), [[200, 'half-1']]);
      assert.equal(jsonOf(result.responses[0]).requestId, 'half-1');
      assert.equal(result.closedByPeer, true);
    });

    test('a client that closes for good after its request (FIN, as a caller that gives up) still ends its invocation at once', async () => {
      await exchange(rt.port, [invokeRequest('gone-1', { sleepMs: 3_000 }), { pauseMs: 100 }, 'close'], { timeoutMs: 2_000 });
      const t0 = Date.now();
      let end;
      while (end === undefined && Date.now() - t0 < 2_000) {
        await sleep(50);
        end = rt.records.find((r) => r.requestId === 'gone-1' && r.msg === 'invocation finished');
      }
      assert.equal(end?.errorType, 'Runtime.Cancelled');
    });

    test('a request id in flight twice: the second is refused 409, the first runs once and is answered, even when the second caller leaves', async () => {
      const first = exchange(rt.port, [invokeRequest('dup-1', { sleepMs: 400 })], { expect: 1, timeoutMs: 5_000 });
      await sleep(100);
      const second = await exchange(rt.port, [invokeRequest('dup-1', { sleepMs: 400 })], { expect: 1, timeoutMs: 5_000 });
      assert.equal(second.responses[0]?.status, 409);
      assert.equal(headerOf(second.responses[0], 'x-fc-error-type'), 'Runtime.InvalidRequest');
      const leaving = exchange(rt.port, [invokeRequest('dup-1', {}), { pauseMs: 10 }, 'reset'], { timeoutMs: 5_000 });
      const answer = (await first).responses[0];
      await leaving;
      assert.equal(answer?.status, 200);
      assert.equal(jsonOf(answer).requestId, 'dup-1');
      await settled(rt, 80);
      assert.equal(rt.ran.get('dup-1'), 1);
      // Once answered, the id is free again.
      assert.equal((await exchange(rt.port, [invokeRequest('dup-1', {})], { expect: 1 })).responses[0]?.status, 200);
    });

    test('x-fc-function-timeout: past a timer\'s range it is capped, not an instant timeout; not a positive number, 400', async () => {
      const huge = await exchange(rt.port, [invokeRequest('timeout-huge', {}, [['x-fc-function-timeout', '1e9']])], { expect: 1 });
      assert.equal(huge.responses[0]?.status, 200, huge.responses[0]?.body.toString());
      for (const value of ['abc', '0', '-5', 'Infinity']) {
        const bad = await exchange(rt.port, [invokeRequest(`timeout-${value}`, {}, [['x-fc-function-timeout', value]])], { expect: 1 });
        assert.equal(bad.responses[0]?.status, 400, value);
        assert.equal(headerOf(bad.responses[0], 'x-fc-error-type'), 'Runtime.InvalidRequest');
        assert.match(jsonOf(bad.responses[0]).errorMessage, /x-fc-function-timeout must be a positive number of seconds/);
      }
      await settled(rt, 80);
      assert.equal(rt.ran.has('timeout-abc'), false);
      assert.doesNotMatch(rt.stderr, /TimeoutOverflowWarning/);
    });

    test('a path that reads like a host (//x) is an HTTP trigger\'s path as sent, not a 500', async () => {
      for (const [target, path] of [['//', '//'], ['//evil.example/x?y=1', '//evil.example/x'], ['//[', '//[']]) {
        const result = await exchange(rt.port, [rawRequest('GET', target, [HOST])], { expect: 1 });
        assert.equal(result.responses[0]?.status, 200, target);
        assert.equal(jsonOf(result.responses[0]).path, path);
      }
      await settled(rt, 80);
      assert.equal(rt.records.some((r) => /internal error/.test(r.msg ?? '')), false);
    });

    test('a query key __proto__ reaches the handler as a key', async () => {
      const result = await exchange(rt.port, [rawRequest('GET', '/q?__proto__=a&__proto__=b&x=1', [HOST])], { expect: 1 });
      assert.deepEqual(jsonOf(result.responses[0]).queryKeys, ['__proto__', 'x']);
    });

    test('an upgrade request is answered, then its connection closed: a request after it is not left waiting', async () => {
      const bytes = Buffer.concat([
        rawRequest('GET', '/ws', [HOST, ['x-fc-request-id', 'upgrade-1'], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']]),
        invokeRequest('after-upgrade-1', {}),
      ]);
      const result = await exchange(rt.port, [bytes], { timeoutMs: 3_000 });
      assert.equal(result.timedOut, false, 'the connection was left open');
      assert.deepEqual(result.responses.map((r) => r.status), [200]);
      await settled(rt, 80);
      assert.equal(rt.ran.has('after-upgrade-1'), false);
    });

    test('a malformed request pipelined behind others: they are answered first, in order, then 400 and the close', async () => {
      const bytes = Buffer.concat([
        invokeRequest('pipe-1', { sleepMs: 200 }),
        invokeRequest('pipe-2', {}),
        Buffer.from('POST /invoke HTTP/1.1\r\nHost: runtime\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}'),
      ]);
      const result = await exchange(rt.port, [bytes], { timeoutMs: 5_000 });
      assert.deepEqual(result.responses.map((r) => [r.status, headerOf(r, 'x-fc-request-id') ?? null]), [[200, 'pipe-1'], [200, 'pipe-2'], [400, null]]);
      assert.equal(result.closedByPeer, true);
    });

    test('FNPOOL_HEADERS_TIMEOUT_MS: a head still coming after it is cut (408); a connection idle between requests is kept', async () => {
      const head = Buffer.from('POST /invoke HTTP/1.1\r\nHost: runtime\r\nx-fc-request-id: slow-head-1\r\n');
      const dribble = [];
      for (const byte of head) dribble.push(Buffer.from([byte]), { pauseMs: 40 });
      const t0 = Date.now();
      const [slow, idle] = await Promise.all([
        exchange(rt.port, dribble, { timeoutMs: 8_000 }),
        exchange(rt.port, [invokeRequest('idle-1', {}), { pauseMs: HEADERS_TIMEOUT_MS * 2.5 }, invokeRequest('idle-2', {})], { expect: 2, timeoutMs: 8_000 }),
      ]);
      assert.equal(slow.responses[0]?.status, 408);
      assert.equal(slow.timedOut, false);
      assert.ok(Date.now() - t0 >= HEADERS_TIMEOUT_MS - 50);
      assert.deepEqual(idle.responses.map((r) => r.status), [200, 200]);
      assert.equal(idle.closedByPeer, false);
    });

    test("a body still coming at the invocation's deadline: 408, the handler never runs, the connection closes", async () => {
      const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(40) }));
      const head = Buffer.from(`POST /invoke HTTP/1.1\r\nHost: runtime\r\nx-fc-request-id: slow-body-1\r\nx-fc-function-timeout: 1\r\nContent-Length: ${body.length}\r\n\r\n`);
      const dribble = [head];
      for (const byte of body) dribble.push(Buffer.from([byte]), { pauseMs: 60 });
      const t0 = Date.now();
      const result = await exchange(rt.port, dribble, { timeoutMs: 8_000 });
      assert.equal(result.responses[0]?.status, 408, JSON.stringify(result.responses[0]));
      assert.equal(jsonOf(result.responses[0]).errorType, 'Runtime.Timeout');
      const waited = Date.now() - t0;
      assert.ok(waited >= 950 && waited < 2_500, `answered after ${waited} ms`);
      // Closed by the runtime: with a FIN, or with a reset when the client's next byte came after
      // the runtime had stopped reading (TCP's answer to data sent to a closed socket).
      assert.ok(result.closedByPeer || result.reset, `the connection stayed open: ${JSON.stringify({ error: result.error, timedOut: result.timedOut })}`);
      await settled(rt, 80);
      assert.equal(rt.ran.has('slow-body-1'), false);
    });

    test('FNPOOL_HEADERS_TIMEOUT_MS that is not a whole number of ms stops the runtime at start, naming it', () => {
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, FC_SERVER_PORT: '0', FC_FUNC_CODE_PATH: HANDLER_DIR, FNPOOL_HEADERS_TIMEOUT_MS: 'soon' };
      const started = spawnSync(BOOTSTRAP, [], { env, encoding: 'utf8', timeout: 15_000 });
      assert.equal(started.status, 2);
      assert.match(started.stderr, /FNPOOL_HEADERS_TIMEOUT_MS="soon" is not a number/);
    });
  });

  describe('OpenEdge mode under hostile clients', () => {
    let rt;
    let session;
    before(async () => {
      rt = await startGrpcRuntime({ env: { FNPOOL_GRPC_KEEPALIVE_MS: '1000' } });
      session = connect(rt.address);
    });
    after(async () => {
      session.close();
      const exit = await rt.stop();
      assert.equal(rt.stderr, '', 'nothing on stderr');
      assert.equal(exit.code, 0);
    });

    test('bytes that are not a runtime.Message are INVALID_ARGUMENT with Runtime.InvalidRequest saying why, not INTERNAL', async () => {
      for (const bytes of [Buffer.from([0x08, 0xff, 0xff]), Buffer.from([0x1a, 0x10, 0x41]), Buffer.from([0x00, 0x01])]) {
        const result = await call(session, frame(bytes));
        assert.equal(result.grpcStatus, Status.INVALID_ARGUMENT, result.grpcMessage);
        assert.equal(result.metadata['fnpool-error-type'], 'Runtime.InvalidRequest');
        assert.match(result.grpcMessage, /^Runtime\.InvalidRequest: the request is not a runtime\.Message in protobuf's wire format \(\d+ bytes\): \S/);
      }
    });

    test('a FunctionInvokeID in flight twice: the second is INVALID_ARGUMENT, the first runs once and is answered, even when the second cancels', async () => {
      const first = call(session, frame(message({ payload: Buffer.from('{"sleepMs":400}'), invokeId: 'oe-dup-1' })));
      await sleep(100);
      const second = await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: 'oe-dup-1' })));
      assert.equal(second.grpcStatus, Status.INVALID_ARGUMENT);
      assert.match(second.grpcMessage, /in flight already/);
      await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: 'oe-dup-1' })), { cancelAfterMs: 5 });
      const answer = await first;
      assert.equal(answer.grpcStatus, Status.OK, answer.grpcMessage);
      assert.equal(replyOf(answer).invokeId, 'oe-dup-1');
      await settled(rt, 80);
      assert.equal(rt.ran.get('oe-dup-1'), 1);
    });

    test('a FunctionInvokeID with a line break or control character, or over 1024 characters, is INVALID_ARGUMENT and never runs', async () => {
      for (const id of ['oe-bad\nline', 'oe-bad\u0000nul', 'oe-bad\u2028sep', `oe-bad-${'x'.repeat(1_020)}`]) {
        const result = await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: id })));
        assert.equal(result.grpcStatus, Status.INVALID_ARGUMENT, JSON.stringify(id.slice(0, 20)));
        assert.match(result.grpcMessage, /FunctionInvokeID/);
      }
      const longest = `oe-ok-${'y'.repeat(1_018)}`;
      assert.equal((await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: longest })))).grpcStatus, Status.OK);
      await settled(rt, 80);
      assert.equal([...rt.ran.keys()].some((id) => id.startsWith('oe-bad')), false);
    });

    test('connections node gives up on after a protocol error are closed by the keepalive ping once their clients are gone', async (t) => {
      // The suite's own connection counted in, open and answered.
      assert.equal((await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: 'oe-before-garbage' })))).grpcStatus, Status.OK);
      const before = openSockets(rt);
      if (before === undefined) return t.skip('no /proc to count the runtime\'s sockets');
      for (let i = 0; i < 3; i++) assert.equal(goawayOf((await givenUpConnection(rt.port)).raw), 'FRAME_SIZE_ERROR');
      let left = openSockets(rt) - before;
      for (const until = Date.now() + 4_000; left > 0 && Date.now() < until;) {
        await sleep(100);
        left = openSockets(rt) - before;
      }
      assert.ok(left <= 0, `${left} sockets still open on the runtime's side`);
    });

    test('SIGTERM after such connections: the stop is done ("stopped") before the process exits, with status 0', async () => {
      const own = await startGrpcRuntime();
      await givenUpConnection(own.port);
      await givenUpConnection(own.port);
      const exit = await own.stop();
      assert.equal(exit.code, 0);
      assert.equal(own.records.at(-1)?.msg, 'stopped');
    });

    test('FNPOOL_GRPC_KEEPALIVE_MS that is not a whole number of ms stops the runtime at start, naming it', () => {
      const config = { name: 'x', server: { address: '127.0.0.1:0' }, function: { name: 'x', handler: 'index.handler', codedir: HANDLER_DIR } };
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, FNPOOL_GRPC_KEEPALIVE_MS: '-1' };
      const started = spawnSync(BOOTSTRAP, ['-c', JSON.stringify(config)], { env, encoding: 'utf8', timeout: 15_000 });
      assert.equal(started.status, 2);
      assert.match(started.stderr, /FNPOOL_GRPC_KEEPALIVE_MS="-1" must be at least 0/);
    });
  });
});
