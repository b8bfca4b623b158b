// The hostile inputs of OpenEdge mode (gRPC), one function per kind, each run against the real
// runtime: malformed protobuf messages, messages and frames over the limits, HTTP/2 garbage (over
// a plain socket: push-h2-frames.mjs) and gRPC garbage (over node:http2), hundreds of streams at
// once, cancelled streams, calls that send no message, odd FunctionInvokeIDs (and one id twice at
// once). Each counts its outcomes on its Kind and calls kind.problem() for what must not happen;
// push-checks.mjs checks the runtime after each.
import { atOnce } from './push-checks.mjs';
import { call, connect, frame, lengthDelimited, message, replyOf, Status, statusName, tag, varint } from './push-grpc-wire.mjs';
import { Flag, GRPC_REQUEST_HEADERS, goawayOf, h2Frame, headerBlock, PREFACE, settings, Type } from './push-h2-frames.mjs';
import { exchange } from './push-http-wire.mjs';
import { LIMITS, openSockets } from './push-runtime.mjs';

/** A raw connection is done once the server sent a GOAWAY (it may leave closing the socket to the client). */
const untilGoaway = (bytes) => goawayOf(bytes) !== undefined;

/** The outcome of one call, as counted: its gRPC status, else its HTTP status, else how the stream ended. */
function outcomeOf(result) {
  if (result.grpcStatus !== undefined) {
    const type = result.metadata['fnpool-error-type'];
    return `${statusName(result.grpcStatus)}${type ? ` ${String(type).replace(/^Runtime\./, '')}` : ''}`;
  }
  if (result.httpStatus !== undefined) return `HTTP ${result.httpStatus}`;
  return result.error ?? 'no status';
}

/** Checks one call's status against the allowed names; a successful call's reply must carry its own id. Returns the reply. */
function checkCall(kind, result, { allowed, id, what }) {
  kind.note(outcomeOf(result));
  const status = result.grpcStatus === undefined ? (result.httpStatus !== undefined ? `HTTP ${result.httpStatus}` : 'none') : statusName(result.grpcStatus);
  if (!allowed.includes(status)) kind.problem(`${what}: ${outcomeOf(result)}${result.grpcMessage ? ` "${result.grpcMessage.slice(0, 160)}"` : ''}`);
  const reply = replyOf(result);
  if (reply !== undefined && id !== undefined) {
    const seen = safeJson(reply.payload)?.requestId;
    if (reply.invokeId !== id || seen !== id) kind.problem(`${what}: the reply is for ${JSON.stringify(String(seen ?? reply.invokeId).slice(0, 40))}`);
  }
  return reply;
}

