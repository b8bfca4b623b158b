// Raw HTTP/1.1 over node:net, for the hostile-input stress run: bytes written exactly as given
// (nothing a client library would fix or refuse), in pieces with pauses between them, with the
// write side ended or the socket reset where asked; and every response the runtime sends back
// parsed from the bytes, so that the run can count answers per request and read their status.
import net from 'node:net';

/**
 * One connection. steps: Buffers or strings to write, { pauseMs } to wait, 'end' to half-close,
 * 'close' to close it for good (FIN, and nothing read after: as a client that gives up), 'reset'
 * to reset it (RST). Resolves once the socket closed, `expect`
 * responses came or until(bytes received) says so (then, after lingerMs more — time for an answer
 * too many to show — the socket is closed here), or timeoutMs passed:
 * { responses, interim, closedByPeer, reset, timedOut, error, rest, raw } (raw: every byte received).
 */
export function exchange(port, steps, { expect = Infinity, until, lingerMs = 0, timeoutMs = 5_000, host = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let received = Buffer.alloc(0);
    let closedByPeer = false;
    let reset = false;
    let error;
    let done = false;
    let lingering = false;
    const finish = (timedOut) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const parsed = parseResponses(received, closedByPeer || reset);
      socket.destroy();
      resolve({ ...parsed, closedByPeer, reset, timedOut, error, raw: received });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (lingering) return;
      const enough = (expect !== Infinity && parseResponses(received, false).responses.length >= expect) || until?.(received) === true;
      if (!enough) return;
      lingering = true;
      if (lingerMs === 0) finish(false);
      else setTimeout(() => finish(false), lingerMs);
    });
    socket.on('error', (err) => { error = err.code ?? err.message; if (err.code === 'ECONNRESET') reset = true; });
    socket.on('end', () => { closedByPeer = true; });
    socket.on('close', () => finish(false));
    socket.once('connect', () => void play(socket, steps).catch((err) => { error ??= err.message; }));
  });
}

async function play(socket, steps) {
  for (const step of steps) {
    if (socket.destroyed) return;
    if (step === 'end') socket.end();
    else if (step === 'reset') return socket.resetAndDestroy();
    else if (step === 'close') return socket.destroy();
    else if (typeof step === 'object' && !Buffer.isBuffer(step) && step.pauseMs !== undefined) await pause(step.pauseMs);
    else await write(socket, step);
  }
}

function write(socket, data) {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) return resolve();
    socket.write(data, () => resolve());
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request's bytes: request line, headers as given (name, value pairs, in order), CRLFs, body. */
export function rawRequest(method, target, headers, body = '') {
  const head = [`${method} ${target} HTTP/1.1`, ...headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

/** A well-formed POST /invoke with a JSON or raw body, the request id and extra headers. */
export function invokeRequest(requestId, body, extra = []) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return rawRequest('POST', '/invoke', [['Host', 'runtime'], ['x-fc-request-id', requestId], ['Content-Length', String(bytes.length)], ...extra], bytes);
}

/**
 * Responses in bytes: [{ status, headers (lower-case names, repeated ones as arrays), body }];
 * interim 1xx responses apart. A response without a length ends at the close (closed: true).
 */
export function parseResponses(bytes, closed) {
  const responses = [];
  const interim = [];
  let at = 0;
  for (;;) {
    const headEnd = bytes.indexOf('\r\n\r\n', at, 'latin1');
    if (headEnd === -1) break;
    const lines = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? NaN);
    const headers = headersOf(lines.slice(1));
    let next = headEnd + 4;
    if (status >= 100 && status < 200) {
      interim.push({ status, headers });
      at = next;
      continue;
    }
    let body;
    if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
      const chunked = dechunk(bytes, next);
      if (chunked === undefined) break;
      [body, next] = chunked;
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bytes.length < next + length) break;
      body = bytes.subarray(next, next + length);
      next += length;
    } else if (status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else {
      if (!closed) break;
      body = bytes.subarray(next);
      next = bytes.length;
    }
    responses.push({ status, headers, body: Buffer.from(body) });
    at = next;
  }
  return { responses, interim, rest: bytes.length - at };
}

function headersOf(lines) {
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (headers[name] === undefined) headers[name] = value;
    else headers[name] = [].concat(headers[name], value);
  }
  return headers;
}

/** A chunked body from `from`: [body, the offset after it], or undefined when it has not all come. */
function dechunk(bytes, from) {
  const parts = [];
  let at = from;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
    if (lineEnd === -1) return undefined;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return undefined;
    at = lineEnd + 2;
    if (size === 0) {
      const end = bytes.indexOf('\r\n\r\n', at - 2, 'latin1');
      return end === -1 ? undefined : [Buffer.concat(parts), end + 4];
    }
    if (bytes.length < at + size + 2) return undefined;
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

/** The JSON body of a response, or undefined. */
export function jsonOf(response) {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The first value of a response header. */
export function headerOf(response, name) {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
