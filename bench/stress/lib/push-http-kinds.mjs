// The hostile inputs of HTTP mode, one function per kind, each run against the real runtime over
// raw sockets (push-http-wire.mjs): slow heads, oversized and numerous headers, pipelining,
// half-closed connections (and ones closed for good), request smuggling, fuzzed bodies, odd
// request targets, bad x-fc-function-timeout values, odd request ids (and the same id twice at
// once), binary header values, and connections reset midway. Each counts its outcomes on its Kind and calls kind.problem() for what must not happen;
// push-checks.mjs checks the runtime after each. Inputs are drawn first, in order, from the
// seeded generator, then sent a few connections at a time (so that a seed replays a run).
import { atOnce, credentialHeaders } from './push-checks.mjs';
import { exchange, headerOf, invokeRequest, jsonOf, rawRequest } from './push-http-wire.mjs';
import { LIMITS } from './push-runtime.mjs';

/** The headers timeout the stress runtime is started with (FNPOOL_HEADERS_TIMEOUT_MS): short, so that the run sees it act. */
export const HEADERS_TIMEOUT_MS = 1_000;
/** Connections open at once where a kind sends its inputs side by side (well under FNPOOL_CONCURRENCY + FNPOOL_QUEUE). */
const WIDTH = 4;
const HOST = ['Host', 'runtime'];

/** The outcome of one exchange, as counted: the statuses (and error type) of its answers, or how the connection ended. */
function outcomeOf(result) {
  if (result.responses.length === 0) {
    if (result.reset) return 'reset';
    if (result.timedOut) return 'no answer, open';
    return 'closed';
  }
  return result.responses.map((r) => {
    const type = headerOf(r, 'x-fc-error-type');
    return type === undefined ? String(r.status) : `${r.status} ${type.replace(/^Runtime\./, '')}`;
  }).join('+');
}

/**
 * Checks one exchange that sent one request: at most one answer, its status allowed, its
 * x-fc-request-id (when it has one: node's own refusals have none) the id sent, no answer cut
 * short, and an answer or a closed connection, not one left hanging. Returns the answer.
 */
function checkOne(kind, result, { allowed, id, what }) {
  kind.note(outcomeOf(result));
  const shown = what ?? id ?? 'a request';
  if (result.responses.length > 1) kind.problem(`${shown}: ${result.responses.length} answers to one request`);
  if (result.rest > 0 && (result.closedByPeer || result.reset)) kind.problem(`${shown}: an answer cut short (${result.rest} bytes)`);
  const [answer] = result.responses;
  if (answer === undefined) {
    if (result.timedOut) kind.problem(`${shown}: no answer, and the connection left open`);
    if (!allowed.includes('closed') && !result.timedOut) kind.problem(`${shown}: the connection closed without an answer`);
    return undefined;
  }
  if (!allowed.includes(answer.status)) kind.problem(`${shown}: answered ${answer.status} ${answer.body.toString('latin1').slice(0, 160)}`);
  const echoed = headerOf(answer, 'x-fc-request-id');
  if (id !== undefined && echoed !== undefined && echoed !== id) kind.problem(`${shown}: answered with request id ${JSON.stringify(echoed.slice(0, 60))}`);
  return answer;
}

/** A normal POST /invoke answered 200 with its own id: the canary after each kind. */
export function httpCanary(kind) {
  return async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = kind.id('canary');
      const result = await exchange(kind.rt.port, [invokeRequest(id, { canary: true })], { expect: 1, timeoutMs: 10_000 });
      const [answer] = result.responses;
      if (answer?.status === 429) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        continue;
      }
      if (answer?.status !== 200) return `answered ${outcomeOf(result)}`;
      if (jsonOf(answer)?.requestId !== id) return `answered with another request's body: ${answer.body.toString().slice(0, 120)}`;
      return undefined;
    }
    return 'still 429 after 5 tries';
  };
}

/**
 * Slowloris: many connections dribble a request head a byte at a time, never finishing it, while
 * normal requests keep coming. Normal requests must be answered meanwhile; each slow head is cut
 * (408, closed) once the headers timeout has passed, not before; a keep-alive connection idle
 * between two requests for twice that timeout is not cut; a slow body is read to its end.
 */
