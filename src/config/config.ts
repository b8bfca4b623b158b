// Every environment variable fnpool reads, parsed and validated once, then frozen. Nothing else in
// the runtime reads process.env for configuration. The platform's own variables (FunctionGraph's
// RUNTIME_*, Lambda's AWS_LAMBDA_*, FC's FC_*) are read by its module (platforms/<name>/index.ts);
// here they are merged with fnpool's own FNPOOL_* settings, which win, and the defaults.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ConfigError, type Env, number, oneOf, optionalString, pick, string } from './env.js';
import type { PayloadCodec, PlatformName, PlatformSettings } from '../platforms/platform.js';
import { platformModule, selectPlatform } from '../platforms/registry.js';

export type Platform = PlatformName;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** json: pino's JSON records; text: a line for people; tsv: `time\trequestId\tLEVEL\tmessage`. */
export type LogFormat = 'json' | 'text' | 'tsv';

/** How log records look: fnpool's JSON by default; a platform may ask for its own shape. */
export interface LogStyle {
  level: LogLevel;
  format: LogFormat;
  /** JSON field names of the time and the message (pino's: time, msg). */
  timeKey: string;
  messageKey: string;
  /** Levels written in upper case (INFO), as Lambda's JSON logs have them. */
  upperLevel: boolean;
}

const MiB = 1024 * 1024;
export const DEFAULT_BODY_LIMIT = 6 * MiB;
export const DEFAULT_TASKS_PER_THREAD = 8;
export const DEFAULT_TIMEOUT_SECONDS = 3;
/** Memory kept aside for the main thread (Node itself, undici, pino) before worker shares are cut. */
export const MAIN_THREAD_RESERVE_MB = 40;
/** Per-worker memory outside its JS heap (the isolate, code, stacks). */
export const WORKER_OVERHEAD_MB = 8;
export const MIN_WORKER_HEAP_MB = 16;
/** The smallest memory budget the runtime runs in: the main thread's reserve and one worker thread at its smallest. */
export const MIN_MEMORY_MB = MAIN_THREAD_RESERVE_MB + WORKER_OVERHEAD_MB + MIN_WORKER_HEAP_MB;
/** The platforms' own variables for the function's memory, to name the one below MIN_MEMORY_MB. */
const PLATFORM_MEMORY_VARIABLES = ['RUNTIME_MEMORY', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'FC_FUNCTION_MEMORY_SIZE'];

/** What the handler's context reports about the function. */
export interface FunctionInfo {
  name: string;
  version: string;
  /** The configured timeout, in seconds. */
  timeoutSeconds: number;
  /** The configured memory, in MB (0 when the platform did not say). */
  memoryMB: number;
  /** The configured CPUs (may be fractional). */
  cpus: number;
  userData: Record<string, string>;
  /** Platform strings the context reports (FunctionGraph's package and projectId, Lambda's log group, …). */
  attrs: Record<string, string>;
}

/** What a worker thread needs: sent once as workerData. */
export interface WorkerConfig {
  /** Which platform's context part the worker adds to the handler's context. */
  platform: Platform;
  codeRoot: string;
  handler: string;
  initializer?: string;
  initializerTimeoutMs: number;
  maxResponseBytes: number;
  /** The variable that set maxResponseBytes, for the error message. */
  maxResponseBytesFrom: string;
  /** Recycle the worker after a task when its heap plus Buffers exceed this (0 = never). */
  memoryShareBytes: number;
  /** How event bytes become the event and a result becomes bytes (platform.ts). */
  payloadCodec: PayloadCodec;
  function: FunctionInfo;
  log: LogStyle;
}

