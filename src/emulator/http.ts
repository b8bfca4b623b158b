// HTTP helpers of the local platforms (the emulator and the invoke endpoint): bounded body reads,
// listening with a clear error for a port in use, small JSON answers.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { EmulatorError } from './emulator-error.js';

/**
 * Reads a request body, buffering at most `limit` bytes. Past the limit the rest is drained and
 * dropped (so the client sees a clean answer on a kept-alive connection) and `done` gets null.
 * `done` is not called when the request fails midway (its socket is gone anyway).
 */
export function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | null) => void): void {
  const declared = Number(req.headers['content-length']);
  let over = declared > limit;
  let size = 0;
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  req.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > limit) {
      over = true;
      first = undefined;
      chunks = undefined;
      return;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  });
  req.once('end', () => {
    if (over) done(null);
    else done(chunks ? Buffer.concat(chunks, size) : (first ?? Buffer.alloc(0)));
  });
}

/** Listens and resolves with the port; a port in use rejects with a message that names it. */
export function listenOn(server: http.Server, host: string, port: number, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(new EmulatorError('EADDRINUSE', `${what}: port ${port} is already in use on ${host}`, { cause: err }));
      } else {
        reject(new Error(`${what}: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      }
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export function replyEmpty(req: IncomingMessage, res: ServerResponse, status: 204): void {
  req.resume();
  res.writeHead(status);
  res.end();
}

export function replyJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  // An unread request body would otherwise sit in the socket in front of the next request.
  req.resume();
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(body.length)]);
  res.end(body);
}

export function toBytes(event: Buffer | string | object): Buffer {
  if (Buffer.isBuffer(event)) return event;
  if (typeof event === 'string') return Buffer.from(event, 'utf8');
  if (event instanceof Uint8Array) return Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  return Buffer.from(JSON.stringify(event) ?? 'null', 'utf8');
}

export function decodeId(raw: string): string | undefined {
  if (raw === '' || raw.includes('/')) return undefined;
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Header values as strings (a repeated header joined with ", "). */
export function flatHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
