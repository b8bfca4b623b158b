// `fnpool package`: the zip is unpacked into a fresh folder (with `unzip` where installed, else
// yauzl) and THAT bootstrap serves the emulator with RUNTIME_CODE_ROOT set to that folder. Checked
// too: bootstrap's mode 0755 and LF endings inside the zip, the layout, what is left out, the user's
// production dependencies with a nested version, and fnpool run as an installed package.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { launchEnvironment, PullEmulator } from '../dist/emulator/index.js';
import { example, ROOT, run } from './fixtures/cli-helpers/cli.mjs';

const HAS_UNZIP = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const tmp = (prefix) => mkdtempSync(path.join(os.tmpdir(), `fnpool-cli-pkg-${prefix}-`));

/** name → { mode (unix, with the file type), data } of every entry. */
async function readZip(file) {
  const zip = await yauzl.openPromise(file);
  const entries = new Map();
  for await (const entry of zip.eachEntry()) {
    const chunks = [];
    for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk);
    entries.set(entry.fileName, { mode: entry.externalFileAttributes >>> 16, data: Buffer.concat(chunks) });
  }
  return entries;
}

/** Unpacks into a fresh folder, as a person would, and returns it. */
async function unpack(file) {
  const dir = tmp('unpacked');
  if (HAS_UNZIP) {
    execFileSync('unzip', ['-q', file, '-d', dir]);
    return dir;
  }
  const zip = await yauzl.openPromise(file);
  for await (const entry of zip.eachEntry()) {
    const target = path.join(dir, entry.fileName);
    mkdirSync(path.dirname(target), { recursive: true });
    await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target));
    chmodSync(target, (entry.externalFileAttributes >>> 16) & 0o777);
  }
  return dir;
}

/** Runs the unpacked bootstrap against a platform's emulator and returns the answer to one event. */
async function serveOnce(codeRoot, event, env = {}, platform = 'functiongraph') {
  const emulator = await PullEmulator.start({ platform, port: 0 });
  const stderr = [];
  const settings = { dir: codeRoot, handler: 'index.handler', timeout: 3, memory: 256, cpus: 1 };
  const child = spawn(path.join(codeRoot, 'bootstrap'), [], {
    cwd: os.tmpdir(),
    stdio: ['ignore', 'ignore', 'pipe'],
    // Nothing of this checkout: only PATH (for node) and what the platform sets.
    env: { ...launchEnvironment(platform, settings, emulator.address, { PATH: process.env.PATH }), ...env },
  });
  child.stderr.on('data', (c) => stderr.push(c));
  try {
    const res = await emulator.invoke(event, { timeoutMs: 15_000 });
    assert.equal(res.ok, true, `${res.body}; stderr: ${Buffer.concat(stderr)}`);
    return JSON.parse(res.body.toString('utf8'));
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await emulator.close();
  }
}

