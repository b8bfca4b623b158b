// Lets the current thread import and require TypeScript (`.ts`, `.mts`, `.cts`) with no build
// step, on every supported Node version. Call enableTypeScript() once in each worker thread before
// loading the handler; it is idempotent and cheap until the first TypeScript file is loaded.
//
// What each Node version gets, and why (measured on 20.20.2, 22.23.3 and 24.21.0):
// - Node ≥ 22.15 / 23.5 has `module.registerHooks()`: synchronous hooks that run in this thread
//   and apply to both import and require(). Registering costs ~0 ms. The hooks return stripped
//   source for ESM and CommonJS alike. (Node's own type stripping never sees the file: it would
//   refuse enums and never map `./lib.js` to `lib.ts`.) Measured difference: a CommonJS `.ts`
//   reached by import() becomes a real CommonJS module on Node 24, but on Node 22 it gets the ESM
//   loader's stand-in `require` (no `require.cache`), and that stand-in resolves through
//   `Module._resolveFilename` without calling the resolve hook; hence the `_resolveFilename`
//   retry below on every version. (Returning no source there instead would make Node 22/24 strip
//   the file with their own stripper, which refuses enums.)
// - Node 20 has only `module.register()`, whose hooks run on a separate hooks thread. Hooks
//   registered on the main thread do NOT apply to worker threads (measured on 20, 22 and 24), so
//   each worker registers its own; each worker then gets its own hooks thread (not shared, on 20,
//   22 and 24). Registering blocks the worker for ~31 ms while that thread starts (~38 ms on 22).
//   ESM TypeScript is stripped there. CommonJS TypeScript is left to the CommonJS loader (see
//   typescript-hooks.ts `load`): `Module._extensions['.ts' | '.cts']` strip it in this thread,
//   which also covers plain require() of a `.ts`/`.cts` file (module.register hooks never see
//   require() on Node 20).

import Module, * as nodeModule from 'node:module';
import type { LoadFnOutput, LoadHookContext, ResolveFnOutput, ResolveHookContext } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  compileTypeScriptFile,
  loadSync,
  resolveSync,
  typeScriptAlternative,
  typeScriptExtension,
} from './typescript-hooks.js';

// `module.registerHooks` (Node ≥ 22.15) is newer than the @types/node this package builds with.
interface SyncHooks {
  resolve(specifier: string, context: ResolveHookContext, next: (specifier: string, context?: Partial<ResolveHookContext>) => ResolveFnOutput): ResolveFnOutput;
  load(url: string, context: LoadHookContext, next: (url: string, context?: Partial<LoadHookContext>) => LoadFnOutput): LoadFnOutput;
}
type RegisterHooks = (hooks: SyncHooks) => unknown;

// The CommonJS loader's internals that this file extends (stable for a decade; used by every
// require hook, ts-node included).
interface CommonJsModule {
  filename: string;
  _compile(code: string, filename: string, format?: 'commonjs'): unknown;
}
interface CommonJsLoader {
  _extensions: Record<string, (module: CommonJsModule, filename: string) => void>;
  _resolveFilename(request: string, parent: CommonJsModule | null | undefined, isMain: boolean, options?: unknown): string;
}

// Per thread (each worker has its own globals); a symbol on globalThis rather than a module
// variable, so that two copies of this module (say, dist/ reached by two paths) still register once.
const ENABLED = Symbol.for('fnpool.typescript.enabled');
type FlaggedGlobal = typeof globalThis & { [ENABLED]?: true };

/** Makes TypeScript modules loadable in the current thread. Idempotent. */
export function enableTypeScript(): void {
  const flagged = globalThis as FlaggedGlobal;
  if (flagged[ENABLED]) return;

  const registerHooks = (nodeModule as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  installResolveRetry();
  if (typeof registerHooks === 'function') {
    registerHooks({ resolve: resolveSync, load: loadSync });
  } else {
    installCommonJsCompiler();
    nodeModule.register(new URL('./typescript-hooks.js', import.meta.url));
  }
  flagged[ENABLED] = true;
}

/** Node 20: `.ts`/`.cts` (and a clear refusal for `.mts`) in the CommonJS loader. */
function installCommonJsCompiler(): void {
  const loader = Module as unknown as CommonJsLoader;

  const compile = (module: CommonJsModule, filename: string): void => {
    const extension = typeScriptExtension(filename);
    if (extension === undefined) throw new Error(`Not a TypeScript file: ${filename}`);
    const { format, source } = compileTypeScriptFile(filename, extension, 'always');
    if (format === 'module') {
      // Node 20.19+ can require() a JavaScript ES module, but only through loader internals that
      // this file does not reach into; refuse clearly, with the code Node uses for it.
      const error = new Error(`require() of the TypeScript ES module ${filename} is not supported on Node ${process.versions.node}: use import(), or make it CommonJS (.cts, or "type": "commonjs")`);
      Object.defineProperty(error, 'code', { value: 'ERR_REQUIRE_ESM', enumerable: true, configurable: true, writable: true });
      throw error;
    }
    // Said outright: Node ≥ 20.19 would otherwise retry ES module syntax left in the code
    // (`import.meta`) as a require()d ES module, and fail with a confusing cycle error.
    module._compile(source as string, filename, 'commonjs');
  };
  // Registered after .js/.json/.node, so an extensionless require() prefers JavaScript, then `.ts`.
  for (const extension of ['.ts', '.cts', '.mts']) loader._extensions[extension] = compile;
}

/** require('./x.js') → x.ts and friends, as the ESM resolve hook does (typeScriptAlternative). */
function installResolveRetry(): void {
  const loader = Module as unknown as CommonJsLoader;
  const resolveFilename = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    try {
      return resolveFilename.call(this, request, parent, isMain, options);
    } catch (error) {
      const parentURL = parent?.filename ? pathToFileURL(parent.filename).href : undefined;
      const alternative = typeScriptAlternative(request, parentURL, error);
      if (alternative === undefined) throw error;
      return resolveFilename.call(this, alternative, parent, isMain, options);
    }
  };
}
