// Which format, ES module or CommonJS, a file is loaded in, decided as Node decides it: the
// extension, else the `type` of the nearest package.json, else (no `type`) the file's own syntax.
// Used by the TypeScript hooks (for `.ts` files, which Node would not load at all) and by the
// syntax-error report (to know which files of a failed import are ES modules, and to say how to
// make a CommonJS file an ES module).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileFunction, Script } from 'node:vm';

export type ModuleFormat = 'module' | 'commonjs';

/** The package.json that decides a folder's format, and the `type` it declares (if any). */
export interface PackageScope {
  file: string;
  type: ModuleFormat | undefined;
}

// Cached per directory (every directory on the walk gets the answer); null: no package.json.
const scopes = new Map<string, PackageScope | null>();

/** The nearest package.json above `directory` (inclusive), as Node looks it up. */
export function packageScope(directory: string): PackageScope | undefined {
  const visited: string[] = [];
  let current = directory;
  let found: PackageScope | null = null;
  for (;;) {
    const cached = scopes.get(current);
    if (cached !== undefined) {
      found = cached;
      break;
    }
    visited.push(current);
    // Like Node, the scope ends at a node_modules folder: a package without its own package.json
    // does not inherit the type of the app around it.
    if (path.basename(current) === 'node_modules') break;
    const file = path.join(current, 'package.json');
    const manifest = readJsonObject(file);
    if (manifest !== undefined) {
      // The nearest package.json decides, even when it has no `type` (then: detection).
      found = { file, type: manifest.type === 'module' || manifest.type === 'commonjs' ? manifest.type : undefined };
      break;
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of visited) scopes.set(dir, found);
  return found ?? undefined;
}

/** The `type` of the nearest package.json, or undefined when it has none (or there is none). */
export function packageType(directory: string): ModuleFormat | undefined {
  return packageScope(directory)?.type;
}

/**
 * The format of a JavaScript file (or of a TypeScript file's stripped code) with this extension:
 * `.mjs`/`.mts` ESM, `.cjs`/`.cts` CommonJS, otherwise the package type, and without one the
 * syntax of `code()` (only read then).
 */
export function moduleFormat(filename: string, code: () => string): ModuleFormat {
  const extension = path.extname(filename);
  if (extension === '.mjs' || extension === '.mts') return 'module';
  if (extension === '.cjs' || extension === '.cts') return 'commonjs';
  return packageType(path.dirname(filename)) ?? (containsModuleSyntax(code(), filename) ? 'module' : 'commonjs');
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

/** Syntax errors that only mean "this is an ES module" (the list Node's own detection uses). */
export const ESM_ONLY_ERRORS = [
  'Cannot use import statement outside a module',
  "Unexpected token 'export'",
  "Cannot use 'import.meta' outside a module",
];
/** What CommonJS says of a top-level await (which only an ES module may have). */
export const TOP_LEVEL_AWAIT_ERROR = 'await is only valid in async functions and the top level bodies of modules';
// Errors that CommonJS raises but an ES module might not (top-level await, or redeclaring a name
// that the CommonJS wrapper provides): the code is ESM if it compiles as a module body.
const MAYBE_ESM_ERRORS = [
  TOP_LEVEL_AWAIT_ERROR,
  "Identifier 'module' has already been declared",
  "Identifier 'exports' has already been declared",
  "Identifier 'require' has already been declared",
  "Identifier '__filename' has already been declared",
  "Identifier '__dirname' has already been declared",
];

/** Compiles (never runs) the code as CommonJS to see whether it needs to be an ES module. */
export function containsModuleSyntax(code: string, filename: string): boolean {
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
