// Module customization hooks that let Node load TypeScript (`.ts`, `.mts`, `.cts`) with no build
// step: `load` strips the types with amaro, `resolve` maps the specifiers TypeScript users write
// (`./lib.js` for `lib.ts`, extensionless) onto the `.ts` files that exist. This file is both the
// module given to `module.register()` (async `resolve`/`load`, run on Node's hooks thread) and the
// library of the same logic in synchronous form for `module.registerHooks()` and for the CommonJS
// loader (see typescript.ts, which decides which mechanism each Node version gets).
//
// Cost: nothing here loads amaro (~55 ms to require, ~9 ms for its first call, measured on Node 20
// and 24) until the first TypeScript file is actually loaded.

import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LoadFnOutput, LoadHookContext, ResolveFnOutput, ResolveHookContext } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction, Script } from 'node:vm';
import type { transformSync as AmaroTransformSync } from 'amaro';

export type TypeScriptExtension = '.ts' | '.mts' | '.cts';
export type TypeScriptFormat = 'module' | 'commonjs';

type NextResolve = (specifier: string, context?: Partial<ResolveHookContext>) => ResolveFnOutput | Promise<ResolveFnOutput>;
type NextLoad = (url: string, context?: Partial<LoadHookContext>) => LoadFnOutput | Promise<LoadFnOutput>;
type NextResolveSync = (specifier: string, context?: Partial<ResolveHookContext>) => ResolveFnOutput;
type NextLoadSync = (url: string, context?: Partial<LoadHookContext>) => LoadFnOutput;

// ---------------------------------------------------------------------------------------------
// Hooks for module.register() (Node < 22.15: runs on the per-worker hooks thread).

/** Async `resolve` hook: Node's resolution first, the TypeScript spellings only when it fails. */
export async function resolve(specifier: string, context: ResolveHookContext, nextResolve: NextResolve): Promise<ResolveFnOutput> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const alternative = typeScriptAlternative(specifier, context.parentURL, error);
    if (alternative === undefined) throw error;
    return nextResolve(alternative, context);
  }
}

/**
 * Async `load` hook. A TypeScript file in ESM format comes back stripped. One in CommonJS format
 * comes back WITHOUT source: Node then hands it to the CommonJS loader (`Module._load`), where the
 * `Module._extensions` handler installed by typescript.ts strips it in the worker thread itself.
 * Measured on Node 20.20: a `source` returned with `format: 'commonjs'` IS used, but the module then
 * gets the ESM loader's stand-in `require` (no `require.cache`; every require() is a round trip to
 * this hooks thread); without a source it becomes a real CommonJS module.
 */
export async function load(url: string, context: LoadHookContext, nextLoad: NextLoad): Promise<LoadFnOutput> {
  return loadTypeScript(url, false) ?? nextLoad(url, context);
}

// ---------------------------------------------------------------------------------------------
// The same hooks in synchronous form, for module.registerHooks() (Node ≥ 22.15 / 23.5: in-thread,
// and applied to require() as well as import).

export function resolveSync(specifier: string, context: ResolveHookContext, nextResolve: NextResolveSync): ResolveFnOutput {
  try {
    return nextResolve(specifier, context);
  } catch (error) {
    const alternative = typeScriptAlternative(specifier, context.parentURL, error);
    if (alternative === undefined) throw error;
    return nextResolve(alternative, context);
  }
}

export function loadSync(url: string, context: LoadHookContext, nextLoad: NextLoadSync): LoadFnOutput {
  return loadTypeScript(url, true) ?? nextLoad(url, context);
}

// ---------------------------------------------------------------------------------------------
// Shared logic.

