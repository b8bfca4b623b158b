// OpenEdge (BAETYL) starts a function runtime as `bootstrap -c '<config>'`, the config being inline
// JSON or the path of a JSON or YAML file. This file reads it once, at start, into OpenEdgeConfig:
// OpenEdge's defaults filled in, durations turned into milliseconds, the address split into host
// and port, and every problem a ConfigError naming the field by its dotted path (the runtime exits
// 2 with it). The gRPC server never looks at the raw config.
//
// Decisions:
// - Keys OpenEdge adds for itself (instance.cpu, memory, …) are ignored; a known key of the wrong
//   type is an error, because silently falling back to a default hides a typo of the value.
// - A null value (YAML `env:` with every entry commented out) counts as absent, as it does for
//   OpenEdge's own Go decoder; a null env value is an error, since no string is meant by it.
// - Durations are Go duration strings only. A number is refused: Go reads `timeout: 30` as 30
//   nanoseconds, so guessing seconds here would differ from what OpenEdge itself understood.
// - The handler is checked by the worker's own handler-name parser, so a config accepted here
//   names a handler the worker can load.
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ConfigError } from '../../config/env.js';
import { parseHandlerName } from '../../worker/handler-name.js';

export interface OpenEdgeConfig {
  name: string;
  /** host: '0.0.0.0' for all interfaces; an IPv6 address without its brackets. */
  server: { host: string; port: number; timeoutMs: number; maxMessageBytes: number };
  function: {
    id?: string;
    name: string;
    handler: string;
    /** Absolute. */
    codeDir: string;
    instance: { min: number; max: number; idleTimeMs: number; timeoutMs: number };
    env: Record<string, string>;
  };
  /** 'inline', or the config file's absolute path: for messages. */
  source: string;
}

/**
 * The YAML parser, loaded only for a YAML config: every platform's start reads this file (to see
 * whether -c was given), and yaml takes ~25 ms to load.
 */
const loadYaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

const NEEDS_CONFIG = '-c needs a config (inline JSON, or a JSON or YAML file)';
const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,140}$/;
const DEFAULTS = {
  serverTimeout: '30s',
  maxMessageBytes: 4_194_304,
  instanceMin: 0,
  instanceMax: 1,
  idleTime: '10m',
  instanceTimeout: '5m',
  codeDir: '.',
} as const;

// ---------------------------------------------------------------- the -c argument

/**
 * The config given with `-c VALUE`, `-c=VALUE`, `--config VALUE` or `--config=VALUE`; the last one
 * wins, as with Go's flag package that OpenEdge's own programs use. Undefined when there is none.
 */
export function configArgument(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-c' || arg === '--config') {
      if (i + 1 >= argv.length) throw new ConfigError(NEEDS_CONFIG);
      found = argv[++i] as string;
    } else if (arg.startsWith('-c=') || arg.startsWith('--config=')) {
      found = arg.slice(arg.indexOf('=') + 1);
    } else {
      continue;
    }
    if (found.trim() === '') throw new ConfigError(NEEDS_CONFIG);
  }
  return found;
}

// ---------------------------------------------------------------- reading and parsing

