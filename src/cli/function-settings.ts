// The settings of the function a local platform runs (`fnpool start`, `fnpool invoke --dir`): its
// folder, handler, initializer, timeout, memory, CPUs and concurrency, and the bootstrap that serves
// it, and the platform it runs on. Each is taken from the first of: the command-line flag, the
// environment variable the runtime itself reads, the "fnpool" object of the folder's package.json,
// the default. The platform's local emulator turns them into the environment that platform gives
// a runtime (platforms/<name>/emulator.ts).
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAIN_THREAD_RESERVE_MB, MIN_MEMORY_MB, type LogFormat } from '../config/config.js';
import { PULL_PLATFORMS, type PullPlatformName } from '../platforms/platform.js';
import { fromEnv, toNumber, UsageError, type NumberRule } from './args.js';

/** fnpool's own bootstrap, beside dist/ in a checkout and in the installed package. */
export const FNPOOL_BOOTSTRAP = fileURLToPath(new URL('../../bootstrap', import.meta.url));

/** The platforms a local platform can be: a pull platform's runtime API, HTTP mode's front, or OpenEdge's function module. */
export const LOCAL_PLATFORMS = [...PULL_PLATFORMS, 'http', 'openedge'] as const;
export type LocalPlatformName = PullPlatformName | 'http' | 'openedge';

export interface FunctionSettings {
  /** Which platform the local platform plays. */
  platform: LocalPlatformName;
  /** HTTP mode: Knative's way (PORT, K_SERVICE, no FC headers, 500 on error) instead of FC's. */
  knative: boolean;
  /** The function's name where the platform gives one (K_SERVICE); else its folder's name. */
  functionName?: string;
  /** OpenEdge: the MQTT topic and QOS of the messages the local platform sends. */
  topic: string;
  qos: number;
  /** Absolute path of the function's folder (the code root). */
  dir: string;
  handler: string;
  initializer?: string;
  /** Seconds. */
  timeout: number;
  /** MB. */
  memory: number;
  cpus: number;
  concurrency?: number;
  /** Absolute path of the executable started as the custom runtime. */
  bootstrap: string;
  /** True when bootstrap is fnpool's own. */
  ownBootstrap: boolean;
}

/** The flags every command that runs a function locally accepts (parseArgs options). */
export const FUNCTION_OPTIONS = {
  platform: { type: 'string' },
  handler: { type: 'string' },
  initializer: { type: 'string' },
  timeout: { type: 'string' },
  memory: { type: 'string' },
  cpus: { type: 'string' },
  concurrency: { type: 'string' },
  bootstrap: { type: 'string' },
  knative: { type: 'boolean' },
  topic: { type: 'string' },
  qos: { type: 'string' },
  'log-format': { type: 'string' },
} as const;

/** The function options whose value is a number (a negative one is read as their value, not as a flag). */
export const NUMBER_OPTIONS = ['timeout', 'memory', 'cpus', 'concurrency', 'qos'] as const;

export const FUNCTION_OPTIONS_HELP = `  --platform NAME      functiongraph, lambda, fc, http  FNPOOL_PLATFORM (functiongraph)
                       or openedge
  --knative            http as Knative calls it, not FC K_SERVICE=NAME (off: FC's front)
  --topic TOPIC        openedge: the message's topic    FNPOOL_TOPIC (fnpool/invoke)
  --qos 0|1            openedge: the message's QOS      FNPOOL_QOS (0)
  --handler NAME       module.export of the handler     FNPOOL_HANDLER, RUNTIME_HANDLER (index.handler)
  --initializer NAME   module.export of the initializer FNPOOL_INITIALIZER, RUNTIME_INITIALIZER_HANDLER (none)
  --timeout SECONDS    the function's timeout           RUNTIME_TIMEOUT (3)
  --memory MB          the function's memory, at least  FNPOOL_MEMORY_MB, RUNTIME_MEMORY (256)
                       the runtime's minimum (${MIN_MEMORY_MB} MB)
  --cpus N             the function's CPUs              RUNTIME_CPU (1)
  --concurrency N      invocations in flight at once    FNPOOL_CONCURRENCY (threads × 8)
  --bootstrap PATH     any custom-runtime executable    FNPOOL_BOOTSTRAP (fnpool's own bootstrap)
  --log-format FORMAT  the runtime's logs: text (for    FNPOOL_LOG_FORMAT (text on a terminal,
                       people), json or tsv             else the platform's: json, Lambda's tsv)`;

