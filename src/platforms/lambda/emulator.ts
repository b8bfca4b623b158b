// The local Lambda: its Runtime API as the emulator (emulator/ledger.ts) speaks it, and the
// environment Lambda gives a runtime on provided.al2023. Every hand-out carries its deadline
// (Lambda-Runtime-Deadline-Ms) and an X-Ray trace id; a failed init is reported to
// /runtime/init/error and the runtime exits, so what waits is answered with that error.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseErrorJson } from '../../emulator/wire-helpers.js';
import type { EmulatorWire, LaunchSettings } from '../../emulator/wires.js';

const MiB = 1024 * 1024;
const ANSWER = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
/** The ARN every local invocation names (AWS's emulator uses the same account). */
export const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:012345678912:function:fnpool-local';

export const lambdaEmulator: EmulatorWire = {
  title: 'Lambda',
  apiVariable: 'AWS_LAMBDA_RUNTIME_API',
  nextPath: '/2018-06-01/runtime/invocation/next',
  answerOf(p) {
    const m = ANSWER.exec(p);
    return m === null ? undefined : { rawId: m[1]!, ok: m[2] === 'response' };
  },
  initErrorPath: '/2018-06-01/runtime/init/error',
  initFailure: 'exit',
  acceptedStatus: 202,
  limits: { maxSyncRequestBytes: 6 * MiB, maxAsyncRequestBytes: 1 * MiB, maxResponseBytes: 6 * MiB + 100 },
  ownedHeaders: ['lambda-runtime-aws-request-id', 'lambda-runtime-deadline-ms'],
  baseHeaders: { 'Lambda-Runtime-Invoked-Function-Arn': LOCAL_FUNCTION_ARN },
  handoutHeaders: (requestId) => ['Lambda-Runtime-Aws-Request-Id', requestId],
  handoutTimeHeaders: (deadlineMs) => ['Lambda-Runtime-Deadline-Ms', String(deadlineMs), 'Lambda-Runtime-Trace-Id', traceId()],
  parseError: (body) => parseErrorJson(body, 'trace', true),
  errorShape: 'the error body must be JSON with string errorType, string errorMessage and an array of strings trace',
  callerHeaders(headers) {
    // As AWS's invoke API and its emulator take them: the client context base64, the trace and tenant ids as they are.
    const out: Record<string, string> = {};
    const context = headers['x-amz-client-context'];
    if (typeof context === 'string' && context !== '') out['Lambda-Runtime-Client-Context'] = Buffer.from(context, 'base64').toString('utf8');
    const trace = headers['x-amzn-trace-id'];
    if (typeof trace === 'string' && trace !== '') out['Lambda-Runtime-Trace-Id'] = trace;
    const tenant = headers['x-amz-tenant-id'];
    if (typeof tenant === 'string' && tenant !== '') out['Lambda-Runtime-Aws-Tenant-Id'] = tenant;
    return out;
  },
  launchVariables: ['AWS_LAMBDA_RUNTIME_API', '_HANDLER', 'LAMBDA_TASK_ROOT', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_TIMEOUT', 'AWS_LAMBDA_MAX_CONCURRENCY'],
  launchEnv(s: LaunchSettings, apiAddress: string, env: NodeJS.ProcessEnv): Record<string, string> {
    const name = env.AWS_LAMBDA_FUNCTION_NAME ?? path.basename(s.dir);
    const out: Record<string, string> = {
      AWS_LAMBDA_RUNTIME_API: apiAddress,
      LAMBDA_TASK_ROOT: s.dir,
      _HANDLER: s.handler,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(s.timeout),
      AWS_LAMBDA_LOG_GROUP_NAME: env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: env.AWS_LAMBDA_LOG_STREAM_NAME ?? '$LATEST',
    };
    if (s.memory !== undefined) out.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(s.memory);
    if (s.initializer !== undefined) out.FNPOOL_INITIALIZER = s.initializer;
    // Managed Instances: that many at once, on threads for the CPUs. Classic Lambda: one at a time, one thread.
    if (s.concurrency !== undefined) {
      out.AWS_LAMBDA_MAX_CONCURRENCY = String(s.concurrency);
      out.FNPOOL_THREADS = env.FNPOOL_THREADS ?? String(Math.max(1, Math.ceil(s.cpus)));
    }
    return out;
  },
};

/**
 * An X-Ray trace header of a fresh trace, as Lambda sends it: unique per hand-out (a random prefix
 * chosen once, then a counter), and cheap: the emulator shares the cores with the runtime it
 * measures (20 random bytes per hand-out took the emulator from ~87 to ~121 µs of CPU per
 * invocation in one profiled run).
 */
const TRACE_PREFIX = randomBytes(6).toString('hex');
let traces = 0;
function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  const n = (traces++).toString(16).padStart(12, '0');
  return `Root=1-${epoch}-${TRACE_PREFIX}${n};Parent=${n}${TRACE_PREFIX.slice(0, 4)};Sampled=0`;
}