function safeJson(bytes) {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A normal call answered OK with its own id, on a connection of its own: the canary after each kind. */
export function grpcCanary(kind) {
  return async () => {
    const session = connect(kind.rt.address);
    try {
      const id = kind.id('canary');
      const result = await call(session, frame(message({ payload: Buffer.from('{"canary":true}'), invokeId: id })), { timeoutMs: 10_000 });
      if (result.grpcStatus !== Status.OK) return `${outcomeOf(result)} ${result.grpcMessage ?? ''}`;
      const reply = replyOf(result);
      if (reply?.invokeId !== id || safeJson(reply.payload)?.requestId !== id) return 'a reply for another call';
      return undefined;
    } finally {
      session.close();
    }
  };
}

/** Bytes that are not a Message (INVALID_ARGUMENT, nothing runs), odd ones that are (OK, run once), and random bytes (either). */
export async function malformedProtobuf(kind) {
  const { rng } = kind;
  const session = connect(kind.rt.address);
  const nest = (depth, field = 5) => Buffer.concat([...Array(depth).fill(tag(field, 3)), ...Array(depth).fill(tag(field, 4))]);
  const broken = [
    ['field number 0', Buffer.from([0x00, 0x01])],
    ['wire type 6', Buffer.from([0x0e, 0x01])],
    ['wire type 7', Buffer.from([0x0f, 0x01])],
    ['an end group at the top', tag(1, 4)],
    ['a truncated varint', Buffer.from([0x08, 0xff, 0xff])],
    ['a varint of 11 bytes', Buffer.concat([tag(1, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01])])],
    ['a length past the end', Buffer.from([0x1a, 0x10, 0x41])],
    ['a length of 2^32 - 1', Buffer.concat([tag(3, 2), varint(2 ** 32 - 1), Buffer.from('x')])],
    ['a tag past uint32', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])],
    ['groups nested 200 deep', nest(200)],
    ['groups nested 100,000 deep', nest(100_000)],
    ['a group never ended', tag(5, 3)],
    ['a group ended by another field', Buffer.concat([tag(5, 3), tag(6, 4)])],
    ['a truncated fixed64', Buffer.concat([tag(7, 1), Buffer.from([1, 2, 3])])],
  ];
  const odd = [
    ['Payload as a varint', (id) => Buffer.concat([tag(3, 0), varint(5), lengthDelimited(12, Buffer.from(id))])],
    ['QOS as bytes', (id) => Buffer.concat([lengthDelimited(1, Buffer.from('qq')), lengthDelimited(12, Buffer.from(id))])],
    ['a Topic not UTF-8', (id) => Buffer.concat([lengthDelimited(2, Buffer.from([0xff, 0xfe, 0xc0])), lengthDelimited(12, Buffer.from(id))])],
    ['every field twice', (id) => Buffer.concat([message({ payload: Buffer.from('{"a":1}'), invokeId: 'first' }), message({ payload: Buffer.from('{"a":2}'), invokeId: id })])],
    ['unknown fields', (id) => Buffer.concat([tag(536_870_911, 0), varint(1), lengthDelimited(99, rng.bytes(40)), tag(7, 5), Buffer.alloc(4), lengthDelimited(12, Buffer.from(id))])],
    ['groups nested 50 deep', (id) => Buffer.concat([nest(50), lengthDelimited(12, Buffer.from(id))])],
    ['QOS past uint32', (id) => Buffer.concat([tag(1, 0), varint(2 ** 40), lengthDelimited(12, Buffer.from(id))])],
  ];
  for (const [what, bytes] of broken) {
    const result = await call(session, frame(bytes));
    checkCall(kind, result, { allowed: ['INVALID_ARGUMENT'], what });
    if (result.grpcStatus === Status.INVALID_ARGUMENT && result.metadata['fnpool-error-type'] !== 'Runtime.InvalidRequest') kind.problem(`${what}: no Runtime.InvalidRequest trailer`);
  }
  for (const [what, build] of odd) {
    const id = kind.id('odd');
    checkCall(kind, await call(session, frame(build(id))), { allowed: ['OK'], id, what });
  }
  const n = kind.count(40, 800);
  const all = [];
  for (let i = 0; i < n; i++) all.push(call(session, frame(rng.bytes(rng.int(1, 2_048)))));
  for (const result of await Promise.all(all)) checkCall(kind, result, { allowed: ['OK', 'INVALID_ARGUMENT'], what: 'random bytes' });
  session.close();
}

