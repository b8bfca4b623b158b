// Argument parsing shared by the commands: node's util.parseArgs with one-line messages, and the
// UsageError that main.ts turns into `fnpool <command>: message` on stderr and exit status 2.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { numberProblem, pick, type NumberRule as EnvNumberRule } from '../config/env.js';

/** A number's bounds (as the runtime's readers have them) and, for the message, what its minimum is. */
export type NumberRule = EnvNumberRule & { minIs?: string };

/** A mistake of the person at the keyboard: printed as one line, no stack, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FUNCTION_ERROR = 1;
export const EXIT_USAGE = 2;
/** `fnpool invoke`: no answer came — the local platform stopped before answering, or --wait ran out. */
export const EXIT_NO_ANSWER = 3;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs in strict mode, with its errors reworded: node's own text for an unknown option is a
 * paragraph about `--`; a person needs the option's name and where to look. The options named in
 * `numbers` take a negative number as their value (`--cpus -1`), which parseArgs would read as a
 * flag, so that the number's own check says what is wrong with it.
 */
export function parse<T extends Options>(
  command: string,
  argv: string[],
  options: T,
  numbers: readonly string[] = [],
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: withNegativeNumbers(argv, numbers), options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const quoted = /'([^']+)'/.exec(e.message)?.[1] ?? '';
    const name = quoted.split(' ')[0] ?? quoted;
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${name} (see fnpool ${command} --help)`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        if (/argument missing/.test(e.message)) throw new UsageError(`option ${name} needs a value`);
        // `--warmup -1`: parseArgs will not take a value that looks like an option.
        if (/ambiguous/.test(e.message)) throw new UsageError(`option ${name} needs a value (one that starts with - is written ${name}=-…)`);
        throw new UsageError(`option ${name} takes no value`);
      default:
        throw new UsageError(e.message);
    }
  }
}

/** `--cpus -1` → `--cpus=-1` for the numeric options (up to `--`, after which all is positional). */
function withNegativeNumbers(argv: string[], numbers: readonly string[]): string[] {
  if (numbers.length === 0) return argv;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (arg.startsWith('--') && numbers.includes(arg.slice(2)) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** The first of the environment variables that is set and not empty (the runtime's own reader). */
export function fromEnv(env: NodeJS.ProcessEnv, names: readonly string[]): { name: string; value: string } | undefined {
  return pick(env, ...names);
}

/** fnpool's version, from its package.json. */
export function fnpoolVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Parses a number given by `source` (a flag, a variable or a config key), or says what is wrong. */
export function toNumber(source: string, raw: string | number, rule: NumberRule): number {
  const value = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  const kind = rule.integer ? 'a whole number' : 'a number';
  const unit = rule.unit ? ` of ${rule.unit}` : '';
  switch (numberProblem(value, rule)) {
    case 'nan':
    case 'integer':
      throw new UsageError(`${source} ${JSON.stringify(String(raw))} is not ${kind}${unit}`);
    case 'min':
      // A count or a size: a negative one is not "below 0.001", it is not a positive number at all.
      if (value < 0 && rule.min !== undefined && rule.min > 0) throw new UsageError(`${source} ${value} is not a positive number${unit}`);
      throw new UsageError(`${source} ${value} is below ${rule.minIs ?? rule.min}`);
    case 'max':
      throw new UsageError(`${source} ${value} is above ${rule.max}`);
    default:
      return value;
  }
}

/** A port number; 0 means any free port. */
export function toPort(source: string, raw: string): number {
  return toNumber(source, raw, { min: 0, max: 65535, integer: true });
}

/** 1/true/yes/on and 0/false/no/off, as environment variables spell booleans. */
export function toBoolean(source: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new UsageError(`${source} ${JSON.stringify(raw)} is not a boolean (1 or 0)`);
}

/** A path for messages: relative when it is under the current folder, absolute elsewhere. */
export function shownPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}
