// Finds, imports and returns the user's function named by a handler spec (README "Writing a handler"), in the
// calling thread, and turns every way that can fail into a Runtime.* error that names the problem.
// Importing goes through the thread's module cache, so a module's top level runs once per thread.

import { statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorType, RuntimeError } from '../errors.js';
import type { RuntimeErrorType } from '../errors.js';
import { parseHandlerName } from './handler-name.js';
import type { SyntaxErrorLocation } from './syntax-error-location.js';
import { enableTypeScript } from './typescript.js';
import { typeScriptExtension } from './typescript-hooks.js';
import { INVALID_TYPESCRIPT, UNSUPPORTED_TYPESCRIPT } from './typescript-strip.js';

/** A user's handler or initializer; its signature is the invoker's business. */
export type UserFunction = (...args: unknown[]) => unknown;

/** Tried in this order; the first existing file wins. */
export const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/**
 * Loads `spec` (`path/to/module.export`) from under `codeRoot` and returns the function.
 * Throws RuntimeError: MalformedHandlerName, ImportModuleError, UserCodeSyntaxError or
 * HandlerNotFound, with the original error as `cause` and the user's stack frames kept.
 * A TypeScript handler file enables TypeScript in this thread by itself; the worker should still
 * call enableTypeScript() first so that JavaScript handlers can import TypeScript files.
 */
export async function loadFunction(codeRoot: string, spec: string): Promise<UserFunction> {
  const { modulePath, exportPath } = parseHandlerName(spec);
  const root = path.resolve(codeRoot);
  const base = path.resolve(root, modulePath);
  const inside = path.relative(root, base);
  if (inside === '' || inside === '..' || inside.startsWith('..' + path.sep) || path.isAbsolute(inside)) {
    throw new RuntimeError(ErrorType.MalformedHandlerName, `Malformed handler name ${JSON.stringify(spec)}: the module must be inside the code root ${root}`);
  }

  const file = findModuleFile(root, base, modulePath);
  if (typeScriptExtension(file) !== undefined) enableTypeScript();

  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw await loadError(error, file);
  }
  return findExport(namespace, exportPath, spec);
}

/** Same function, under the name used for the handler itself. */
export const loadHandler = loadFunction;

function findModuleFile(root: string, base: string, modulePath: string): string {
  for (const extension of MODULE_EXTENSIONS) {
    const candidate = base + extension;
    if (isFile(candidate)) return candidate;
  }
  const rootIsFolder = statOrUndefined(root)?.isDirectory() ?? false;
  const tried = MODULE_EXTENSIONS.map((extension) => modulePath + extension).join(', ');
  throw new RuntimeError(
    ErrorType.ImportModuleError,
    rootIsFolder
      ? `Cannot find module '${modulePath}' under ${root} (tried ${tried})`
      : `Cannot find module '${modulePath}': the code root ${root} is not a folder`,
  );
}

/** stat() that treats every failure (ENOENT, ENOTDIR, EACCES…) as "not there". */
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  return statOrUndefined(file)?.isFile() ?? false;
}

// ---------------------------------------------------------------------------------------------
// Import failures.

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  stack?: unknown;
}

async function loadError(error: unknown, file: string): Promise<RuntimeError> {
  const shape: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : undefined;
  const message = typeof shape.message === 'string' ? shape.message : describe(error);
  const stack = typeof shape.stack === 'string' ? shape.stack : '';
  trimInternalFrames(error);

  if (name === 'SyntaxError' && isCompileError(shape, stack)) {
    return wrap(ErrorType.UserCodeSyntaxError, `SyntaxError: ${await syntaxErrorText(shape, message, stack, file)}`, error);
  }
  if (shape.code === 'ERR_MODULE_NOT_FOUND' || shape.code === 'MODULE_NOT_FOUND') {
    // A dependency of the module (the module itself was found above); Node's message names both.
    return wrap(ErrorType.ImportModuleError, message, error);
  }
  // Anything the module's top level threw, or Node refused (ERR_REQUIRE_ESM, unknown extension…).
  return wrap(ErrorType.ImportModuleError, name === undefined ? message : `${name}: ${message}`, error);
}

const TYPESCRIPT_CODES = new Set<unknown>([INVALID_TYPESCRIPT, UNSUPPORTED_TYPESCRIPT]);

/**
 * A SyntaxError from compiling a module, as opposed to one its top level threw while running
 * (JSON.parse, new Function, `throw new SyntaxError()`): a compile error's stack starts in Node's
 * own loader, or has no frames, or comes from our TypeScript stripper.
 */
