// The hostile inputs of the pull-wire run (bench/stress/hostile-pull.mjs), one catalogue for the
// three platforms: what a poll is answered with, and what must come of it. Each kind has a fixed
// sample (quick mode, and the start of a full run) and a generator of random variants driven by a
// seeded PRNG, so that a failing case of a full run is reproduced by its seed.
//
// A case: { kind, tried, replies, answers, skipped } —
//   replies   what the polls are answered with, in order (see CraftedApi's Reply);
//   answers   the invocations that must get exactly one POST: { id (bytes), ok, errorType?,
//             message?, check?(result) → failure text | undefined };
//   skipped   how many replies have no usable id: nothing posted, one warning line each;
//   secrets   credential values handed out, which must never reach the runtime's output;
//   answerWithinMs  (optional) how long its answers may take, when longer than a deadline.
import { headerValue, TIMEOUT_MS, WIRES } from './pull-wires.mjs';

/** How much of a response head undici reads (its default maxHeaderSize): more is not a response. */
const HEAD_LIMIT_BYTES = 16 * 1024;
const MiB = 1024 * 1024;

const latin1 = (bytes) => Buffer.from(bytes).toString('latin1');
const utf8Bytes = (text) => Buffer.from(text, 'utf8');

/** A request id as the platform would see it written: its UTF-8 text when it is UTF-8, else each byte as a character. */
export function idText(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** A header's field value (RFC 9110): without leading and trailing spaces and tabs. */
const trimmed = (bytes) => Buffer.from(latin1(bytes).replace(/^[ \t]+|[ \t]+$/g, ''), 'latin1');

/** A unique marker embedded in every credential value: if it shows in the runtime's output, a secret leaked. */
function marker(r) {
  return `LEAK${Array.from({ length: 12 }, () => r.pick('abcdefghijklmnopqrstuvwxyz0123456789')).join('')}`;
}

/**
 * One poll's reply carrying an invocation, and the credential values it hands out. id: bytes, an
 * array (the header repeated), or null (no id header). credential(marker) shapes each credential
 * value around its marker. headers: extra [name, value] pairs, which replace base headers of the
 * same name; omit: base header names left out.
 */
export function invocation(platform, r, { id, body = Buffer.from('{}'), headers = [], omit = [], credential = (m) => `cred-${m}`, delivery, breakAfter } = {}) {
  const wire = WIRES[platform];
  const secrets = [];
  const out = [];
  const replaced = new Set([...headers.map(([name]) => name.toLowerCase()), ...omit.map((name) => name.toLowerCase())]);
  for (const [name, value] of wire.baseHeaders()) if (!replaced.has(name.toLowerCase())) out.push([name, value]);
  for (const name of wire.credentialHeaders) {
    if (replaced.has(name.toLowerCase())) continue;
    const m = marker(r);
    secrets.push(m);
    out.push([name, credential(m)]);
  }
  for (const value of id === null ? [] : Array.isArray(id) ? id : [id]) out.push([wire.idHeader, latin1(value)]);
  out.push(...headers);
  return { reply: { headers: out, body, delivery, breakAfter }, secrets };
}

/** A case of one invocation. */
function single(platform, r, kind, tried, opts, expect) {
  const { reply, secrets } = invocation(platform, r, opts);
  const id = opts.id === undefined || opts.id === null || Array.isArray(opts.id) ? undefined : trimmed(opts.id);
  const answers = expect.skip ? [] : [{ id, ...expect }];
  return { kind, tried, replies: [reply], answers, skipped: expect.skip ? 1 : 0, secrets };
}

/** A fresh ASCII request id, unique within the run. */
let counter = 0;
const freshId = (label) => Buffer.from(`${label}-${++counter}-${Date.now().toString(36)}`);

const json = (value) => Buffer.from(JSON.stringify(value));
const eventIs = (type) => (result) => (result.event?.type === type ? undefined : `the handler got a ${result.event?.type} event, not a ${type}`);
const notPolluted = (result) => (result.polluted ? 'Object.prototype was polluted' : undefined);
const withinTimeout = (result) => (result.remainingMs > 0 && result.remainingMs <= TIMEOUT_MS
  ? undefined : `the handler had ${result.remainingMs} ms left; the function's timeout is ${TIMEOUT_MS} ms`);
const idSeen = (bytes) => (result) => (result.requestId === idText(bytes)
  ? undefined : `the handler saw request id ${JSON.stringify(result.requestId)}, not ${JSON.stringify(idText(bytes))}`);
const ok = (check) => ({ ok: true, check });
const refused = (errorType, message) => ({ ok: false, errorType, message });
const SKIP = { skip: true };

// --- event bodies ------------------------------------------------------------------------------

function randomBytesBody(platform, r, size) {
  const n = size ?? r.size(0, 18);
  return single(platform, r, 'body: random bytes', `${n} random bytes`, { id: freshId('rnd'), body: r.bytes(n) }, ok());
}

const INVALID_UTF8 = [
  ['a lone continuation byte', [0x80]],
  ['0xff 0xfe', [0xff, 0xfe]],
  ['an overlong "/"', [0xc0, 0xaf]],
  ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ['a cut 4-byte sequence', [0xf0, 0x9f, 0x98]],
];

function invalidUtf8Body(platform, r, which) {
  const [label, bytes] = which ?? r.pick(INVALID_UTF8);
  const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')]);
  return single(platform, r, 'body: invalid UTF-8', `JSON with ${label}`, { id: freshId('utf'), body }, ok(eventIs('buffer')));
}

function deepBody(platform, r, depth = r.int(1000, 300_000), shape = r.pick(['arrays', 'objects', 'unclosed'])) {
  const body = shape === 'arrays' ? Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)
    : shape === 'objects' ? Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)
    : Buffer.from('['.repeat(depth));
  return single(platform, r, 'body: deep nesting', `${depth} levels of ${shape}`, { id: freshId('deep'), body }, ok());
}