function assertRuntimeLayout(entries) {
  const bootstrap = entries.get('bootstrap');
  assert.ok(bootstrap, 'bootstrap at the root');
  assert.equal(bootstrap.mode, 0o100755, `bootstrap mode ${bootstrap.mode.toString(8)}`);
  assert.ok(!bootstrap.data.includes('\r'), 'LF endings');
  assert.match(bootstrap.data.toString(), /^#!\/bin\/sh\n/);
  for (const name of ['fnpool-runtime/package.json', 'fnpool-runtime/dist/cli/main.js', 'fnpool-runtime/node_modules/piscina/package.json',
    'fnpool-runtime/node_modules/pino/package.json', 'fnpool-runtime/node_modules/undici/package.json', 'fnpool-runtime/node_modules/sucrase/package.json']) {
    assert.ok(entries.has(name), `${name} in the zip`);
  }
  for (const name of entries.keys()) {
    // fnpool's devDependencies stay out.
    assert.doesNotMatch(name, /^fnpool-runtime\/node_modules\/(typescript|@types|yauzl)\//);
  }
}

describe('fnpool package', { concurrency: 2 }, () => {
  test('examples/hello: the unpacked bootstrap serves the emulator', async () => {
    const out = path.join(tmp('hello'), 'hello.zip');
    const r = await run(['package', 'examples/hello', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /fnpool: wrote .*hello\.zip \([\d.]+ [KM]B, \d+ files\)/);
    const entries = await readZip(out);
    assertRuntimeLayout(entries);
    for (const name of ['index.js', 'package.json', 'event.json']) assert.ok(entries.has(name), `${name} at the root`);
    assert.equal(entries.get('index.js').mode, 0o100644);

    const dir = await unpack(out);
    assert.equal(statSync(path.join(dir, 'bootstrap')).mode & 0o777, 0o755);
    // One zip on every pull platform, unchanged.
    for (const platform of ['functiongraph', 'lambda', 'fc']) {
      const answer = await serveOnce(dir, { name: platform }, {}, platform);
      assert.equal(answer.message, `Hello, ${platform}!`);
    }
  });

  // On FunctionGraph the console sets the initializer; the example's package.json says it for fnpool start.
  const examples = [['typescript', {}], ['cpu', {}], ['apig', {}], ['initializer', { RUNTIME_INITIALIZER_HANDLER: 'index.init' }]];
  for (const [name, env] of examples) {
    test(`examples/${name}: packaged, unpacked, its bootstrap answers its event.json`, async () => {
      const out = path.join(tmp(name), `${name}.zip`);
      const r = await run(['package', `examples/${name}`, '-o', out]);
      assert.equal(r.code, 0, r.stderr);
      const dir = await unpack(out);
      const event = JSON.parse(readFileSync(path.join(ROOT, 'examples', name, 'event.json'), 'utf8'));
      const answer = await serveOnce(dir, event, env);
      assert.equal(typeof answer, 'object');
    });
  }

  test("the user's production dependencies (nested versions too); what is left out", async () => {
    const fn = tmp('deps');
    const pkg = (dir, manifest, main) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
      if (main) writeFileSync(path.join(dir, 'index.js'), main);
    };
    // left@1 needs right@2; the function itself needs right@1: npm nests right@2 under left.
    pkg(fn, {
      type: 'module',
      dependencies: { left: '1.0.0', right: '1.0.0', fnpool: '*' },
      optionalDependencies: { 'not-installed': '1.0.0' },
      devDependencies: { devonly: '1.0.0' },
    });
    // A value imported from fnpool itself must resolve in the zip as it did locally.
    writeFileSync(path.join(fn, 'index.js'), `import left from 'left';\nimport right from 'right';\nimport { ErrorType } from 'fnpool';
export const handler = async () => ({ left: left.version, leftRight: left.right, right: right.version, timeout: ErrorType.Timeout });\n`);
    pkg(path.join(fn, 'node_modules', 'left'), { name: 'left', version: '1.0.0', dependencies: { right: '2.0.0' } },
      "module.exports = { version: '1.0.0', right: require('right').version };\n");
    pkg(path.join(fn, 'node_modules', 'left', 'node_modules', 'right'), { name: 'right', version: '2.0.0' }, "module.exports = { version: '2.0.0' };\n");
    pkg(path.join(fn, 'node_modules', 'right'), { name: 'right', version: '1.0.0' }, "module.exports = { version: '1.0.0' };\n");
    pkg(path.join(fn, 'node_modules', 'devonly'), { name: 'devonly', version: '1.0.0' }, '');
    // Left out: VCS data, a stale runtime, the user's own bootstrap (replaced), the output zip.
    mkdirSync(path.join(fn, '.git'));
    writeFileSync(path.join(fn, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(path.join(fn, 'fnpool-runtime'));
    writeFileSync(path.join(fn, 'fnpool-runtime', 'stale.js'), '');
    writeFileSync(path.join(fn, 'bootstrap'), '#!/bin/sh\necho not fnpool\n');
    mkdirSync(path.join(fn, 'lib'));
    writeFileSync(path.join(fn, 'lib', 'tool.sh'), '#!/bin/sh\n');
    chmodSync(path.join(fn, 'lib', 'tool.sh'), 0o755);

    const r = await run(['package', '-o', 'function.zip'], { cwd: fn });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dependencies: +3 packages/);
    assert.match(r.stderr, /fnpool-runtime\/ in \. is left out/);
    assert.match(r.stderr, /bootstrap in \. is replaced by fnpool's/);

    const entries = await readZip(path.join(fn, 'function.zip'));
    assertRuntimeLayout(entries);
    const names = [...entries.keys()];
    assert.deepEqual(names.filter((n) => n.startsWith('node_modules/')).sort(), [
      'node_modules/fnpool/index.d.ts', 'node_modules/fnpool/index.js', 'node_modules/fnpool/package.json',
      'node_modules/left/index.js', 'node_modules/left/node_modules/right/index.js', 'node_modules/left/node_modules/right/package.json',
      'node_modules/left/package.json', 'node_modules/right/index.js', 'node_modules/right/package.json',
    ]);
    assert.deepEqual(names.filter((n) => !n.startsWith('node_modules/') && !n.startsWith('fnpool-runtime/')).sort(),
      ['bootstrap', 'index.js', 'lib/tool.sh', 'package.json']);
    assert.equal(entries.get('lib/tool.sh').mode, 0o100755); // executables stay executable
    assert.match(entries.get('bootstrap').data.toString(), /fnpool bootstrap/);

    const dir = await unpack(path.join(fn, 'function.zip'));
    assert.deepEqual(await serveOnce(dir, {}), { left: '1.0.0', leftRight: '2.0.0', right: '1.0.0', timeout: 'Runtime.Timeout' });
  });

  test('fnpool run as an installed package (its dependencies hoisted beside it)', async () => {
    const project = tmp('installed');
    const installed = path.join(project, 'node_modules', 'fnpool');
    mkdirSync(installed, { recursive: true });
    for (const name of ['bootstrap', 'package.json', 'dist']) cpSync(path.join(ROOT, name), path.join(installed, name), { recursive: true });
    for (const name of readdirSync(path.join(ROOT, 'node_modules'))) {
      if (name === 'typescript' || name === '@types' || name.startsWith('.')) continue;
      cpSync(path.join(ROOT, 'node_modules', name), path.join(project, 'node_modules', name), { recursive: true });
    }
    const out = path.join(project, 'function.zip');
    const r = await run(['package', example('hello'), '-o', out], { cli: path.join(installed, 'dist', 'cli', 'main.js'), cwd: project });
    assert.equal(r.code, 0, r.stderr);
    assertRuntimeLayout(await readZip(out));
    const dir = await unpack(out);
    assert.equal((await serveOnce(dir, { name: 'installed' })).message, 'Hello, installed!');
  });

  test('a dependency that is not installed, and a folder bootstrap would misread, are usage errors', async () => {
    const fn = tmp('missing');
    writeFileSync(path.join(fn, 'package.json'), JSON.stringify({ dependencies: { 'left-pad': '^1.3.0' } }));
    const r = await run(['package', fn, '-o', path.join(fn, 'f.zip')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^fnpool package: left-pad, a dependency of .*, is not installed: run npm install \(or npm ci\) in .* first\n$/);

    const shadow = tmp('shadow');
    mkdirSync(path.join(shadow, 'dist', 'cli'), { recursive: true });
    writeFileSync(path.join(shadow, 'dist', 'cli', 'main.js'), '');
    const s = await run(['package', shadow, '-o', path.join(shadow, 'f.zip')]);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /dist\/cli\/main\.js would be run by bootstrap instead of fnpool/);
  });
});
