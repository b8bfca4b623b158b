// The caller's side of the local platform (SPEC §6): `POST /invoke` with the event as the body
// queues it on the FunctionGraph emulator and answers with the function's result, so a person with
// curl or a benchmark can call a function served by the real bootstrap.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EmulatorError, type FunctionGraphEmulator, type InvokeType, listenOn, readBody } from './runtime-api.js';

export interface InvokeEndpointOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9000; 0 picks an ephemeral port. */
  port?: number;
}

export interface InvokeEndpoint {
  /** Base URL, e.g. http://127.0.0.1:9000 (POST `${url}/invoke`). */
  url: string;
  close(): Promise<void>;
}

/** Caller headers passed on to the invocation: the credentials a platform would attach. */
const PASSED_HEADERS = [
  'x-cff-access-key',
  'x-cff-secret-key',
  'x-cff-auth-token',
  'x-cff-security-access-key',
  'x-cff-security-secret-key',
  'x-cff-security-token',
] as const;

export async function startInvokeEndpoint(emulator: FunctionGraphEmulator, opts: InvokeEndpointOptions = {}): Promise<InvokeEndpoint> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = http.createServer({ keepAlive: true }, (req, res) => route(emulator, req, res));
  // A function may run for minutes; the caller waits on this request all that time.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 15 * 60_000;
  server.setTimeout(0);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listenOn(server, host, opts.port ?? 9000, 'invoke endpoint');

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}

function route(emulator: FunctionGraphEmulator, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/invoke' && req.method === 'POST') return invoke(emulator, req, res);
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(req, res, 200, { status: 'ok' });
  sendJson(req, res, 404, { errorType: 'NotFound', errorMessage: `no route for ${req.method ?? '?'} ${path}`, stackTrace: [] });
}

function invoke(emulator: FunctionGraphEmulator, req: IncomingMessage, res: ServerResponse): void {
  const typeHeader = req.headers['x-cff-invoke-type'];
  const invokeType: InvokeType = typeof typeHeader === 'string' && typeHeader.trim().toLowerCase() === 'async' ? 'async' : 'sync';
  const limit = invokeType === 'async' ? emulator.limits.maxAsyncRequestBytes : emulator.limits.maxSyncRequestBytes;
  const headers: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const requestId = req.headers['x-cff-request-id'];

  // Buffer no more than the platform would accept; past it, drain and refuse.
  readBody(req, limit, (body) => {
    if (body === null) return tooLarge(req, res, invokeType, limit);
    emulator.invoke(body, { invokeType, headers, ...(typeof requestId === 'string' && requestId !== '' ? { requestId } : {}) }).then(
      (result) => {
        if (res.destroyed) return; // the caller hung up while the function ran
        if (result.ok) {
          res.writeHead(200, [
            'Content-Type', result.contentType ?? 'application/json',
            'Content-Length', String(result.body.length),
            'X-Cff-Request-Id', result.requestId,
          ]);
          res.end(result.body);
        } else {
          res.writeHead(500, [
            'Content-Type', 'application/json',
            'Content-Length', String(result.body.length),
            'X-Cff-Request-Id', result.requestId,
            'X-Fnpool-Error-Type', headerSafe(result.error?.errorType ?? 'Unknown'),
          ]);
          res.end(result.body);
        }
      },
      (err: unknown) => {
        if (err instanceof EmulatorError && err.code === 'REQUEST_TOO_LARGE') return tooLarge(req, res, invokeType, limit);
        const status = err instanceof EmulatorError && (err.code === 'DUPLICATE_REQUEST_ID' || err.code === 'INVALID_INVOCATION') ? 400 : 503;
        sendJson(req, res, status, { errorType: 'Emulator.InvokeFailed', errorMessage: (err as Error).message, stackTrace: [] });
      },
    );
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, invokeType: InvokeType, limit: number): void {
  sendJson(req, res, 413, {
    errorType: 'Runtime.RequestTooLarge',
    errorMessage: `the ${invokeType} request is over the platform's limit of ${limit} bytes`,
    stackTrace: [],
  });
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  req.resume();
  if (res.destroyed) return; // the caller hung up while the function ran
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(body.length)]);
  res.end(body);
}

/** An error type is the runtime's text: keep it from breaking the header (no control characters). */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e]/g, '?');
}