export const PACKAGE_JSON_HELP = `The function's package.json may hold defaults for these under "fnpool", e.g.
  "fnpool": { "platform": "lambda", "handler": "index.handler", "initializer": "index.init", "timeout": 10,
              "memory": 512, "cpus": 2, "concurrency": 4 }
A flag wins over its environment variable, which wins over package.json.`;

type FunctionFlags = { [K in Exclude<keyof typeof FUNCTION_OPTIONS, 'knative'>]?: string } & { knative?: boolean };

const LOG_FORMATS = ['text', 'json', 'tsv'] as const satisfies readonly LogFormat[];

/**
 * The environment the local platform starts the runtime with: env, with FNPOOL_LOG_FORMAT set to
 * --log-format when given. The runtime reads the variable itself; it is checked here, so that a bad
 * one is a usage error, not a runtime that exits. Without either, the local platform chooses (text
 * on a terminal).
 */
export function withLogFormat(flag: string | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const got = flag !== undefined ? { name: '--log-format', value: flag } : fromEnv(env, ['FNPOOL_LOG_FORMAT']);
  if (got === undefined) return env;
  const format = got.value.trim().toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`${got.name} ${got.value}: the runtime's logs can be ${LOG_FORMATS.join(', ')}`);
  }
  return { ...env, FNPOOL_LOG_FORMAT: format };
}

interface Setting {
  env: readonly string[];
  key: string;
}

const SETTINGS = {
  platform: { env: ['FNPOOL_PLATFORM'], key: 'platform' },
  handler: { env: ['FNPOOL_HANDLER', 'RUNTIME_HANDLER'], key: 'handler' },
  initializer: { env: ['FNPOOL_INITIALIZER', 'RUNTIME_INITIALIZER_HANDLER'], key: 'initializer' },
  timeout: { env: ['RUNTIME_TIMEOUT'], key: 'timeout' },
  memory: { env: ['FNPOOL_MEMORY_MB', 'RUNTIME_MEMORY'], key: 'memory' },
  cpus: { env: ['RUNTIME_CPU'], key: 'cpus' },
  concurrency: { env: ['FNPOOL_CONCURRENCY'], key: 'concurrency' },
  bootstrap: { env: ['FNPOOL_BOOTSTRAP'], key: 'bootstrap' },
  topic: { env: ['FNPOOL_TOPIC'], key: 'topic' },
  qos: { env: ['FNPOOL_QOS'], key: 'qos' },
} as const satisfies Record<string, Setting>;

const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.values(SETTINGS).map((s) => s.key));