const TS_URL = /\.[cm]?ts(?:[?#]|$)/;

/**
 * The load result for a TypeScript file URL, or undefined when `url` is not one (the caller then
 * defers to the next hook). `commonJsSource: false` leaves CommonJS sources to the CommonJS loader.
 */
export function loadTypeScript(url: string, commonJsSource: boolean): LoadFnOutput | undefined {
  // Every import and require() of the thread passes here: decide on the string, cheaply.
  if (!url.startsWith('file:') || !TS_URL.test(url)) return undefined;
  const filename = fileURLToPath(url);
  const extension = typeScriptExtension(filename);
  if (extension === undefined) return undefined;
  const compiled = compileTypeScriptFile(filename, extension, commonJsSource ? 'always' : 'esm-only');
  return compiled.source === undefined
    ? { format: compiled.format, shortCircuit: true }
    : { format: compiled.format, source: compiled.source, shortCircuit: true };
}

/**
 * Reads a TypeScript file and decides its format; strips it when its source is wanted
 * (`'always'`, or `'esm-only'` and the format is ESM). Stripping happens at most once per call,
 * even when the format had to be detected from the stripped code.
 */
export function compileTypeScriptFile(
  filename: string,
  extension: TypeScriptExtension,
  want: 'always' | 'esm-only',
): { format: TypeScriptFormat; source: string | undefined } {
  const raw = readFileSync(filename, 'utf8');
  const source = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw; // a BOM is not code
  let stripped: string | undefined;
  const strip = (): string => (stripped ??= stripTypeScript(source, filename));
  const format = typeScriptFormat(filename, extension, strip);
  return { format, source: want === 'always' || format === 'module' ? strip() : undefined };
}

export function typeScriptExtension(filename: string): TypeScriptExtension | undefined {
  const extension = path.extname(filename);
  if (extension === '.ts' || extension === '.mts' || extension === '.cts') {
    // A declaration file has no code; let Node refuse it as it would without us.
    return filename.endsWith('.d' + extension) ? undefined : extension;
  }
  return undefined;
}

/**
 * `.mts` is ESM and `.cts` CommonJS. `.ts` follows the `type` of the nearest package.json; with no
 * `type` (or no package.json), it is ESM when its stripped code has module syntax, else CommonJS:
 * the rule Node itself applies to type-less `.js` (≥ 20.19) and `.ts` (≥ 22.7) files.
 */
export function typeScriptFormat(filename: string, extension: TypeScriptExtension, stripped: () => string): TypeScriptFormat {
  if (extension === '.mts') return 'module';
  if (extension === '.cts') return 'commonjs';
  return packageType(path.dirname(filename)) ?? (containsModuleSyntax(stripped(), filename) ? 'module' : 'commonjs');
}

// package.json `type` lookup, cached per directory (every directory on the walk gets the answer).
const packageTypes = new Map<string, TypeScriptFormat | undefined>();

function packageType(directory: string): TypeScriptFormat | undefined {
  const visited: string[] = [];
  let current = directory;
  let found: TypeScriptFormat | undefined;
  for (;;) {
    if (packageTypes.has(current)) {
      found = packageTypes.get(current);
      break;
    }
    visited.push(current);
    // Like Node, the scope ends at a node_modules folder: a package without its own package.json
    // does not inherit the type of the app around it.
    if (path.basename(current) === 'node_modules') break;
    const manifest = readJsonObject(path.join(current, 'package.json'));
    if (manifest !== undefined) {
      // The nearest package.json decides, even when it has no `type` (then: detection).
      found = manifest.type === 'module' || manifest.type === 'commonjs' ? manifest.type : undefined;
      break;
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of visited) packageTypes.set(dir, found);
  return found;
}

function readJsonObject(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    // Node would reject the package when it resolves through it; for the format decision an
    // unreadable package.json still ends the walk, with no `type`.
    return {};
  }
}

// Syntax errors that only mean "this is an ES module" (the list Node's own detection uses).
const ESM_ONLY_ERRORS = [
  'Cannot use import statement outside a module',
  "Unexpected token 'export'",
  "Cannot use 'import.meta' outside a module",
];
// Errors that CommonJS raises but an ES module might not (top-level await, or redeclaring a name
// that the CommonJS wrapper provides): the code is ESM if it compiles as a module body.
const MAYBE_ESM_ERRORS = [
  'await is only valid in async functions and the top level bodies of modules',
  "Identifier 'module' has already been declared",
  "Identifier 'exports' has already been declared",
  "Identifier 'require' has already been declared",
  "Identifier '__filename' has already been declared",
  "Identifier '__dirname' has already been declared",
];

/** Compiles (never runs) the code as CommonJS to see whether it needs to be an ES module. */
function containsModuleSyntax(code: string, filename: string): boolean {
  const first = syntaxErrorOf(() => compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename }));
  if (first === undefined) return false;
  if (ESM_ONLY_ERRORS.some((text) => first.includes(text))) return true;
  if (!MAYBE_ESM_ERRORS.some((text) => first.includes(text))) return false; // a real syntax error: CommonJS reports it
  // No vm.SourceTextModule without a flag; the body of an async function without the CommonJS
  // parameters accepts the same top-level await and declarations. V8 reports only the first
  // error, so an import/export further down shows up only now.
  const second = syntaxErrorOf(() => new Script(`(async function () {${code}\n})`, { filename }));
  return second === undefined || ESM_ONLY_ERRORS.some((text) => second.includes(text)) ||
    second.includes("Unexpected token 'import'"); // an import statement inside a function body
}

/** The message of the SyntaxError that `compile` throws, if any. */
function syntaxErrorOf(compile: () => unknown): string | undefined {
  try {
    compile();
    return undefined;
  } catch (error) {
    return error instanceof SyntaxError ? error.message : '';
  }
}

// ---------------------------------------------------------------------------------------------
// Stripping.

type Amaro = { transformSync: typeof AmaroTransformSync };
let amaro: Amaro | undefined;

/** amaro is loaded on the first TypeScript file, never before (it is ~3.7 MB of JS + wasm). */
function loadAmaro(): Amaro {
  return (amaro ??= createRequire(import.meta.url)('amaro') as Amaro);
}

/** amaro's (swc's) errors are plain objects, not Errors. */
interface SwcError {
  code: 'UnsupportedSyntax' | 'InvalidSyntax';
  message: string;
  snippet?: string;
  startLine?: number;
  startColumn?: number;
}

