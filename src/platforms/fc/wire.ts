// Function Compute's runtime API, as the runtime sees it: /2020-11-11/runtime/invocation/next, then
// /{id}/response or /{id}/error. The deadline comes as x-fc-function-deadline (epoch ms). The
// invocation type (x-fc-function-type) says whether to run the handler (0) or a lifecycle hook: 1
// the initializer, 2 preStop, 3 preFreeze (FC's own runtimes number them so). An HTTP trigger's
// request comes as x-fc-http-params (base64 JSON of method, path, headersMap, queriesMap); its
// status and headers go back the same way on the response post. "FC Invoke Start/End RequestId:"
// lines frame every invocation on stdout. Hostile values: an x-fc-function-type that is not one of
// 0–3, or x-fc-http-params that is not base64 of a JSON object, is answered Runtime.InvalidRequest
// without running anything; a deadline or timeout the runtime cannot believe (not a decimal
// number, or more than 12 h away) gives way to the next source (deadline → timeout →
// FNPOOL_TIMEOUT); a deadline that had passed at arrival is answered Runtime.Timeout at once. The
// request id goes into the answer's path percent-encoded (see pull/wire-values.ts).
import { ErrorType, runtimeError, type WireError } from '../../errors.js';
import type { Outcome } from '../../executor/executor.js';
import type { HttpRequestMeta, HttpResponseMeta, InvocationMeta } from '../../protocol.js';
import {
  errorJson, header, headerFields, type PullWire, type WireDefaults, type WireHeaders, type WireInvocation, type WireRequest,
} from '../platform.js';
import { deadlinePassed, epochDeadline, requestIdSegment, requestIdText, timeoutSeconds } from '../pull/wire-values.js';

const BASE = '/2020-11-11/runtime';
const JSON_TYPE = { 'content-type': 'application/json' };
const BYTES_TYPE = { 'content-type': 'application/octet-stream' };

/** Context keys (see InvocationMeta.fields) and the headers they come from. */
const FIELDS = [
  ['functionName', 'x-fc-function-name'],
  ['functionHandler', 'x-fc-function-handler'],
  ['functionMemory', 'x-fc-function-memory'],
  ['functionTimeout', 'x-fc-function-timeout'],
  ['serviceName', 'x-fc-service-name'],
  ['logProject', 'x-fc-service-logproject'],
  ['logStore', 'x-fc-service-logstore'],
  ['qualifier', 'x-fc-qualifier'],
  ['versionId', 'x-fc-version-id'],
  ['region', 'x-fc-region'],
  ['accountId', 'x-fc-account-id'],
  ['retryCount', 'x-fc-retry-count'],
] as const;
const CREDENTIALS = [
  ['accessKey', 'x-fc-access-key-id'],
  ['secretKey', 'x-fc-access-key-secret'],
  ['securityToken', 'x-fc-security-token'],
] as const;

export type Kind = 'Invoke' | 'Initialize' | 'PreStop' | 'PreFreeze';
/** x-fc-function-type → kind; a Map, so that `__proto__` or `constructor` finds nothing. */
const KINDS = new Map<string, Kind>([['0', 'Invoke'], ['1', 'Initialize'], ['2', 'PreStop'], ['3', 'PreFreeze']]);

export const fcWire: PullWire = {
  nextPath: `${BASE}/invocation/next`,
  requestIdHeader: 'x-fc-request-id',
  initErrorPath: `${BASE}/init/error`,
  initFailure: 'serve',

  invocation(headers: WireHeaders, arrivedAtMs: number, defaults: WireDefaults): WireInvocation {
    const requestId = requestIdText(header(headers, 'x-fc-request-id') ?? '');
    const out: WireInvocation = { deadlineMs: deadlineOf(headers, arrivedAtMs, defaults.timeoutMs), meta: fcInvocationMeta(headers) };
    const kind = kindOf(headers, defaults);
    if (typeof kind !== 'string') return { ...out, ...fcLogLines('Invoke', requestId), invalid: kind };
    Object.assign(out, fcLogLines(kind, requestId));
    if (out.deadlineMs < arrivedAtMs) return { ...out, invalid: deadlinePassed('x-fc-function-deadline', out.deadlineMs, arrivedAtMs) };
    if (kind === 'Invoke') {
      const params = header(headers, 'x-fc-http-params');
      if (params !== undefined) {
        try {
          out.http = httpRequestOf(params);
        } catch (err) {
          out.invalid = runtimeError(ErrorType.InvalidRequest, `x-fc-http-params is not base64 JSON of an HTTP request: ${(err as Error).message}`);
        }
      }
      return out;
    }
    const entry = hookOf(kind, headers, defaults);
    // The initializer FNPOOL_INITIALIZER names ran on every thread at start; its outcome is the answer.
    if (entry === undefined || (kind === 'Initialize' && entry === defaults.hooks.initializer)) out.done = true;
    else out.entry = entry;
    return out;
  },

  answer(requestId: string, outcome: Outcome): WireRequest {
    const id = requestIdSegment(requestId);
    if (!outcome.ok) return { path: `${BASE}/invocation/${id}/error`, body: errorJson(outcome.error), headers: JSON_TYPE };
    const path = `${BASE}/invocation/${id}/response`;
    if (outcome.http === undefined) return { path, body: outcome.body, headers: typeof outcome.body === 'string' ? JSON_TYPE : BYTES_TYPE };
    return { path, body: outcome.body, headers: { ...BYTES_TYPE, 'x-fc-http-params': httpResponseParams(outcome.http) } };
  },

  initError(error) {
    return { path: `${BASE}/init/error`, body: errorJson(error), headers: JSON_TYPE };
  },
};

