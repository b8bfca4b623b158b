// fnpool as a user gets it (README "Use it in your project"): the package packed with `npm pack`,
// checked for what it carries, installed into a fresh project with `npm install -D ./fnpool-….tgz`
// (no engine or install-script warnings), then `npx fnpool start` answering a TypeScript handler
// of the project's own, which type-checks against the published types — and a handler that gets
// its types wrong does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, has, ROOT, startCli } from './fixtures/cli-helpers/cli.mjs';

const exec = promisify(execFile);
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** npm, quietly, in a folder; resolves with its output whatever its exit status. */
async function npm(args, cwd, timeout = 180_000) {
  try {
    const { stdout, stderr } = await exec('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], { cwd, timeout, env: cleanEnv() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) };
  }
}

const HANDLER = `import type { Context, Handler } from 'fnpool';

interface Greeting { name?: string }

export const handler: Handler<Greeting, { message: string; requestId: string }> = async (event, context: Context) => {
  // Typed from Handler alone: event is a Greeting, context a Context.
  const name: string = event.name ?? 'world';
  return { message: \`Hello, \${name}!\`, requestId: context.requestId };
};
`;

const WRONG = `import type { Handler } from 'fnpool';

export const handler: Handler<{ name: string }, { message: string }> = async (event, context) => {
  return { message: event.nmae, id: context.requestID };
};
`;

const TSCONFIG = {
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: [] },
  include: ['src/**/*.ts'],
};

test('the packed tarball installs into a fresh project, starts with npx and type-checks the project\'s handler', { skip: !has('npm') && 'npm is not on PATH' }, async (t) => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'fnpool-install-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));

  // dist/ is built by `npm test` before the tests run; the prepack script would only build it again.
  const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  assert.equal(packed.code, 0, packed.stderr);
  const [manifest] = JSON.parse(packed.stdout);
  const files = manifest.files.map((f) => f.path);
  for (const needed of ['bootstrap', 'package.json', 'README.md', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/worker/main.js',
    'dist/platforms/openedge/runtime.proto', 'examples/hello/index.js']) {
    assert.ok(files.includes(needed), `the package lacks ${needed}`);
  }
  for (const file of files.filter((f) => !f.startsWith('node_modules/'))) {
    assert.doesNotMatch(file, /^(test|bench|src|docs|\.ci)\//, `the package carries ${file}`);
    assert.doesNotMatch(file, /\.map$/, `the package carries a source map whose sources it does not ship: ${file}`);
  }
  assert.ok(manifest.bundled.includes('@grpc/grpc-js'), 'grpc-js is bundled');

  const project = path.join(work, 'my-function');
  mkdirSync(path.join(project, 'src'), { recursive: true });
  assert.equal((await npm(['init', '-y'], project)).code, 0);
  const installed = await npm(['install', '-D', path.join(work, manifest.filename), '--prefer-offline'], project);
  assert.equal(installed.code, 0, installed.stderr);
  assert.doesNotMatch(installed.stderr, /EBADENGINE/, 'a dependency wants another Node version than fnpool supports');
  assert.doesNotMatch(installed.stderr, /install-scripts|allowScripts/, 'npm warns about install scripts');

  const npx = (args, timeout = 30_000) => exec('npx', ['--no-install', 'fnpool', ...args], { cwd: project, timeout, env: cleanEnv() });
  const help = await npx(['--help']);
  assert.match(help.stdout, /fnpool start \[dir\]/);

  // The project's own TypeScript handler, ESM syntax in a .ts file of an `npm init -y` package.
  writeFileSync(path.join(project, 'src', 'index.ts'), HANDLER);
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  await exec(process.execPath, [TSC, '-p', project], { timeout: 60_000 });

  const answer = await startAndInvoke(project, ['.', '--handler', 'src/index.handler', '--port', '0'], { name: 'fnpool' });
  assert.equal(answer.message, 'Hello, fnpool!');
  assert.match(answer.requestId, /\S/);

  // The types are live: a handler that misreads its event and context does not compile.
  writeFileSync(path.join(project, 'src', 'index.ts'), WRONG);
  const wrong = await exec(process.execPath, [TSC, '-p', project], { timeout: 60_000 }).then(() => null, (err) => err);
  assert.ok(wrong, 'tsc accepted a handler with wrong types');
  assert.match(wrong.stdout, /Property 'nmae' does not exist/);
  assert.match(wrong.stdout, /Property 'requestID' does not exist on type 'Context'/);
  assert.ok(JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')).devDependencies.fnpool.startsWith('file:'));
});

/** `npx fnpool start …` in the project, one POST to its invoke endpoint, then Ctrl-C. */
async function startAndInvoke(project, args, event) {
  const platform = await startCli(args, { cwd: project, command: ['npx', ['--no-install', 'fnpool']], api: false, group: true, bannerMs: 30_000 });
  try {
    const res = await fetch(`${platform.url}/invoke`, { method: 'POST', body: JSON.stringify(event) });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text);
  } finally {
    const timer = setTimeout(() => void platform.stop('SIGKILL'), 10_000);
    await platform.stop('SIGINT');
    clearTimeout(timer);
  }
}