export interface RuntimeConfig {
  platform: Platform;
  /** host:port of the platform's runtime API (pull platforms). */
  apiAddress?: string;
  threads: number;
  /** FNPOOL_MAX_THREADS: how far the pool may grow (thread-sizer.ts) — stand-ins for stuck threads, fewer invocations per thread. */
  maxThreads: number;
  tasksPerThread: number;
  concurrency: number;
  /** Deadline of an invocation whose platform sends none, counted from its arrival. */
  timeoutMs: number;
  maxRequestBytes: number;
  /** The variable that set maxRequestBytes, for the error message. */
  maxRequestBytesFrom: string;
  memory: { budgetMB?: number; workerHeapMB?: number };
  shutdownTimeoutMs: number;
  /** Lifecycle exports (`file.export`): the initializer, FNPOOL_PRE_STOP and FNPOOL_PRE_FREEZE. */
  hooks: { initializer?: string; preStop?: string; preFreeze?: string };
  /**
   * FNPOOL_IDEMPOTENT: the function declares that running an invocation twice is safe, so one
   * that had started on a thread another invocation brought down is run again instead of failed.
   */
  idempotent: boolean;
  /** Stop (as on SIGTERM) when this process is gone: set by `fnpool start` for the runtime it runs. */
  parentPid?: number;
  /** Push platforms: where to listen, how many may wait for a slot (FNPOOL_QUEUE, HTTP), the status of an error answer (HTTP). */
  server?: { host: string; port: number; queue: number; errorStatus: number };
  /** Variables the platform's configuration gives the function, set in the environment before the workers start. */
  functionEnv?: Readonly<Record<string, string>>;
  worker: WorkerConfig;
}

