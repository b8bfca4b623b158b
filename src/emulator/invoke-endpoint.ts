// The caller's side of a local platform: `POST /invoke` with the event as the body gives it to the
// platform's caller (caller.ts: a pull platform's emulator queues it, a push platform's front sends
// it to the runtime) and answers with the function's result, so a person with curl, `fnpool invoke`
// or a benchmark can call a function served by the real bootstrap, whatever the platform. AWS's
// invoke path (POST /2015-03-31/functions/function/invocations) answers as AWS's runtime interface
// emulator does, so tools written for that work here too. On a push platform every other request
// goes to the runtime as it came (an HTTP trigger's request). An async invocation sent with
// `Prefer: respond-async` is answered 202 with its request id as soon as the platform accepted it,
// as an async invoke of the platform is (`fnpool invoke --async`); without it, with the result.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pullCaller, type LocalCaller } from './caller.js';
import { EmulatorError, PullEmulator, type InvokeResult, type InvokeType } from './ledger.js';
import { listenOn, readBody } from './http.js';

/** AWS's invoke path, as its runtime interface emulator serves it. */
export const LAMBDA_INVOKE_PATH = '/2015-03-31/functions/function/invocations';

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

export async function startInvokeEndpoint(callee: LocalCaller | PullEmulator, opts: InvokeEndpointOptions = {}): Promise<InvokeEndpoint> {
  const emulator = callee instanceof PullEmulator ? pullCaller(callee) : callee;
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

function route(emulator: LocalCaller, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/invoke' && req.method === 'POST') return invoke(emulator, req, res, false);
  if (path === LAMBDA_INVOKE_PATH && req.method === 'POST') return invoke(emulator, req, res, true);
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) return sendJson(req, res, 200, { status: 'ok' });
  if (emulator.forward !== undefined) return emulator.forward(req, res);
  sendJson(req, res, 404, { errorType: 'NotFound', errorMessage: `no route for ${req.method ?? '?'} ${path}`, stackTrace: [] });
}

function invoke(emulator: LocalCaller, req: IncomingMessage, res: ServerResponse, awsStyle: boolean): void {
  const typeHeader = req.headers['x-cff-invoke-type'] ?? (req.headers['x-amz-invocation-type'] === 'Event' ? 'async' : undefined);
  const invokeType: InvokeType = typeof typeHeader === 'string' && typeHeader.trim().toLowerCase() === 'async' ? 'async' : 'sync';
  const limit = invokeType === 'async' ? emulator.limits.maxAsyncRequestBytes : emulator.limits.maxSyncRequestBytes;
  const headers = emulator.callerHeaders(req.headers);
  const requestId = req.headers['x-cff-request-id'] ?? req.headers['x-amzn-requestid'] ?? req.headers['x-fc-request-id'];

  // Buffer no more than the platform would accept; past it, drain and refuse.
  readBody(req, limit, (body) => {
    if (body === null) return tooLarge(req, res, invokeType, limit);
    const id = typeof requestId === 'string' && requestId !== '' ? requestId : randomUUID();
    let answered = false;
    emulator.invoke(body, { invokeType, headers, requestId: id }).then(
      (result) => {
        if (answered || res.destroyed) return; // answered 202 already, or the caller hung up while the function ran
        if (awsStyle) return answerAsAws(res, result);
        const http = emulator.httpAnswer?.(result);
        if (http !== undefined) {
          res.writeHead(http.status || 502, { ...http.headers, 'content-length': String(result.body.length), 'x-cff-request-id': result.requestId,
            ...(result.ok ? {} : { 'x-fnpool-error-type': headerSafe(result.error?.errorType ?? 'Unknown') }) });
          res.end(result.body);
        } else if (result.ok) {
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
        if (answered) return;
        if (err instanceof EmulatorError && err.code === 'REQUEST_TOO_LARGE') return tooLarge(req, res, invokeType, limit);
        const status = err instanceof EmulatorError && (err.code === 'DUPLICATE_REQUEST_ID' || err.code === 'INVALID_INVOCATION') ? 400 : 503;
        sendJson(req, res, status, { errorType: 'Emulator.InvokeFailed', errorMessage: (err as Error).message, stackTrace: [] });
      },
    );
    if (invokeType !== 'async' || !/\brespond-async\b/i.test(String(req.headers.prefer ?? ''))) return;
    // A refusal (too large, a used request id, a closed platform) is settled by now; else it is accepted.
    setImmediate(() => {
      if (res.headersSent || res.destroyed) return;
      answered = true;
      req.resume();
      const accepted = Buffer.from(JSON.stringify({ requestId: id }));
      res.writeHead(202, ['Content-Type', 'application/json', 'Content-Length', String(accepted.length),
        awsStyle ? 'X-Amzn-RequestId' : 'X-Cff-Request-Id', id, 'Preference-Applied', 'respond-async']);
      res.end(accepted);
    });
  });
}

/**
 * As AWS's emulator answers: 200 with the function's body, result or error (an error also says so
 * in X-Amz-Function-Error, as AWS's invoke API does); 502 when the function's init failed.
 */
function answerAsAws(res: ServerResponse, result: InvokeResult): void {
  const head: Record<string, string> = {
    'content-type': result.contentType ?? 'application/json',
    'content-length': String(result.body.length),
    'x-amzn-requestid': result.requestId,
  };
  if (!result.ok) head['x-amz-function-error'] = 'Unhandled';
  res.writeHead(!result.ok && result.status === 0 ? 502 : 200, head);
  res.end(result.body);
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
