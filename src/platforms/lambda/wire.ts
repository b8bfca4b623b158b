// AWS Lambda's Runtime API, as the runtime sees it. The deadline comes with every invocation
// (Lambda-Runtime-Deadline-Ms, epoch ms); errors go as {errorType, errorMessage, trace} with the
// type in Lambda-Runtime-Function-Error-Type too; a failed init is posted to /runtime/init/error
// and the process exits; a 500 on /next means the sandbox is going away: exit too. A deadline that
// is not epoch ms within 12 h of the arrival is not believed: the function's timeout applies; one
// that had passed when the invocation arrived is answered Runtime.Timeout at once. The request id
// goes into the answer's path percent-encoded (see pull/wire-values.ts).
import { ErrorType, runtimeError, type WireError } from '../../errors.js';
import type { Outcome } from '../../executor/executor.js';
import { errorJson, header, headerFields, type PullWire, type WireDefaults, type WireHeaders, type WireInvocation, type WireRequest } from '../platform.js';
import { deadlinePassed, epochDeadline, requestIdSegment } from '../pull/wire-values.js';

const BASE = '/2018-06-01/runtime';
const JSON_TYPE = { 'content-type': 'application/json' };
const BYTES_TYPE = { 'content-type': 'application/octet-stream' };
/** Lambda's limit on a response body. */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;
const DEADLINE_HEADER = 'lambda-runtime-deadline-ms';

/** Context keys (see InvocationMeta.fields) and the headers they come from. */
const FIELDS = [
  ['invokedFunctionArn', 'lambda-runtime-invoked-function-arn'],
  ['clientContext', 'lambda-runtime-client-context'],
  ['cognitoIdentity', 'lambda-runtime-cognito-identity'],
  ['tenantId', 'lambda-runtime-aws-tenant-id'],
] as const;

export const lambdaWire: PullWire = {
  nextPath: `${BASE}/invocation/next`,
  requestIdHeader: 'lambda-runtime-aws-request-id',
  initErrorPath: `${BASE}/init/error`,
  initFailure: 'exit',
  fatalNextStatus: 500,

  invocation(headers: WireHeaders, arrivedAtMs: number, defaults: WireDefaults): WireInvocation {
    const fields: Record<string, string> = {};
    headerFields(headers, FIELDS, fields);
    const deadline = epochDeadline(header(headers, DEADLINE_HEADER), arrivedAtMs);
    return {
      deadlineMs: deadline ?? arrivedAtMs + defaults.timeoutMs,
      meta: { invokeType: 'sync', fields, traceId: header(headers, 'lambda-runtime-trace-id') },
      invalid: deadline !== undefined && deadline < arrivedAtMs ? deadlinePassed('Lambda-Runtime-Deadline-Ms', deadline, arrivedAtMs) : undefined,
    };
  },

  answer(requestId: string, outcome: Outcome): WireRequest {
    const id = requestIdSegment(requestId);
    if (outcome.ok) {
      return { path: `${BASE}/invocation/${id}/response`, body: outcome.body, headers: typeof outcome.body === 'string' ? JSON_TYPE : BYTES_TYPE };
    }
    return errorRequest(`${BASE}/invocation/${id}/error`, outcome.error);
  },

  initError(error: WireError): WireRequest {
    return errorRequest(`${BASE}/init/error`, error);
  },

  retryRefused(requestId: string, status: number, refused: WireRequest): WireRequest | undefined {
    // Over Lambda's limit: the invocation still gets an answer, as an error of its own.
    if (status !== 413 || !refused.path.endsWith('/response')) return undefined;
    const size = typeof refused.body === 'string' ? Buffer.byteLength(refused.body) : refused.body.byteLength;
    return errorRequest(`${BASE}/invocation/${requestIdSegment(requestId)}/error`, runtimeError(ErrorType.ResponseTooLarge,
      `the handler's result is ${size} bytes; Lambda refused it (its limit is ${MAX_RESPONSE_BYTES} bytes)`));
  },
};

function errorRequest(path: string, error: WireError): WireRequest {
  return {
    path,
    body: errorJson(error, 'trace'),
    headers: { ...JSON_TYPE, 'lambda-runtime-function-error-type': error.errorType.replace(/[^\x21-\x7e]/g, '_') || 'Unknown' },
  };
}
