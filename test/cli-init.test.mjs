// `fnpool init` through the real CLI: it writes a function (JavaScript, or TypeScript with --ts)
// that `fnpool invoke --dir` runs as it is, with the sample event.json and a package.json the other
// commands read; it creates the folder, never replaces a file without --force, and says what next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertUsageError, ROOT, run } from './fixtures/cli-helpers/cli.mjs';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-init-'));
const read = (dir, name) => readFileSync(path.join(dir, name), 'utf8');

/** `fnpool invoke --dir DIR --event DIR/event.json`: the function's answer, parsed. */
async function invokeOnce(dir) {
  const r = await run(['invoke', '--dir', dir, '--event', path.join(dir, 'event.json')]);
  assert.equal(r.code, 0, `invoke failed: ${r.stderr}`);
  return { result: JSON.parse(r.stdout), logs: r.stderr };
}

test('fnpool init DIR: a JavaScript function that fnpool invoke --dir runs, in a folder it creates', async () => {
  const dir = path.join(tmp(), 'nested', 'My Orders');
  const r = await run(['init', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  for (const name of ['index.js', 'event.json', 'package.json']) assert.match(r.stdout, new RegExp(`My Orders/${name.replace('.', '\\.')} `));
  assert.match(r.stdout, /fnpool start '.*My Orders'/);
  assert.match(r.stdout, /fnpool invoke --dir '.*My Orders' --event '.*My Orders\/event\.json'/);
  assert.ok(!existsSync(path.join(dir, 'index.ts')));

  const pkg = JSON.parse(read(dir, 'package.json'));
  assert.equal(pkg.name, 'my-orders');
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.scripts.start, 'fnpool start .');
  assert.match(pkg.scripts.bench, /^fnpool bench \./);
  assert.match(pkg.scripts.package, /^fnpool package \./);
  assert.equal(pkg.fnpool.handler, 'index.handler');
  assert.match(read(dir, 'index.js'), /export const handler = async \(event, context\) =>/);

  const event = JSON.parse(read(dir, 'event.json'));
  const { result, logs } = await invokeOnce(dir);
  assert.equal(result.message, `Hello, ${event.name}!`);
  assert.match(result.requestId, /^[0-9a-f-]{36}$/);
  assert.ok(result.remainingMs > 0 && result.remainingMs <= 3000, String(result.remainingMs));
  // What the handler logs carries the request id.
  const greeting = logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((rec) => rec.msg === `greeting ${event.name}`);
  assert.equal(greeting?.requestId, result.requestId, logs);
});

test('fnpool init --ts: index.ts typed with fnpool\'s Handler, run with no build step, and it type-checks', async () => {
  const dir = path.join(tmp(), 'typed');
  const r = await run(['init', dir, '--ts']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /TypeScript/);
  assert.match(r.stdout, /typed\/index\.ts /);
  assert.match(r.stdout, /typed\/tsconfig\.json /);
  assert.ok(!existsSync(path.join(dir, 'index.js')));
  assert.match(read(dir, 'index.ts'), /^import type \{ Handler \} from 'fnpool';$/m);
  assert.equal(JSON.parse(read(dir, 'package.json')).type, 'module');

  const { result } = await invokeOnce(dir);
  assert.equal(result.message, 'Hello, fnpool!');
  assert.match(result.requestId, /^[0-9a-f-]{36}$/);

  // With fnpool installed beside it (here: a link to this checkout), tsc finds the types and
  // the handler checks under its tsconfig.json (noEmit: nothing is written).
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'fnpool'), 'dir');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { stdio: 'pipe' });
  assert.ok(!existsSync(path.join(dir, 'index.js')));
});

test('fnpool init in a project with a package.json (npm init -y) keeps it, and writes index.mjs for a CommonJS package', async () => {
  const dir = tmp();
  const mine = '{\n  "name": "mine",\n  "type": "commonjs"\n}\n';
  writeFileSync(path.join(dir, 'package.json'), mine);
  const r = await run(['init', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'package.json'), mine);
  assert.match(r.stdout, /package\.json was kept as it is/);
  assert.ok(!existsSync(path.join(dir, 'index.js')));
  assert.equal((await invokeOnce(dir)).result.message, 'Hello, fnpool!');

  // A package that says "type": "module" gets index.js; --ts, index.ts (ESM syntax runs in either).
  const esm = tmp();
  writeFileSync(path.join(esm, 'package.json'), '{"name":"mine","type":"module"}');
  assert.equal((await run(['init', esm])).code, 0);
  assert.ok(existsSync(path.join(esm, 'index.js')));
  const typed = tmp();
  writeFileSync(path.join(typed, 'package.json'), mine);
  assert.equal((await run(['init', typed, '--ts'])).code, 0);
  assert.equal(read(typed, 'package.json'), mine);
  assert.equal((await invokeOnce(typed)).result.message, 'Hello, fnpool!');

  const broken = tmp();
  writeFileSync(path.join(broken, 'package.json'), '{"name":');
  assertUsageError(await run(['init', broken]), /package\.json is not valid JSON/, 'init');
});

test('fnpool init refuses to replace a file, names it and writes nothing; --force replaces it', async () => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'package.json'), '{"name":"mine"}\n');
  writeFileSync(path.join(dir, 'event.json'), '{"mine":1}\n');
  assertUsageError(await run(['init', dir]), /event\.json exists.*--force/, 'init');
  assert.equal(read(dir, 'package.json'), '{"name":"mine"}\n');
  assert.equal(read(dir, 'event.json'), '{"mine":1}\n');
  assert.ok(!existsSync(path.join(dir, 'index.mjs')), 'nothing is written when a file is refused');

  const forced = await run(['init', dir, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /package\.json .*\(replaced\)/);
  assert.equal(JSON.parse(read(dir, 'package.json')).type, 'module');
  assert.equal((await invokeOnce(dir)).result.message, 'Hello, fnpool!');

  // Run again in the folder itself: every file it would write is named.
  const again = await run(['init'], { cwd: dir });
  assertUsageError(again, /index\.js, event\.json exist/, 'init');
});

test('fnpool init --ts refuses a folder whose index.js would be loaded instead of index.ts', async () => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'index.js'), 'export const handler = () => 1;\n');
  assertUsageError(await run(['init', dir, '--ts']), /index\.js would be loaded instead of index\.ts/, 'init');
  assert.ok(!existsSync(path.join(dir, 'index.ts')));
});

test('fnpool init --help, and mistakes on its command line', async () => {
  const help = await run(['init', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: fnpool init \[dir\]/);
  assert.match(help.stdout, /--ts/);
  assert.match(help.stdout, /--force/);
  assert.match((await run(['--help'])).stdout, /fnpool init \[dir\]/);
  const file = path.join(tmp(), 'a-file');
  writeFileSync(file, '');
  assertUsageError(await run(['init', file]), /a-file is not a folder/, 'init');
  assertUsageError(await run(['init', '--typescript']), /unknown option --typescript/, 'init');
});
