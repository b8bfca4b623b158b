// AWS Lambda's Runtime API (pull): selected by AWS_LAMBDA_RUNTIME_API, on provided.al2023, Lambda
// Managed Instances and AWS's runtime interface emulator. Classic Lambda sends one invocation at a
// time: without AWS_LAMBDA_MAX_CONCURRENCY fnpool keeps one /next outstanding and one invocation
// in flight; with it (Managed Instances), up to that many across the pool.
import { ConfigError, type Env, number, optionalString, pick } from '../../config/env.js';
import type { LogLevel, LogStyle } from '../../config/config.js';
import { apiAddressFrom, type PlatformModule, type PlatformSettings } from '../platform.js';
import { lambdaWire } from './wire.js';

const AWS_LEVELS: Record<string, LogLevel> = { trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', error: 'error', fatal: 'fatal' };

export const lambda: PlatformModule = {
  name: 'lambda',
  title: 'AWS Lambda',
  detectedBy: ['AWS_LAMBDA_RUNTIME_API'],
  wire: lambdaWire,
  settings(env: Env): PlatformSettings {
    const apiAddress = apiAddressFrom(env, 'AWS_LAMBDA_RUNTIME_API', "the Lambda Runtime API");
    return {
      apiAddress,
      codeRoot: optionalString(env, 'LAMBDA_TASK_ROOT'),
      handler: optionalString(env, '_HANDLER'),
      memoryMB: number(env, ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], undefined, { min: 1, max: 1_048_576, integer: true, unit: 'MB' }),
      // Only AWS's emulator sets it: Lambda itself says the deadline with every invocation.
      timeoutSeconds: number(env, ['AWS_LAMBDA_FUNCTION_TIMEOUT'], undefined, { min: 0.001, max: 43_200, unit: 'seconds' }),
      maxConcurrency: number(env, ['AWS_LAMBDA_MAX_CONCURRENCY'], 1, { min: 1, max: 10_000, integer: true }),
      function: {
        name: optionalString(env, 'AWS_LAMBDA_FUNCTION_NAME'),
        version: optionalString(env, 'AWS_LAMBDA_FUNCTION_VERSION') ?? '$LATEST',
        attrs: {
          logGroupName: optionalString(env, 'AWS_LAMBDA_LOG_GROUP_NAME') ?? '',
          logStreamName: optionalString(env, 'AWS_LAMBDA_LOG_STREAM_NAME') ?? '',
        },
      },
      log: logStyle(env),
    };
  },
};

/** AWS_LAMBDA_LOG_FORMAT (Text, the default, or JSON) and AWS_LAMBDA_LOG_LEVEL (everything by default). */
function logStyle(env: Env): Partial<LogStyle> {
  const format = pick(env, 'AWS_LAMBDA_LOG_FORMAT');
  const levelVar = pick(env, 'AWS_LAMBDA_LOG_LEVEL');
  const level = levelVar === undefined ? 'trace' : AWS_LEVELS[levelVar.value.toLowerCase()];
  if (level === undefined) {
    throw new ConfigError(`AWS_LAMBDA_LOG_LEVEL=${JSON.stringify(levelVar!.value)} must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL`);
  }
  if (format !== undefined && format.value.toLowerCase() === 'json') {
    return { level, format: 'json', timeKey: 'timestamp', messageKey: 'message', upperLevel: true };
  }
  if (format !== undefined && format.value.toLowerCase() !== 'text') {
    throw new ConfigError(`AWS_LAMBDA_LOG_FORMAT=${JSON.stringify(format.value)} must be Text or JSON`);
  }
  return { level, format: 'tsv' };
}
