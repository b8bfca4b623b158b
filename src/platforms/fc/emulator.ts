// The local Function Compute: its runtime API as the emulator (emulator/ledger.ts) speaks it, and
// the environment FC gives a runtime. Every hand-out carries its deadline
// (x-fc-function-deadline); a caller may make it a lifecycle call (x-fc-function-type) or an HTTP
// trigger's request (x-fc-http-params).
import path from 'node:path';
import { parseErrorJson, passHeaders } from '../../emulator/wire-helpers.js';
import type { EmulatorWire, LaunchSettings } from '../../emulator/wires.js';

const MiB = 1024 * 1024;
const ANSWER = /^\/2020-11-11\/runtime\/invocation\/([^/]+)\/(response|error)$/;
const PASSED = ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token', 'x-fc-function-type', 'x-fc-function-handler',
  'x-fc-http-params', 'x-fc-function-initializer', 'x-fc-instance-lifecycle-pre-stop-handler', 'x-fc-instance-lifecycle-pre-freeze-handler'];

export const fcEmulator: EmulatorWire = {
  title: 'Function Compute',
  apiVariable: 'FC_RUNTIME_API',
  nextPath: '/2020-11-11/runtime/invocation/next',
  answerOf(p) {
    const m = ANSWER.exec(p);
    return m === null ? undefined : { rawId: m[1]!, ok: m[2] === 'response' };
  },
  initErrorPath: '/2020-11-11/runtime/init/error',
  initFailure: 'serve',
  acceptedStatus: 200,
  limits: { maxSyncRequestBytes: 32 * MiB, maxAsyncRequestBytes: 128 * 1024, maxResponseBytes: 32 * MiB },
  ownedHeaders: ['x-fc-request-id', 'x-fc-function-deadline'],
  baseHeaders: { 'x-fc-region': 'local', 'x-fc-account-id': '0000000000000000' },
  handoutHeaders: (requestId) => ['x-fc-request-id', requestId],
  handoutTimeHeaders: (deadlineMs, timeoutMs) => ['x-fc-function-deadline', String(deadlineMs), 'x-fc-function-timeout', String(Math.ceil(timeoutMs / 1000))],
  parseError: (body) => parseErrorJson(body, 'stackTrace', true),
  errorShape: 'the error body must be JSON with string errorType and errorMessage (and an array of strings stackTrace)',
  callerHeaders: (headers) => passHeaders(headers, PASSED),
  /** FC's HTTP-trigger answer: x-fc-http-params on the response post, base64 JSON {status, headersMap}. */
  httpAnswer(result) {
    const params = result.headers['x-fc-http-params'];
    if (params === undefined) return undefined;
    try {
      const value = JSON.parse(Buffer.from(params, 'base64').toString('utf8')) as { status?: unknown; headersMap?: Record<string, unknown> };
      const headers: Record<string, string | string[]> = {};
      for (const [key, list] of Object.entries(value.headersMap ?? {})) headers[key] = Array.isArray(list) ? list.map(String) : String(list);
      return { status: Number.isInteger(value.status) ? value.status as number : 200, headers };
    } catch {
      return undefined;
    }
  },
  launchVariables: ['FC_RUNTIME_API', 'FC_FUNC_CODE_PATH', 'FC_FUNCTION_HANDLER', 'FC_FUNCTION_MEMORY_SIZE'],
  launchEnv(s: LaunchSettings, apiAddress: string, env: NodeJS.ProcessEnv): Record<string, string> {
    const out: Record<string, string> = {
      FC_RUNTIME_API: apiAddress,
      FC_FUNC_CODE_PATH: s.dir,
      FC_FUNCTION_HANDLER: s.handler,
      FC_FUNCTION_NAME: env.FC_FUNCTION_NAME ?? path.basename(s.dir),
      FNPOOL_TIMEOUT: String(s.timeout),
      FNPOOL_THREADS: env.FNPOOL_THREADS ?? String(Math.max(1, Math.ceil(s.cpus))),
    };
    if (s.memory !== undefined) out.FC_FUNCTION_MEMORY_SIZE = String(s.memory);
    if (s.initializer !== undefined) out.FNPOOL_INITIALIZER = s.initializer;
    if (s.concurrency !== undefined) out.FNPOOL_CONCURRENCY = String(s.concurrency);
    return out;
  },
};