export async function slowloris(kind) {
  const { rt, rng } = kind;
  const t0 = Date.now();
  const dribblers = Array.from({ length: kind.count(40, 200) }, () => {
    // At 15 to 60 ms a byte, this head would take 6 s or more to come whole.
    const head = Buffer.from(`POST /invoke HTTP/1.1\r\nHost: runtime\r\nx-fc-request-id: ${kind.refusedId()}\r\nX-Pad: ${'a'.repeat(400)}\r\n\r\n`);
    const steps = [];
    for (let at = 0; at < head.length; at++) steps.push(head.subarray(at, at + 1), { pauseMs: rng.int(15, 60) });
    const started = Date.now();
    return exchange(rt.port, steps, { timeoutMs: HEADERS_TIMEOUT_MS * 4 + 4_000 }).then((result) => ({ result, tookMs: Date.now() - started }));
  });
  const idleKeepAlive = exchange(rt.port, [invokeRequest(kind.id('idle-a'), {}), { pauseMs: HEADERS_TIMEOUT_MS * 2 }, invokeRequest(kind.id('idle-b'), {})],
    { expect: 2, timeoutMs: HEADERS_TIMEOUT_MS * 2 + 8_000 });
  const freshSilent = exchange(rt.port, [{ pauseMs: HEADERS_TIMEOUT_MS * 4 + 2_000 }], { timeoutMs: HEADERS_TIMEOUT_MS * 4 + 4_000 });
  const slowBodies = Array.from({ length: 2 }, () => {
    const id = kind.id('slow-body');
    const body = Buffer.from(JSON.stringify({ pad: 'b'.repeat(40) }));
    const steps = [rawRequest('POST', '/invoke', [HOST, ['x-fc-request-id', id], ['Content-Length', String(body.length)]])];
    for (const byte of body) steps.push(Buffer.from([byte]), { pauseMs: Math.ceil((HEADERS_TIMEOUT_MS * 1.5) / body.length) });
    return exchange(rt.port, steps, { expect: 1, timeoutMs: HEADERS_TIMEOUT_MS * 2 + 8_000 }).then((result) => ({ id, result }));
  });
  // Normal requests while the slow heads come, one at a time on connections of their own.
  const latencies = [];
  const normalCount = kind.count(15, 80);
  for (let i = 0; i < normalCount; i++) {
    const id = kind.id('during');
    const sent = Date.now();
    const result = await exchange(rt.port, [invokeRequest(id, { i }, credentialHeaders(kind))], { expect: 1, timeoutMs: 10_000 });
    latencies.push(Date.now() - sent);
    checkOne(kind, result, { allowed: [200], id, what: 'a normal request during the slow heads' });
    await new Promise((resolve) => setTimeout(resolve, HEADERS_TIMEOUT_MS / normalCount));
  }
  const slowest = Math.max(...latencies);
  if (slowest > 3_000) kind.problem(`a normal request took ${slowest} ms while slow heads came`);
  for (const { result, tookMs } of await Promise.all(dribblers)) {
    kind.note(`slow head ${outcomeOf(result)}`);
    if (result.responses.length > 1) kind.problem('a slow head got more than one answer');
    if (result.timedOut) kind.problem(`a slow head was never cut (${tookMs} ms)`);
    else if (result.responses[0]?.status !== 408 && !result.reset) kind.problem(`a slow head was cut with ${outcomeOf(result)}, not 408`);
    if (tookMs < HEADERS_TIMEOUT_MS - 100) kind.problem(`a slow head was cut after ${tookMs} ms, before the headers timeout (${HEADERS_TIMEOUT_MS} ms)`);
  }
  const idle = await idleKeepAlive;
  kind.note(`keep-alive idle ${HEADERS_TIMEOUT_MS * 2} ms between requests: ${outcomeOf(idle)}`);
  if (idle.responses.length !== 2 || idle.responses.some((r) => r.status !== 200)) {
    kind.problem(`a keep-alive connection idle between requests was not kept: ${outcomeOf(idle)}${idle.closedByPeer ? ', closed' : ''}`);
  }
  const fresh = await freshSilent;
  kind.note(`connection silent from its start: ${outcomeOf(fresh)}`);
  if (fresh.timedOut || (fresh.responses.length > 0 && fresh.responses[0].status !== 408)) kind.problem(`a connection silent from its start: ${outcomeOf(fresh)}`);
  for (const { id, result } of await Promise.all(slowBodies)) {
    kind.note(`slow body: ${outcomeOf(result)}`, { tried: 1 });
    if (result.responses[0]?.status !== 200) kind.problem(`a body sent slowly (over ${HEADERS_TIMEOUT_MS * 1.5} ms) was not read: ${outcomeOf(result)}`);
    else if (jsonOf(result.responses[0])?.requestId !== id) kind.problem('a slow body was answered with another request\'s body');
  }
  kind.log(`  slowloris: ${dribblers.length} slow heads, ${normalCount} normal requests (slowest ${slowest} ms), ${Date.now() - t0} ms`);
}

/**
 * Odd request targets, as an HTTP trigger's path: double slashes (which read like a host), broken
 * escapes, dot segments, `*`, the absolute form, bytes past ASCII, a long path, __proto__ query
 * keys. Each is run once and answered 200 with the path the handler saw (the origin form's path
 * as sent, escapes decoded where they decode), never 500.
 */
export async function oddTargets(kind) {
  const { rng } = kind;
  const targets = [
    ['//', '//'], ['//evil.example/x?y=1', '//evil.example/x'], ['//[', '//['], ['///a', '///a'], ['/a//b', '/a//b'],
    ['/%', '/%'], ['/%zz/%E0%A4%A', '/%zz/%E0%A4%A'], ['/caf%C3%A9', '/café'], ['/a/../b', '/b'], ['/invoke/', '/invoke/'],
    ['/INVOKE', '/INVOKE'], ['/?only=query', '/'], ['*', '*'], ['http://other.example/abs?x=1', '/abs'],
    [`/long/${'p'.repeat(8_000)}`, `/long/${'p'.repeat(8_000)}`], ['/éÿ', undefined], ['/q?__proto__=a&__proto__=b&constructor=c', '/q'],
  ];
  for (let i = 0; i < kind.count(0, 100); i++) targets.push([`/${rng.text(rng.int(0, 60), 'ab/%.?&=#[]@:;~+')}`, undefined]);
  const inputs = targets.map(([target, path]) => ({ target, path, id: kind.id('target'), method: rng.pick(['GET', 'POST', 'OPTIONS', 'DELETE']) }));
  await atOnce(inputs, WIDTH, async ({ target, path, id, method }) => {
    const request = rawRequest(method, target, [HOST, ['x-fc-request-id', id], ['Content-Length', '0']]);
    const answer = checkOne(kind, await exchange(kind.rt.port, [request], { expect: 1, timeoutMs: 8_000 }), { allowed: [200, 400], id, what: `${method} ${JSON.stringify(target.slice(0, 40))}` });
    if (answer?.status !== 200) return;
    const seen = jsonOf(answer);
    if (seen?.path === undefined && seen?.type !== undefined) return; // POST /invoke: an event invocation, not a trigger
    if (path !== undefined && seen?.path !== path) kind.problem(`${method} ${JSON.stringify(target.slice(0, 40))}: the handler saw path ${JSON.stringify(String(seen?.path).slice(0, 40))}`);
    if (target.includes('__proto__') && !seen?.queryKeys?.includes('__proto__')) kind.problem(`${JSON.stringify(target)}: the query's __proto__ key did not reach the handler`);
  });
}

