// Small readers the platforms' emulator wires share (platforms/<name>/emulator.ts): kept apart
// from wires.ts, which imports those wires, so that no import goes round in a circle.
import type { IncomingHttpHeaders } from 'node:http';
import type { InvokeError } from './ledger.js';

/** The caller's headers of these (lower-case) names, as they are. */
export function passHeaders(headers: IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/** A parsed JSON error body with string errorType and errorMessage and the stack as an array of strings under stackKey. */
export function parseErrorJson(body: Buffer, stackKey: string, optionalStack = false): InvokeError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { errorType, errorMessage } = value as Record<string, unknown>;
  const stack = (value as Record<string, unknown>)[stackKey];
  if (typeof errorType !== 'string' || typeof errorMessage !== 'string') return undefined;
  if (stack === undefined && optionalStack) return { errorType, errorMessage, stackTrace: [] };
  if (!Array.isArray(stack) || !stack.every((line) => typeof line === 'string')) return undefined;
  return { errorType, errorMessage, stackTrace: stack as string[] };
}