function hugeStringBody(platform, r, bytes) {
  const limit = WIRES[platform].maxRequestBytes;
  const n = bytes ?? r.int(MiB, Math.min(limit, 16 * MiB) - 1024);
  const unit = r.pick(['x', 'é', '😀', 'a"\\\n']);
  const text = unit.repeat(Math.floor(n / Buffer.byteLength(JSON.stringify(unit))));
  return single(platform, r, 'body: huge string', `a ${(n / MiB).toFixed(1)} MiB string of ${JSON.stringify(unit)}`,
    { id: freshId('huge'), body: json(text) }, ok(eventIs('string')));
}

function overLimitBody(platform, r, delivery = r.pick(['whole', 'chunked']), extra = r.pick([1, 1024, MiB])) {
  const limit = WIRES[platform].maxRequestBytes;
  const body = Buffer.alloc(limit + extra, 0x20);
  const tried = `${limit + extra} bytes (limit ${limit}), ${delivery === 'whole' ? 'Content-Length' : 'chunked'}`;
  return single(platform, r, 'body: over the limit', tried, { id: freshId('over'), body, delivery },
    refused('Runtime.RequestTooLarge', /over the limit/));
}

const PROTO_BODIES = [
  '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  '[{"__proto__":{"polluted":1}},{"constructor":{"prototype":{"polluted":1}}}]',
  '{"a":{"__proto__":{"polluted":"yes"},"b":{"constructor":{"prototype":{"polluted":"yes"}}}}}',
  '{"__proto__":null,"toString":1,"valueOf":"x","hasOwnProperty":[]}',
];

function protoBody(platform, r, text = r.pick(PROTO_BODIES)) {
  return single(platform, r, 'body: __proto__/constructor keys', text.length > 60 ? `${text.slice(0, 57)}...` : text,
    { id: freshId('proto'), body: Buffer.from(text) }, ok(notPolluted));
}

function emptyBody(platform, r, delivery = r.pick(['whole', 'chunked'])) {
  return single(platform, r, 'body: empty', `no bytes, ${delivery === 'whole' ? 'Content-Length: 0' : 'chunked'}`,
    { id: freshId('empty'), body: Buffer.alloc(0), delivery }, ok(eventIs('object')));
}

function brokenBody(platform, r, promised = r.size(4, 20), delivery = r.pick(['break', 'break-chunked'])) {
  const sent = Math.floor(promised * r.next());
  const tried = delivery === 'break' ? `Content-Length ${promised}, ${sent} bytes, then the connection drops`
    : `chunked, ${sent} bytes, then the connection drops`;
  return single(platform, r, 'body: breaks off mid-read', tried,
    { id: freshId('broken'), body: Buffer.alloc(promised, 0x61), delivery, breakAfter: sent },
    refused('Runtime.InvalidRequest', /could not be read/));
}

