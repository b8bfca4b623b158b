// HTTP mode's requests and answers, as FC's custom runtime contract writes them. The path (or the
// x-fc-control-path header) says what is asked: POST /invoke runs the handler on the body (an
// event); /initialize, /pre-stop and /pre-freeze run a lifecycle export; every other path is an
// HTTP trigger's request, which the handler gets as an API-gateway-shaped event. x-fc-* headers
// fill the context and the deadline (x-fc-function-timeout, seconds from arrival). An answer is 200
// with x-fc-status: 200, or, for an error, the platform's error status (FC 404, Knative 500) with
// x-fc-status, x-fc-error-type and the JSON error body; every answer carries x-fc-request-id.
import type { IncomingHttpHeaders } from 'node:http';
import type { Outcome } from '../../executor/executor.js';
import type { HttpRequestMeta } from '../../protocol.js';
import { fcInvocationMeta, fcLogLines, hookOf, type Kind } from '../fc/wire.js';
import { errorJson, header, type WireDefaults, type WireInvocation } from '../platform.js';

/** What a request asks for. */
export type Route = Kind | 'HttpInvoke';

const CONTROL_PATHS: Record<string, Route> = {
  '/invoke': 'Invoke',
  '/http-invoke': 'HttpInvoke',
  '/initialize': 'Initialize',
  '/pre-stop': 'PreStop',
  '/pre-freeze': 'PreFreeze',
};

export function routeOf(method: string, url: string, headers: IncomingHttpHeaders): Route {
  const control = header(headers, 'x-fc-control-path');
  if (control !== undefined) return CONTROL_PATHS[control] ?? 'HttpInvoke';
  const path = url.split('?')[0] ?? '/';
  const route = CONTROL_PATHS[path];
  if (route === 'Invoke') return method === 'POST' ? 'Invoke' : 'HttpInvoke';
  return route === undefined || route === 'HttpInvoke' ? 'HttpInvoke' : route;
}

/** The invocation a request makes, besides its id and body. */
export function invocationOf(route: Route, method: string, url: string, headers: IncomingHttpHeaders, arrivedAtMs: number,
  defaults: WireDefaults, requestId: string): WireInvocation {
  const seconds = Number(header(headers, 'x-fc-function-timeout'));
  const out: WireInvocation = {
    deadlineMs: arrivedAtMs + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaults.timeoutMs),
    meta: fcInvocationMeta(headers),
    ...fcLogLines(route === 'HttpInvoke' ? 'Invoke' : route, requestId),
  };
  if (route === 'HttpInvoke') out.http = httpRequestOf(method, url, headers);
  else if (route !== 'Invoke') {
    const entry = hookOf(route, headers, defaults);
    // The initializer FNPOOL_INITIALIZER names ran on every thread at start; its outcome is the answer.
    if (entry === undefined || (route === 'Initialize' && entry === defaults.hooks.initializer)) out.done = true;
    else out.entry = entry;
  }
  return out;
}

function httpRequestOf(method: string, url: string, headers: IncomingHttpHeaders): HttpRequestMeta {
  const parsed = new URL(url, 'http://function');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(parsed.searchParams.keys())) {
    const values = parsed.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  const own: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) own[key] = value;
  return { method, path: decodedPath(parsed.pathname), headers: own, query };
}

/** The path as the handler reads it; one with a malformed escape is given as it came. */
function decodedPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** An answer: its status, headers and body. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array;
}

export function answerOf(requestId: string, outcome: Outcome, errorStatus: number): Answer {
  if (!outcome.ok) {
    return {
      status: errorStatus,
      headers: {
        'x-fc-request-id': requestId, 'x-fc-status': String(errorStatus), 'x-fc-error-type': outcome.error.errorType,
        'content-type': 'application/json',
      },
      body: errorJson(outcome.error),
    };
  }
  if (outcome.http !== undefined) {
    return { status: outcome.http.statusCode, headers: { ...outcome.http.headers, 'x-fc-request-id': requestId, 'x-fc-status': '200' }, body: outcome.body };
  }
  const type = typeof outcome.body === 'string' ? 'application/json' : 'application/octet-stream';
  return { status: 200, headers: { 'x-fc-request-id': requestId, 'x-fc-status': '200', 'content-type': type }, body: outcome.body };
}
