// `fnpool package --platform http`: the container build context. No image can be built here (no
// Docker daemon, no base image), so the test does what the Dockerfile's steps say — COPY into a
// root of its own, ENV, WORKDIR, then the exec-form CMD, with the image's absolute paths moved
// under that root — and calls the result as Knative would: PORT set, POST /invoke. Any step the
// test does not know fails it, so the Dockerfile and the layout cannot drift apart silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { cleanEnv, example, run } from './fixtures/cli-helpers/cli.mjs';

const tmp = (prefix) => mkdtempSync(path.join(os.tmpdir(), `fnpool-cli-image-${prefix}-`));

/** The Dockerfile's steps, as the image would be built from the context into root. */
function layOut(context, root) {
  const image = { env: {}, workdir: '/', cmd: undefined, user: undefined, from: undefined, exposed: [] };
  const inRoot = (p) => path.join(root, p);
  for (const raw of readFileSync(path.join(context, 'Dockerfile'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line);
    switch (op) {
      case 'FROM': image.from = rest; break;
      case 'ENV': {
        const [, name, value] = /^(\w+)=(.*)$/.exec(rest);
        image.env[name] = value;
        break;
      }
      case 'WORKDIR': image.workdir = rest; mkdirSync(inRoot(rest), { recursive: true }); break;
      case 'COPY': {
        const [from, to] = rest.split(/\s+/).filter((part) => !part.startsWith('--'));
        cpSync(path.join(context, from), inRoot(to), { recursive: true });
        break;
      }
      case 'USER': image.user = rest; break;
      case 'EXPOSE': image.exposed = rest.split(/\s+/).map(Number); break;
      case 'CMD': image.cmd = JSON.parse(rest); break;
      default: assert.fail(`a Dockerfile step this test does not know: ${line}`);
    }
  }
  return image;
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test('package --platform http: a build context whose Dockerfile, laid out and started, serves the function on $PORT', async () => {
  const context = path.join(tmp('ctx'), 'hello-image');
  const res = await run(['package', example('hello'), '--platform', 'http', '-o', context]);
  assert.equal(res.code, 0, res.stderr);
  for (const file of ['Dockerfile', '.dockerignore', 'knative-service.yaml', 'function/bootstrap', 'function/index.js']) {
    assert.ok(existsSync(path.join(context, file)), `${file} is in the context`);
  }
  assert.equal(statSync(path.join(context, 'function/bootstrap')).mode & 0o111, 0o111, 'bootstrap is executable');
  const knative = readFileSync(path.join(context, 'knative-service.yaml'), 'utf8');
  assert.match(knative, /containerConcurrency: 16/);
  assert.match(knative, /name: FNPOOL_CONCURRENCY\s+value: "16"/);
  assert.match(knative, /readinessProbe:\s+tcpSocket:/);
  assert.match(readFileSync(path.join(context, '.dockerignore'), 'utf8'), /^\*$[\s\S]*^!function\/$/m);

  const root = tmp('root');
  const image = layOut(context, root);
  assert.match(image.from, /^node:\d+-bookworm-slim$/);
  assert.equal(image.user, 'node', 'the image runs as a user, not root');
  assert.deepEqual(image.exposed, [8080, 9000]);
  assert.equal(image.env.FNPOOL_PLATFORM, 'http');
  // The image's absolute paths, under the test's root.
  const moved = (value) => value.replace(/^\//, `${root}/`);
  const env = { ...cleanEnv(), ...Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, v.startsWith('/') ? moved(v) : v])) };
  const port = await freePort();
  const child = spawn(moved(image.cmd[0]), image.cmd.slice(1).map(moved), {
    cwd: moved(image.workdir), env: { ...env, PORT: String(port), K_SERVICE: 'hello' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  try {
    const deadline = Date.now() + 15_000;
    while (!output.includes('listening on') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(output, new RegExp(`listening on http://0\\.0\\.0\\.0:${port}`), output);
    const answer = await request(`http://127.0.0.1:${port}/invoke`, { method: 'POST', body: JSON.stringify({ name: 'image' }) });
    assert.equal(answer.statusCode, 200);
    assert.match(await answer.body.text(), /image/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
});

test('package --platform: an unknown platform, or a folder that is not empty, is a usage error', async () => {
  const bad = await run(['package', example('hello'), '--platform', 'heroku', '-o', path.join(tmp('bad'), 'x')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--platform heroku: expected one of functiongraph, lambda, fc, http, openedge/);
  const full = tmp('full');
  const taken = await run(['package', example('hello'), '--platform', 'http', '-o', path.dirname(full)]);
  assert.equal(taken.code, 2);
  assert.match(taken.stderr, /is not an empty folder/);
});