/** How long the runtime lets a poll's body stall before it gives the invocation up (its client's limit). */
const BODY_STALL_MS = 10_000;

/** A body that stops midway with the connection left open: the runtime must not wait for it for ever. */
function stalledBody(platform, r, promised = r.size(4, 20)) {
  const sent = Math.floor(promised * r.next());
  const c = single(platform, r, 'body: stalls mid-read', `Content-Length ${promised}, ${sent} bytes, then nothing (connection open)`,
    { id: freshId('stalled'), body: Buffer.alloc(promised, 0x61), delivery: 'stall', breakAfter: sent },
    refused('Runtime.InvalidRequest', /could not be read/));
  return { ...c, answerWithinMs: BODY_STALL_MS + 5000 };
}

// --- request ids -------------------------------------------------------------------------------

function missingId(platform, r, variant = r.pick(['no header', 'empty', 'spaces'])) {
  const id = variant === 'no header' ? null : Buffer.from(variant === 'empty' ? '' : ' \t  ');
  return single(platform, r, 'id: missing', variant === 'no header' ? 'no request id header' : `request id ${JSON.stringify(latin1(id))}`,
    { id }, SKIP);
}

function repeatedId(platform, r, same = r.next() < 0.5) {
  const first = freshId('twice');
  const ids = same ? [first, first] : [first, freshId('other')];
  const tried = same ? 'the id header twice, same value' : 'the id header twice, two values';
  const c = single(platform, r, 'id: repeated header', tried, { id: ids }, same ? ok(idSeen(first)) : SKIP);
  if (same) c.answers[0].id = first;
  return c;
}

const PATH_IDS = ['../x', '..', '.', 'a/b', '/', '%2F', 'a%2Fb', '?', 'a?b=c', '#', 'a#b', 'a b', '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e', '%', '%zz', '\\..\\x', './x', 'x/..', ';a=b', '+&=', "~!*'()"];
const PATH_PIECES = ['.', '..', '/', '%', '%2F', '%2e', '?', '#', ' ', '\\', ';', '&', '=', '+', 'a', '7', '-', '~', '\t'];

function pathId(platform, r, text) {
  const id = Buffer.from(text ?? Array.from({ length: r.int(1, 12) }, () => r.pick(PATH_PIECES)).join(''), 'latin1');
  const kept = latin1(trimmed(id));
  const unusable = kept === '' || kept === '.' || kept === '..';
  return single(platform, r, 'id: path characters', JSON.stringify(latin1(id)), { id }, unusable ? SKIP : ok(idSeen(trimmed(id))));
}

const UNICODE_IDS = ['héllo-✓-😀', '\u202eevil-rtl', 'ｆｕｌｌ/ｗｉｄｔｈ', 'a\u0301-combining', '\ufeffbom', '🙂'.repeat(50), '日本語のID'];

function unicodeId(platform, r, text) {
  const chosen = text ?? Array.from({ length: r.int(1, 20) }, () => String.fromCodePoint(r.pick([r.int(0xa0, 0x7ff), r.int(0x800, 0xd7ff), r.int(0x10000, 0x10ffff)]))).join('');
  const id = utf8Bytes(chosen);
  return single(platform, r, 'id: unicode', JSON.stringify(chosen), { id }, ok(idSeen(id)));
}

function binaryId(platform, r, bytes) {
  const id = Buffer.from(bytes ?? [0x69, 0x64, ...Array.from({ length: r.int(1, 16) }, () => r.int(0x80, 0xff))]);
  return single(platform, r, 'id: binary bytes', `bytes ${id.toString('hex')}`, { id }, ok(idSeen(id)));
}

function hugeId(platform, r, length = r.next() < 0.5 ? r.int(1024, 10 * 1024) : r.int(20 * 1024, 200 * 1024)) {
  const id = Buffer.from(`${freshId('long')}-${'x'.repeat(length)}`);
  const fits = length < HEAD_LIMIT_BYTES;
  return single(platform, r, 'id: huge', `${id.length} bytes${fits ? '' : ' (over the 16 KiB a response head may take)'}`, { id },
    fits ? ok(idSeen(id)) : SKIP);
}