/** Messages over server.message.length.max, length prefixes that lie, two messages in one call, frames over HTTP/2's size. */
export async function oversized(kind) {
  const { rng } = kind;
  const limit = LIMITS.maxRequestBytes;
  const session = connect(kind.rt.address);
  const calls = [
    ['a payload at the limit', () => { const id = kind.id('at-limit'); return [frame(message({ payload: Buffer.alloc(limit, 0x61), invokeId: id })), ['OK'], id]; }],
    ['a payload just over the limit', () => [frame(message({ payload: Buffer.alloc(limit + rng.int(1, 60_000), 0x61), invokeId: kind.refusedId() })), ['RESOURCE_EXHAUSTED']]],
    ['a payload far over the limit', () => [frame(message({ payload: Buffer.alloc(limit + rng.int(70_000, 2_000_000), 0x61), invokeId: kind.refusedId() })), ['RESOURCE_EXHAUSTED']]],
    ['a length prefix of 4 GB', () => [frame(message({ invokeId: kind.refusedId() }), { declaredLength: 2 ** 32 - 1 }), ['RESOURCE_EXHAUSTED']]],
    ['a length prefix longer than the data', () => [frame(message({ invokeId: kind.refusedId() }), { declaredLength: 1_000 }), ['UNIMPLEMENTED', 'INVALID_ARGUMENT', 'INTERNAL']]],
    ['two messages in one call', () => [Buffer.concat([frame(message({ invokeId: kind.refusedId() })), frame(message({ invokeId: kind.refusedId() }))]), ['UNIMPLEMENTED', 'INVALID_ARGUMENT', 'INTERNAL']]],
    // grpc-js runs the message and ignores the partial frame after it: one message, one run, one answer.
    ['a message and trailing bytes', () => { const id = kind.id('trailing'); return [Buffer.concat([frame(message({ invokeId: id })), rng.bytes(3)]), ['OK', 'UNIMPLEMENTED', 'INVALID_ARGUMENT', 'INTERNAL'], id]; }],
  ];
  const rounds = kind.count(1, 8);
  for (let round = 0; round < rounds; round++) {
    for (const [what, build] of calls) {
      const [body, allowed, id] = build();
      checkCall(kind, await call(session, body, { timeoutMs: 15_000 }), { allowed, id, what });
    }
  }
  session.close();
  // At the HTTP/2 level: a DATA frame over the 16 KB frame size; a header block of 1 MB in CONTINUATION frames.
  const rawCases = [
    ['a DATA frame over the frame size', () => Buffer.concat([PREFACE, settings(), h2Frame(Type.HEADERS, Flag.END_HEADERS, 1, headerBlock(GRPC_REQUEST_HEADERS)),
      h2Frame(Type.DATA, Flag.END_STREAM, 1, frame(message({ payload: Buffer.alloc(40_000, 0x61), invokeId: kind.refusedId() })))])],
    ['a header block of 1 MB', () => {
      const block = headerBlock([...GRPC_REQUEST_HEADERS, ['x-big', 'v'.repeat(1_000_000)]]);
      const parts = [PREFACE, settings(), h2Frame(Type.HEADERS, 0, 1, block.subarray(0, 16_000))];
      for (let at = 16_000; at < block.length; at += 16_000) parts.push(h2Frame(Type.CONTINUATION, at + 16_000 >= block.length ? Flag.END_HEADERS : 0, 1, block.subarray(at, at + 16_000)));
      return Buffer.concat(parts);
    }],
  ];
  for (const [what, build] of rawCases) kind.log(`  ${what}: ${await rawConnection(kind, [build()], 3_000)}`);
}

/** One connection of raw bytes, counted by how it ended: a GOAWAY (with its code), reset, closed, or left open (quiet) until timeoutMs. */
async function rawConnection(kind, steps, timeoutMs) {
  const result = await exchange(kind.rt.port, steps, { until: untilGoaway, lingerMs: 50, timeoutMs });
  const goaway = goawayOf(result.raw);
  const outcome = goaway !== undefined ? `GOAWAY ${goaway}` : result.reset ? 'reset' : result.timedOut ? 'left open' : 'closed';
  kind.note(outcome);
  return outcome;
}

/**
 * HTTP/2 garbage over a plain socket, and gRPC garbage over node:http2 (bad content types, paths,
 * encodings, timeouts). Then no connection may be left open on the runtime's side: node's HTTP/2
 * keeps one it gave up on after a protocol error until the keepalive ping closes it.
 */
