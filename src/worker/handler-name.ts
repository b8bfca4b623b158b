// Parses a handler name `path/to/module.export[.nested…]` (README "Writing a handler") into the module path (relative
// to the code root, no extension) and the export path. Pure: no file system, no Node APIs.

import { ErrorType, RuntimeError } from '../errors.js';

export interface HandlerName {
  /** Relative module path without extension, `/`-separated, e.g. `src/app`. */
  modulePath: string;
  /** Property path inside the module, e.g. `['api', 'v1', 'handler']`. */
  exportPath: string[];
}

const EXPECTED = "expected 'path/to/module.export'";

/**
 * `index.handler` → `{ modulePath: 'index', exportPath: ['handler'] }`;
 * `src/app.api.v1.handler` → `{ modulePath: 'src/app', exportPath: ['api', 'v1', 'handler'] }`.
 * The module is the last path segment up to its FIRST dot, so a module file name cannot contain a
 * dot (as on AWS Lambda). Throws `Runtime.MalformedHandlerName` naming the bad value.
 */
export function parseHandlerName(spec: string): HandlerName {
  const fail = (why: string): RuntimeError =>
    new RuntimeError(ErrorType.MalformedHandlerName, `Malformed handler name ${JSON.stringify(spec)}: ${why}; ${EXPECTED}`);

  if (typeof spec !== 'string' || spec.trim() === '') throw fail('it is empty');
  // Surrounding whitespace is a configuration slip (a trailing newline in an env file), never part
  // of a real file name: ignore it rather than fail on it.
  const name = spec.trim();
  if (name.startsWith('/')) throw fail('the module path is absolute; it must be relative to the code root');

  const segments = name.split('/');
  const last = segments.pop() as string; // split() always returns at least one element
  for (const segment of segments) {
    if (segment === '..') throw fail("'..' is not allowed in the module path");
    if (segment === '') throw fail('the module path has an empty segment');
  }
  if (last === '..') throw fail("'..' is not allowed in the module path");

  const dot = last.indexOf('.');
  if (dot === -1) throw fail(`no '.' between the module and the export in ${JSON.stringify(last)}`);
  const moduleName = last.slice(0, dot);
  if (moduleName === '') throw fail('the module name is empty');
  const exportPath = last.slice(dot + 1).split('.');
  if (exportPath.some((part) => part === '')) throw fail('the export name has an empty part');

  return { modulePath: [...segments, moduleName].join('/'), exportPath };
}