// --- other headers -----------------------------------------------------------------------------

function hugeHeaders(platform, r, total = r.next() < 0.5 ? r.int(2048, 10 * 1024) : r.int(20 * 1024, 100 * 1024)) {
  const fits = total < HEAD_LIMIT_BYTES;
  const tried = `${total} bytes of header values${fits ? '' : ' (over the 16 KiB a response head may take)'}`;
  if (platform === 'lambda') {
    const context = JSON.stringify({ custom: { pad: 'p'.repeat(total) } });
    return single(platform, r, 'headers: huge values', tried,
      { id: freshId('bighdr'), headers: [['Lambda-Runtime-Client-Context', context]] }, fits ? ok() : SKIP);
  }
  const each = Math.ceil(total / WIRES[platform].credentialHeaders.length);
  return single(platform, r, 'headers: huge values', tried,
    { id: freshId('bighdr'), credential: (m) => `${m}${'k'.repeat(each)}` }, fits ? ok() : SKIP);
}

function binaryHeaders(platform, r) {
  const noise = () => latin1(Array.from({ length: r.int(1, 24) }, () => r.pick([r.int(0x80, 0xff), r.int(0x20, 0x7e), 0x09])));
  if (platform === 'lambda') {
    const headers = [['Lambda-Runtime-Client-Context', noise()], ['Lambda-Runtime-Cognito-Identity', noise()],
      ['Lambda-Runtime-Trace-Id', noise()], ['Lambda-Runtime-Invoked-Function-Arn', noise()]];
    return single(platform, r, 'headers: binary values', 'latin1 bytes in the context headers', { id: freshId('binhdr'), headers }, ok());
  }
  const extra = platform === 'functiongraph' ? [['X-CFF-Invoke-Type', noise()]] : [['x-fc-function-name', noise()], ['x-fc-region', noise()]];
  // The marker with noise on both sides; the value ends with a letter, since whitespace at its ends is not part of it.
  return single(platform, r, 'headers: binary values', 'latin1 bytes around each credential and in context headers',
    { id: freshId('binhdr'), headers: extra, credential: (m) => `${noise()}${m}${noise()}z` }, ok());
}

const BAD_BYTES = [['a control byte (0x01)', '\x01'], ['DEL (0x7f)', '\x7f'], ['NUL', '\x00'], ['a bare LF', '\n'], ['an obsolete line fold', '\r\n folded']];

/** A reply whose head no HTTP parser should take: a header value with a byte HTTP forbids. */
function forbiddenByte(platform, r, which = r.pick(BAD_BYTES)) {
  const [label, bad] = which;
  const { reply, secrets } = invocation(platform, r, { id: freshId('ctl') });
  const name = WIRES[platform].credentialHeaders[0] ?? 'Lambda-Runtime-Client-Context';
  const headers = reply.headers.map(([n, v]) => [n, headerValue(v)]).map(([n, v]) => (n === name ? [n, `${v.slice(0, 4)}${bad}${v.slice(4)}`] : [n, v]));
  if (!reply.headers.some(([n]) => n === name)) headers.push([name, `ctx${bad}x`]);
  const raw = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), ...headers.map(([n, v]) => Buffer.from(`${n}: ${v}\r\n`, 'latin1')),
    Buffer.from('Content-Length: 2\r\nConnection: close\r\n\r\n{}')]);
  return { kind: 'headers: forbidden bytes', tried: `${label} in ${name}`, replies: [{ delivery: 'raw', raw }], answers: [], skipped: 1, secrets };
}

/** The same id handed out again while its first invocation still runs: that one keeps the id, the second is skipped. */
function duplicateInFlight(platform, r, sleepMs = r.int(100, 600)) {
  const id = freshId('dup');
  const first = invocation(platform, r, { id, body: json({ sleepMs }) });
  const second = invocation(platform, r, { id });
  const check = (result) => (result.event?.keys?.includes('sleepMs') ? undefined : 'the answer is not the first invocation\'s');
  return {
    kind: 'id: handed out twice at once', tried: `the second while the first sleeps ${sleepMs} ms`,
    replies: [first.reply, second.reply], answers: [{ id, ok: true, check }], skipped: 1, secrets: [...first.secrets, ...second.secrets],
  };
}

