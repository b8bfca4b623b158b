// Checks an ES module's syntax with V8 itself, without flags (vm.SourceTextModule needs
// --experimental-vm-modules) and without running it: the code is compiled as the body of a strict
// async function (which, like a module, allows top-level await), and each import/export
// declaration V8 then refuses is blanked out, keeping every other character where it was, until
// the code compiles or V8 reports an error of its own. That error is the one the module has, with
// the line and column V8 gives (which import() does not pass on: Node keeps them in a private
// field and prints them only for an uncaught error). Used on the failure path only.
//
// Not seen this way (reported by the caller as "in this module or one it imports"): the errors
// only a module body has (`return` or `new.target` at top level, `<!--`, duplicate exports).

import { Script } from 'node:vm';

/** Where V8 stopped, in the checked text: 1-based line and column; the column may be unknown. */
export interface SyntaxProblem {
  message: string;
  line: number;
  column: number | undefined;
  /** How many characters V8 underlined (at least 1). */
  length: number;
}

export type ModuleSyntax = { ok: true; specifiers: string[] } | { ok: false; problem: SyntaxProblem } | { ok: false; problem: undefined };

const IMPORT_STATEMENT = 'Cannot use import statement outside a module';
const EXPORT_TOKEN = "Unexpected token 'export'";
const IMPORT_META = "Cannot use 'import.meta' outside a module";

// On a line of its own so that the module's columns stay as they are; lineOffset takes it back out.
const PREFIX = '(async function () {"use strict";\n';
const SUFFIX = '\n})';
const MAX_ROUNDS = 10_000;

/**
 * The module's first syntax error, or, when it has none, the specifiers of its static imports and
 * re-exports in source order. `problem: undefined`: an error was seen but could not be placed.
 */
export function checkModuleSyntax(source: string, filename: string): ModuleSyntax {
  // A hashbang is allowed at the very start only, which is no longer the start once wrapped.
  let text = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const specifiers: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const problem = compileAsScript(text, filename);
    if (problem === undefined) return { ok: true, specifiers };
    if (problem.message !== IMPORT_STATEMENT && problem.message !== EXPORT_TOKEN && problem.message !== IMPORT_META) {
      return { ok: false, problem };
    }
    const at = problem.column === undefined ? undefined : offsetOf(text, problem.line, problem.column);
    const blanked = at === undefined ? undefined : blankModuleSyntax(text, at, problem.message, specifiers);
    if (blanked === undefined) return { ok: false, problem: undefined };
    text = blanked;
  }
  return { ok: false, problem: undefined };
}

/** The SyntaxError V8 reports for `text` as a script, located; undefined if it compiles. */
function compileAsScript(text: string, filename: string): SyntaxProblem | undefined {
  try {
    new Script(PREFIX + text + SUFFIX, { filename, lineOffset: -1 });
    return undefined;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const arrow = parseArrow(error.stack ?? '');
    return {
      message: error.message,
      line: arrow?.line ?? 0,
      column: arrow?.column,
      length: arrow?.length ?? 1,
    };
  }
}

/**
 * The location V8 (through Node) puts on top of a compile error's stack:
 * `file:line`, the source line, and a line of `^` under the offending token. The caret line is
 * missing when the source line is longer than Node's buffer (~1000 characters); then the column is
 * unknown.
 */
export function parseArrow(stack: string): { file: string; line: number; sourceLine: string | undefined; column: number | undefined; length: number } | undefined {
  const lines = stack.split('\n');
  const match = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  if (match === null) return undefined;
  const [, file, line] = match as unknown as [string, string, string];
  const sourceLine = lines[1];
  const caret = lines[2] ?? '';
  const first = caret.indexOf('^');
  const caretOk = first >= 0 && /^[ \t]*\^+$/.test(caret);
  return {
    file,
    line: Number(line),
    sourceLine,
    column: caretOk ? first + 1 : undefined,
    length: caretOk ? caret.length - first : 1,
  };
}

function offsetOf(text: string, line: number, column: number): number | undefined {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf('\n', offset);
    if (next === -1) return undefined;
    offset = next + 1;
  }
  return offset + column - 1;
}

// ---------------------------------------------------------------------------------------------
// Blanking one declaration. Only the few token kinds an import/export declaration is made of are
// read: words, punctuation, strings, comments, and the braces of a list or of import attributes.

