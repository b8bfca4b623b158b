// Small readers for environment variables. Each failure names the variable and the bad value.

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

/** The first of the names that is set to a non-empty value, with its name. */
export function pick(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
  }
  return undefined;
}

export function string(env: Env, names: string[], fallback: string): string {
  return pick(env, ...names)?.value ?? fallback;
}

export function optionalString(env: Env, ...names: string[]): string | undefined {
  return pick(env, ...names)?.value;
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** What the number means, for the error message ("seconds", "MB"). */
  unit?: string;
}

export function number(env: Env, names: string[], fallback: number, rule?: NumberRule): number;
export function number(env: Env, names: string[], fallback: undefined, rule?: NumberRule): number | undefined;
export function number(env: Env, names: string[], fallback: number | undefined, rule: NumberRule = {}): number | undefined {
  const found = pick(env, ...names);
  if (found === undefined) return fallback;
  return parseNumber(found.name, found.value, rule);
}

/** What is wrong with a number under a rule, or undefined when nothing is (shared with the CLI's readers). */
export function numberProblem(value: number, rule: NumberRule): 'nan' | 'integer' | 'min' | 'max' | undefined {
  if (!Number.isFinite(value)) return 'nan';
  if (rule.integer && !Number.isInteger(value)) return 'integer';
  if (rule.min !== undefined && value < rule.min) return 'min';
  if (rule.max !== undefined && value > rule.max) return 'max';
  return undefined;
}

export function parseNumber(name: string, raw: string, rule: NumberRule = {}): number {
  const value = Number(raw);
  const unit = rule.unit ? ` ${rule.unit}` : '';
  const given = `${name}=${JSON.stringify(raw)}`;
  switch (numberProblem(value, rule)) {
    case 'nan':
      throw new ConfigError(`${given} is not a number`);
    case 'integer':
      throw new ConfigError(`${given} must be a whole number${unit}`);
    case 'min':
      throw new ConfigError(`${given} must be at least ${rule.min}${unit}`);
    case 'max':
      throw new ConfigError(`${given} must be at most ${rule.max}${unit}`);
    default:
      return value;
  }
}

export function oneOf<T extends string>(env: Env, names: string[], choices: readonly T[], fallback: T): T {
  const found = pick(env, ...names);
  if (found === undefined) return fallback;
  const value = found.value.toLowerCase() as T;
  if (!choices.includes(value)) {
    throw new ConfigError(`${found.name}=${JSON.stringify(found.value)} must be one of ${choices.join(', ')}`);
  }
  return value;
}
