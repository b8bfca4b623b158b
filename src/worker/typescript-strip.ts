// TypeScript → JavaScript for the TypeScript hooks, with sucrase (pure JavaScript; loaded on the
// first TypeScript file, never before). Every output line is the input line of the same number,
// enums and parameter properties included, so stack traces and syntax-error locations need no
// source map; columns move where types were removed. An ES module keeps its import/export; a
// CommonJS one gets them turned into require()/exports, as `tsc` does with `module: commonjs`
// (that is what lets ESM-syntax TypeScript run in a `"type": "commonjs"` package, on Node 20 too,
// which cannot require() an ES module), and becomes strict, as every `tsc --init` project is.
//
// Measured in a worker thread (Node 20.20 / 22.23, 2-core VM): require('sucrase') 37–50 ms, first
// file ~9 ms, ~11 MB per thread. amaro (swc in WebAssembly, the previous choice, engines node ≥ 22)
// was ~45 ms, ~11 ms and ~22 MB, with exact columns but no module conversion.

import { createRequire } from 'node:module';
import type { transform as SucraseTransform } from 'sucrase';
import type { ModuleFormat } from './module-format.js';

type Sucrase = { transform: typeof SucraseTransform };
let sucrase: Sucrase | undefined;

function loadSucrase(): Sucrase {
  return (sucrase ??= createRequire(import.meta.url)('sucrase') as Sucrase);
}

/** Node's code for invalid TypeScript; such errors' messages end with `(file:line:column)`. */
export const INVALID_TYPESCRIPT = 'ERR_INVALID_TYPESCRIPT_SYNTAX';
/** Node's code for valid TypeScript that its stripper does not compile (here: a namespace with values). */
export const UNSUPPORTED_TYPESCRIPT = 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX';

/**
 * The JavaScript for `source` loaded as `format`. Imports used only as types are dropped, as
 * `tsc` drops them. Throws a SyntaxError (code INVALID_TYPESCRIPT or UNSUPPORTED_TYPESCRIPT) whose
 * message ends with `(file:line:column)`.
 */
export function stripTypeScript(source: string, filename: string, format: ModuleFormat): string {
  const { transform } = loadSucrase();
  let code: string;
  try {
    code = transform(source, {
      transforms: format === 'commonjs' ? ['typescript', 'imports'] : ['typescript'],
      disableESTransforms: true, // Node ≥ 20 runs class fields, `?.`, `??` as written
      preserveDynamicImport: true, // import() stays import() in CommonJS, so it can load ES modules
    }).code;
  } catch (error) {
    throw toSyntaxError(error, source, filename);
  }
  refuseNamespacesWithValues(source, filename);
  return code;
}

/** sucrase's parse errors are SyntaxErrors with `pos` (an index into the source). */
function toSyntaxError(error: unknown, source: string, filename: string): unknown {
  const pos = typeof error === 'object' && error !== null ? (error as { pos?: unknown }).pos : undefined;
  if (!(error instanceof SyntaxError) || typeof pos !== 'number') return error;
  const message = error.message.replace(/ \(\d+:\d+\)$/, ''); // sucrase's own (line:column)
  return typeScriptError(INVALID_TYPESCRIPT, message, filename, source, pos);
}

function typeScriptError(code: string, message: string, filename: string, source: string, pos: number): SyntaxError {
  const before = source.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  const error = new SyntaxError(`${message} (${filename}:${line}:${column})`);
  Object.defineProperty(error, 'code', { value: code, enumerable: true, configurable: true, writable: true });
  return error;
}

// ---------------------------------------------------------------------------------------------
// Namespaces. sucrase erases every namespace as if it held only types; one that holds values
// would then be undefined at run time, so it is refused here instead, where it is written.

// Cheap pre-check on the text: most files have no namespace at all and are not parsed again.
const NAMESPACE_TEXT = /\b(?:namespace|module)\s+[A-Za-z_$]/;

// sucrase's token API is internal (no `exports` map guards it); the shapes used are few, and a
// test (handler-loader: namespace with values) fails if they change.
interface Token {
  type: number;
  contextualKeyword: number;
  isType: boolean;
  start: number;
  end: number;
}
interface SucraseParser {
  parse(code: string, jsx: boolean, typescript: boolean, flow: boolean): { tokens: Token[] };
}
interface SucraseTokens {
  TokenType: Record<string, number>;
}
interface SucraseKeywords {
  ContextualKeyword: Record<string, number>;
}

function refuseNamespacesWithValues(source: string, filename: string): void {
  if (!NAMESPACE_TEXT.test(source)) return;
  const require = createRequire(import.meta.url);
  let parse: SucraseParser['parse'];
  let tt: SucraseTokens['TokenType'];
  let ck: SucraseKeywords['ContextualKeyword'];
  try {
    ({ parse } = require('sucrase/dist/parser') as SucraseParser);
    ({ TokenType: tt } = require('sucrase/dist/parser/tokenizer/types') as SucraseTokens);
    ({ ContextualKeyword: ck } = require('sucrase/dist/parser/tokenizer/keywords') as SucraseKeywords);
  } catch {
    return; // a sucrase without these files: load the file as sucrase compiled it
  }
  const values = new Set([tt._const, tt._let, tt._var, tt._function, tt._class, tt._enum]);
  const opens = new Set([tt.braceL, tt.dollarBraceL]);

  const { tokens } = parse(source, false, true, false);
  // Index of the `}` closing the block that opens at or after `from`.
  const blockEnd = (from: number): number => {
    let depth = 0;
    for (let j = from; j < tokens.length; j++) {
      const type = (tokens[j] as Token).type;
      if (opens.has(type)) depth++;
      else if (type === tt.braceR && --depth === 0) return j;
    }
    return tokens.length;
  };
  const isNamespaceKeyword = (token: Token | undefined): boolean => token !== undefined && token.type === tt.name &&
    (token.contextualKeyword === ck._namespace || token.contextualKeyword === ck._module || token.contextualKeyword === ck._global);

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.type === tt._declare) {
      // `declare namespace/module/global { … }` holds types only, nested namespaces included.
      if (isNamespaceKeyword(tokens[i + 1])) i = blockEnd(i + 1);
      continue;
    }
    if (!token.isType || !isNamespaceKeyword(token) || token.contextualKeyword === ck._global) continue;
    const nameToken = tokens[i + 1];
    if (nameToken?.type !== tt.name) continue; // `module 'x'` and the like
    const end = blockEnd(i + 1);
    let depth = 0;
    for (let j = i + 1; j < end; j++) {
      const type = (tokens[j] as Token).type;
      if (opens.has(type)) depth++;
      else if (type === tt.braceR) depth--;
      else if (depth === 1 && values.has(type)) {
        const name = source.slice(nameToken.start, nameToken.end);
        throw typeScriptError(UNSUPPORTED_TYPESCRIPT,
          `TypeScript namespace ${name} holds values, which fnpool does not compile (only namespaces of types are supported): use an ES module or an object instead`,
          filename, source, token.start);
      }
    }
    // Namespaces nested in this one are reached by the outer loop.
  }
}
