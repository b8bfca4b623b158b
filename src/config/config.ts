// Every environment variable fnpool reads, parsed and validated once, then frozen. Nothing else in
// the runtime reads process.env for configuration.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ConfigError, type Env, number, oneOf, optionalString, pick, string } from './env.js';

export const PLATFORMS = ['functiongraph', 'lambda', 'http', 'openedge'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'text';

const MiB = 1024 * 1024;
export const DEFAULT_BODY_LIMIT = 6 * MiB;
export const DEFAULT_TASKS_PER_THREAD = 8;
/** Memory kept aside for the main thread (Node itself, undici, pino) before worker shares are cut. */
export const MAIN_THREAD_RESERVE_MB = 40;
/** Per-worker memory outside its JS heap (the isolate, code, stacks). */
export const WORKER_OVERHEAD_MB = 8;
export const MIN_WORKER_HEAP_MB = 16;

/** What the handler's context reports about the function (SPEC §2.1). */
export interface FunctionInfo {
  name: string;
  version: string;
  package: string;
  projectId: string;
  /** The configured timeout, in seconds. */
  timeoutSeconds: number;
  /** The configured memory, in MB (0 when the platform did not say). */
  memoryMB: number;
  /** The configured CPUs (may be fractional). */
  cpus: number;
  userData: Record<string, string>;
}

/** What a worker thread needs: sent once as workerData. */
export interface WorkerConfig {
  codeRoot: string;
  handler: string;
  initializer?: string;
  initializerTimeoutMs: number;
  maxResponseBytes: number;
  /** Recycle the worker after a task when its heap plus Buffers exceed this (0 = never). */
  memoryShareBytes: number;
  function: FunctionInfo;
  log: { level: LogLevel; format: LogFormat };
}

export interface RuntimeConfig {
  platform: Platform;
  /** host:port of the FunctionGraph runtime API. */
  runtimeApiAddr?: string;
  threads: number;
  tasksPerThread: number;
  concurrency: number;
  timeoutMs: number;
  maxRequestBytes: number;
  memory: { budgetMB?: number; workerHeapMB?: number };
  shutdownTimeoutMs: number;
  /** Run again, once, an invocation whose thread was taken down by another invocation. */
  rerunBystanders: boolean;
  /** Stop (as on SIGTERM) when this process is gone: set by `fnpool start` for the runtime it runs. */
  parentPid?: number;
  worker: WorkerConfig;
}

export function loadConfig(env: Env = process.env): RuntimeConfig {
  const platform = detectPlatform(env);

  const cores = availableParallelism();
  const cpus = number(env, ['RUNTIME_CPU'], undefined, { min: 0.001, unit: 'CPUs' });
  const threads = number(env, ['FNPOOL_THREADS'], Math.max(1, Math.min(cores, Math.ceil(cpus ?? cores))), {
    min: 1, max: 1024, integer: true, unit: 'threads',
  });
  const tasksFromEnv = number(env, ['FNPOOL_TASKS_PER_THREAD'], undefined, { min: 1, max: 10_000, integer: true });
  const concurrencyFromEnv = number(env, ['FNPOOL_CONCURRENCY'], undefined, { min: 1, max: 10_000, integer: true });
  const tasksPerThread = tasksFromEnv ??
    (concurrencyFromEnv !== undefined ? Math.ceil(concurrencyFromEnv / threads) : DEFAULT_TASKS_PER_THREAD);
  const concurrency = concurrencyFromEnv ?? threads * tasksPerThread;
  if (concurrency > threads * tasksPerThread) {
    throw new ConfigError(
      `FNPOOL_CONCURRENCY=${concurrency} is more than FNPOOL_THREADS × FNPOOL_TASKS_PER_THREAD = ` +
      `${threads} × ${tasksPerThread}: raise FNPOOL_TASKS_PER_THREAD or leave it unset`);
  }

  const timeoutSeconds = number(env, ['RUNTIME_TIMEOUT'], 3, { min: 0.001, max: 43_200, unit: 'seconds' });
  const budgetMB = number(env, ['FNPOOL_MEMORY_MB', 'RUNTIME_MEMORY', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE'], undefined, {
    min: 1, max: 1_048_576, integer: true, unit: 'MB',
  });
  const workerHeapMB = budgetMB === undefined ? undefined :
    Math.max(MIN_WORKER_HEAP_MB, Math.floor((budgetMB - MAIN_THREAD_RESERVE_MB) / threads) - WORKER_OVERHEAD_MB);

  const codeRoot = path.resolve(string(env, ['FNPOOL_CODE_ROOT', 'RUNTIME_CODE_ROOT', 'LAMBDA_TASK_ROOT'], process.cwd()));
  const initializerSeconds = number(env, ['RUNTIME_INITIALIZER_TIMEOUT'], 3, { min: 1, max: 300, unit: 'seconds' });

  const config: RuntimeConfig = {
    platform,
    runtimeApiAddr: optionalString(env, 'RUNTIME_API_ADDR'),
    threads,
    tasksPerThread,
    concurrency,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    maxRequestBytes: number(env, ['RUNTIME_MAX_REQUEST_BODY_SIZE'], DEFAULT_BODY_LIMIT, { min: 1, integer: true, unit: 'bytes' }),
    memory: { budgetMB, workerHeapMB },
    shutdownTimeoutMs: number(env, ['FNPOOL_SHUTDOWN_TIMEOUT_MS'], 10_000, { min: 0, max: 3_600_000, integer: true, unit: 'ms' }),
    parentPid: number(env, ['FNPOOL_PARENT_PID'], undefined, { min: 1, integer: true }),
    rerunBystanders: oneOf(env, ['FNPOOL_RERUN_BYSTANDERS'], ['1', '0', 'true', 'false'] as const, '1').match(/^(1|true)$/) !== null,
    worker: {
      codeRoot,
      handler: string(env, ['FNPOOL_HANDLER', 'RUNTIME_HANDLER', '_HANDLER'], 'index.handler'),
      initializer: optionalString(env, 'FNPOOL_INITIALIZER', 'RUNTIME_INITIALIZER_HANDLER'),
      initializerTimeoutMs: initializerSeconds * 1000,
      maxResponseBytes: number(env, ['RUNTIME_MAX_RESP_BODY_SIZE'], DEFAULT_BODY_LIMIT, { min: 1, integer: true, unit: 'bytes' }),
      memoryShareBytes: workerHeapMB === undefined ? 0 : workerHeapMB * MiB,
      function: {
        name: string(env, ['RUNTIME_FUNC_NAME', 'AWS_LAMBDA_FUNCTION_NAME'], ''),
        version: string(env, ['RUNTIME_FUNC_VERSION', 'AWS_LAMBDA_FUNCTION_VERSION'], 'latest'),
        package: string(env, ['RUNTIME_PACKAGE'], 'default'),
        projectId: string(env, ['RUNTIME_PROJECT_ID'], ''),
        timeoutSeconds,
        memoryMB: budgetMB ?? 0,
        cpus: cpus ?? threads,
        userData: parseUserData(env),
      },
      log: {
        level: oneOf(env, ['FNPOOL_LOG_LEVEL'], LOG_LEVELS, 'info'),
        format: oneOf(env, ['FNPOOL_LOG_FORMAT'], ['json', 'text'] as const, 'json'),
      },
    },
  };
  return deepFreeze(config);
}

function detectPlatform(env: Env): Platform {
  const forced = pick(env, 'FNPOOL_PLATFORM');
  if (forced) return oneOf(env, ['FNPOOL_PLATFORM'], PLATFORMS, 'functiongraph');
  if (pick(env, 'RUNTIME_API_ADDR')) return 'functiongraph';
  if (pick(env, 'AWS_LAMBDA_RUNTIME_API')) return 'lambda';
  if (pick(env, 'FC_SERVER_PORT', 'K_SERVICE', 'PORT')) return 'http';
  throw new ConfigError(
    'no platform found: set RUNTIME_API_ADDR (FunctionGraph), AWS_LAMBDA_RUNTIME_API (Lambda), ' +
    'FC_SERVER_PORT or PORT (HTTP), or FNPOOL_PLATFORM');
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