// --- the HTTP of the reply itself --------------------------------------------------------------

/** Replies that are not a response an HTTP client takes: [label, (r, platform) → raw bytes]. */
const NOT_HTTP = [
  ['random bytes', (r) => r.bytes(r.int(1, 2000))],
  ['a head cut short', (r, platform) => Buffer.from(`HTTP/1.1 200 OK\r\n${WIRES[platform].idHeader}: ${freshId('cut')}\r\n`)],
  ['HTTP/9.9', (r, platform) => Buffer.from(`HTTP/9.9 200 OK\r\n${WIRES[platform].idHeader}: ${freshId('v9')}\r\nContent-Length: 2\r\n\r\n{}`)],
  ['two Content-Length values', (r, platform) => Buffer.from(`HTTP/1.1 200 OK\r\n${WIRES[platform].idHeader}: ${freshId('cl')}\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`)],
  ['a Content-Length that is not a number', (r, platform) => Buffer.from(`HTTP/1.1 200 OK\r\n${WIRES[platform].idHeader}: ${freshId('cl')}\r\nContent-Length: two\r\n\r\n{}`)],
];

function notHttp(platform, r, which = r.pick(NOT_HTTP)) {
  const [label, make] = which;
  return { kind: 'reply: not HTTP', tried: label, replies: [{ delivery: 'raw', raw: make(r, platform) }], answers: [], skipped: 1, secrets: [] };
}

function unexpectedStatus(platform, r, status = r.pick(platform === 'lambda' ? [204, 302, 404, 429, 503] : [204, 302, 404, 429, 500, 503])) {
  const { reply, secrets } = invocation(platform, r, { id: freshId(`s${status}`), body: json({ status }) });
  return { kind: 'reply: unexpected status', tried: `HTTP ${status} with an invocation's headers`, replies: [{ ...reply, status }], answers: [], skipped: 1, secrets };
}

// --- platform headers --------------------------------------------------------------------------

/**
 * Deadlines as Lambda's and FC's headers carry them ([label, value, what the invocation must get]);
 * a value relative to now is a function, read when the reply is sent.
 */
const DEADLINES = [
  ['not a number', 'abc', 'timeout'], ['negative', '-5', 'timeout'], ['zero', '0', 'timeout'], ['hexadecimal', '0x10', 'timeout'],
  ['infinite', 'Infinity', 'timeout'], ['a fraction', () => `${Date.now() + TIMEOUT_MS}.5`, 'sent'],
  ['far past (1970)', '1', 'past'], ['a minute ago', () => String(Date.now() - 60_000), 'past'],
  ['far future (1e300)', '1e300', 'timeout'], ['20 digits', '99999999999999999999', 'timeout'],
  ['in 30 days', () => String(Date.now() + 30 * 86_400_000), 'timeout'],
];

function malformedDeadline(platform, r, which = r.pick(DEADLINES)) {
  const [label, value, expect] = which;
  const name = platform === 'lambda' ? 'Lambda-Runtime-Deadline-Ms' : 'x-fc-function-deadline';
  const outcome = expect === 'past' ? refused('Runtime.Timeout', /deadline/) : ok(withinTimeout);
  return single(platform, r, 'headers: malformed deadline', `${name}: ${typeof value === 'string' ? value : label} (${label})`,
    { id: freshId('deadline'), headers: [[name, value]] }, outcome);
}

function malformedFcTimeout(platform, r, value = r.pick(['abc', '-1', '0', '1e12', '1e300', 'NaN', '0x10'])) {
  return single(platform, r, 'headers: malformed deadline', `x-fc-function-timeout: ${value}, no deadline`,
    { id: freshId('fctimeout'), headers: [['x-fc-function-timeout', value]], omit: ['x-fc-function-deadline'] }, ok(withinTimeout));
}

// Both context headers carry the value: 3000 levels each keep the head under 16 KiB.
const CONTEXT_VALUES = ['{bad', 'null', '"text"', '[]', `${'['.repeat(3000)}${']'.repeat(3000)}`, '['.repeat(6000),
  '{"__proto__":{"polluted":1},"custom":{"constructor":{"prototype":{"polluted":1}}}}', '{"env":{"a":"\\ud800"}}'];

