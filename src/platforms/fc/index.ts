// Alibaba Function Compute's runtime API (pull): selected by FC_RUNTIME_API, what FC's own
// built-in runtimes poll. FC's environment names the code (FC_FUNC_CODE_PATH), the handler
// (FC_FUNCTION_HANDLER), the memory (FC_FUNCTION_MEMORY_SIZE) and the function's service; the
// deadline comes with every invocation.
import { type Env, number, optionalString } from '../../config/env.js';
import { apiAddressFrom, type PlatformModule, type PlatformSettings } from '../platform.js';
import { fcWire } from './wire.js';

const MiB = 1024 * 1024;

export const fc: PlatformModule = {
  name: 'fc',
  title: 'Function Compute runtime API',
  detectedBy: ['FC_RUNTIME_API'],
  wire: fcWire,
  settings(env: Env): PlatformSettings {
    const apiAddress = apiAddressFrom(env, 'FC_RUNTIME_API', "Function Compute's runtime API");
    const handler = optionalString(env, 'FC_FUNCTION_HANDLER');
    const attrs: Record<string, string> = {};
    for (const [key, name] of [['handler', 'FC_FUNCTION_HANDLER'], ['serviceName', 'FC_SERVICE_NAME'], ['region', 'FC_REGION'],
      ['accountId', 'FC_ACCOUNT_ID'], ['qualifier', 'FC_QUALIFIER'], ['versionId', 'FC_VER_ID']] as const) {
      const value = optionalString(env, name);
      if (value !== undefined) attrs[key] = value;
    }
    return {
      apiAddress,
      codeRoot: optionalString(env, 'FC_FUNC_CODE_PATH'),
      handler,
      memoryMB: number(env, ['FC_FUNCTION_MEMORY_SIZE'], undefined, { min: 1, max: 1_048_576, integer: true, unit: 'MB' }),
      // FC takes events and results of up to 32 MB.
      maxRequestBytes: { bytes: 32 * MiB, from: 'FNPOOL_MAX_REQUEST_BYTES' },
      maxResponseBytes: { bytes: 32 * MiB, from: 'FNPOOL_MAX_RESPONSE_BYTES' },
      function: { name: optionalString(env, 'FC_FUNCTION_NAME'), version: optionalString(env, 'FC_QUALIFIER') ?? 'LATEST', attrs },
    };
  },
};