function isSwcError(value: unknown): value is SwcError {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as { code?: unknown; message?: unknown };
  return (code === 'UnsupportedSyntax' || code === 'InvalidSyntax') && typeof message === 'string';
}

/**
 * TypeScript → JavaScript. Strip-only mode first: it blanks the types out in place, so every line
 * and column stays where it was and stack traces need no source map. Syntax that has runtime
 * semantics (enum, namespace, parameter properties) is refused there; such files are transformed
 * instead, which moves lines, so they carry an inline source map and source maps are switched on
 * in this thread. That is exact when this runs in the thread that compiles the module (the
 * in-thread hooks, the CommonJS loader); on the Node 20 hooks thread it does nothing useful, which
 * is why typescript.ts switches them on in the worker up front there.
 * Invalid syntax → a SyntaxError (code ERR_INVALID_TYPESCRIPT_SYNTAX, as Node names it) whose
 * message ends with `(file:line:column)`.
 */
export function stripTypeScript(source: string, filename: string): string {
  const { transformSync } = loadAmaro();
  try {
    return transformSync(source, { mode: 'strip-only', filename }).code;
  } catch (error) {
    if (!isSwcError(error) || error.code !== 'UnsupportedSyntax') throw toSyntaxError(error, filename);
  }
  let output: { code: string; map?: string };
  try {
    // noEmptyExport: a CommonJS file must not gain an `export {}`.
    output = transformSync(source, { mode: 'transform', sourceMap: true, filename, transform: { noEmptyExport: true } });
  } catch (error) {
    throw toSyntaxError(error, filename);
  }
  process.setSourceMapsEnabled(true);
  if (output.map === undefined) return output.code;
  return `${output.code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(output.map).toString('base64')}\n`;
}

function toSyntaxError(error: unknown, filename: string): unknown {
  if (!isSwcError(error)) return error;
  const line = error.startLine ?? 0;
  const where = line > 0 ? `${filename}:${line}:${(error.startColumn ?? 0) + 1}` : filename;
  const syntaxError = new SyntaxError(`${error.message} (${where})`);
  Object.defineProperty(syntaxError, 'code', { value: 'ERR_INVALID_TYPESCRIPT_SYNTAX', enumerable: true, configurable: true, writable: true });
  // Same shape as V8's compile errors: location and snippet above the message.
  if (error.snippet) syntaxError.stack = `${where}\n${error.snippet.trimEnd()}\n\n${syntaxError.stack ?? ''}`;
  return syntaxError;
}

// ---------------------------------------------------------------------------------------------
// Resolution fallbacks: only reached when Node's own resolution failed.

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND', 'ERR_UNSUPPORTED_DIR_IMPORT']);
// What TypeScript (moduleResolution NodeNext) maps an emitted extension back to.
const TS_FOR_JS: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };
const KNOWN_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.json', '.node', '.wasm']);
const EXTENSIONLESS_CANDIDATES = ['.ts', '.mts', '.cts', '/index.ts'];

/**
 * When a relative (or file:) specifier failed to resolve, the TypeScript spelling that exists on
 * disk: `./lib.js` → `./lib.ts` (also `.mjs` → `.mts`, `.cjs` → `.cts`), from any importer; and,
 * from a TypeScript importer only, `./lib` → `./lib.ts`, `.mts`, `.cts`, `./lib/index.ts` (Node
 * itself never adds extensions to ESM specifiers, and JS importers keep that rule).
 * Returns undefined when there is none, so the caller rethrows Node's own error.
 */
export function typeScriptAlternative(specifier: string, parentURL: string | undefined, error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !NOT_FOUND_CODES.has(code)) return undefined;
  if (/[?#]/.test(specifier)) return undefined;
  const relative = specifier.startsWith('./') || specifier.startsWith('../');
  if (!relative && !specifier.startsWith('file:') && !specifier.startsWith('/')) return undefined;
  if (!specifier.startsWith('file:') && !specifier.startsWith('/') && !parentURL?.startsWith('file:')) return undefined;

  const extension = path.posix.extname(specifier);
  let candidates: string[];
  if (TS_FOR_JS[extension] !== undefined) {
    candidates = [specifier.slice(0, -extension.length) + TS_FOR_JS[extension]];
  } else if (!KNOWN_EXTENSIONS.has(extension) && parentURL !== undefined && isTypeScriptURL(parentURL)) {
    const base = specifier.endsWith('/') ? specifier.slice(0, -1) : specifier;
    candidates = EXTENSIONLESS_CANDIDATES.map((suffix) => base + suffix);
  } else {
    return undefined;
  }
  for (const candidate of candidates) {
    let file: string;
    try {
      file = candidate.startsWith('/') ? candidate : fileURLToPath(new URL(candidate, parentURL));
    } catch {
      continue;
    }
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) return candidate;
  }
  return undefined;
}

function isTypeScriptURL(url: string): boolean {
  if (!url.startsWith('file:')) return false;
  try {
    return typeScriptExtension(fileURLToPath(url)) !== undefined;
  } catch {
    return false;
  }
}