/** `text` with the declaration V8 refused at `at` blanked out, or undefined if it is not one. */
function blankModuleSyntax(text: string, at: number, message: string, specifiers: string[]): string | undefined {
  if (message === IMPORT_META) {
    // V8 points at `meta`; `import.meta` becomes an identifier of the same length.
    const start = text.lastIndexOf('import', at);
    const span = start === -1 ? '' : text.slice(start, at + 4);
    if (!/^import\s*\.\s*meta$/.test(span) || span.includes('\n')) return undefined;
    return text.slice(0, start) + '_'.repeat(span.length) + text.slice(at + 4);
  }
  if (message === IMPORT_STATEMENT) {
    if (!text.startsWith('import', at)) return undefined;
    const end = endOfImport(text, at + 'import'.length, specifiers);
    return end === undefined ? undefined : blank(text, at, end);
  }
  if (!text.startsWith('export', at)) return undefined;
  const next = skipSpace(text, at + 'export'.length);
  if (text.startsWith('default', next) && !isWordChar(text[next + 'default'.length])) {
    // `export default <expression or declaration>` → `void 0,<expression>`, same length.
    return blank(text, at, at + 'export'.length).slice(0, next) + 'void 0,' + text.slice(next + 'default'.length);
  }
  if (text[next] === '{' || text[next] === '*') {
    const end = endOfExportFrom(text, next, specifiers);
    return end === undefined ? undefined : blank(text, at, end);
  }
  // `export const|let|var|function|class|async function …`: the declaration stays.
  return blank(text, at, at + 'export'.length);
}

/** After `import`: the clause (if any), the specifier string, attributes, `;`. */
function endOfImport(text: string, from: number, specifiers: string[]): number | undefined {
  let i = skipSpace(text, from);
  let depth = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if ((char === '"' || char === "'") && depth === 0) {
      const end = endOfString(text, i);
      if (end === undefined) return undefined;
      specifiers.push(text.slice(i + 1, end - 1));
      return endOfAttributesAndSemicolon(text, end);
    }
    if (char === '"' || char === "'") {
      i = endOfString(text, i) ?? text.length; // `{ "a-b" as ab }`
      continue;
    }
    if (char === '{') depth++;
    else if (char === '}') depth--;
    else if (char === ';' || char === '(' || char === '`') return undefined; // not a declaration
    i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** From `{` or `*` after `export`: the list or star, then `from 'x'` (required for `*`), attributes, `;`. */
function endOfExportFrom(text: string, from: number, specifiers: string[]): number | undefined {
  let i = from;
  if (text[i] === '{') {
    for (i++; i < text.length && text[i] !== '}'; i = skipSpace(text, i + 1)) {
      if (text[i] === '"' || text[i] === "'") i = (endOfString(text, i) ?? text.length) - 1;
    }
    if (i >= text.length) return undefined;
    i++;
  } else {
    i = skipSpace(text, i + 1); // after `*`: maybe `as name`
    if (text.startsWith('as', i) && !isWordChar(text[i + 2])) {
      i = skipSpace(text, i + 2);
      if (text[i] === '"' || text[i] === "'") i = endOfString(text, i) ?? text.length;
      else while (i < text.length && isWordChar(text[i])) i++;
    }
  }
  const afterList = skipSpace(text, i);
  if (!text.startsWith('from', afterList) || isWordChar(text[afterList + 4])) {
    return text[from] === '{' ? endOfAttributesAndSemicolon(text, i) : undefined;
  }
  const quote = skipSpace(text, afterList + 4);
  if (text[quote] !== '"' && text[quote] !== "'") return undefined;
  const end = endOfString(text, quote);
  if (end === undefined) return undefined;
  specifiers.push(text.slice(quote + 1, end - 1));
  return endOfAttributesAndSemicolon(text, end);
}

/** After a specifier: `with { … }` / `assert { … }` and a `;`, when there. */
function endOfAttributesAndSemicolon(text: string, from: number): number {
  let end = from;
  let i = skipSpace(text, from);
  for (const keyword of ['with', 'assert']) {
    if (text.startsWith(keyword, i) && !isWordChar(text[i + keyword.length])) {
      const brace = skipSpace(text, i + keyword.length);
      const close = brace < text.length && text[brace] === '{' ? text.indexOf('}', brace) : -1;
      if (close !== -1) {
        end = close + 1;
        i = skipSpace(text, end);
      }
      break;
    }
  }
  return text[i] === ';' ? i + 1 : end;
}

/** The index just past the closing quote of the string starting at `start`. */
function endOfString(text: string, start: number): number | undefined {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
    else if (text[i] === '\n') return undefined;
  }
  return undefined;
}

/** Past whitespace and comments. */
function skipSpace(text: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else {
      return i;
    }
  }
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\w$]/.test(char);
}

/** Every character of text[start, end) but line breaks turned into a space. */
function blank(text: string, start: number, end: number): string {
  return text.slice(0, start) + text.slice(start, end).replace(/[^\r\n\u2028\u2029]/g, ' ') + text.slice(end);
}
