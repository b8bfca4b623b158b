// Handler loading (src/worker/handler-name.ts, handler-loader.ts, typescript.ts): every fixture is
// loaded in a real worker thread, as the runtime does, then called once.
// Run: npx tsc -p tsconfig.json; node --test test/handler-loader.test.mjs
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  // enum: needs transform mode.
  ['ts-enum', 'index.handler', {}, { fixture: 'ts-enum', color: 'green' }],
];

for (const [name, spec, expected] of GOOD) {
  test(`loads and runs ${name} (${spec})`, async () => {
    const report = await load(fixture(name), spec);
    assertOk(report, expected);
    assert.equal(report.amaroLoaded, false, 'a JavaScript handler must not load amaro');
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

test('a transformed (enum) TypeScript file reports its stack at the .ts line', async () => {
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

test('syntax-error: Runtime.UserCodeSyntaxError with the message and file:line', async () => {
  const report = await load(fixture('syntax-error'));
  assertLoadError(report, 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token.*syntax-error[/\\]index\.js:2\)$/);
  assert.equal(report.cause.name, 'SyntaxError');
});

test('ts-syntax-error: Runtime.UserCodeSyntaxError with the message and file:line:column', async () => {
  const report = await load(fixture('ts-syntax-error'));
  assertLoadError(report, 'Runtime.UserCodeSyntaxError', /^SyntaxError: .*ts-syntax-error[/\\]index\.ts:2:16\)$/);
});

test('throws-at-load: Runtime.ImportModuleError keeping the error name, message and user frame', async () => {
  const report = await load(fixture('throws-at-load'));
  assertLoadError(report, 'Runtime.ImportModuleError', /^TypeError: boom at load$/);
  assert.deepEqual(report.cause, { name: 'TypeError', message: 'boom at load', code: undefined });
  assert.match(report.stack, /throws-at-load[/\\]index\.js:1:\d+/, 'the stack should point at the throw');
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
  assertLoadError(await load(root), 'Runtime.UserCodeSyntaxError', /bad\.js:2\)$/);
});

test('a syntax error in an ES module says where loading started', async () => {
  const root = folder('esm-dep-syntax', {
    'package.json': '{ "type": "module" }',
    'index.js': "import './bad.js';\nexport const handler = () => 1;\n",
    'bad.js': 'export const a = {\n  a: 1,,\n};\n',
  });
  assertLoadError(await load(root), 'Runtime.UserCodeSyntaxError', /^SyntaxError: Unexpected token ',' \(in .*index\.js or a module it imports\)$/);
});

test('a syntax error in an imported TypeScript file names that file', async () => {
  const root = folder('ts-dep-syntax', {
    'package.json': '{ "type": "module" }',
    'index.ts': "import { x } from './bad.js';\nexport const handler = () => x;\n",
    'bad.ts': 'export const x: number = 1;\nexport const y: = 2;\n',
  });
  assertLoadError(await load(root), 'Runtime.UserCodeSyntaxError', /bad\.ts:2:17\)$/);
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

test('amaro is loaded only once a TypeScript file is', { skip: !hasSyncHooks && 'on Node < 22.15 ESM stripping runs on the hooks thread' }, async () => {
  const report = await load(fixture('esm-mjs'));
  assert.equal(report.amaroLoaded, false);
  const ts = await load(fixture('ts-esm'));
  assert.equal(ts.amaroLoaded, true);
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