export function readOpenEdgeConfig(arg: string, cwd = process.cwd()): OpenEdgeConfig {
  if (arg.trim() === '') throw new ConfigError(NEEDS_CONFIG);
  if (arg.trimStart().startsWith('{')) {
    return configFrom(parseJson(arg, '-c'), 'inline', cwd);
  }
  const file = path.resolve(cwd, arg);
  return configFrom(parseFile(file, readConfigFile(file)), file, cwd);
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`-c ${file}: no such file`);
    if (code === 'EISDIR') throw new ConfigError(`-c ${file} is a directory, not a config file`);
    throw new ConfigError(`-c ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** .json is JSON and .yml/.yaml YAML; any other name is tried as JSON, then as YAML. */
function parseFile(file: string, text: string): unknown {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return parseJson(text, `-c ${file}`);
  if (ext === '.yml' || ext === '.yaml') return parseYamlText(text, file);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parseYamlText(text, file);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function parseYamlText(text: string, file: string): unknown {
  try {
    // YAML 1.2's core schema (yes/no stay strings); duplicate keys are errors; warnings are not printed.
    return loadYaml().parse(text, { uniqueKeys: true, logLevel: 'error' }) as unknown;
  } catch (err) {
    throw new ConfigError(`-c ${file} is not valid YAML: ${(err as Error).message.trimEnd()}`);
  }
}

// ---------------------------------------------------------------- the config's shape

type Obj = Record<string, unknown>;

function configFrom(raw: unknown, source: string, cwd: string): OpenEdgeConfig {
  if (!isObject(raw)) {
    const where = source === 'inline' ? '-c' : `-c ${source}`;
    throw new ConfigError(`${where} must hold an object with server and function (got ${shown(raw)})`);
  }
  const rawName = optionalString(raw, 'name');
  if (rawName !== undefined) checkName('name', rawName);
  const server = serverFrom(section(raw, 'server', 'server'));
  const fn = functionFrom(section(raw, 'function', 'function'), cwd);
  return { name: rawName ?? fn.name, server, function: fn, source };
}

function serverFrom(raw: Obj): OpenEdgeConfig['server'] {
  const address = field(raw, 'address');
  if (address === undefined || address === '') throw new ConfigError('server.address is required');
  if (typeof address !== 'string') {
    throw new ConfigError(`server.address must be a string such as "0.0.0.0:50051" (got ${shown(address)})`);
  }
  const { host, port } = parseAddress(address);
  const length = section(section(raw, 'message', 'server.message'), 'length', 'server.message.length');
  return {
    host,
    port,
    timeoutMs: duration(raw, 'timeout', 'server.timeout', DEFAULTS.serverTimeout),
    maxMessageBytes: wholeNumber(length, 'max', 'server.message.length.max', DEFAULTS.maxMessageBytes, 1, 2_147_483_647),
  };
}

function functionFrom(raw: Obj, cwd: string): OpenEdgeConfig['function'] {
  const id = optionalString(raw, 'id', 'function.id');
  const name = optionalString(raw, 'name', 'function.name');
  if (name === undefined || name === '') throw new ConfigError('function.name is required');
  checkName('function.name', name);
  const handler = handlerFrom(raw);
  const codeDir = optionalString(raw, 'codedir', 'function.codedir') ?? DEFAULTS.codeDir;
  if (codeDir.trim() === '') throw new ConfigError('function.codedir must be a directory (got "")');
  const fn: OpenEdgeConfig['function'] = {
    name,
    handler,
    codeDir: path.resolve(cwd, codeDir),
    instance: instanceFrom(section(raw, 'instance', 'function.instance')),
    env: envFrom(field(raw, 'env')),
  };
  if (id !== undefined) fn.id = id;
  return fn;
}

function handlerFrom(raw: Obj): string {
  const handler = optionalString(raw, 'handler', 'function.handler');
  if (handler === undefined || handler.trim() === '') throw new ConfigError('function.handler is required');
  try {
    parseHandlerName(handler);
  } catch {
    throw new ConfigError(`function.handler must be file.export, e.g. index.handler (got ${shown(handler)})`);
  }
  return handler.trim();
}

function instanceFrom(raw: Obj): OpenEdgeConfig['function']['instance'] {
  const max = wholeNumber(raw, 'max', 'function.instance.max', DEFAULTS.instanceMax, 1, 10_000);
  const min = wholeNumber(raw, 'min', 'function.instance.min', DEFAULTS.instanceMin, 0, 10_000);
  if (min > max) {
    throw new ConfigError(`function.instance.min must not exceed function.instance.max (got min ${min}, max ${max})`);
  }
  return {
    min,
    max,
    idleTimeMs: duration(raw, 'idletime', 'function.instance.idletime', DEFAULTS.idleTime),
    timeoutMs: duration(raw, 'timeout', 'function.instance.timeout', DEFAULTS.instanceTimeout),
  };
}

/** Strings as they are; numbers and booleans as YAML users write them (`PORT: 80`, `DEBUG: true`). */
function envFrom(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new ConfigError(`function.env must be an object of strings (got ${shown(raw)})`);
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => {
    if (key === '' || key.includes('=') || key.includes('\0')) {
      throw new ConfigError(`function.env has a key that cannot be a variable name (got ${shown(key)})`);
    }
    if (typeof value === 'string') return [key, value];
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return [key, String(value)];
    throw new ConfigError(`function.env.${key} must be a string (got ${shown(value)})`);
  }));
}

// ---------------------------------------------------------------- field readers

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own key's value; null counts as absent (see the header). */
function field(raw: Obj, key: string): unknown {
  const value = Object.hasOwn(raw, key) ? raw[key] : undefined;
  return value === null ? undefined : value;
}

/** A nested object; an absent one is empty, so its fields take their defaults. */
function section(raw: Obj, key: string, dotted: string): Obj {
  const value = field(raw, key);
  if (value === undefined) return {};
  if (!isObject(value)) throw new ConfigError(`${dotted} must be an object (got ${shown(value)})`);
  return value;
}

function optionalString(raw: Obj, key: string, dotted = key): string | undefined {
  const value = field(raw, key);
  if (value === undefined || typeof value === 'string') return value;
  throw new ConfigError(`${dotted} must be a string (got ${shown(value)})`);
}

function checkName(dotted: string, value: string): void {
  if (!NAME_PATTERN.test(value)) throw new ConfigError(`${dotted} must match ${NAME_PATTERN.source} (got ${shown(value)})`);
}

function wholeNumber(raw: Obj, key: string, dotted: string, fallback: number, min: number, max: number): number {
  const value = field(raw, key);
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${dotted} must be a whole number from ${min} to ${max} (got ${shown(value)})`);
  }
  return value;
}

