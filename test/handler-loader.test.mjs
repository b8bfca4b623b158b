// Handler loading (src/worker/handler-name.ts, handler-loader.ts, typescript.ts): every fixture is
// loaded in a real worker thread, as the runtime does, then called once.
// Run: npx tsc -p tsconfig.json; node --test test/handler-loader.test.mjs
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseHandlerName } from '../dist/worker/handler-name.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const WORKER = new URL('./helpers/load-handler-worker.mjs', import.meta.url);
const hasSyncHooks = Number(process.versions.node.split('.')[0]) >= 23 ||
  (process.versions.node.startsWith('22.') && Number(process.versions.node.split('.')[1]) >= 15);

/** Loads `spec` from `codeRoot` in a fresh worker thread, calls it with `event`, returns the report. */
function load(codeRoot, spec = 'index.handler', event = { name: 'ada' }, extra = {}) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { codeRoot, spec, event, ...extra } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`worker for ${codeRoot} ${spec} did not answer within 20 s`));
    }, 20_000);
    worker.once('message', (message) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const fixture = (name) => path.join(FIXTURES, name);

function assertOk(report, expected) {
  assert.equal(report.ok, true, `expected success, got ${report.name}: ${report.message}\n${report.stack}`);
  assert.deepEqual(report.result, expected);
}

/** Node's own loader frames (node:internal/…) are left out of a load error's stack. */
function assertNoInternalFrames(report) {
  assert.doesNotMatch(report.stack, /node:internal\//, report.stack);
}

function assertLoadError(report, type, pattern) {
  assert.equal(report.ok, false, `expected ${type}, got result ${JSON.stringify(report.result)}`);
  assert.equal(report.phase, 'load');
  assert.equal(report.isRuntimeError, true);
  assert.equal(report.name, type, `wrong type; message: ${report.message}`);
  assert.match(report.message, pattern);
}

// ---------------------------------------------------------------------------------------------
// parseHandlerName

test('parseHandlerName splits module and export at the first dot of the last segment', () => {
  const cases = [
    ['index.handler', 'index', ['handler']],
    ['index.api.handler', 'index', ['api', 'handler']],
    ['src/app.main', 'src/app', ['main']],
    ['src/app.api.v1.handler', 'src/app', ['api', 'v1', 'handler']],
    ['a/b/c/mod.fn', 'a/b/c/mod', ['fn']],
    ['./index.handler', './index', ['handler']],
    ['v1.2/index.handler', 'v1.2/index', ['handler']],
    ['  index.handler\n', 'index', ['handler']],
    ['my-mod_1.$handler', 'my-mod_1', ['$handler']],
  ];
  for (const [spec, modulePath, exportPath] of cases) {
    assert.deepEqual(parseHandlerName(spec), { modulePath, exportPath }, spec);
  }
});

test('parseHandlerName refuses malformed names with Runtime.MalformedHandlerName naming the value', () => {
  const cases = [
    ['', /empty/],
    ['   ', /empty/],
    ['index', /no '\.'/],
    ['src.v1/app', /no '\.'/],
    ['index.', /export name has an empty part/],
    ['.handler', /module name is empty/],
    ['index..handler', /export name has an empty part/],
    ['index.api.', /export name has an empty part/],
    ['../index.handler', /'\.\.' is not allowed/],
    ['src/../../index.handler', /'\.\.' is not allowed/],
    ['src/..', /'\.\.' is not allowed/],
    ['/var/task/index.handler', /absolute/],
    ['src//index.handler', /empty segment/],
    ['src/.handler', /module name is empty/],
  ];
  for (const [spec, why] of cases) {
    assert.throws(
      () => parseHandlerName(spec),
      (error) => {
        assert.equal(error.name, 'Runtime.MalformedHandlerName', spec);
        assert.ok(error.message.includes(JSON.stringify(spec)), `message should name ${JSON.stringify(spec)}: ${error.message}`);
        assert.match(error.message, why);
        return true;
      },
      spec,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Fixtures that load and run

const GOOD = [
  ['esm-mjs', 'index.handler', { fixture: 'esm-mjs', name: 'ada' }],
  ['esm-type-module', 'index.handler', { fixture: 'esm-type-module', name: 'ada' }],
  ['cjs', 'index.handler', { fixture: 'cjs', name: 'ada' }],
  ['cjs-cjs', 'index.handler', { fixture: 'cjs-cjs', name: 'ada' }],
  ['nested', 'src/app.api.v1.handler', { fixture: 'nested', name: 'ada' }],
  ['default-export', 'index.handler', { fixture: 'default-export', name: 'ada' }],
];
const TYPESCRIPT = [
  // index.ts, no "type": ESM by detection; imports './lib.js' where only lib.ts exists.
  ['ts-esm', 'index.handler', { name: 'ada' }, { fixture: 'ts-esm', greeting: 'hello ada' }],
  // index.mts; imports './shout.mts' (explicit extension) and './version' (extensionless .ts).
  ['ts-mts', 'index.handler', { name: 'ada' }, { fixture: 'ts-mts', shout: 'ADA', version: 2 }],
  // index.cts; require('./util.cts').
  ['ts-cts', 'index.handler', { name: 'ada' }, { fixture: 'ts-cts', twice: 'adaada' }],
  // index.ts, no "type", no import/export: CommonJS; require('./twice') finds twice.ts.
  ['ts-cjs', 'index.handler', { n: 21 }, { fixture: 'ts-cjs', doubled: 42 }],
  // enum: compiled to an object, on the lines it was written on.
  ['ts-enum', 'index.handler', {}, { fixture: 'ts-enum', color: 'green' }],
  // index.ts with import/export in a "type": "commonjs" package (npm init -y): compiled to CommonJS.
  ['ts-esm-in-cjs', 'index.handler', { name: 'ada' }, { fixture: 'ts-esm-in-cjs', greeting: 'ADA', folder: 'ts-esm-in-cjs' }],
];

for (const [name, spec, expected] of GOOD) {
  test(`loads and runs ${name} (${spec})`, async () => {
    const report = await load(fixture(name), spec);
    assertOk(report, expected);
  });
}

for (const [name, spec, event, expected] of TYPESCRIPT) {
  test(`loads and runs TypeScript ${name} with no build step`, async () => {
    assertOk(await load(fixture(name), spec, event), expected);
  });
}

test('TypeScript fixtures load in two workers at once (hooks are per worker)', async () => {
  const runs = TYPESCRIPT.flatMap(([name, spec, event, expected]) =>
    [1, 2].map(async () => assertOk(await load(fixture(name), spec, event), expected)));
  await Promise.all(runs);
});

test('a TypeScript file with an enum reports its stack at the .ts line', async () => {
  const report = await load(fixture('ts-enum'), 'index.handler', { fail: true });
  assert.equal(report.ok, false);
  assert.equal(report.phase, 'invoke');
  assert.equal(report.message, 'failed in ts-enum');
  assert.match(report.stack, /ts-enum[/\\]index\.ts:12:\d+/, report.stack);
});

test('loading the same handler twice in a thread returns the same function and runs the top level once', async () => {
  const report = await load(fixture('ts-esm'), 'index.handler', { name: 'x' }, { repeat: 3 });
  assertOk(report, { fixture: 'ts-esm', greeting: 'hello x' });
  assert.equal(report.sameFunction, true);
});

// ---------------------------------------------------------------------------------------------
// Fixtures that fail to load

test('syntax-error: Runtime.UserCodeSyntaxError with the message, file:line:column and the line with a caret', async () => {
  const report = await load(fixture('syntax-error'));
  assertLoadError(report, 'Runtime.UserCodeSyntaxError',
    /^SyntaxError: Unexpected token ';' \(.*syntax-error[/\\]index\.js:2:36\)\n  return \{ fixture: 'syntax-error' ;\n {35}\^$/);
  assert.equal(report.cause.name, 'SyntaxError');
  assertNoInternalFrames(report);
});

test('ts-syntax-error: Runtime.UserCodeSyntaxError with the message, file:line:column and the line with a caret', async () => {
  const report = await load(fixture('ts-syntax-error'));
  assertLoadError(report, 'Runtime.UserCodeSyntaxError',
    /^SyntaxError: .*ts-syntax-error[/\\]index\.ts:2:16\)\n  const value: = event\.name;\n {15}\^$/);
  assertNoInternalFrames(report);
});

test('throws-at-load: Runtime.ImportModuleError keeping the error name, message and user frame', async () => {
  const report = await load(fixture('throws-at-load'));
  assertLoadError(report, 'Runtime.ImportModuleError', /^TypeError: boom at load$/);
  assert.deepEqual(report.cause, { name: 'TypeError', message: 'boom at load', code: undefined });
  assert.match(report.stack, /throws-at-load[/\\]index\.js:1:\d+/, 'the stack should point at the throw');
  assertNoInternalFrames(report);
});

test('missing-dep: Runtime.ImportModuleError naming the missing package', async () => {
  const report = await load(fixture('missing-dep'));
  assertLoadError(report, 'Runtime.ImportModuleError', /fnpool-fixture-missing-dependency/);
  assert.equal(report.cause.code, 'ERR_MODULE_NOT_FOUND');
});

test('not-a-function: Runtime.HandlerNotFound saying what was found', async () => {
  const report = await load(fixture('not-a-function'));
  assertLoadError(report, 'Runtime.HandlerNotFound', /^index\.handler is not a function \(got number\)$/);
});

test('a missing export: Runtime.HandlerNotFound', async () => {
  const report = await load(fixture('esm-mjs'), 'index.nope');
  assertLoadError(report, 'Runtime.HandlerNotFound', /^index\.nope is undefined or not exported$/);
  const nested = await load(fixture('nested'), 'src/app.api.v2.handler');
  assertLoadError(nested, 'Runtime.HandlerNotFound', /^src\/app\.api\.v2\.handler is undefined or not exported$/);
});

test('inherited members (toString, constructor, call) are not handlers', async () => {
  for (const spec of ['index.toString', 'index.constructor', 'index.handler.call']) {
    assertLoadError(await load(fixture('esm-mjs'), spec), 'Runtime.HandlerNotFound', /is undefined or not exported/);
  }
});

test('a missing module: Runtime.ImportModuleError listing what was tried', async () => {
  const report = await load(fixture('esm-mjs'), 'main.handler');
  assertLoadError(report, 'Runtime.ImportModuleError',
    /^Cannot find module 'main' under .*esm-mjs \(tried main\.js, main\.mjs, main\.cjs, main\.ts, main\.mts, main\.cts\)$/);
  const nested = await load(fixture('nested'), 'src/main.handler');
  assertLoadError(nested, 'Runtime.ImportModuleError', /^Cannot find module 'src\/main' under .*\(tried src\/main\.js, src\/main\.mjs, /);
  const noRoot = await load(fixture('does-not-exist'), 'index.handler');
  assertLoadError(noRoot, 'Runtime.ImportModuleError', /code root .*does-not-exist is not a folder/);
});

test('a malformed or escaping name: Runtime.MalformedHandlerName from the loader too', async () => {
  assertLoadError(await load(fixture('esm-mjs'), '../cjs/index.handler'), 'Runtime.MalformedHandlerName', /'\.\.' is not allowed/);
  assertLoadError(await load(fixture('esm-mjs'), 'index'), 'Runtime.MalformedHandlerName', /"index"/);
});

// ---------------------------------------------------------------------------------------------
// Edge cases, in throw-away folders

const scratch = mkdtempSync(path.join(tmpdir(), 'fnpool-loader-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `files` ({ relativePath: text }) into a new folder and returns its path. */
function folder(name, files) {
  const root = path.join(scratch, name);
  for (const [file, text] of Object.entries({ 'package.json': '{}', ...files })) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

test('a SyntaxError thrown by running code (JSON.parse) is an ImportModuleError, not a syntax error', async () => {
  const root = folder('json-at-load', { 'index.js': "JSON.parse('{');\nexports.handler = () => 1;\n" });
  const report = await load(root);
  assertLoadError(report, 'Runtime.ImportModuleError', /^SyntaxError: .*JSON/);
});

test('a syntax error in a required CommonJS dependency names that file', async () => {
  const root = folder('cjs-dep-syntax', {
    'index.js': "const bad = require('./bad.js');\nexports.handler = () => bad;\n",
    'bad.js': 'module.exports = {\n  a: 1,,\n};\n',
  });
  assertLoadError(await load(root), 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token ',' \(.*bad\.js:2:8\)\n  a: 1,,\n {7}\^$/);
});

test('a syntax error in an ES module handler gives its file:line:column and the line, as node --check does', async () => {
  const root = folder('esm-syntax', {
    'package.json': '{ "type": "module" }',
    'index.js': "import { sep } from 'node:path';\nexport const handler = () => sep;\n\nconst x = ;\n",
  });
  const report = await load(root);
  assertLoadError(report, 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token ';' \(.*esm-syntax[/\\]index\.js:4:11\)\nconst x = ;\n {10}\^$/);
  assertNoInternalFrames(report);
});

test('a syntax error in a module an ES module imports names that module, not the handler', async () => {
  const root = folder('esm-dep-syntax', {
    'package.json': '{ "type": "module" }',
    'index.js': "import { a } from './lib/ok.js';\nexport default async function () {}\nexport const handler = () => a;\n",
    // Every kind of import/export declaration before the error, which is in bad.js.
    'lib/ok.js': [
      "import * as ns from './ns.js';",
      "export * from './ns.js';",
      "export * as again from './ns.js';",
      "export { default as d, b } from './ns.js';",
      "import def, { c as a } from './bad.js';",
      'const meta = import.meta.url;',
      'await Promise.resolve();',
      'export { a, ns, meta, def };',
      '',
    ].join('\n'),
    'lib/ns.js': 'export default 1;\nexport const b = 2;\n',
    'lib/bad.js': 'export const c = {\n  a: 1,,\n};\nexport default c;\n',
  });
  const report = await load(root);
  assertLoadError(report, 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token ',' \(.*esm-dep-syntax[/\\]lib[/\\]bad\.js:2:8\)\n  a: 1,,\n {7}\^$/);
  assertNoInternalFrames(report);
});

test('a syntax error that only V8 sees in an imported TypeScript module gets the .ts line and column', async () => {
  const root = folder('ts-dep-v8-syntax', {
    'package.json': '{ "type": "module" }',
    'index.ts': "import { v } from './lib.js';\nexport const handler = (): number => v;\n",
    'lib.ts': "export const v: number = 1;\nlet q: string = 'a'; let q: string = 'b';\n",
  });
  assertLoadError(await load(root), 'Runtime.UserCodeSyntaxError',
    /^SyntaxError: Identifier 'q' has already been declared \(.*ts-dep-v8-syntax[/\\]lib\.ts:2:26\)\nlet q: string = 'a'; let q: string = 'b';\n {25}\^$/);
});

test('a syntax error in an imported TypeScript file names that file', async () => {
  const root = folder('ts-dep-syntax', {
    'package.json': '{ "type": "module" }',
    'index.ts': "import { x } from './bad.js';\nexport const handler = () => x;\n",
    'bad.ts': 'export const x: number = 1;\nexport const y: = 2;\n',
  });
  assertLoadError(await load(root), 'Runtime.UserCodeSyntaxError', /bad\.ts:2:17\)\nexport const y: = 2;\n {16}\^$/);
});

test('a non-Error thrown at load keeps its string form', async () => {
  const root = folder('throw-string', { 'package.json': '{ "type": "module" }', 'index.js': "throw 'plain string';\n" });
  assertLoadError(await load(root), 'Runtime.ImportModuleError', /^plain string$/);
});

test('a JavaScript handler can import a TypeScript file by its .js name', async () => {
  const root = folder('js-imports-ts', {
    'package.json': '{ "type": "module" }',
    'index.js': "import { x } from './lib.js';\nexport const handler = () => ({ x });\n",
    'lib.ts': 'export const x: number = 7;\n',
  });
  assertOk(await load(root), { x: 7 });
});

test('a type-less .ts with top-level await or a `require` binding is detected as ESM', async () => {
  const tla = folder('ts-tla', {
    'index.ts': 'const v: number = await Promise.resolve(5);\nconst handler = async () => ({ v });\nexport { handler };\n',
  });
  assertOk(await load(tla), { v: 5 });
  const shadow = folder('ts-shadow', { 'index.ts': 'const require: number = 1;\nexport const handler = () => ({ require });\n' });
  assertOk(await load(shadow), { require: 1 });
});

test('a CommonJS .ts exporting a function via module.exports is found via default', async () => {
  const root = folder('ts-module-exports', {
    'index.ts': "const handler = async (): Promise<string> => 'cjs-ts';\nmodule.exports = { handler };\n",
  });
  assertOk(await load(root), 'cjs-ts');
});

/** Loads index.handler from `codeRoot` in a fresh worker; says whether sucrase got loaded in that thread. */
function stripperLoadedBy(codeRoot) {
  const probe = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { enableTypeScript } = await import(workerData.typescript);
      const { loadFunction } = await import(workerData.loader);
      enableTypeScript();
      await loadFunction(workerData.codeRoot, 'index.handler');
      parentPort.postMessage(Object.keys(require.cache).some((file) => file.includes('/node_modules/sucrase/')));
    })().catch((error) => parentPort.postMessage(String(error)));
  `;
  const dist = (file) => new URL(`../dist/worker/${file}`, import.meta.url).href;
  const worker = new Worker(probe, { eval: true, workerData: { codeRoot, typescript: dist('typescript.js'), loader: dist('handler-loader.js') } });
  return new Promise((resolve, reject) => {
    worker.once('message', (message) => {
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}

test('the TypeScript stripper (sucrase) is loaded only once a TypeScript file is', async () => {
  assert.equal(await stripperLoadedBy(fixture('esm-mjs')), false);
  // CommonJS TypeScript is stripped in the worker thread itself on every Node version.
  assert.equal(await stripperLoadedBy(fixture('ts-cjs')), true);
  if (hasSyncHooks) assert.equal(await stripperLoadedBy(fixture('ts-esm')), true);
});

/** Whether `version` (x.y.z) is in the npm semver `range` (the forms engines fields use). */
function inRange(version, range) {
  const want = version.replace(/^v/, '').split('.').map(Number);
  const compare = (a, b) => (a[0] - b[0]) || (a[1] - b[1]) || (a[2] - b[2]);
  const comparator = (token) => {
    const match = /^(>=|<=|>|<|=|\^|~)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(token);
    assert.ok(match, `unknown version range ${JSON.stringify(range)}`);
    const [, op = '=', ...parts] = match;
    const wild = parts.findIndex((part) => part === undefined || /^[xX*]$/.test(part));
    const fixed = wild === -1 ? 3 : wild; // how many parts are numbers
    const base = parts.map((part, i) => (i < fixed ? Number(part) : 0));
    const cmp = compare(want, base);
    const samePrefix = (n) => want.slice(0, n).every((part, i) => part === base[i]);
    switch (op) {
      case '>=': return cmp >= 0;
      case '>': return fixed === 3 ? cmp > 0 : !samePrefix(fixed) && cmp > 0;
      case '<': return cmp < 0;
      case '<=': return fixed === 3 ? cmp <= 0 : samePrefix(fixed) || cmp < 0;
      case '^': return cmp >= 0 && samePrefix(base[0] > 0 || fixed === 1 ? 1 : base[1] > 0 || fixed === 2 ? 2 : 3);
      case '~': return cmp >= 0 && samePrefix(fixed === 1 ? 1 : 2);
      default: return samePrefix(fixed);
    }
  };
  return range.split('||').some((set) => set.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean).every(comparator));
}

test('every installed package accepts this Node version (npm install prints no EBADENGINE)', async () => {
  assert.equal(inRange('20.18.0', '>=16 || 14 >=14.17'), true);
  assert.equal(inRange('20.18.0', '>=22'), false);
  assert.equal(inRange('22.1.0', '6.* || 8.* || >= 10.*'), true);
  const lock = JSON.parse(await readFile(new URL('../package-lock.json', import.meta.url), 'utf8'));
  const refused = Object.entries(lock.packages)
    .filter(([where, entry]) => where !== '' && !entry.optional && typeof entry.engines?.node === 'string' && !inRange(process.version, entry.engines.node))
    .map(([where, entry]) => `${where} (engines.node ${entry.engines.node})`);
  assert.deepEqual(refused, [], `not for Node ${process.version}`);
});

test('a CommonJS TypeScript file with an enum runs and reports its stack at the .cts line', async () => {
  const root = folder('cts-enum', {
    'index.cts': [
      'enum Level {',
      '  Low = 1,',
      '  High = 2,',
      '}',
      '',
      'exports.handler = async (event: { fail?: boolean }) => {',
      '  if (event.fail) {',
      "    throw new Error('cts enum failed'); // line 8",
      '  }',
      '  return { level: Level.High };',
      '};',
      '',
    ].join('\n'),
  });
  assertOk(await load(root, 'index.handler', {}), { level: 2 });
  const failed = await load(root, 'index.handler', { fail: true });
  assert.equal(failed.phase, 'invoke');
  assert.match(failed.stack, /cts-enum[/\\]index\.cts:8:\d+/, failed.stack);
});

test('a TypeScript class with parameter properties runs and reports its stack at the .ts line', async () => {
  const root = folder('ts-parameter-properties', {
    'package.json': '{ "type": "module" }',
    'index.ts': [
      'class Greeter {',
      '  constructor(private readonly greeting: string, public count: number = 1) {}',
      '  greet(name: string): string {',
      "    if (name === 'fail') throw new Error('greeter failed'); // line 4",
      '    return `${this.greeting} ${name}`.repeat(this.count);',
      '  }',
      '}',
      "export const handler = async (event: { name: string }) => new Greeter('hi').greet(event.name);",
      '',
    ].join('\n'),
  });
  assertOk(await load(root), 'hi ada');
  const failed = await load(root, 'index.handler', { name: 'fail' });
  assert.equal(failed.phase, 'invoke');
  assert.match(failed.stack, /ts-parameter-properties[/\\]index\.ts:4:\d+/, failed.stack);
});

test('a TypeScript namespace holding values is refused where it is written; one of types only loads', async () => {
  const values = folder('ts-namespace-values', {
    'package.json': '{ "type": "module" }',
    'index.ts': '// helpers\nexport namespace Util {\n  export const x = 1;\n}\nexport const handler = () => Util.x;\n',
  });
  assertLoadError(await load(values), 'Runtime.UserCodeSyntaxError',
    /^SyntaxError: TypeScript namespace Util holds values.*\(.*ts-namespace-values[/\\]index\.ts:2:8\)\nexport namespace Util \{\n {7}\^$/);
  const types = folder('ts-namespace-types', {
    'package.json': '{ "type": "module" }',
    'index.ts': [
      'namespace Shapes {',
      '  export interface Point { x: number }',
      '  export type Pair = [Point, Point];',
      '}',
      'declare namespace Ambient {',
      '  const version: string;',
      '  namespace Inner { let deep: number }',
      '}',
      'declare global { var fnpoolTest: number | undefined }',
      'export const handler = async (): Promise<Shapes.Point> => ({ x: 1 });',
      '',
    ].join('\n'),
  });
  assertOk(await load(types), { x: 1 });
});

// ---------------------------------------------------------------------------------------------
// ES module syntax in CommonJS files

test('a .cts written with import/export runs as CommonJS, as tsc compiles it', async () => {
  const root = folder('cts-esm-syntax', {
    'index.cts': "import path from 'node:path';\nimport { twice } from './util.cjs';\nexport const handler = async (event: { n: number }) => ({ sep: path.sep, n: twice(event.n), dir: typeof __dirname });\n",
    'util.cts': 'export function twice(n: number): number {\n  return n * 2;\n}\n',
  });
  assertOk(await load(root, 'index.handler', { n: 4 }), { sep: path.sep, n: 8, dir: 'string' });
});

test('an .mts that calls require() fails with Node\'s own message about ES module scope', async () => {
  const root = folder('mts-require', { 'index.mts': "const fs = require('node:fs');\nexport const handler = async () => fs.sep;\n" });
  assertLoadError(await load(root), 'Runtime.ImportModuleError', /^ReferenceError: require is not defined in ES module scope/);
});

test('a .js with ES module syntax in a "type": "commonjs" package says to add "type": "module" or rename it to .mjs', async () => {
  const root = folder('js-esm-in-cjs', {
    'package.json': '{ "name": "js-esm-in-cjs", "version": "1.0.0", "type": "commonjs" }',
    'index.js': "export const handler = async () => 'esm';\n",
  });
  const report = await load(root);
  assertLoadError(report, 'Runtime.UserCodeSyntaxError',
    /^SyntaxError: Unexpected token 'export' \(.*js-esm-in-cjs[/\\]index\.js:1:1\)\nexport const handler = async \(\) => 'esm';\n\^{6}\n/);
  const advice = report.message.split('\n').at(-1);
  assert.match(advice, /^index\.js uses ES module syntax but is loaded as CommonJS: add "type": "module" to .*js-esm-in-cjs[/\\]package\.json, or rename it to index\.mjs$/);
  assertNoInternalFrames(report);

  const imports = folder('js-import-in-cjs', {
    'package.json': '{ "type": "commonjs" }',
    'index.js': "import path from 'node:path';\nexport const handler = async () => path.sep;\n",
  });
  const importReport = await load(imports);
  assertLoadError(importReport, 'Runtime.UserCodeSyntaxError', /^SyntaxError: Cannot use import statement outside a module \(.*index\.js:1:1\)\n/);
  assert.match(importReport.message, /add "type": "module" to .*package\.json, or rename it to index\.mjs$/);
});

test('a .cjs with ES module syntax says to rename it to .mjs', async () => {
  const root = folder('cjs-esm-syntax', { 'index.cjs': "export const handler = async () => 'esm';\n" });
  const report = await load(root);
  assertLoadError(report, 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token 'export' \(.*index\.cjs:1:1\)\n/);
  assert.match(report.message, /\nindex\.cjs is CommonJS by its extension but uses ES module syntax: rename it to index\.mjs$/);
});

test('a .ts under "type": "commonjs" that needs an ES module (import.meta) says to add "type": "module" or rename it to .mts', async () => {
  const root = folder('ts-meta-in-cjs', {
    'package.json': '{ "type": "commonjs" }',
    'index.ts': 'export const handler = async (): Promise<string> => import.meta.url;\n',
  });
  const report = await load(root);
  assertLoadError(report, 'Runtime.UserCodeSyntaxError', /^SyntaxError: Cannot use 'import\.meta' outside a module \(.*ts-meta-in-cjs[/\\]index\.ts:1\)\n/);
  assert.match(report.message, /\nindex\.ts uses ES module syntax but is loaded as CommonJS: add "type": "module" to .*package\.json, or rename it to index\.mts$/);
});