function isCompileError(shape: ErrorShape, stack: string): boolean {
  if (TYPESCRIPT_CODES.has(shape.code)) return true;
  const frame = stack.split('\n').find((line) => line.trimStart().startsWith('at '));
  return frame === undefined || /\(node:|at node:/.test(frame);
}

/**
 * The message with the file, line and column of the error (the handler's file or the imported one
 * that has it), the source line with a caret under the error, and, when ES module syntax failed in
 * a CommonJS file, what to change.
 */
async function syntaxErrorText(shape: ErrorShape, message: string, stack: string, file: string): Promise<string> {
  // Loaded on the failure path only.
  const { codeExcerpt, findModuleSyntaxError, locationInMessage, locationInStack, moduleSyntaxAdvice } =
    await import('./syntax-error-location.js');
  // Some of Node's messages go on over several lines (a missing named export's); the location
  // and the code go after the first.
  const [first = '', ...more] = message.trimEnd().split('\n');
  let headline: string;
  let location: SyntaxErrorLocation | undefined;
  if (TYPESCRIPT_CODES.has(shape.code)) {
    headline = first; // already ends with (file:line:column)
    location = locationInMessage(first);
  } else {
    // CommonJS compile errors carry `file:line` and a caret on top of their stack. ES module ones
    // do not (Node keeps the location in a private field and prints it only for uncaught errors):
    // then the modules the import reached are checked, here, on the failure path only.
    try {
      location = locationInStack(stack) ?? findModuleSyntaxError(file, message);
    } catch {
      location = undefined; // the report must not fail where the user's code did
    }
    headline = location === undefined
      ? `${first} (in ${file} or a module it imports)`
      : `${first} (${location.file}:${location.line}${location.column === undefined ? '' : `:${location.column}`})`;
  }
  const advice = location === undefined ? undefined : moduleSyntaxAdvice(message, location);
  return [headline, ...(location === undefined ? [] : codeExcerpt(location)), ...more, ...(advice === undefined ? [] : [advice])].join('\n');
}

/** Node's own frames (its module loader's) say nothing about the user's code. */
const isInternalFrame = (line: string): boolean => /^\s*at (?:async )?(?:.* \()?node:internal\//.test(line);

/**
 * Removes Node's internal frames from the stack of the error a failed import threw, so that the
 * wire error (whose stackTrace comes from the cause) shows the user's frames only. A compile error
 * is left with none.
 */
function trimInternalFrames(error: unknown): void {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return;
  const lines = error.stack.split('\n');
  if (!lines.some(isInternalFrame)) return;
  try {
    error.stack = lines.filter((line) => !isInternalFrame(line)).join('\n');
  } catch {
    // a frozen error keeps its stack
  }
}

/** A RuntimeError that keeps the original as `cause` and shows the original's stack frames. */
function wrap(type: RuntimeErrorType, message: string, cause: unknown): RuntimeError {
  const error = new RuntimeError(type, message, { cause });
  const causeStack = typeof cause === 'object' && cause !== null ? (cause as ErrorShape).stack : undefined;
  const frames = typeof causeStack === 'string'
    ? causeStack.split('\n').filter((line) => line.trimStart().startsWith('at ') && !isInternalFrame(line))
    : [];
  error.stack = [`${type}: ${message}`, ...frames].join('\n');
  return error;
}

/** The string form of a thrown non-Error (`throw 'text'`, `throw { code: 1 }`). */
function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = typeof value === 'object' && value !== null ? JSON.stringify(value) : undefined;
    return json ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Finding the export.

function findExport(namespace: Record<string, unknown>, exportPath: string[], spec: string): UserFunction {
  const [first, ...rest] = exportPath as [string, ...string[]];
  // An ES module's own export first; then `default`, where import() puts a CommonJS module's
  // `module.exports` (its named exports appear on the namespace only when cjs-module-lexer can see
  // them) and where `export default { handler }` lives.
  let value: unknown = Object.hasOwn(namespace, first) ? namespace[first] : property(namespace.default, first);
  for (const key of rest) value = property(value, key);

  if (value === undefined) {
    throw new RuntimeError(ErrorType.HandlerNotFound, `${spec.trim()} is undefined or not exported`);
  }
  if (typeof value !== 'function') {
    const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    throw new RuntimeError(ErrorType.HandlerNotFound, `${spec.trim()} is not a function (got ${got})`);
  }
  // Returned unbound, as AWS's runtime does: `this` is undefined when the invoker calls it.
  return value as UserFunction;
}

/** `container[key]`, except what every object or function inherits (`toString`, `constructor`…). */
function property(container: unknown, key: string): unknown {
  if ((typeof container !== 'object' && typeof container !== 'function') || container === null) return undefined;
  if (!(key in container)) return undefined;
  const value = (container as Record<string, unknown>)[key];
  if (!Object.hasOwn(container, key)) {
    const builtin = (Object.prototype as unknown as Record<string, unknown>)[key] === value ||
      (Function.prototype as unknown as Record<string, unknown>)[key] === value;
    if (builtin) return undefined;
  }
  return value;
}