/** Checks the folder and resolves every setting, or throws a UsageError naming the bad one. */
export function resolveSettings(dirArg: string | undefined, flags: FunctionFlags, env: NodeJS.ProcessEnv = process.env): FunctionSettings {
  const dir = path.resolve(dirArg ?? '.');
  if (!existsSync(dir)) throw new UsageError(`no such folder: ${dirArg ?? dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dirArg ?? dir} is not a folder`);
  const file = packageDefaults(dir);

  /** The raw value and where it came from, for messages. */
  const pick = (name: keyof typeof SETTINGS): { source: string; value: string | number } | undefined => {
    const flag = flags[name];
    if (flag !== undefined) return { source: `--${name}`, value: flag };
    const fromVar = fromEnv(env, SETTINGS[name].env);
    if (fromVar) return { source: fromVar.name, value: fromVar.value };
    const fromFile = file.values[SETTINGS[name].key];
    if (fromFile !== undefined) return { source: `${file.where}.${SETTINGS[name].key}`, value: fromFile };
    return undefined;
  };
  const text = (name: 'platform' | 'handler' | 'initializer' | 'bootstrap' | 'topic'): string | undefined => {
    const got = pick(name);
    if (got === undefined) return undefined;
    if (typeof got.value !== 'string' || got.value.trim() === '') throw new UsageError(`${got.source} must be a non-empty string`);
    return got.value.trim();
  };
  const num = (name: 'timeout' | 'memory' | 'cpus' | 'concurrency' | 'qos', rule: NumberRule): number | undefined => {
    const got = pick(name);
    return got === undefined ? undefined : toNumber(got.source, got.value, rule);
  };

  const bootstrapArg = text('bootstrap');
  const bootstrap = bootstrapArg === undefined ? FNPOOL_BOOTSTRAP : checkExecutable(bootstrapArg, pick('bootstrap')!.source);
  const concurrency = num('concurrency', { min: 1, max: 10_000, integer: true });
  const initializer = text('initializer');
  // Knative's own variable, or the flag, makes it Knative's HTTP mode.
  const service = env.K_SERVICE?.trim() || undefined;
  const knative = flags.knative === true || service !== undefined;
  const chosen = text('platform')?.toLowerCase();
  const platformName = chosen ?? (knative ? 'http' : 'functiongraph');
  if (!(LOCAL_PLATFORMS as readonly string[]).includes(platformName)) {
    throw new UsageError(`${pick('platform')!.source} ${platformName}: the local platform can be ${LOCAL_PLATFORMS.join(', ')}`);
  }
  for (const name of ['topic', 'qos'] as const) {
    const got = pick(name);
    if (got !== undefined && platformName !== 'openedge') throw new UsageError(`${got.source} is for OpenEdge's messages, not ${platformName} (use --platform openedge)`);
  }
  if (knative && platformName !== 'http') {
    throw new UsageError(`${flags.knative === true ? '--knative' : 'K_SERVICE'} is for HTTP mode, not ${pick('platform')!.source} ${platformName} (use --platform http)`);
  }
  return {
    platform: platformName as LocalPlatformName,
    knative,
    ...(service !== undefined ? { functionName: service } : {}),
    topic: text('topic') ?? 'fnpool/invoke',
    qos: num('qos', { min: 0, max: 1, integer: true }) ?? 0,
    dir,
    handler: text('handler') ?? 'index.handler',
    ...(initializer !== undefined ? { initializer } : {}),
    timeout: num('timeout', { min: 0.001, max: 43_200, unit: 'seconds' }) ?? 3,
    memory: num('memory', {
      min: MIN_MEMORY_MB, max: 1_048_576, integer: true, unit: 'MB',
      minIs: `the runtime's minimum of ${MIN_MEMORY_MB} MB (${MAIN_THREAD_RESERVE_MB} MB for its main thread, ${MIN_MEMORY_MB - MAIN_THREAD_RESERVE_MB} MB for one worker thread)`,
    }) ?? 256,
    cpus: num('cpus', { min: 0.001, max: 1024, unit: 'CPUs' }) ?? 1,
    ...(concurrency !== undefined ? { concurrency } : {}),
    bootstrap,
    ownBootstrap: bootstrap === FNPOOL_BOOTSTRAP,
  };
}

/** One line for the banner: what runs, with which settings. */
export function describeSettings(s: FunctionSettings): string {
  const parts = [
    `handler ${s.handler}`,
    ...(s.initializer ? [`initializer ${s.initializer}`] : []),
    `timeout ${s.timeout} s`,
    `memory ${s.memory} MB`,
    `${s.cpus} CPU${s.cpus === 1 ? '' : 's'}`,
    ...(s.concurrency ? [`concurrency ${s.concurrency}`] : []),
    ...(s.platform === 'http' ? [`on ${s.knative ? 'Knative' : 'FC'}'s HTTP front`]
      : s.platform === 'openedge' ? [`on OpenEdge, topic ${s.topic}, QOS ${s.qos}`]
      : s.platform !== 'functiongraph' ? [`on ${s.platform}`] : []),
  ];
  return parts.join(', ');
}

function packageDefaults(dir: string): { where: string; values: Record<string, string | number> } {
  const file = path.join(dir, 'package.json');
  const where = 'package.json "fnpool"';
  if (!existsSync(file)) return { where, values: {} };
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const section = (pkg as { fnpool?: unknown } | null)?.fnpool;
  if (section === undefined) return { where, values: {} };
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new UsageError(`${where} in ${file} must be an object`);
  }
  const values: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(section)) {
    if (!KNOWN_KEYS.has(key)) throw new UsageError(`${where} in ${file}: unknown key ${JSON.stringify(key)} (known: ${[...KNOWN_KEYS].join(', ')})`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new UsageError(`${where}.${key} in ${file} must be a string or a number`);
    values[key] = value;
  }
  // A bootstrap named in package.json is relative to the function's folder, not to the cwd.
  if (typeof values.bootstrap === 'string') values.bootstrap = path.resolve(dir, values.bootstrap);
  return { where, values };
}

function checkExecutable(file: string, source: string): string {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new UsageError(`${source} ${file}: no such file`);
  if (!statSync(abs).isFile()) throw new UsageError(`${source} ${file} is not a file`);
  try {
    accessSync(abs, constants.X_OK);
  } catch {
    throw new UsageError(`${source} ${file} is not executable (chmod +x ${file})`);
  }
  return abs;
}