export function loadConfig(env: Env = process.env, argv: readonly string[] = []): RuntimeConfig {
  const platform = selectPlatform(env, argv);
  const p: PlatformSettings = platformModule(platform).settings(env, argv);

  const cores = availableParallelism();
  const cpus = p.cpus;
  const maxConcurrency = p.maxConcurrency;
  const defaultThreads = p.threads ?? Math.max(1, Math.min(cores, Math.ceil(cpus ?? cores)));
  const threads = number(env, ['FNPOOL_THREADS'], Math.min(defaultThreads, maxConcurrency ?? Infinity), {
    min: 1, max: 1024, integer: true, unit: 'threads',
  });
  const tasksFromEnv = number(env, ['FNPOOL_TASKS_PER_THREAD'], undefined, { min: 1, max: 10_000, integer: true });
  let concurrencyFromEnv = number(env, ['FNPOOL_CONCURRENCY'], undefined, { min: 1, max: 10_000, integer: true });
  // The platform's own bound wins: Lambda sends one invocation at a time unless it says more. It
  // is an allowance: fewer threads × tasks per thread, set by hand, take fewer.
  if (maxConcurrency !== undefined) {
    const allowed = tasksFromEnv === undefined ? maxConcurrency : Math.min(maxConcurrency, threads * tasksFromEnv);
    concurrencyFromEnv = Math.min(concurrencyFromEnv ?? allowed, allowed);
  }
  const tasksPerThread = tasksFromEnv ??
    (concurrencyFromEnv !== undefined ? Math.ceil(concurrencyFromEnv / threads) : DEFAULT_TASKS_PER_THREAD);
  const concurrency = concurrencyFromEnv ?? threads * tasksPerThread;
  if (concurrency > threads * tasksPerThread) {
    throw new ConfigError(
      `FNPOOL_CONCURRENCY=${concurrency} is more than FNPOOL_THREADS × FNPOOL_TASKS_PER_THREAD = ` +
      `${threads} × ${tasksPerThread}: raise FNPOOL_TASKS_PER_THREAD or leave it unset`);
  }

  // Room for every invocation on a thread of its own, plus stand-ins and threads being replaced
  // (README "What fnpool guarantees to neighbours").
  const maxThreads = Math.max(threads, number(env, ['FNPOOL_MAX_THREADS'], Math.max(threads, Math.ceil(concurrency * 1.5)), {
    min: 1, max: 1024, integer: true, unit: 'threads',
  }));

  const timeoutSeconds = number(env, ['FNPOOL_TIMEOUT'], undefined, { min: 0.001, max: 43_200, unit: 'seconds' }) ??
    p.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const budgetMB = number(env, ['FNPOOL_MEMORY_MB'], undefined, { min: MIN_MEMORY_MB, max: 1_048_576, integer: true, unit: 'MB' }) ?? p.memoryMB;
  if (budgetMB !== undefined && budgetMB < MIN_MEMORY_MB) {
    const given = pick(env, ...PLATFORM_MEMORY_VARIABLES);
    throw new ConfigError(`${given ? `${given.name}=${JSON.stringify(given.value)}` : `the platform's memory size (${budgetMB})`} must be at least ${MIN_MEMORY_MB} MB`);
  }
  const workerHeapMB = budgetMB === undefined ? undefined :
    Math.max(MIN_WORKER_HEAP_MB, Math.floor((budgetMB - MAIN_THREAD_RESERVE_MB) / threads) - WORKER_OVERHEAD_MB);

  const codeRoot = path.resolve(optionalString(env, 'FNPOOL_CODE_ROOT') ?? p.codeRoot ?? process.cwd());
  const initializerSeconds = number(env, ['FNPOOL_INITIALIZER_TIMEOUT'], undefined, { min: 1, max: 300, unit: 'seconds' }) ??
    p.initializerTimeoutSeconds ?? 3;
  const requestLimit = limit(env, 'FNPOOL_MAX_REQUEST_BYTES', p.maxRequestBytes);
  const responseLimit = limit(env, 'FNPOOL_MAX_RESPONSE_BYTES', p.maxResponseBytes);
  const logLevel = oneOf(env, ['FNPOOL_LOG_LEVEL'], LOG_LEVELS, p.log?.level ?? 'info');
  const logFormatVar = pick(env, 'FNPOOL_LOG_FORMAT');
  const logFormat = oneOf(env, ['FNPOOL_LOG_FORMAT'], ['json', 'text', 'tsv'] as const, p.log?.format ?? 'json');

  const initializer = optionalString(env, 'FNPOOL_INITIALIZER') ?? p.initializer;
  const config: RuntimeConfig = {
    platform,
    apiAddress: p.apiAddress,
    threads,
    maxThreads,
    tasksPerThread,
    concurrency,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    maxRequestBytes: requestLimit.bytes,
    maxRequestBytesFrom: requestLimit.from,
    memory: { budgetMB, workerHeapMB },
    shutdownTimeoutMs: number(env, ['FNPOOL_SHUTDOWN_TIMEOUT_MS'], p.shutdownTimeoutMs ?? 10_000, { min: 0, max: 3_600_000, integer: true, unit: 'ms' }),
    parentPid: number(env, ['FNPOOL_PARENT_PID'], undefined, { min: 1, integer: true }),
    hooks: { initializer, preStop: optionalString(env, 'FNPOOL_PRE_STOP'), preFreeze: optionalString(env, 'FNPOOL_PRE_FREEZE') },
    server: p.server === undefined ? undefined : {
      host: optionalString(env, 'FNPOOL_HOST') ?? p.server.host ?? '0.0.0.0',
      port: p.server.port,
      queue: number(env, ['FNPOOL_QUEUE'], concurrency, { min: 0, max: 100_000, integer: true }),
      errorStatus: p.server.errorStatus ?? 404,
    },
    functionEnv: p.functionEnv,
    idempotent: oneOf(env, ['FNPOOL_IDEMPOTENT'], ['1', '0', 'true', 'false'] as const, '0').match(/^(1|true)$/) !== null,
    worker: {
      platform,
      codeRoot,
      handler: string(env, ['FNPOOL_HANDLER'], p.handler ?? 'index.handler'),
      initializer,
      initializerTimeoutMs: initializerSeconds * 1000,
      maxResponseBytes: responseLimit.bytes,
      maxResponseBytesFrom: responseLimit.from,
      memoryShareBytes: workerHeapMB === undefined ? 0 : workerHeapMB * MiB,
      payloadCodec: p.payloadCodec ?? 'json',
      function: {
        name: p.function.name ?? '',
        version: p.function.version ?? 'latest',
        timeoutSeconds,
        memoryMB: budgetMB ?? 0,
        cpus: cpus ?? threads,
        userData: p.function.userData ?? {},
        attrs: p.function.attrs ?? {},
      },
      log: {
        level: logLevel,
        format: logFormat,
        // fnpool's own format chosen by FNPOOL_LOG_FORMAT replaces the platform's shape as a whole.
        timeKey: (logFormatVar ? undefined : p.log?.timeKey) ?? 'time',
        messageKey: (logFormatVar ? undefined : p.log?.messageKey) ?? 'msg',
        upperLevel: (logFormatVar ? undefined : p.log?.upperLevel) ?? false,
      },
    },
  };
  return deepFreeze(config);
}

/** A size limit: fnpool's variable, else the platform's, else 6 MiB; with the name that set it. */
function limit(env: Env, name: string, fromPlatform: { bytes: number; from: string } | undefined): { bytes: number; from: string } {
  const own = number(env, [name], undefined, { min: 1, integer: true, unit: 'bytes' });
  if (own !== undefined) return { bytes: own, from: name };
  return fromPlatform ?? { bytes: DEFAULT_BODY_LIMIT, from: name };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
