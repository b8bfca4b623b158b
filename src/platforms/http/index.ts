// The HTTP server mode (push): Function Compute's custom runtime and custom container, Knative and
// Cloud Run start the runtime and call it over HTTP. Selected by FC_SERVER_PORT (FC: listen on it,
// default 9000), FC_FUNC_CODE_PATH, or PORT (Knative, Cloud Run: default 8080). Knative (K_SERVICE
// set) answers a function error with 500 instead of FC's 404. FC's environment names the code
// folder and the function; the handler is FNPOOL_HANDLER (FC's handler field means nothing to a
// custom runtime), and the deadline comes with each request as x-fc-function-timeout.
// FNPOOL_HEADERS_TIMEOUT_MS bounds how long a request's head may take to come (server.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Env, number, optionalString } from '../../config/env.js';
import type { PlatformModule, PlatformSettings } from '../platform.js';

const MiB = 1024 * 1024;
/** How long a request's head may take to come, by default: node's own default. */
const HEADERS_TIMEOUT_MS = 60_000;
/**
 * FNPOOL_HEADERS_TIMEOUT_MS as settings() read it (and checked it, at start), for the adapter:
 * the settings the configuration carries for every platform have no field for it.
 */
let headersTimeoutMs = HEADERS_TIMEOUT_MS;
/** The folder of `bootstrap` (a checkout or an uploaded package): the code's folder when nothing names one. */
const BOOTSTRAP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const http: PlatformModule = {
  name: 'http',
  title: 'HTTP server (FC custom runtime or container, Knative, Cloud Run)',
  detectedBy: ['FC_SERVER_PORT', 'FC_FUNC_CODE_PATH', 'PORT'],
  settings(env: Env): PlatformSettings {
    const onFc = optionalString(env, 'FC_SERVER_PORT') !== undefined || optionalString(env, 'FC_FUNC_CODE_PATH') !== undefined;
    // FC names its port, Knative and Cloud Run theirs; with neither, FC's default or theirs.
    const port = number(env, ['FC_SERVER_PORT', 'PORT'], onFc ? 9000 : 8080, { min: 0, max: 65_535, integer: true });
    const knative = optionalString(env, 'K_SERVICE') !== undefined;
    headersTimeoutMs = number(env, ['FNPOOL_HEADERS_TIMEOUT_MS'], HEADERS_TIMEOUT_MS, { min: 0, max: 3_600_000, integer: true, unit: 'ms' });
    const settings: PlatformSettings = {
      codeRoot: optionalString(env, 'FC_FUNC_CODE_PATH') ?? optionalString(env, 'RUNTIME_CODE_ROOT') ?? codeBesideBootstrap(),
      memoryMB: number(env, ['FC_FUNCTION_MEMORY_SIZE'], undefined, { min: 1, max: 1_048_576, integer: true, unit: 'MB' }),
      function: {
        name: optionalString(env, 'FC_FUNCTION_NAME') ?? optionalString(env, 'K_SERVICE'),
        version: optionalString(env, 'FC_QUALIFIER') ?? optionalString(env, 'K_REVISION') ?? 'LATEST',
      },
      server: { port, errorStatus: knative ? 500 : 404 },
    };
    // FC takes events and results of up to 32 MB.
    if (onFc) {
      settings.maxRequestBytes = { bytes: 32 * MiB, from: 'FNPOOL_MAX_REQUEST_BYTES' };
      settings.maxResponseBytes = { bytes: 32 * MiB, from: 'FNPOOL_MAX_RESPONSE_BYTES' };
    }
    return settings;
  },
  async pushAdapter(config, executor, log) {
    const { HttpAdapter } = await import('./server.js');
    return new HttpAdapter(config, executor, log, { headersTimeoutMs });
  },
};

/** The folder of bootstrap when fnpool was uploaded beside the code (fnpool-runtime/), else undefined (the working folder). */
function codeBesideBootstrap(): string | undefined {
  return path.basename(BOOTSTRAP_DIR) === 'fnpool-runtime' ? path.dirname(BOOTSTRAP_DIR) : undefined;
}