/** What FC's request headers tell the handler's context (the same on the runtime API and in HTTP mode). */
export function fcInvocationMeta(headers: WireHeaders): InvocationMeta {
  const fields: Record<string, string> = {};
  const secrets: string[] = [];
  headerFields(headers, FIELDS, fields);
  headerFields(headers, CREDENTIALS, fields, secrets);
  return { invokeType: 'sync', fields, secrets };
}

/** The "FC Invoke Start/End RequestId:" lines FC's console and log tail look for. */
export function fcLogLines(kind: Kind, requestId: string): Pick<WireInvocation, 'startLine' | 'endLine'> {
  return {
    startLine: `FC ${kind} Start RequestId: ${requestId}`,
    endLine: (ok) => `FC ${kind} End RequestId: ${requestId}${ok ? '' : ', Error: Unhandled function error'}`,
  };
}

/** FC's deadline (epoch ms), else its timeout (seconds) from the arrival, else the function's. */
function deadlineOf(headers: WireHeaders, arrivedAtMs: number, timeoutMs: number): number {
  const deadline = epochDeadline(header(headers, 'x-fc-function-deadline'), arrivedAtMs);
  if (deadline !== undefined) return deadline;
  const seconds = timeoutSeconds(header(headers, 'x-fc-function-timeout'));
  return arrivedAtMs + (seconds === undefined ? timeoutMs : seconds * 1000);
}

/**
 * The invocation's kind, or the error for a type that is none. A lifecycle call names the export
 * it wants in x-fc-function-handler: when that is the pre-stop or pre-freeze export we were told
 * of, the name decides, whatever the number.
 */
function kindOf(headers: WireHeaders, defaults: WireDefaults): Kind | WireError {
  const type = header(headers, 'x-fc-function-type') ?? '0';
  const kind = KINDS.get(type);
  if (kind === undefined) {
    return runtimeError(ErrorType.InvalidRequest, `x-fc-function-type ${JSON.stringify(type.slice(0, 64))} is none of 0 (invoke), ` +
      '1 (initializer), 2 (preStop) and 3 (preFreeze)');
  }
  if (kind !== 'PreStop' && kind !== 'PreFreeze') return kind;
  const named = header(headers, 'x-fc-function-handler');
  if (named === undefined) return kind;
  if (named === (defaults.hooks.preStop ?? header(headers, 'x-fc-instance-lifecycle-pre-stop-handler'))) return 'PreStop';
  if (named === (defaults.hooks.preFreeze ?? header(headers, 'x-fc-instance-lifecycle-pre-freeze-handler'))) return 'PreFreeze';
  return kind;
}

/** The export a lifecycle call runs: fnpool's setting, else what FC names; undefined when none (answered at once). */
export function hookOf(kind: Kind, headers: WireHeaders, defaults: WireDefaults): string | undefined {
  const named = header(headers, 'x-fc-function-handler');
  switch (kind) {
    case 'Initialize':
      return defaults.hooks.initializer ?? header(headers, 'x-fc-function-initializer') ?? named;
    case 'PreStop':
      return defaults.hooks.preStop ?? header(headers, 'x-fc-instance-lifecycle-pre-stop-handler') ?? named;
    default:
      return defaults.hooks.preFreeze ?? header(headers, 'x-fc-instance-lifecycle-pre-freeze-handler') ?? named;
  }
}

/** x-fc-http-params → the request the handler's event describes. */
function httpRequestOf(params: string): HttpRequestMeta {
  const value = JSON.parse(Buffer.from(params, 'base64').toString('utf8')) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  const requestURI = typeof value.requestURI === 'string' ? value.requestURI : undefined;
  const path = typeof value.path === 'string' && value.path !== '' ? value.path : (requestURI?.split('?')[0] || '/');
  return {
    method: typeof value.method === 'string' ? value.method.toUpperCase() : 'GET',
    path,
    headers: lowerKeys(multiMap(value.headersMap ?? value.headers)),
    query: multiMap(value.queriesMap ?? value.queries),
  };
}

/** {k: [v, …]} or {k: v} → single values unwrapped, several kept as an array. */
function multiMap(value: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) out[key] = v.length === 1 ? String(v[0]) : v.map(String);
    else if (v !== undefined && v !== null) out[key] = String(v);
  }
  return out;
}

function lowerKeys(map: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(map)) out[key.toLowerCase()] = value;
  return out;
}

/** The handler's status and headers, as FC's runtimes send them back: base64 JSON {status, headersMap, headers}. */
function httpResponseParams(http: HttpResponseMeta): string {
  const headersMap: Record<string, string[]> = {};
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(http.headers)) {
    const list = Array.isArray(value) ? value.map(String) : [String(value)];
    headersMap[key] = list;
    headers[key] = list[0] ?? '';
  }
  return Buffer.from(JSON.stringify({ status: http.statusCode, headersMap, headers })).toString('base64');
}