/** Headers over node's 16 KB: one huge value, a huge name, a long request line, many headers in total: 431 (or 400), closed. */
export async function oversizedHeaders(kind) {
  const { rng } = kind;
  const shapes = [
    () => [['X-Big', 'v'.repeat(rng.int(17, 64) * 1024)]],
    () => [[`X-${'n'.repeat(rng.int(17, 40) * 1024)}`, 'v']],
    () => Array.from({ length: rng.int(40, 80) }, (_, i) => [`X-H${i}`, 'v'.repeat(400)]),
    () => [['x-fc-request-id', 'i'.repeat(rng.int(17, 32) * 1024)]],
    () => credentialHeaders(kind).map(([name, value]) => [name, value.repeat(400)]),
  ];
  const requests = Array.from({ length: kind.count(8, 60) }, (_, i) => {
    const longTarget = i % 7 === 6;
    const target = longTarget ? `/invoke?${'q'.repeat(rng.int(17, 40) * 1024)}` : '/invoke';
    const headers = longTarget ? [] : shapes[i % shapes.length]();
    return rawRequest('POST', target, [HOST, ['x-fc-request-id', kind.refusedId()], ['Content-Length', '2'], ...headers], '{}');
  });
  await atOnce(requests, WIDTH, async (request) => {
    checkOne(kind, await exchange(kind.rt.port, [request], { timeoutMs: 5_000 }), { allowed: [431, 400, 414, 'closed'], what: 'oversized headers' });
  });
}

/** Many small headers (and one name repeated many times), within 16 KB or past it: 200 (run once) or 431. */
export async function manyHeaders(kind) {
  const { rng } = kind;
  const inputs = Array.from({ length: kind.count(8, 60) }, (_, i) => {
    const id = kind.id('many');
    const count = rng.int(50, 2_500);
    const repeated = rng.chance(0.3);
    const headers = Array.from({ length: count }, (_, k) => (repeated ? ['X-Same', rng.text(2)] : [`x${k.toString(36)}`, rng.text(rng.int(0, 3))]));
    const request = rng.chance(0.5)
      ? rawRequest('GET', `/many/${i}`, [HOST, ['x-fc-request-id', id], ...credentialHeaders(kind), ...headers])
      : invokeRequest(id, { count }, [...credentialHeaders(kind), ...headers]);
    return { id, request };
  });
  await atOnce(inputs, WIDTH, async ({ id, request }) => {
    const answer = checkOne(kind, await exchange(kind.rt.port, [request], { expect: 1, timeoutMs: 8_000 }), { allowed: [200, 431], id });
    if (answer?.status === 200 && jsonOf(answer)?.requestId !== id) kind.problem(`${id}: answered with another request's body`);
  });
}

/**
 * Pipelining: several requests in one write (invocations and HTTP triggers, the first ones slower
 * than the last): each answered once, in the order sent, with its own id and body. A batch with a
 * malformed request in its middle: those before it answered, then 400 and closed, those after it
 * never run.
 */
export async function pipelining(kind) {
  const { rng } = kind;
  // Every third batch has a malformed request at a random place after its first.
  const batches = Array.from({ length: kind.count(6, 60) }, (_, b) => {
    const size = rng.int(2, kind.quick ? 8 : 16);
    const broken = b % 3 === 2 ? rng.int(1, size - 1) : -1;
    const ids = [];
    const parts = [];
    for (let k = 0; k < size; k++) {
      if (k === broken) {
        parts.push(Buffer.from('POST /invoke HTTP/1.1\r\nHost: runtime\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}'));
        break;
      }
      const id = kind.id('pipe');
      ids.push(id);
      const sleepMs = Math.max(0, 150 - k * 30);
      parts.push(rng.chance(0.5)
        ? invokeRequest(id, { k, sleepMs }, credentialHeaders(kind))
        : rawRequest(rng.pick(['GET', 'DELETE', 'PUT']), `/pipe/${k}?sleepMs=${sleepMs}`, [HOST, ['x-fc-request-id', id], ['Content-Length', '3']], 'abc'));
    }
    const bytes = Buffer.concat(parts);
    return { size, broken, ids, steps: rng.chance(0.3) ? splitAt(bytes, rng.int(1, bytes.length - 1)) : [bytes] };
  });
  // Two batches at once: at most 2 × 16 requests, each batch's run one after another on its connection.
  await atOnce(batches, 2, async ({ size, broken, ids, steps }) => {
    const expected = broken === -1 ? size : broken + 1;
    const result = await exchange(kind.rt.port, steps, { expect: expected, lingerMs: broken === -1 ? 0 : 100, timeoutMs: 10_000 });
    kind.note(batchOutcome(result, broken), { tried: size });
    if (result.responses.length > expected) kind.problem(`a batch of ${expected} requests got ${result.responses.length} answers`);
    result.responses.forEach((answer, k) => {
      const want = k === broken ? 400 : 200;
      if (answer.status !== want && answer.status !== 429) kind.problem(`pipelined request ${k + 1}/${size}: answered ${answer.status}`);
      const echoed = headerOf(answer, 'x-fc-request-id');
      if (k !== broken && echoed !== ids[k]) kind.problem(`pipelined request ${k + 1}/${size}: answered as ${echoed} (out of order)`);
      if (answer.status === 200 && jsonOf(answer)?.requestId !== ids[k]) kind.problem(`pipelined request ${k + 1}/${size}: another request's body`);
    });
    if (result.responses.length < expected) kind.problem(`a batch of ${expected} got ${result.responses.length} answers (${outcomeOf(result)})`);
    if (broken !== -1 && !result.closedByPeer && !result.reset) kind.problem('a batch with a malformed request: the connection was not closed after its 400');
  });
}

