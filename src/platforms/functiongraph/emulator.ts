// The local FunctionGraph: its runtime API as the emulator (emulator/ledger.ts) speaks it, and the
// environment FunctionGraph gives a custom runtime. Limits as the platform's: sync request and
// response 6 MB, async request 256 KB.
import path from 'node:path';
import { parseErrorJson, passHeaders } from '../../emulator/wire-helpers.js';
import type { EmulatorWire, LaunchSettings } from '../../emulator/wires.js';

const MiB = 1024 * 1024;
const RESPONSE_PREFIX = '/v1/runtime/invocation/response/';
const ERROR_PREFIX = '/v1/runtime/invocation/error/';
/** Caller headers passed on: the credentials FunctionGraph attaches to an invocation. */
const CREDENTIALS = ['x-cff-access-key', 'x-cff-secret-key', 'x-cff-auth-token', 'x-cff-security-access-key', 'x-cff-security-secret-key', 'x-cff-security-token'];

export const functionGraphEmulator: EmulatorWire = {
  title: 'FunctionGraph',
  apiVariable: 'RUNTIME_API_ADDR',
  nextPath: '/v1/runtime/invocation/request',
  answerOf(p) {
    if (p.startsWith(RESPONSE_PREFIX)) return { rawId: p.slice(RESPONSE_PREFIX.length), ok: true };
    if (p.startsWith(ERROR_PREFIX)) return { rawId: p.slice(ERROR_PREFIX.length), ok: false };
    return undefined;
  },
  initFailure: 'serve',
  acceptedStatus: 202,
  limits: { maxSyncRequestBytes: 6 * MiB, maxAsyncRequestBytes: 256 * 1024, maxResponseBytes: 6 * MiB },
  ownedHeaders: ['x-cff-request-id', 'x-cff-invoke-type'],
  handoutHeaders: (requestId, invokeType) => ['X-Cff-Request-Id', requestId, 'X-CFF-Invoke-Type', invokeType],
  parseError: (body) => parseErrorJson(body, 'stackTrace'),
  errorShape: 'the error body must be JSON with string errorType, string errorMessage and an array of strings stackTrace',
  callerHeaders: (headers) => passHeaders(headers, CREDENTIALS),
  launchVariables: ['RUNTIME_API_ADDR', 'RUNTIME_HANDLER', 'RUNTIME_INITIALIZER_HANDLER', 'RUNTIME_CODE_ROOT', 'RUNTIME_TIMEOUT', 'RUNTIME_MEMORY', 'RUNTIME_CPU'],
  launchEnv(s: LaunchSettings, apiAddress: string, env: NodeJS.ProcessEnv): Record<string, string> {
    const out: Record<string, string> = {
      RUNTIME_API_ADDR: apiAddress,
      RUNTIME_CODE_ROOT: s.dir,
      RUNTIME_HANDLER: s.handler,
      RUNTIME_TIMEOUT: String(s.timeout),
      RUNTIME_CPU: String(s.cpus),
      RUNTIME_FUNC_NAME: env.RUNTIME_FUNC_NAME ?? path.basename(s.dir),
      RUNTIME_FUNC_VERSION: env.RUNTIME_FUNC_VERSION ?? 'latest',
      RUNTIME_PACKAGE: env.RUNTIME_PACKAGE ?? 'default',
      RUNTIME_PROJECT_ID: env.RUNTIME_PROJECT_ID ?? 'local',
      RUNTIME_USERDATA: env.RUNTIME_USERDATA ?? '{}',
    };
    if (s.memory !== undefined) out.RUNTIME_MEMORY = String(s.memory);
    if (s.initializer !== undefined) out.RUNTIME_INITIALIZER_HANDLER = s.initializer;
    if (s.concurrency !== undefined) out.FNPOOL_CONCURRENCY = String(s.concurrency);
    return out;
  },
};
