// Where a module's syntax error is, for the loader's Runtime.UserCodeSyntaxError: the file (the
// handler's, or that of a module it imports), line, column and source line, as `node --check`
// shows them. CommonJS compile errors carry this on top of their stack, and the TypeScript
// stripper's in its message; an ES module's import() failure carries none, so the modules it
// imports are then checked one by one (module-syntax.ts). Used on the failure path only.

import { readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { moduleFormat, packageScope, ESM_ONLY_ERRORS, TOP_LEVEL_AWAIT_ERROR } from './module-format.js';
import { checkModuleSyntax, parseArrow } from './module-syntax.js';
import { compileTypeScriptFile, typeScriptAlternative, typeScriptExtension } from './typescript-hooks.js';

export interface SyntaxErrorLocation {
  file: string;
  line: number;
  /** 1-based; undefined when it is not known to be a column of the file as written. */
  column: number | undefined;
  /** How many characters to underline. */
  length: number;
}

/** `message (file:line:column)` at the end of a TypeScript stripping error's message. */
export function locationInMessage(message: string): SyntaxErrorLocation | undefined {
  // The last `(` that starts an absolute path (a path may hold parentheses of its own).
  for (let open = message.lastIndexOf('('); open > 0; open = message.lastIndexOf('(', open - 1)) {
    const match = /^\((.+):(\d+):(\d+)\)$/.exec(message.slice(open));
    if (match === null) return undefined;
    const [, file, line, column] = match as unknown as [string, string, string, string];
    if (path.isAbsolute(file)) return { file, line: Number(line), column: Number(column), length: 1 };
  }
  return undefined;
}

/** The location on top of a CommonJS compile error's stack (`file:line`, source line, caret). */
export function locationInStack(stack: string): SyntaxErrorLocation | undefined {
  const arrow = parseArrow(stack);
  if (arrow === undefined) return undefined;
  const file = arrow.file.startsWith('file:') ? safeFileURLToPath(arrow.file) : arrow.file;
  if (file === undefined || !path.isAbsolute(file)) return undefined; // not a location after all
  // The caret is under the code V8 compiled: for TypeScript, the stripped line.
  const column = arrow.column === undefined ? undefined : writtenColumn(sourceLine(file, arrow.line), arrow.sourceLine, arrow.column);
  return { file, line: arrow.line, column, length: arrow.length };
}

const MAX_MODULES = 500;

/**
 * For an ES module import that failed with SyntaxError `message` and no location: the first module
 * of its static import graph (entry first, then breadth-first in source order) where V8 reports
 * that same error. Packages are followed as require.resolve() finds them (a package that exports
 * only to `import` is not followed).
 */
export function findModuleSyntaxError(entry: string, message: string): SyntaxErrorLocation | undefined {
  const queue = [entry];
  const seen = new Set(queue);
  for (let next = 0; next < queue.length && next < MAX_MODULES; next++) {
    const file = queue[next] as string;
    const code = moduleCode(file);
    if (code === undefined) continue;
    const result = checkModuleSyntax(code.text, file);
    if (!result.ok) {
      const { problem } = result;
      if (problem === undefined || problem.message !== message) continue;
      const column = problem.column === undefined
        ? undefined : writtenColumn(sourceLine(file, problem.line), lineOf(code.text, problem.line), problem.column);
      return { file, line: problem.line, column, length: problem.length };
    }
    for (const specifier of result.specifiers) {
      const dependency = resolveImport(specifier, file);
      if (dependency !== undefined && !seen.has(dependency)) {
        seen.add(dependency);
        queue.push(dependency);
      }
    }
  }
  return undefined;
}

/** The JavaScript an ES module file is compiled from, or undefined for CommonJS and non-JavaScript. */
function moduleCode(file: string): { text: string } | undefined {
  const extension = typeScriptExtension(file);
  if (extension !== undefined) {
    try {
      const { format, source } = compileTypeScriptFile(file, extension, 'esm-only');
      return format === 'module' && source !== undefined ? { text: source } : undefined;
    } catch {
      return undefined; // a TypeScript syntax error: import() would have reported it, located
    }
  }
  if (!['.js', '.mjs', '.cjs'].includes(path.extname(file))) return undefined; // .json, .node, .wasm…
  const text = readSource(file);
  if (text === undefined) return undefined;
  // A CommonJS file's compile error carries its location; only ES modules need checking.
  return moduleFormat(file, () => text) === 'module' ? { text } : undefined;
}

function resolveImport(specifier: string, parent: string): string | undefined {
  if (isBuiltin(specifier)) return undefined;
  const parentURL = pathToFileURL(parent).href;
  if (/^(?:\.{1,2}\/|\/|file:)/.test(specifier)) {
    const file = safeFileURLToPath(new URL(specifier, parentURL).href);
    if (file !== undefined && isFile(file)) return file;
    const alternative = typeScriptAlternative(specifier, parentURL, { code: 'ERR_MODULE_NOT_FOUND' });
    return alternative === undefined ? undefined : safeFileURLToPath(new URL(alternative, parentURL).href);
  }
  try {
    return createRequire(parent).resolve(specifier);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The text around the error.

/**
 * The source line and, when the column is known, a caret line under the offending token; a line
 * longer than MAX_WIDTH is cut around the column. Empty when the file cannot be read.
 */
export function codeExcerpt(location: SyntaxErrorLocation): string[] {
  let text = sourceLine(location.file, location.line);
  if (text === undefined) return [];
  let column = location.column;
  if (text.length > MAX_WIDTH) {
    const start = column === undefined ? 0 : Math.max(0, column - 1 - MAX_WIDTH / 2);
    const cut = text.slice(start, start + MAX_WIDTH);
    text = `${start > 0 ? '…' : ''}${cut}${start + MAX_WIDTH < text.length ? '…' : ''}`;
    if (column !== undefined) column = column - start + (start > 0 ? 1 : 0);
  }
  if (column === undefined || column > text.length + 1) return [text];
  const before = text.slice(0, column - 1).replace(/[^\t]/g, ' ');
  const length = Math.max(1, Math.min(location.length, text.length - (column - 1)));
  return [text, before + '^'.repeat(length)];
}

const MAX_WIDTH = 160;

/**
 * What to do when ES module syntax is what failed in a file loaded as CommonJS, or undefined when
 * that is not the case.
 */
export function moduleSyntaxAdvice(message: string, location: SyntaxErrorLocation): string | undefined {
  if (!ESM_ONLY_ERRORS.includes(message) && message !== TOP_LEVEL_AWAIT_ERROR) return undefined;
  const { file } = location;
  if (file.split(path.sep).includes('node_modules')) return undefined; // a dependency's own business
  const extension = path.extname(file);
  const isTypeScript = typeScriptExtension(file) !== undefined;
  if (!['.js', '.cjs', '.ts', '.cts'].includes(extension)) return undefined;
  const renamed = `${path.basename(file, extension)}${isTypeScript ? '.mts' : '.mjs'}`;
  if (extension === '.cjs' || extension === '.cts') {
    return `${path.basename(file)} is CommonJS by its extension but uses ES module syntax: rename it to ${renamed}`;
  }
  const scope = packageScope(path.dirname(file));
  if (scope?.type === 'module') return undefined;
  const where = scope === undefined
    ? `add a package.json with "type": "module" to ${path.dirname(file)}`
    : `add "type": "module" to ${scope.file}`;
  return `${path.basename(file)} uses ES module syntax but is loaded as CommonJS: ${where}, or rename it to ${renamed}`;
}

// ---------------------------------------------------------------------------------------------

function readSource(file: string): string | undefined {
  try {
    const raw = readFileSync(file, 'utf8');
    return raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  } catch {
    return undefined;
  }
}

function sourceLine(file: string, line: number): string | undefined {
  const text = readSource(file);
  return text === undefined ? undefined : lineOf(text, line);
}

function lineOf(text: string, line: number): string | undefined {
  const lines = text.split('\n');
  return line >= 1 && line <= lines.length ? (lines[line - 1] as string).replace(/\r$/, '') : undefined;
}

/**
 * A column of the compiled line (stripped TypeScript) as a column of the line as written. Stripping
 * only removes text from a line (types, `private`, `!`…), so the compiled line up to the column is
 * matched, in order, against the written one; undefined if it does not match (code was added).
 */
function writtenColumn(written: string | undefined, compiled: string | undefined, column: number): number | undefined {
  if (written === undefined || compiled === undefined) return undefined;
  if (written === compiled) return column;
  let at = -1;
  for (let j = 0; j < column && j < compiled.length; j++) {
    at = written.indexOf(compiled[j] as string, at + 1);
    if (at === -1) return undefined;
  }
  return at + 1;
}

function isFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function safeFileURLToPath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}
