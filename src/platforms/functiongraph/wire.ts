// FunctionGraph's runtime API, as the runtime sees it: GET the next invocation, POST its result or
// error by request id. The deadline is the function's timeout (RUNTIME_TIMEOUT) counted from the
// arrival of the invocation; the X-CFF-* credentials go to the context and are never logged. An
// X-CFF-Invoke-Type other than async (any case) is sync: the safe reading, since only an async
// invocation may be run again. The request id goes into the answer's path percent-encoded (see
// pull/wire-values.ts).
import type { Outcome } from '../../executor/executor.js';
import { errorJson, header, headerFields, type PullWire, type WireDefaults, type WireHeaders, type WireInvocation, type WireRequest } from '../platform.js';
import { requestIdSegment } from '../pull/wire-values.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const BYTES_TYPE = { 'content-type': 'application/octet-stream' };

/** Context keys (see InvocationMeta.fields) and the headers they come from. */
const CREDENTIALS = [
  ['accessKey', 'x-cff-access-key'],
  ['secretKey', 'x-cff-secret-key'],
  ['authToken', 'x-cff-auth-token'],
  ['securityAccessKey', 'x-cff-security-access-key'],
  ['securitySecretKey', 'x-cff-security-secret-key'],
  ['securityToken', 'x-cff-security-token'],
] as const;

export const functionGraphWire: PullWire = {
  nextPath: '/v1/runtime/invocation/request',
  requestIdHeader: 'x-cff-request-id',
  initFailure: 'serve',

  invocation(headers: WireHeaders, arrivedAtMs: number, defaults: WireDefaults): WireInvocation {
    const fields: Record<string, string> = {};
    const secrets: string[] = [];
    headerFields(headers, CREDENTIALS, fields, secrets);
    return {
      deadlineMs: arrivedAtMs + defaults.timeoutMs,
      meta: { invokeType: header(headers, 'x-cff-invoke-type')?.toLowerCase() === 'async' ? 'async' : 'sync', fields, secrets },
    };
  },

  answer(requestId: string, outcome: Outcome): WireRequest {
    const id = requestIdSegment(requestId);
    if (outcome.ok) {
      return { path: `/v1/runtime/invocation/response/${id}`, body: outcome.body, headers: typeof outcome.body === 'string' ? JSON_TYPE : BYTES_TYPE };
    }
    return { path: `/v1/runtime/invocation/error/${id}`, body: errorJson(outcome.error), headers: JSON_TYPE };
  },
};