function lambdaContextHeaders(platform, r, value = r.pick(CONTEXT_VALUES)) {
  const shown = value.length > 40 ? `${value.slice(0, 20)}… (${value.length} chars)` : value;
  return single(platform, r, 'headers: malformed client context', shown,
    { id: freshId('ctx'), headers: [['Lambda-Runtime-Client-Context', value], ['Lambda-Runtime-Cognito-Identity', value]] }, ok(notPolluted));
}

function fgInvokeType(platform, r, value = r.pick(['ASYNC', 'maybe', 'sync, async', 'async async', '\xe9sync', '1', 'x'.repeat(4000)])) {
  const check = (result) => (['sync', 'async'].includes(result.invokeType) ? undefined : `invoke type ${JSON.stringify(result.invokeType)}`);
  return single(platform, r, 'headers: bad invoke type', `X-CFF-Invoke-Type: ${value.length > 40 ? `${value.slice(0, 10)}… (${value.length})` : JSON.stringify(value)}`,
    { id: freshId('itype'), headers: [['X-CFF-Invoke-Type', value]] }, ok(check));
}

function fcFunctionType(platform, r, value = r.pick(['9', '-1', '1.0', '__proto__', 'constructor', 'toString', 'abc', '00', '4'])) {
  return single(platform, r, 'headers: bad invoke type', `x-fc-function-type: ${value}`,
    { id: freshId('ftype'), headers: [['x-fc-function-type', value]] }, refused('Runtime.InvalidRequest', /x-fc-function-type/));
}

const base64 = (text) => Buffer.from(text).toString('base64');
const HTTP_PARAMS = [
  ['not base64', '!!!', 'refused'],
  ['base64 of text', base64('not json'), 'refused'],
  ['base64 of null', base64('null'), 'refused'],
  ['base64 of an array', base64('[1,2]'), 'refused'],
  ['base64 of a number', base64('42'), 'refused'],
  ['__proto__ keys', base64('{"method":"POST","path":"/p","headersMap":{"__proto__":["x"],"constructor":["y"]},"queriesMap":{"__proto__":{"polluted":1}}}'), 'ok'],
  ['odd field types', base64('{"method":7,"path":[],"headersMap":"h","queriesMap":[["a"]],"requestURI":{}}'), 'ok'],
  ['deep JSON', base64(`{"headersMap":${'['.repeat(3000)}${']'.repeat(3000)}}`), 'ok'],
];

function fcHttpParams(platform, r, which = r.pick(HTTP_PARAMS)) {
  const [label, value, expect] = which;
  return single(platform, r, 'headers: malformed HTTP params', `x-fc-http-params: ${label}`,
    { id: freshId('params'), headers: [['x-fc-http-params', value]] },
    expect === 'ok' ? ok(notPolluted) : refused('Runtime.InvalidRequest', /x-fc-http-params/));
}

// --- the catalogue -----------------------------------------------------------------------------

/**
 * Each kind: the platforms it applies to, its fixed sample (quick mode) and one random variant.
 * `fixed` lists the variants tried every run; `random` draws one more. A `slow` kind (one case
 * takes seconds) is tried in full runs only, its fixed sample once.
 */