/** A batch's answers in short: all 200; some 429 (the queue was full); then, for a batch with a malformed request, the 400. */
function batchOutcome(result, broken) {
  const statuses = new Set(result.responses.slice(0, broken === -1 ? undefined : broken).map((r) => r.status));
  const before = [...statuses].sort().join(' and ') || 'nothing';
  return broken === -1 ? `batch: ${before}, in order` : `batch broken midway: ${before} in order, then ${result.responses.at(-1)?.status ?? 'closed'}`;
}

function splitAt(bytes, at) {
  return [bytes.subarray(0, at), { pauseMs: 20 }, bytes.subarray(at)];
}

/**
 * Half-closed: the client ends its side after the request(s); the answers still come (after
 * interim 102s, the runtime's probe), then the close. And the other end of it: a client that
 * closes the connection for good after its request is a caller that went away, whose invocation
 * ends at once (Runtime.Cancelled), long before its handler would have.
 */
export async function halfClosed(kind) {
  const { rng } = kind;
  const shapes = [
    () => { const id = kind.id('half'); return { ids: [id], steps: [invokeRequest(id, {}), 'end'] }; },
    () => { const id = kind.id('half-slow'); return { ids: [id], steps: [invokeRequest(id, { sleepMs: rng.int(50, 300) }), 'end'] }; },
    () => {
      const ids = [kind.id('half-pipe'), kind.id('half-pipe'), kind.id('half-pipe')];
      return { ids, steps: [Buffer.concat(ids.map((id, k) => invokeRequest(id, { sleepMs: 100 - k * 40 }))), 'end'] };
    },
    () => { const id = kind.id('half-trigger'); return { ids: [id], steps: [rawRequest('GET', `/half?sleepMs=${rng.int(0, 200)}`, [HOST, ['x-fc-request-id', id]]), 'end'] }; },
    () => ({ ids: [], partial: true, steps: [rawRequest('POST', '/invoke', [HOST, ['x-fc-request-id', kind.refusedId()], ['Content-Length', '100']], '{"cut":'), 'end'] }),
    () => ({ ids: [], steps: ['end'] }),
  ];
  const inputs = Array.from({ length: kind.count(12, 90) }, (_, i) => shapes[i % shapes.length]());
  await atOnce(inputs, WIDTH, async ({ ids, steps, partial }) => {
    const result = await exchange(kind.rt.port, steps, { timeoutMs: 8_000 });
    kind.note(`${ids.length === 0 ? (partial ? 'body cut by FIN' : 'FIN alone') : `${ids.length} then FIN`}: ${outcomeOf(result)}`);
    if (result.timedOut) kind.problem(`half-closed after ${ids.length} request(s): the connection was never closed`);
    if (partial) {
      if (result.responses.some((r) => r.status !== 400)) kind.problem(`a body cut by the client's FIN: ${outcomeOf(result)}`);
      return;
    }
    if (result.responses.length !== ids.length) kind.problem(`half-closed after ${ids.length} request(s): ${result.responses.length} answers`);
    result.responses.forEach((answer, k) => {
      if (answer.status !== 200 || headerOf(answer, 'x-fc-request-id') !== ids[k]) kind.problem(`half-closed: answer ${k + 1} is ${answer.status} for ${headerOf(answer, 'x-fc-request-id')}`);
    });
  });
  const gone = Array.from({ length: kind.count(4, 20) }, () => kind.id('closed-for-good'));
  await atOnce(gone, WIDTH, async (id) => {
    const result = await exchange(kind.rt.port, [invokeRequest(id, { sleepMs: 3_000 }), { pauseMs: 50 }, 'close'], { timeoutMs: 2_000 });
    kind.note(`closed for good after the request: ${outcomeOf(result)}`);
  });
  const deadline = Date.now() + 2_000;
  const endOf = (id) => kind.rt.records.find((r) => r.requestId === id && r.msg === 'invocation finished');
  while (Date.now() < deadline && !gone.every(endOf)) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const id of gone) {
    const end = endOf(id);
    if (end?.errorType !== 'Runtime.Cancelled') kind.problem(`a client that closed for good after its request: its invocation ${end === undefined ? 'still ran 2 s later' : `ended ${end.errorType ?? end.outcome}`}`);
  }
}

/**
 * Request smuggling: framing that two parsers could read two ways (Content-Length with
 * Transfer-Encoding, two lengths, obfuscated or repeated Transfer-Encoding, bad chunk sizes, bare
 * LF or CR line ends, HTTP/1.0 with a body and no length, an upgrade followed by a request). Each
 * hides a request with an id of its own where another reading of the framing would find one: it
 * must never run. The outer request gets at most one answer (400 and closed, or its own), and
 * nothing answers as the hidden one.
 */