export async function garbage(kind) {
  const { rng } = kind;
  const socketsBefore = openSockets(kind.rt);
  const validHeaders = h2Frame(Type.HEADERS, Flag.END_HEADERS, 1, headerBlock(GRPC_REQUEST_HEADERS));
  const raws = [
    ['random bytes, no preface', () => [rng.bytes(rng.int(1, 4_000))]],
    ['an HTTP/1.1 request', () => [Buffer.from('POST /runtime.Runtime/Handle HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')]],
    ['the preface, then random bytes', () => [PREFACE, rng.bytes(rng.int(1, 4_000))]],
    ['random frames', () => [PREFACE, settings(), ...Array.from({ length: rng.int(1, 20) }, () => h2Frame(rng.int(0, 12), rng.int(0, 255), rng.pick([0, 1, 2, 3, rng.int(0, 2 ** 31 - 1)]), rng.bytes(rng.int(0, 64))))]],
    ['SETTINGS out of range', () => [PREFACE, settings([[2, 2], [4, 2 ** 31], [5, 1]])]],
    ['HEADERS on stream 0', () => [PREFACE, settings(), h2Frame(Type.HEADERS, Flag.END_HEADERS, 0, headerBlock(GRPC_REQUEST_HEADERS))]],
    ['HEADERS of broken HPACK', () => [PREFACE, settings(), h2Frame(Type.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, rng.bytes(rng.int(1, 200)))]],
    ['a WINDOW_UPDATE of 0', () => [PREFACE, settings(), h2Frame(Type.WINDOW_UPDATE, 0, 0, Buffer.alloc(4))]],
    ['a PING flood', () => [PREFACE, settings(), Buffer.concat(Array.from({ length: 5_000 }, () => h2Frame(Type.PING, 0, 0, Buffer.alloc(8))))]],
    ['a SETTINGS flood', () => [PREFACE, Buffer.concat(Array.from({ length: 5_000 }, () => settings([[3, 100]])))]],
    ['rapid reset', () => [PREFACE, settings(), Buffer.concat(Array.from({ length: 2_000 }, (_, i) => Buffer.concat([
      h2Frame(Type.HEADERS, Flag.END_HEADERS, 2 * i + 1, headerBlock(GRPC_REQUEST_HEADERS)), h2Frame(Type.RST_STREAM, 0, 2 * i + 1, Buffer.from([0, 0, 0, 8]))])))]],
    ['CONTINUATION without end', () => [PREFACE, settings(), h2Frame(Type.HEADERS, 0, 1, headerBlock(GRPC_REQUEST_HEADERS)),
      Buffer.concat(Array.from({ length: 5_000 }, () => h2Frame(Type.CONTINUATION, 0, 1, headerBlock([['x-a', 'b']]))))]],
    ['DATA before HEADERS', () => [PREFACE, settings(), h2Frame(Type.DATA, Flag.END_STREAM, 1, frame(message()))]],
    ['DATA after END_STREAM', () => [PREFACE, settings(), h2Frame(Type.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, headerBlock(GRPC_REQUEST_HEADERS)), h2Frame(Type.DATA, 0, 1, frame(message()))]],
    ['a stream id going down', () => [PREFACE, settings(), h2Frame(Type.HEADERS, Flag.END_HEADERS, 5, headerBlock(GRPC_REQUEST_HEADERS)), h2Frame(Type.HEADERS, Flag.END_HEADERS, 3, headerBlock(GRPC_REQUEST_HEADERS))]],
    ['a valid call cut in its DATA', () => [PREFACE, settings(), validHeaders, h2Frame(Type.DATA, 0, 1, frame(message({ payload: Buffer.from('{}'), invokeId: kind.refusedId() })).subarray(0, 8)), 'reset']],
  ];
  // Each round's connections at once; one the server leaves open (a flood it answered) is given up after a while.
  const rounds = kind.count(1, 12);
  for (let round = 0; round < rounds; round++) {
    const outcomes = await Promise.all(raws.map(([, build]) => rawConnection(kind, build(), kind.quick ? 600 : 2_000)));
    if (round === 0) raws.forEach(([what], i) => kind.log(`  ${what}: ${outcomes[i]}`));
  }
  const session = connect(kind.rt.address);
  const semantic = [
    ['content-type application/json', { 'content-type': 'application/json' }, ['HTTP 415']],
    ['no content-type', { 'content-type': undefined }, ['HTTP 415']],
    ['content-type application/grpc+json', { 'content-type': 'application/grpc+json' }, ['OK', 'INVALID_ARGUMENT']],
    ['an unknown method path', { ':path': '/runtime.Runtime/Other' }, ['UNIMPLEMENTED']],
    ['a path of garbage', { ':path': `/${rng.text(40, 'abc%/.\\')}` }, ['UNIMPLEMENTED']],
    ['GET', { ':method': 'GET' }, ['OK']],
    ['grpc-encoding br', { 'grpc-encoding': 'br' }, ['OK', 'UNIMPLEMENTED']],
    ['grpc-timeout abc', { 'grpc-timeout': 'abc' }, ['INTERNAL', 'INVALID_ARGUMENT', 'OK']],
    ['grpc-timeout 99999999H', { 'grpc-timeout': '99999999H' }, ['OK']],
    ['grpc-timeout 1n', { 'grpc-timeout': '1n' }, ['DEADLINE_EXCEEDED']],
    ['metadata of 60 KB', { 'x-big': 'v'.repeat(60_000) }, ['OK', 'none', 'RESOURCE_EXHAUSTED', 'INTERNAL']],
  ];
  for (const [what, headers, allowed] of semantic) {
    const id = kind.id('semantic');
    checkCall(kind, await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: id })), { headers }), { allowed, id, what });
  }
  const compressed = await call(session, frame(rng.bytes(50), { compressed: true }), { headers: { 'grpc-encoding': 'gzip' } });
  checkCall(kind, compressed, { allowed: ['INTERNAL', 'INVALID_ARGUMENT'], what: 'gzip that is not gzip' });
  const notPrefixed = await call(session, Buffer.from([1, 2, 3]));
  checkCall(kind, notPrefixed, { allowed: ['UNIMPLEMENTED', 'INVALID_ARGUMENT', 'INTERNAL'], what: 'DATA without a length prefix' });
  session.close();
  if (socketsBefore === undefined) return;
  let left = openSockets(kind.rt) - socketsBefore;
  for (const until = Date.now() + 4_000; left > 0 && Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = openSockets(kind.rt) - socketsBefore;
  }
  kind.note(`connections left open on the runtime's side 4 s later: ${Math.max(0, left)}`, { tried: 0 });
  if (left > 0) kind.problem(`${left} connection(s) of the garbage still open on the runtime's side 4 s after their clients closed them`);
}

