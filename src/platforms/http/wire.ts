// HTTP mode's requests and answers, as FC's custom runtime contract writes them. The path (or the
// x-fc-control-path header) says what is asked: POST /invoke runs the handler on the body (an
// event); /initialize, /pre-stop and /pre-freeze run a lifecycle export; every other path is an
// HTTP trigger's request, which the handler gets as an API-gateway-shaped event. x-fc-* headers
// fill the context and the deadline (x-fc-function-timeout, seconds from arrival). An answer is 200
// with x-fc-status: 200, or, for an error, the platform's error status (FC 404, Knative 500) with
// x-fc-status, x-fc-error-type and the JSON error body; every answer carries x-fc-request-id.
// A request whose headers cannot make an invocation (an x-fc-function-timeout that is not a
// number of seconds) is marked invalid, and answered 400 without running anything.
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorType, runtimeError } from '../../errors.js';
import type { Outcome } from '../../executor/executor.js';
import type { HttpRequestMeta } from '../../protocol.js';
import { fcInvocationMeta, fcLogLines, hookOf, type Kind } from '../fc/wire.js';
import { errorJson, header, type WireDefaults, type WireInvocation } from '../platform.js';

/** What a request asks for. */
export type Route = Kind | 'HttpInvoke';

/** The longest wait a timer can take (2^31 - 1 ms, about 24.8 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

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
  const timeoutMs = timeoutOf(headers, defaults.timeoutMs);
  const out: WireInvocation = {
    deadlineMs: arrivedAtMs + (typeof timeoutMs === 'number' ? timeoutMs : defaults.timeoutMs),
    meta: fcInvocationMeta(headers),
    ...fcLogLines(route === 'HttpInvoke' ? 'Invoke' : route, requestId),
  };
  if (typeof timeoutMs === 'string') out.invalid = runtimeError(ErrorType.InvalidRequest, timeoutMs);
  if (route === 'HttpInvoke') out.http = httpRequestOf(method, url, headers);
  else if (route !== 'Invoke') {
    const entry = hookOf(route, headers, defaults);
    // The initializer FNPOOL_INITIALIZER names ran on every thread at start; its outcome is the answer.
    if (entry === undefined || (route === 'Initialize' && entry === defaults.hooks.initializer)) out.done = true;
    else out.entry = entry;
  }
  return out;
}

/**
 * The invocation's timeout from x-fc-function-timeout (seconds), in ms; the default when the
 * header is absent; what is wrong with it when it is not a positive number. A timeout past what a
 * timer can wait (about 24.8 days) is that long: a longer one would fire at once.
 */
function timeoutOf(headers: IncomingHttpHeaders, defaultMs: number): number | string {
  const given = header(headers, 'x-fc-function-timeout');
  if (given === undefined) return defaultMs;
  const seconds = Number(given);
  if (!(Number.isFinite(seconds) && seconds > 0)) {
    return `x-fc-function-timeout must be a positive number of seconds (got ${JSON.stringify(given.slice(0, 64))})`;
  }
  return Math.min(seconds * 1000, MAX_TIMER_MS);
}

function httpRequestOf(method: string, url: string, headers: IncomingHttpHeaders): HttpRequestMeta {
  const { pathname, searchParams } = targetOf(url);
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(searchParams.keys())) {
    const values = searchParams.getAll(key);
    put(query, key, values.length === 1 ? values[0]! : values);
  }
  const own: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) put(own, key, value);
  return { method, path: decodedPath(pathname), headers: own, query };
}

/**
 * Sets an own property, whatever its name: `?__proto__=a&__proto__=b` assigned would set the
 * object's prototype instead (and the values would never reach the handler).
 */
function put(target: Record<string, string | string[]>, key: string, value: string | string[]): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The path and query of a request target. The origin form (`/a//b?q=1`) is a path even where it
 * reads like a URL of its own (`//host/x`, `//[`), so it is never resolved against a base; the
 * absolute form (`http://host/x`) is parsed as a URL; anything else (`*`, or what does not parse)
 * is split at its first `?` as it came.
 */
function targetOf(url: string): { pathname: string; searchParams: URLSearchParams } {
  try {
    const parsed = url.startsWith('/') ? new URL(`http://function${url}`) : new URL(url);
    return { pathname: parsed.pathname, searchParams: parsed.searchParams };
  } catch {
    const query = url.indexOf('?');
    return query === -1 ? { pathname: url, searchParams: new URLSearchParams() }
      : { pathname: url.slice(0, query), searchParams: new URLSearchParams(url.slice(query + 1)) };
  }
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