export async function smuggling(kind) {
  const { rng } = kind;
  const hidden = (id) => `POST /invoke HTTP/1.1\r\nHost: runtime\r\nx-fc-request-id: ${id}\r\nContent-Length: 2\r\n\r\n{}`;
  // The bytes after the head: to a reader of Transfer-Encoding, an empty chunked body and then a
  // request; to a reader of Content-Length (tail(s).length), one body.
  const tail = (s) => `0\r\n\r\n${hidden(s)}`;
  const cl = (s) => ['Content-Length', String(tail(s).length)];
  const variants = [
    ['CL + TE', (o, s) => raw(o, [cl(s), ['Transfer-Encoding', 'chunked']], tail(s))],
    ['TE + CL', (o, s) => raw(o, [['Transfer-Encoding', 'chunked'], cl(s)], tail(s))],
    ['two CLs', (o, s) => raw(o, [['Content-Length', '5'], cl(s)], tail(s))],
    ['CL list', (o, s) => raw(o, [['Content-Length', `5, ${tail(s).length}`]], tail(s))],
    ['CL with a sign', (o, s) => raw(o, [['Content-Length', `+${tail(s).length}`]], tail(s))],
    ['CL in hex', (o, s) => raw(o, [['Content-Length', `0x${tail(s).length.toString(16)}`]], tail(s))],
    ['CL negative', (o, s) => raw(o, [['Content-Length', '-1']], tail(s))],
    ['CL with a space inside', (o, s) => raw(o, [['Content-Length', '1 5']], tail(s))],
    ['CL overflowing', (o, s) => raw(o, [['Content-Length', '18446744073709551621']], tail(s))],
    ['TE xchunked', (o, s) => raw(o, [['Transfer-Encoding', 'xchunked'], cl(s)], tail(s))],
    ['TE chunked, identity', (o, s) => raw(o, [['Transfer-Encoding', 'chunked, identity'], cl(s)], tail(s))],
    ['TE twice', (o, s) => raw(o, [['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'identity'], cl(s)], tail(s))],
    ['TE, space before the colon', (o, s) => raw(o, [['Transfer-Encoding ', 'chunked'], cl(s)], tail(s))],
    ['TE, vertical tab', (o, s) => raw(o, [['Transfer-Encoding', '\x0bchunked'], cl(s)], tail(s))],
    ['TE folded onto a line', (o, s) => raw(o, [['Transfer-Encoding', '\r\n chunked'], cl(s)], tail(s))],
    ['TE with an underscore', (o, s) => raw(o, [['Transfer_Encoding', 'chunked'], cl(s)], tail(s))],
    ['TE in a header value', (o, s) => raw(o, [['X-Note', 'a Transfer-Encoding: chunked'], cl(s)], tail(s))],
    ['chunk size zz', (o, s) => raw(o, [['Transfer-Encoding', 'chunked']], `zz\r\n{}\r\n${tail(s)}`)],
    ['chunk size -2', (o, s) => raw(o, [['Transfer-Encoding', 'chunked']], `-2\r\n{}\r\n${tail(s)}`)],
    ['chunk size overflowing', (o, s) => raw(o, [['Transfer-Encoding', 'chunked']], `10000000000000002\r\n{}\r\n${tail(s)}`)],
    ['chunk longer than its size', (o, s) => raw(o, [['Transfer-Encoding', 'chunked']], `2\r\n{}${hidden(s)}\r\n0\r\n\r\n`)],
    ['chunk extension of 20 KB', (o, s) => raw(o, [['Transfer-Encoding', 'chunked']], `2;x=${'e'.repeat(20_000)}\r\n{}\r\n${tail(s)}`)],
    ['bare LF line ends', (o, s) => Buffer.from(`POST /invoke HTTP/1.1\nHost: runtime\nx-fc-request-id: ${o}\nContent-Length: ${tail(s).length}\nTransfer-Encoding: chunked\n\n${tail(s)}`, 'latin1')],
    ['bare CR line ends', (o, s) => Buffer.from(`POST /invoke HTTP/1.1\rHost: runtime\rx-fc-request-id: ${o}\rContent-Length: 2\r\r{}${hidden(s)}`, 'latin1')],
    ['HTTP/1.0 body without a length', (o, s) => Buffer.from(`POST /invoke HTTP/1.0\r\nHost: runtime\r\nx-fc-request-id: ${o}\r\n\r\n${hidden(s)}`, 'latin1')],
    ['an upgrade, then a request', (o, s) => Buffer.concat([rawRequest('GET', '/ws', [HOST, ['x-fc-request-id', o], ['Connection', 'Upgrade'], ['Upgrade', 'websocket']]), Buffer.from(hidden(s))])],
    ['an h2c upgrade, then a request', (o, s) => Buffer.concat([rawRequest('GET', '/h2c', [HOST, ['x-fc-request-id', o], ['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA']]), Buffer.from(hidden(s))])],
    ['CONNECT, then a request', (o, s) => Buffer.concat([rawRequest('CONNECT', 'elsewhere:443', [HOST, ['x-fc-request-id', o]]), Buffer.from(hidden(s))])],
    ['a request in a body', (o, s) => raw(o, [['Content-Length', String(hidden(s).length)]], hidden(s))],
  ];
  const inputs = [];
  for (let round = 0; round < kind.count(1, 8); round++) {
    for (const [name, build] of variants) {
      const outer = kind.id('outer');
      const smuggled = kind.smuggledId();
      let bytes = build(outer, smuggled);
      // Past the first round: the same framing with its header names in random case.
      if (round > 0) bytes = Buffer.from(bytes.toString('latin1').replace(/^(content-length|transfer-encoding)(?=[ :])/gim, (m) => randomCase(rng, m)), 'latin1');
      inputs.push({ name, outer, smuggled, bytes, round });
    }
  }
  await atOnce(inputs, WIDTH, async ({ name, outer, smuggled, bytes, round }) => {
    const result = await exchange(kind.rt.port, [bytes], { expect: 1, lingerMs: 200, timeoutMs: 3_000 });
    kind.note(outcomeOf(result));
    if (round === 0) kind.log(`  smuggling, ${name}: ${outcomeOf(result)}`);
    const ids = result.responses.map((r) => headerOf(r, 'x-fc-request-id'));
    if (ids.filter((id) => id === outer).length > 1) kind.problem(`${name}: two answers to the outer request`);
    if (ids.includes(smuggled)) kind.problem(`${name}: an answer for the hidden request`);
    if (result.responses.length > 2 || result.responses.slice(1).some((r) => r.status !== 400)) kind.problem(`${name}: answered ${outcomeOf(result)}`);
    if (result.responses.length === 0 && result.timedOut) kind.problem(`${name}: no answer, and the connection left open`);
    if (result.responses.some((r) => r.status >= 500)) kind.problem(`${name}: answered ${outcomeOf(result)}`);
  });

  function raw(outer, headers, body) {
    return rawRequest('POST', '/invoke', [HOST, ['x-fc-request-id', outer], ...credentialHeaders(kind), ...headers], body);
  }
}

function randomCase(rng, text) {
  return [...text].map((c) => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
}

/**
 * Fuzzed bodies on POST /invoke and on an HTTP trigger's path: random bytes, invalid UTF-8, deep
 * nesting, bodies about the size limit (by Content-Length or chunked), a BOM, __proto__ keys, odd JSON.
 * Each is answered 200 with the body the handler saw (its size checked: nothing lost or added),
 * or 413 when over the limit.
 */
export async function fuzzedBodies(kind) {
  const { rng } = kind;
  const limit = LIMITS.maxRequestBytes;
  const makers = {
    'random bytes': () => rng.bytes(rng.int(0, 64 * 1024)),
    'invalid UTF-8': () => Buffer.concat([Buffer.from('{"a":"'), rng.bytes(rng.int(1, 64)).map((b) => b | 0x80), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    'deep arrays': () => { const depth = rng.int(1_000, 100_000); return Buffer.from('['.repeat(depth) + ']'.repeat(depth)); },
    'deep objects': () => { const depth = rng.int(1_000, 40_000); return Buffer.from('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)); },
    'unbalanced nesting': () => Buffer.from('['.repeat(rng.int(1_000, 200_000))),
    'about the limit': () => Buffer.from(JSON.stringify({ pad: 'p'.repeat(Math.max(0, limit + rng.int(-2_000, 2_000) - 12)) })),
    'far over the limit': () => Buffer.alloc(limit + rng.int(1, 512 * 1024), 0x61),
    'a UTF-8 BOM': () => Buffer.from(`\ufeff{"bom":${rng.int(1, 9)}}`),
    '__proto__ keys': () => Buffer.from(`{"__proto__":{"polluted":${rng.int(1, 9)}},"constructor":{"prototype":{"polluted":1}},"a":{"__proto__":[1,2]}}`),
    'odd JSON': () => Buffer.from(rng.pick(['', ' ', 'null', '0', '-0', '1e999', '"\\ud800"', 'true', '[]', '{}', '{"a":1,"a":2}', '\ufeff{}', '{"a":"\\u0000"}'])),
  };
  const names = Object.keys(makers);
  const inputs = Array.from({ length: kind.count(36, 500) }, (_, i) => {
    const shape = names[i % names.length];
    const body = makers[shape]();
    // A body with a BOM goes to a trigger's path, where the handler gets it as text.
    const trigger = rng.chance(0.4) || shape === 'a UTF-8 BOM';
    const chunked = rng.chance(0.2);
    const id = kind.id('fuzz');
    const headers = [HOST, ['x-fc-request-id', id], ['Content-Type', rng.pick(['application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x'])], ...credentialHeaders(kind)];
    const framed = chunked ? [...headers, ['Transfer-Encoding', 'chunked']] : [...headers, ['Content-Length', String(body.length)]];
    const request = rawRequest('POST', trigger ? `/fuzz/${i}?q=${rng.int(0, 9)}` : '/invoke', framed, chunked ? chunks(body, rng) : body);
    return { shape, body, trigger, chunked, id, request };
  });
  await atOnce(inputs, WIDTH, async ({ shape, body, trigger, chunked, id, request }) => {
    const result = await exchange(kind.rt.port, [request], { expect: 1, timeoutMs: 15_000 });
    const answer = checkOne(kind, result, { allowed: body.length > limit ? [413] : [200], id, what: `${shape} (${body.length} bytes${chunked ? ', chunked' : ''}${trigger ? ', trigger' : ''})` });
    if (answer?.status !== 200) return;
    const seen = jsonOf(answer);
    const size = trigger ? seen?.bodyBytes : (seen?.type === 'buffer' ? seen.bytes : undefined);
    if (seen?.requestId !== id) kind.problem(`${shape}: answered with another request's body`);
    else if (size !== undefined && size !== body.length) kind.problem(`${shape}: the handler saw ${size} bytes of ${body.length}`);
    if (shape === '__proto__ keys' && !trigger && !answer.body.toString().includes('"__proto__"')) kind.problem('__proto__ keys: the handler did not get them as keys');
  });
}

/** A body in chunks of random sizes, with the last chunk and the end. */
function chunks(body, rng) {
  const parts = [];
  for (let at = 0; at < body.length;) {
    const size = Math.min(body.length - at, rng.int(1, 64 * 1024));
    parts.push(Buffer.from(`${size.toString(16)}\r\n`), body.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** x-fc-function-timeout values: not a positive number is 400 Runtime.InvalidRequest; a huge one is capped (200, no overflow). */
export async function badTimeouts(kind) {
  const { rng } = kind;
  const invalid = ['abc', '-1', '0', '-0', 'NaN', 'Infinity', '-Infinity', '1e400', '٣', '1,5', '3s', '0x', '--1', '1e', 'null', '1 2'];
  // Blank (node trims it to nothing) is as good as absent: the default timeout.
  const valid = ['1e9', '99999999999999999999', '2147483.648', '86400', '0x10', '3.5', ' 2 ', '1e-3', '\t'];
  const values = [...invalid.map((v) => [v, 'invalid']), ...valid.map((v) => [v, 'valid'])];
  for (let i = 0; i < kind.count(0, 100); i++) values.push([rng.text(rng.int(1, 12), '0123456789.eE+-x abc'), 'either']);
  await atOnce(values, WIDTH, async ([value, expected]) => {
    const id = kind.id('timeout');
    const result = await exchange(kind.rt.port, [invokeRequest(id, {}, [['x-fc-function-timeout', value], ...credentialHeaders(kind)])], { expect: 1, timeoutMs: 8_000 });
    const allowed = expected === 'invalid' ? [400] : expected === 'valid' ? [200, 404] : [200, 400, 404];
    const answer = checkOne(kind, result, { allowed, id, what: `x-fc-function-timeout ${JSON.stringify(value)}` });
    if (answer?.status === 404 && headerOf(answer, 'x-fc-error-type') !== 'Runtime.Timeout') kind.problem(`x-fc-function-timeout ${JSON.stringify(value)}: ${headerOf(answer, 'x-fc-error-type')}`);
    if (answer?.status === 404 && Number(value) >= 1) kind.problem(`x-fc-function-timeout ${JSON.stringify(value)}: timed out at once`);
    if (answer?.status === 400 && headerOf(answer, 'x-fc-error-type') !== 'Runtime.InvalidRequest') kind.problem(`x-fc-function-timeout ${JSON.stringify(value)}: 400 ${headerOf(answer, 'x-fc-error-type')}`);
  });
  // Two of them: node joins them into one value ("1, 2"), not a number.
  const id = kind.id('timeout-twice');
  const twice = await exchange(kind.rt.port, [invokeRequest(id, {}, [['x-fc-function-timeout', '1'], ['x-fc-function-timeout', '2']])], { expect: 1 });
  checkOne(kind, twice, { allowed: [400], id, what: 'x-fc-function-timeout twice' });
}

/**
 * Request ids: path characters, very long ones, bytes past ASCII, CR or LF or NUL inside (refused
 * by the parser), and the same id twice at once — the second is refused 409 and the first runs
 * and is answered as if alone, whether the second's caller stays or goes away.
 */
export async function requestIds(kind) {
  const { rng } = kind;
  const odd = ['../../etc/passwd', '/a/b?c=d#e', '%2e%2e%2f', 'a b', ' lead', '\ttab', 'C:\\windows\\x', '{"json":1}', '*', '..', 'id\u00e9\u00ff\u0080', 'i'.repeat(8_000), 'j'.repeat(15_000)];
  for (let i = 0; i < kind.count(0, 100); i++) odd.push(rng.text(rng.int(1, 200), 'abc/?#%.\\ \t\u00e9\u00ff-_:;=,'));
  const inputs = odd.map((base) => {
    // Each odd id once only: a suffix keeps it unique across rounds.
    const id = `${base}~${++kind.target.nextId}`;
    kind.target.sentIds.add(id.trim());
    return { base, id, request: invokeRequest(id, {}, credentialHeaders(kind)) };
  });
  await atOnce(inputs, WIDTH, async ({ base, id, request }) => {
    const result = await exchange(kind.rt.port, [request], { expect: 1, timeoutMs: 8_000 });
    const answer = checkOne(kind, result, { allowed: [200], what: `request id ${JSON.stringify(base.slice(0, 40))}` });
    if (answer !== undefined && headerOf(answer, 'x-fc-request-id') !== id.trim()) kind.problem(`request id ${JSON.stringify(base.slice(0, 40))}: answered as ${JSON.stringify(headerOf(answer, 'x-fc-request-id')?.slice(0, 40))}`);
    const seen = answer === undefined ? id.trim() : jsonOf(answer)?.requestId;
    if (seen !== id.trim()) kind.problem(`request id ${JSON.stringify(base.slice(0, 40))}: the handler saw ${JSON.stringify(String(seen).slice(0, 40))}`);
  });
  for (const bad of ['a\rb', 'a\nb', 'a\u0000b', 'a\u0001b', 'a\u007fb']) {
    const result = await exchange(kind.rt.port, [invokeRequest(`${kind.refusedId()}${bad}`, {})], { timeoutMs: 5_000 });
    checkOne(kind, result, { allowed: [400, 'closed'], what: `request id with ${JSON.stringify(bad)}` });
  }
  // Rounds side by side, each two requests with one id (its own).
  await atOnce(Array.from({ length: kind.count(2, 10) }, (_, round) => round), WIDTH, async (round) => {
    const id = kind.id('twice');
    const first = exchange(kind.rt.port, [invokeRequest(id, { sleepMs: 400 })], { expect: 1, timeoutMs: 8_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const secondLeaves = round % 2 === 0;
    const second = await exchange(kind.rt.port, [invokeRequest(id, { sleepMs: 400 }), ...(secondLeaves ? [{ pauseMs: 20 }, 'reset'] : [])], { expect: 1, timeoutMs: 8_000 });
    kind.note(`same id twice at once${secondLeaves ? ', the second caller leaves' : ''}: ${outcomeOf(second)}`);
    if (second.responses.length > 0 && second.responses[0].status !== 409) kind.problem(`the same request id twice at once: the second answered ${outcomeOf(second)}`);
    const kept = checkOne(kind, await first, { allowed: [200], id, what: 'the first of two requests with one id' });
    if (kept !== undefined && jsonOf(kept)?.requestId !== id) kind.problem('the first of two requests with one id: another request\'s body');
  });
}

/** Header values with bytes past ASCII (allowed), control bytes (refused, 400), in fnpool's own headers and others. */
export async function binaryHeaders(kind) {
  const { rng } = kind;
  const names = ['x-fc-function-name', 'x-fc-region', 'x-fc-qualifier', 'x-fc-account-id', 'x-custom', 'content-type', 'x-fc-access-key-id', 'x-fc-control-path', 'user-agent'];
  const inputs = Array.from({ length: kind.count(20, 300) }, (_, i) => {
    const id = kind.id('binary');
    const control = rng.chance(0.4);
    const value = Buffer.from(rng.bytes(rng.int(1, 64)).map((b) => (control ? b : 0x80 | b))).toString('latin1').replace(/[\r\n]/g, '\u0001');
    const name = rng.pick(names);
    const trigger = rng.chance(0.4);
    const request = trigger
      ? rawRequest('GET', `/binary/${i}`, [HOST, ['x-fc-request-id', id], [name, value]])
      : invokeRequest(id, {}, [[name, value]]);
    return { id, name, request, hasControl: /[\x00-\x08\x0a-\x1f\x7f]/.test(value) };
  });
  await atOnce(inputs, WIDTH, async ({ id, name, request, hasControl }) => {
    const allowed = hasControl ? [400, 200] : [200];
    checkOne(kind, await exchange(kind.rt.port, [request], { expect: 1, timeoutMs: 8_000 }), { allowed, id, what: `${name} with ${hasControl ? 'control bytes' : 'bytes past ASCII'}` });
  });
}

/**
 * Connections reset (RST) midway: in the head, in the body (by length or chunked), while the
 * handler runs, while waiting for a slot. Then the slots and the queue must all be free again:
 * FNPOOL_CONCURRENCY + FNPOOL_QUEUE requests at once are all answered 200, none 429.
 */
export async function resets(kind) {
  const { rng } = kind;
  const { port } = kind.rt;
  const shapes = [
    () => [Buffer.from('POST /invoke HTTP/1.1\r\nHost: runtime\r\nx-fc-request-id: '), { pauseMs: 20 }, 'reset'],
    () => [rawRequest('POST', '/invoke', [HOST, ['x-fc-request-id', kind.id('reset-body')], ['Content-Length', '5000'], ...credentialHeaders(kind)], 'x'.repeat(rng.int(0, 4_000))), { pauseMs: rng.int(0, 50) }, 'reset'],
    () => [rawRequest('POST', '/invoke', [HOST, ['x-fc-request-id', kind.id('reset-chunked')], ['Transfer-Encoding', 'chunked']], '10\r\n0123456789abcdef\r\n'), { pauseMs: rng.int(0, 50) }, 'reset'],
    () => [invokeRequest(kind.id('reset-running'), { sleepMs: 300 }), { pauseMs: rng.int(20, 200) }, 'reset'],
    () => [rawRequest('GET', `/reset?sleepMs=300`, [HOST, ['x-fc-request-id', kind.id('reset-trigger')]]), { pauseMs: rng.int(20, 200) }, 'reset'],
  ];
  const n = kind.count(20, 200);
  const all = [];
  for (let i = 0; i < n; i++) all.push(exchange(port, shapes[i % shapes.length](), { timeoutMs: 5_000 }));
  // While the slots are full: requests that wait for one, reset before they get it.
  const holders = Array.from({ length: LIMITS.concurrency }, () => exchange(port, [invokeRequest(kind.id('holder'), { sleepMs: 300 })], { expect: 1, timeoutMs: 8_000 }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < LIMITS.queue; i++) all.push(exchange(port, [invokeRequest(kind.id('reset-waiting'), { sleepMs: 10 }), { pauseMs: rng.int(10, 200) }, 'reset'], { timeoutMs: 5_000 }));
  for (const result of await Promise.all(all)) {
    kind.note(outcomeOf(result));
    if (result.responses.length > 1) kind.problem('a reset request got two answers');
  }
  for (const result of await Promise.all(holders)) checkOne(kind, result, { allowed: [200, 429], what: 'a request beside the resets' });
  // Every slot and queue place given back: as many as fit, at once, all answered 200 — tried up to
  // 3 times, a little later each, as a busy machine may still be ending the holders' invocations.
  const fit = LIMITS.concurrency + LIMITS.queue;
  let after;
  for (let attempt = 1; attempt <= 3; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 350 * attempt));
    after = await Promise.all(Array.from({ length: fit }, () => exchange(port, [invokeRequest(kind.id('after-resets'), { sleepMs: 200 })], { expect: 1, timeoutMs: 10_000 })));
    if (after.every((r) => r.responses[0]?.status === 200)) break;
  }
  const refused = after.filter((r) => r.responses[0]?.status !== 200).length;
  kind.note(`${fit} at once after the resets: ${refused === 0 ? 'all 200' : `${refused} not 200`}`, { tried: 0 });
  if (refused > 0) kind.problem(`${refused} of ${fit} requests sent at once after the resets were not answered 200 (a slot or queue place not given back): ${after.map(outcomeOf).join(', ')}`);
}

/** The HTTP kinds in the order they run. */
export const HTTP_KINDS = [
  ['slowloris', slowloris],
  ['oversized headers', oversizedHeaders],
  ['many headers', manyHeaders],
  ['pipelining', pipelining],
  ['half-closed sockets', halfClosed],
  ['request smuggling', smuggling],
  ['fuzzed bodies', fuzzedBodies],
  ['odd request targets', oddTargets],
  ['bad x-fc-function-timeout', badTimeouts],
  ['odd request ids', requestIds],
  ['binary header values', binaryHeaders],
  ['resets mid-request', resets],
];