/** Many calls at once on one connection, beside many streams opened and left without a message: all answered, normal calls on time. */
export async function concurrentStreams(kind) {
  const busy = connect(kind.rt.address);
  const idleSessions = Array.from({ length: kind.count(1, 4) }, () => connect(kind.rt.address));
  const idle = idleSessions.flatMap((session) => Array.from({ length: kind.count(300, 800) }, () => call(session, undefined, { endStream: false, timeoutMs: 60_000 })));
  const ids = Array.from({ length: kind.count(300, 2_000) }, () => kind.id('many'));
  const t0 = Date.now();
  const calls = ids.map((id) => call(busy, frame(message({ payload: Buffer.from('{}'), invokeId: id })), { timeoutMs: 30_000 }).then((r) => ({ r, id })));
  const canary = await grpcCanary(kind)();
  const canaryMs = Date.now() - t0;
  kind.note(`a normal call among them: ${canary ?? 'OK'}`, { tried: 0 });
  if (canary !== undefined) kind.problem(`a normal call while ${ids.length} calls and ${idle.length} idle streams were open: ${canary}`);
  for (const { r, id } of await Promise.all(calls)) checkCall(kind, r, { allowed: ['OK', 'DEADLINE_EXCEEDED'], id, what: 'one of many calls at once' });
  kind.log(`  ${ids.length} calls at once and ${idle.length} idle streams: all answered in ${Date.now() - t0} ms, a normal call in ${canaryMs} ms`);
  for (const session of idleSessions) session.destroy();
  for (const result of await Promise.all(idle)) kind.note(`idle stream: ${outcomeOf(result)}`);
  busy.close();
}

