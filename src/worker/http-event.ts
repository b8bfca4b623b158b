// HTTP triggers (FC's runtime API today, fnpool's HTTP server mode next): the request becomes an
// API-gateway-shaped event {httpMethod, path, headers, queryParameters, body, isBase64Encoded,
// requestContext: {requestId}}, and the handler's {statusCode, headers, body, isBase64Encoded}
// becomes the status, headers and bytes of the answer. Any other result is a 200 with the value as
// JSON. Built here, in the worker, so the main thread never parses or builds an event.
import { ErrorType, RuntimeError } from '../errors.js';
import type { HttpRequestMeta, HttpResponseMeta } from '../protocol.js';
import { serializeResult } from './invoke.js';

// ignoreBOM: a body that starts with a byte order mark reaches the handler with it, as it was sent.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function httpEvent(req: HttpRequestMeta, body: Uint8Array, requestId: string): unknown {
  let text: string | undefined;
  try {
    text = utf8.decode(body);
  } catch {
    // not UTF-8: sent as base64
  }
  return {
    httpMethod: req.method,
    path: req.path,
    headers: req.headers,
    queryParameters: req.query,
    body: text ?? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'),
    isBase64Encoded: text === undefined,
    requestContext: { requestId },
  };
}

/** The handler's result → what the platform sends back; throws the Runtime.* error of a result that cannot be sent. */
export function httpResult(value: unknown, maxBytes: number): { body: string | Uint8Array; http: HttpResponseMeta } {
  if (!isHttpResponse(value)) {
    return { body: serializeResult(value, maxBytes), http: { statusCode: 200, headers: { 'content-type': 'application/json' } } };
  }
  const headers: Record<string, string | string[]> = {};
  if (value.headers !== undefined && value.headers !== null) {
    if (typeof value.headers !== 'object') throw new RuntimeError(ErrorType.SerializationError, 'the result\'s headers must be an object');
    for (const [key, v] of Object.entries(value.headers as Record<string, unknown>)) {
      headers[key.toLowerCase()] = Array.isArray(v) ? v.map(String) : String(v);
    }
  }
  let body: string | Uint8Array;
  const raw = value.body;
  if (raw === undefined || raw === null) body = new Uint8Array(0);
  else if (typeof raw === 'string') body = value.isBase64Encoded === true ? new Uint8Array(Buffer.from(raw, 'base64')) : raw;
  else body = serializeResult(raw, maxBytes);
  if (typeof body === 'string') body = new Uint8Array(Buffer.from(body, 'utf8'));
  if (body.byteLength > maxBytes) {
    throw new RuntimeError(ErrorType.ResponseTooLarge, `the handler's response body is ${body.byteLength} bytes, over the limit of ${maxBytes} bytes`);
  }
  return { body, http: { statusCode: value.statusCode, headers } };
}

interface HttpResponse {
  statusCode: number;
  headers?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
}

function isHttpResponse(value: unknown): value is HttpResponse {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return false;
  const status = (value as { statusCode?: unknown }).statusCode;
  return Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599;
}
