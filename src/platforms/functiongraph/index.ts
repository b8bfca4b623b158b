// FunctionGraph's custom runtime (pull): selected by RUNTIME_API_ADDR. Its environment names the
// function (RUNTIME_FUNC_NAME, …), its code (RUNTIME_CODE_ROOT, RUNTIME_HANDLER), its timeout,
// CPUs and memory (RUNTIME_TIMEOUT, RUNTIME_CPU, RUNTIME_MEMORY) and its user data.
import { ConfigError, type Env, number, optionalString, pick, string } from '../../config/env.js';
import { apiAddressFrom, type PlatformModule, type PlatformSettings } from '../platform.js';
import { functionGraphWire } from './wire.js';

export const functiongraph: PlatformModule = {
  name: 'functiongraph',
  title: 'FunctionGraph',
  detectedBy: ['RUNTIME_API_ADDR'],
  wire: functionGraphWire,
  settings(env: Env): PlatformSettings {
    const apiAddress = apiAddressFrom(env, 'RUNTIME_API_ADDR', "FunctionGraph's runtime API");
    return {
      apiAddress,
      codeRoot: optionalString(env, 'RUNTIME_CODE_ROOT'),
      handler: optionalString(env, 'RUNTIME_HANDLER'),
      initializer: optionalString(env, 'RUNTIME_INITIALIZER_HANDLER'),
      initializerTimeoutSeconds: number(env, ['RUNTIME_INITIALIZER_TIMEOUT'], 3, { min: 1, max: 300, unit: 'seconds' }),
      timeoutSeconds: number(env, ['RUNTIME_TIMEOUT'], undefined, { min: 0.001, max: 43_200, unit: 'seconds' }),
      cpus: number(env, ['RUNTIME_CPU'], undefined, { min: 0.001, unit: 'CPUs' }),
      memoryMB: number(env, ['RUNTIME_MEMORY'], undefined, { min: 1, max: 1_048_576, integer: true, unit: 'MB' }),
      maxRequestBytes: sizeLimit(env, 'RUNTIME_MAX_REQUEST_BODY_SIZE'),
      maxResponseBytes: sizeLimit(env, 'RUNTIME_MAX_RESP_BODY_SIZE'),
      function: {
        name: optionalString(env, 'RUNTIME_FUNC_NAME'),
        version: optionalString(env, 'RUNTIME_FUNC_VERSION'),
        userData: parseUserData(env),
        attrs: { package: string(env, ['RUNTIME_PACKAGE'], 'default'), projectId: string(env, ['RUNTIME_PROJECT_ID'], '') },
      },
    };
  },
};

function sizeLimit(env: Env, name: string): { bytes: number; from: string } | undefined {
  const bytes = number(env, [name], undefined, { min: 1, integer: true, unit: 'bytes' });
  return bytes === undefined ? undefined : { bytes, from: name };
}

function parseUserData(env: Env): Record<string, string> {
  const found = pick(env, 'RUNTIME_USERDATA');
  if (!found) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(found.value);
  } catch (err) {
    throw new ConfigError(`RUNTIME_USERDATA is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('RUNTIME_USERDATA must be a JSON object of the function\'s environment values');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  return out;
}