/**
 * Cancelled streams: RST_STREAM(CANCEL) before the message, while the call waits for a slot, while
 * its handler runs. Then every slot must be free: instance.max calls at once all answered promptly.
 */
export async function cancelledStreams(kind) {
  const { rng } = kind;
  const session = connect(kind.rt.address);
  const n = kind.count(30, 300);
  const all = [];
  for (let i = 0; i < n; i++) {
    const beforeMessage = i % 5 === 0;
    const body = beforeMessage ? undefined : frame(message({ payload: Buffer.from(JSON.stringify({ sleepMs: rng.int(50, 300) })), invokeId: kind.id('cancel') }));
    all.push(call(session, body, { endStream: !beforeMessage, cancelAfterMs: rng.int(0, 250) }));
  }
  for (const result of await Promise.all(all)) {
    kind.note(result.grpcStatus === undefined ? 'cancelled' : outcomeOf(result));
    if (result.grpcStatus !== undefined && ![Status.OK, Status.CANCELLED].includes(result.grpcStatus)) kind.problem(`a call cancelled by its client: ${outcomeOf(result)}`);
  }
  // The handlers of cancelled calls do not heed the abort: their at most 300 ms of sleep is over by now.
  await new Promise((resolve) => setTimeout(resolve, 400));
  const t0 = Date.now();
  const after = await Promise.all(Array.from({ length: LIMITS.concurrency }, () => {
    const id = kind.id('after-cancels');
    return call(session, frame(message({ payload: Buffer.from('{"sleepMs":200}'), invokeId: id })), { timeoutMs: 10_000 }).then((r) => ({ r, id }));
  }));
  const tookMs = Date.now() - t0;
  const failed = after.filter(({ r }) => r.grpcStatus !== Status.OK).length;
  kind.note(`${LIMITS.concurrency} at once after the cancels: ${failed === 0 ? `all OK in ${tookMs < 2_000 ? 'under 2 s' : `${tookMs} ms`}` : `${failed} failed`}`, { tried: 0 });
  if (failed > 0 || tookMs > 3_000) kind.problem(`${LIMITS.concurrency} calls at once after the cancels: ${failed} failed, ${tookMs} ms (a slot not given back?)`);
  session.close();
}

/** Calls without a message: no DATA at all, an empty DATA frame, a zero-length message (a valid empty Message), a stream never ended. */
export async function noData(kind) {
  const session = connect(kind.rt.address);
  await atOnce(Array.from({ length: kind.count(3, 30) }), 4, async () => {
    checkCall(kind, await call(session, undefined), { allowed: ['UNIMPLEMENTED', 'INVALID_ARGUMENT', 'INTERNAL'], what: 'no DATA frame' });
    checkCall(kind, await call(session, Buffer.alloc(0)), { allowed: ['UNIMPLEMENTED', 'INVALID_ARGUMENT', 'INTERNAL'], what: 'an empty DATA frame' });
    checkCall(kind, await call(session, frame(Buffer.alloc(0))), { allowed: ['OK'], what: 'a zero-length message' });
    const open = await call(session, undefined, { endStream: false, timeoutMs: 300 });
    kind.note(open.grpcStatus === undefined ? 'never ended, then closed by the client' : outcomeOf(open));
    if (open.grpcStatus !== undefined) kind.problem(`a stream never ended was answered ${outcomeOf(open)}`);
  });
  session.close();
}

/**
 * FunctionInvokeIDs: path characters, unicode and bytes that are not UTF-8 (run, echoed); over
 * 1024 characters, control characters, line separators (INVALID_ARGUMENT); one in flight used
 * again at once (INVALID_ARGUMENT; the first runs and is answered as if alone, whether the second
 * caller stays or cancels), and again once its call is over (run).
 */