const KINDS = [
  { fixed: (p, r) => [randomBytesBody(p, r, 4096)], random: randomBytesBody },
  { fixed: (p, r) => INVALID_UTF8.slice(0, 2).map((w) => invalidUtf8Body(p, r, w)), random: invalidUtf8Body },
  { fixed: (p, r) => [deepBody(p, r, 100_000, 'arrays'), deepBody(p, r, 100_000, 'objects')], random: deepBody },
  { fixed: (p, r) => [hugeStringBody(p, r, 5 * MiB)], random: hugeStringBody },
  { fixed: (p, r) => [overLimitBody(p, r, 'whole', 1), overLimitBody(p, r, 'chunked', 1024)], random: overLimitBody },
  { fixed: (p, r) => [protoBody(p, r, PROTO_BODIES[0]), protoBody(p, r, PROTO_BODIES[1])], random: protoBody },
  { fixed: (p, r) => [emptyBody(p, r, 'whole'), emptyBody(p, r, 'chunked')], random: emptyBody },
  { fixed: (p, r) => [brokenBody(p, r, 100, 'break'), brokenBody(p, r, 4096, 'break-chunked')], random: brokenBody },
  { slow: true, fixed: (p, r) => [stalledBody(p, r, 1000)] },
  { fixed: (p, r) => ['no header', 'empty'].map((v) => missingId(p, r, v)), random: missingId },
  { fixed: (p, r) => [repeatedId(p, r, false), repeatedId(p, r, true)], random: repeatedId },
  { fixed: (p, r) => ['../x', '..', '.', 'a/b', '%2F', 'a?b=c', '#', 'a b'].map((t) => pathId(p, r, t)), random: (p, r) => (r.next() < 0.3 ? pathId(p, r, r.pick(PATH_IDS)) : pathId(p, r)) },
  { fixed: (p, r) => [unicodeId(p, r, UNICODE_IDS[0])], random: (p, r) => (r.next() < 0.3 ? unicodeId(p, r, r.pick(UNICODE_IDS)) : unicodeId(p, r)) },
  { fixed: (p, r) => [binaryId(p, r, [0x69, 0x64, 0xe9, 0xff])], random: binaryId },
  { fixed: (p, r) => [hugeId(p, r, 8 * 1024), hugeId(p, r, 64 * 1024)], random: hugeId },
  { fixed: (p, r) => [hugeHeaders(p, r, 8 * 1024), hugeHeaders(p, r, 40 * 1024)], random: hugeHeaders },
  { fixed: (p, r) => [binaryHeaders(p, r)], random: binaryHeaders },
  { fixed: (p, r) => [forbiddenByte(p, r, BAD_BYTES[0])], random: forbiddenByte },
  { fixed: (p, r) => [duplicateInFlight(p, r, 300)], random: duplicateInFlight },
  { fixed: (p, r) => [notHttp(p, r, NOT_HTTP[0]), notHttp(p, r, NOT_HTTP[1]), notHttp(p, r, NOT_HTTP[3])], random: notHttp },
  { fixed: (p, r) => [unexpectedStatus(p, r, 404)], random: unexpectedStatus },
  {
    platforms: ['lambda', 'fc'],
    fixed: (p, r) => ['not a number', 'far past (1970)', 'far future (1e300)', 'in 30 days']
      .map((label) => malformedDeadline(p, r, DEADLINES.find(([l]) => l === label))),
    random: malformedDeadline,
  },
  { platforms: ['fc'], fixed: (p, r) => [malformedFcTimeout(p, r, '1e12')], random: malformedFcTimeout },
  { platforms: ['lambda'], fixed: (p, r) => [lambdaContextHeaders(p, r, '{bad'), lambdaContextHeaders(p, r, CONTEXT_VALUES[4])], random: lambdaContextHeaders },
  { platforms: ['functiongraph'], fixed: (p, r) => [fgInvokeType(p, r, 'maybe')], random: fgInvokeType },
  { platforms: ['fc'], fixed: (p, r) => ['9', '__proto__'].map((v) => fcFunctionType(p, r, v)), random: fcFunctionType },
  { platforms: ['fc'], fixed: (p, r) => [fcHttpParams(p, r, HTTP_PARAMS[0]), fcHttpParams(p, r, HTTP_PARAMS[5])], random: fcHttpParams },
];

/** The cases of one platform: the fixed sample (slow kinds' too, unless quick), then `extra` random variants of random kinds. */
export function casesFor(platform, r, { quick = false, extra = 0 } = {}) {
  const kinds = KINDS.filter((k) => (k.platforms === undefined || k.platforms.includes(platform)) && !(quick && k.slow));
  const cases = kinds.flatMap((k) => k.fixed(platform, r));
  const random = kinds.filter((k) => !k.slow);
  for (let i = 0; i < extra; i++) cases.push(r.pick(random).random(platform, r));
  return cases;
}

/** A well-formed invocation, handed out after each hostile case: the runtime must still serve it. */
export function followUp(platform, r, n) {
  const id = Buffer.from(`after-${n}-${Date.now().toString(36)}`);
  const { reply, secrets } = invocation(platform, r, { id, body: json({ after: n }) });
  return { reply, secrets, answer: { id, ok: true, check: idSeen(id) } };
}