function duration(raw: Obj, key: string, dotted: string, fallback: string): number {
  const value = field(raw, key) ?? fallback;
  const expected = `${dotted} must be a duration such as "30s"`;
  if (typeof value !== 'string') throw new ConfigError(`${expected} (got ${shown(value)})`);
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch (err) {
    throw new ConfigError(`${expected} (got ${shown(value)}): ${(err as Error).message}`);
  }
  if (ms < 0) throw new ConfigError(`${dotted} must not be negative (got ${shown(value)})`);
  return ms;
}

/** A value as a message shows it: JSON, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// ---------------------------------------------------------------- server.address

const SCHEMES = ['tcp://', 'grpc://'];
const HOSTNAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** `host:port`, `:port`, `[ipv6]:port`, optionally after tcp:// or grpc:// (OpenEdge writes both). */
function parseAddress(address: string): { host: string; port: number } {
  const bad = (why: string): ConfigError =>
    new ConfigError(`server.address must be host:port, e.g. "0.0.0.0:50051" (got ${shown(address)}): ${why}`);
  let rest = address.trim();
  const scheme = SCHEMES.find((s) => rest.toLowerCase().startsWith(s));
  if (scheme !== undefined) rest = rest.slice(scheme.length);
  else if (rest.includes('://')) throw bad('only tcp:// and grpc:// addresses can be served');

  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1 || rest[close + 1] !== ':') throw bad('an IPv6 address is written [address]:port');
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
    if (!isIPv6(host)) throw bad(`${shown(host)} is not an IPv6 address`);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon === -1) throw bad('the port is missing');
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 address is written [address]:port');
    const hostOk = host === '' || isIPv4(host) || (HOSTNAME.test(host) && !/^[\d.]+$/.test(host));
    if (!hostOk) throw bad(`${shown(host)} is not a host name or an IP address`);
  }
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65_535) throw bad(`the port must be a number from 0 to 65535`);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

// ---------------------------------------------------------------- Go durations

/** Nanoseconds in each unit Go's time.ParseDuration knows (µ: the micro sign and the Greek mu). */
const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const UNITS = 'ns, us, µs, ms, s, m, h';
const MAX_NS = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * A duration as Go's time.ParseDuration reads it ("30s", "1m30s", "1.5h", "300us", "-2s", "0"),
 * in milliseconds (fractional below 1 ms). Counted in whole nanoseconds like Go, so fractions are
 * cut where Go cuts them and the range is Go's (about 292 years). Throws a plain Error.
 */
export function parseGoDuration(text: string): number {
  const fail = (why: string): Error => new Error(`invalid duration ${JSON.stringify(text)}: ${why}`);
  let rest = text;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw fail('it is empty');
  let ns = 0n;
  while (rest !== '') {
    // The pattern matches any text (every part may be empty), so exec always gives an array.
    const [whole = '', intPart = '', fraction, unit = ''] = COMPONENT.exec(rest) ?? [];
    if (intPart === '' && !fraction) throw fail(`expected a number at ${JSON.stringify(rest)}`);
    if (unit === '') throw fail(`a number needs a unit (${UNITS}), e.g. "30s"`);
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) throw fail(`unknown unit ${JSON.stringify(unit)} (units: ${UNITS})`);
    ns += componentNs(intPart, fraction ?? '', unitNs);
    if (ns > MAX_NS + (sign < 0n ? 1n : 0n)) throw fail('it is out of range');
    rest = rest.slice(whole.length);
  }
  return Number(sign * ns) / 1e6;
}

/** `int.fraction` units in nanoseconds, the fraction's part below 1 ns cut off. */
function componentNs(intPart: string, fraction: string, unitNs: bigint): bigint {
  const whole = BigInt(intPart || '0') * unitNs;
  if (fraction === '') return whole;
  return whole + (BigInt(fraction) * unitNs) / 10n ** BigInt(fraction.length);
}