export async function invokeIds(kind) {
  const { rng } = kind;
  const session = connect(kind.rt.address);
  const good = ['../../etc/passwd', '/a/b?c#d%2e', 'C:\\x', ' spaced ', '\u00e9\u4e2d\u{1f600}', 'i'.repeat(1_000), '{"json":1}'];
  for (let i = 0; i < kind.count(0, 100); i++) good.push(rng.text(rng.int(1, 300), 'abc/?#%.\\ é中-_:;=,'));
  await atOnce(good, 8, async (base) => {
    const id = `${base}~${++kind.target.nextId}`;
    kind.target.sentIds.add(id);
    checkCall(kind, await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: id }))), { allowed: ['OK'], id, what: `FunctionInvokeID ${JSON.stringify(base.slice(0, 40))}` });
  });
  // Its bytes are read as UTF-8 with replacement characters: that is the id the handler runs under.
  kind.target.sentIds.add('a\ufffd\ufffd');
  const notUtf8 = await call(session, frame(Buffer.concat([lengthDelimited(3, Buffer.from('{}')), lengthDelimited(12, Buffer.from([0x61, 0xff, 0xfe]))])));
  checkCall(kind, notUtf8, { allowed: ['OK'], what: 'a FunctionInvokeID not UTF-8' });
  const bad = ['x'.repeat(1_025), 'a\nb', 'a\rb', 'a\u0000b', 'a\u001bb', 'a\u2028b', 'a\u0085b', `${'y'.repeat(100_000)}`];
  for (const id of bad) {
    const result = await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: `${kind.refusedId()}${id}` })));
    checkCall(kind, result, { allowed: ['INVALID_ARGUMENT'], what: `FunctionInvokeID ${JSON.stringify(id.slice(0, 20))}${id.length > 20 ? `… (${id.length})` : ''}` });
  }
  // Rounds side by side, each two calls with one id (its own).
  await atOnce(Array.from({ length: kind.count(2, 10) }, (_, round) => round), 4, async (round) => {
    const id = kind.id('twice');
    const first = call(session, frame(message({ payload: Buffer.from('{"sleepMs":400}'), invokeId: id })));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const secondCancels = round % 2 === 0;
    const second = await call(session, frame(message({ payload: Buffer.from('{"sleepMs":400}'), invokeId: id })), secondCancels ? { cancelAfterMs: 20 } : {});
    kind.note(`the same id twice at once${secondCancels ? ', the second cancelled' : ''}: ${second.grpcStatus === undefined ? 'cancelled' : outcomeOf(second)}`);
    if (second.grpcStatus !== undefined && second.grpcStatus !== Status.INVALID_ARGUMENT) kind.problem(`the same FunctionInvokeID twice at once: the second answered ${outcomeOf(second)}`);
    checkCall(kind, await first, { allowed: ['OK'], id, what: 'the first of two calls with one id' });
  });
  // Once the first is over, its id may be used again (OpenEdge never does, but it is no longer in flight).
  const reused = kind.id('reused');
  await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: reused })));
  const again = await call(session, frame(message({ payload: Buffer.from('{}'), invokeId: reused })));
  kind.note(`an id used again after its call: ${outcomeOf(again)}`);
  if (again.grpcStatus !== Status.OK) kind.problem(`an id used again after its call was over: ${outcomeOf(again)}`);
  kind.target.reportedIds.add(reused);
  session.close();
}

/** The gRPC kinds in the order they run. */
export const GRPC_KINDS = [
  ['malformed protobuf', malformedProtobuf],
  ['oversized messages and frames', oversized],
  ['HTTP/2 and gRPC garbage', garbage],
  ['many concurrent streams', concurrentStreams],
  ['cancelled streams', cancelledStreams],
  ['no message', noData],
  ['odd FunctionInvokeIDs', invokeIds],
];
