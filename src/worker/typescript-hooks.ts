// Module customization hooks that let Node load TypeScript (`.ts`, `.mts`, `.cts`) with no build
// step: `load` strips the types (typescript-strip.ts), `resolve` maps the specifiers TypeScript
// users write (`./lib.js` for `lib.ts`, extensionless) onto the `.ts` files that exist. This file is
// both the module given to `module.register()` (async `resolve`/`load`, run on Node's hooks thread)
// and the library of the same logic in synchronous form for `module.registerHooks()` and for the
// CommonJS loader (see typescript.ts, which decides which mechanism each Node version gets).
//
// Cost: nothing here loads the stripper until the first TypeScript file is actually loaded.

import { readFileSync, statSync } from 'node:fs';
import type { LoadFnOutput, LoadHookContext, ResolveFnOutput, ResolveHookContext } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { containsModuleSyntax, packageType } from './module-format.js';
import type { ModuleFormat } from './module-format.js';
import { stripTypeScript } from './typescript-strip.js';

export type TypeScriptExtension = '.ts' | '.mts' | '.cts';
export type TypeScriptFormat = ModuleFormat;

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
  const declared = declaredFormat(filename, extension);
  if (declared !== undefined) {
    return { format: declared, source: want === 'always' || declared === 'module' ? stripTypeScript(source, filename, declared) : undefined };
  }
  // No `type`: stripped as ESM, whose syntax then decides. Code with no import/export is the same
  // JavaScript either way, so the stripped code serves as CommonJS too (and, as for a type-less
  // `.js`, is not made strict).
  const stripped = stripTypeScript(source, filename, 'module');
  const format = containsModuleSyntax(stripped, filename) ? 'module' : 'commonjs';
  return { format, source: want === 'always' || format === 'module' ? stripped : undefined };
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
 * `type` (or no package.json), undefined: the stripped code's syntax decides, by the rule Node
 * itself applies to type-less `.js` (≥ 20.19) and `.ts` (≥ 22.7) files. A `.ts` file under
 * `"type": "commonjs"` (what `npm init -y` writes) is CommonJS even when written with
 * import/export: those are compiled to require()/exports, as `tsc` would.
 */
function declaredFormat(filename: string, extension: TypeScriptExtension): TypeScriptFormat | undefined {
  if (extension === '.mts') return 'module';
  if (extension === '.cts') return 'commonjs';
  return packageType(path.dirname(filename));
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
