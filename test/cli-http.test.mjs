// The local HTTP platform: `fnpool start|invoke|bench --platform http` runs the bootstrap as an HTTP
// server behind a front that calls it as Function Compute does (FC_SERVER_PORT, POST /invoke with
// x-fc-* headers) or as Knative does (--knative: PORT, K_SERVICE, a 500 on error). fnpool's own
// bootstrap and any other HTTP custom runtime — FC's tutorial-style node:http server, a C server —
// answer through the same invoke endpoint, and any other path of the endpoint reaches the runtime
// as an HTTP trigger's request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertUsageError, example, fixture, has, post, run, startCli } from './fixtures/cli-helpers/cli.mjs';

/** The tutorial-style runtime's folder, copied with its bootstrap at mode 0755 (a checkout may not keep a fixture's mode). */
function tutorialRuntime() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-tutorial-'));
  for (const name of ['bootstrap', 'index.js', 'package.json']) copyFileSync(path.join(fixture('fc-tutorial-http'), name), path.join(dir, name));
  chmodSync(path.join(dir, 'bootstrap'), 0o755);
  return { dir, bootstrap: path.join(dir, 'bootstrap') };
}

test("fnpool's bootstrap behind FC's front: events, errors with FC's status, HTTP-trigger paths, and Ctrl-C", async () => {
  const platform = await startCli([fixture('behaviours'), '--platform', 'http', '--port', '0', '--timeout', '5']);
  try {
    assert.match(platform.stdout(), /local Function Compute \(HTTP server\) platform/);
    assert.match(platform.apiAddr, /^\d+$/, 'the banner names the runtime\'s port (FC_SERVER_PORT=…)');
    assert.match(platform.stdout(), /runtime at: +FC_SERVER_PORT=\d+/);

    const ok = await post(platform.url, { action: 'context' }, { 'x-fc-request-id': 'http-ctx-1' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-fc-request-id'), 'http-ctx-1');
    assert.equal(ok.headers.get('x-fc-status'), '200');
    // The front sent FC's headers: the request id, the function's name and its timeout.
    assert.equal(ok.body.requestId, 'http-ctx-1');
    assert.equal(ok.body.functionName, 'behaviours');
    assert.ok(ok.body.remaining > 3_000 && ok.body.remaining <= 5_000, `deadline from x-fc-function-timeout: ${ok.body.remaining} ms left`);

    // A function error: FC's 404 with x-fc-error-type, passed on as the runtime answered.
    const failed = await post(platform.url, { action: 'throw', detail: 'over http' });
    assert.equal(failed.status, 404);
    assert.equal(failed.headers.get('x-fc-error-type'), 'ValidationError');
    assert.equal(failed.body.errorType, 'ValidationError');

    // fnpool invoke reads both.
    const viaCli = await run(['invoke', '--url', platform.url, '{"action":"echo","n":7}']);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    assert.equal(JSON.parse(viaCli.stdout).event.n, 7);
    const cliError = await run(['invoke', '--url', platform.url, '{"action":"throw","detail":"cli"}']);
    assert.equal(cliError.code, 1);
    assert.match(cliError.stderr, /^ValidationError: .*cli/);
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('an HTTP-trigger request to any other path of the endpoint reaches the handler as an API-gateway event', async () => {
  const platform = await startCli([example('apig'), '--platform', 'http', '--port', '0']);
  try {
    const res = await fetch(`${platform.url}/hello/there?name=front`, { headers: { 'x-custom': 'kept' } });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.path, '/hello/there');
    assert.equal(body.requestId, res.headers.get('x-fc-request-id'));
    const posted = await fetch(`${platform.url}/items`, { method: 'POST', body: JSON.stringify({ id: 3 }), headers: { 'content-type': 'application/json' } });
    assert.equal(posted.status, 201, 'the status the handler chose');
    assert.deepEqual((await posted.json()).received, { id: 3 });
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test("Knative's front (--knative): PORT and K_SERVICE for the runtime, no FC headers, a 500 on error", async () => {
  const platform = await startCli([fixture('behaviours'), '--knative', '--port', '0']);
  try {
    assert.match(platform.stdout(), /local Knative \(HTTP server\) platform/);
    assert.match(platform.stdout(), /runtime at: +PORT=\d+/);
    const ok = await post(platform.url, { action: 'context' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.functionName, 'behaviours', 'the function name from K_SERVICE');
    const failed = await post(platform.url, { action: 'throw', detail: 'knative' });
    assert.equal(failed.status, 500);
    assert.equal(failed.body.errorType, 'ValidationError');
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test("a custom runtime written as FC's tutorial writes one (node:http, inline) runs behind the same front", async () => {
  const { dir, bootstrap } = tutorialRuntime();
  const platform = await startCli([dir, '--platform', 'http', '--port', '0', '--bootstrap', bootstrap]);
  try {
    assert.match(platform.stdout(), new RegExp(`runtime: +custom bootstrap ${bootstrap}`));
    const ok = await post(platform.url, { hello: 'tutorial' }, { 'x-fc-request-id': 'tut-1' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { runtime: 'tutorial', event: { hello: 'tutorial' }, requestId: 'tut-1', functionName: path.basename(dir), timeout: '3' });
    const viaCli = await run(['invoke', '--url', platform.url, '--json', '{"fail":true}']);
    assert.equal(viaCli.code, 1);
    assert.deepEqual(JSON.parse(viaCli.stdout).error, { errorType: 'TutorialError', errorMessage: 'failed on purpose', stackTrace: [] });
    const trigger = await fetch(`${platform.url}/some/path?x=1`);
    assert.deepEqual((await trigger.json()).event, { method: 'GET', path: '/some/path?x=1' });
    // Its FC Invoke Start/End lines reach the terminal as they are.
    await platform.waitFor(/FC Invoke End RequestId: tut-1/);
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('a compiled (C) HTTP custom runtime runs behind the same front', { skip: !has('cc') && 'no C compiler' }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-c-http-'));
  const binary = path.join(dir, 'bootstrap');
  execFileSync('cc', ['-O2', '-pthread', '-o', binary, path.join(fixture('c-http-runtime'), 'runtime.c')], { stdio: 'pipe' });
  const platform = await startCli([dir, '--platform', 'http', '--port', '0', '--bootstrap', binary]);
  try {
    const answers = await Promise.all([1, 2, 3].map((n) => post(platform.url, { n }, { 'x-fc-request-id': `c-${n}` })));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200);
      assert.equal(a.body.runtime, 'c');
      assert.deepEqual(a.body.event, { n: i + 1 });
      assert.equal(a.body.requestId, `c-${i + 1}`);
    }
    const failed = await run(['invoke', '--url', platform.url, '{"fail":true}']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^CError: failed on purpose/);
    const trigger = await fetch(`${platform.url}/a/b?c=d`, { method: 'DELETE' });
    assert.deepEqual(await trigger.json(), { runtime: 'c', method: 'DELETE', path: '/a/b?c=d' });
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('invoke --dir --platform http: one invocation, and the error of a runtime that exits before it answers', async () => {
  const ok = await run(['invoke', '--dir', fixture('behaviours'), '--platform', 'http', '--json', '{"action":"echo","once":1}']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).result.event.once, 1);

  // A runtime that listens, then dies on its first request.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-http-dies-'));
  const bootstrap = path.join(dir, 'bootstrap');
  writeFileSync(bootstrap, `#!/usr/bin/env node
require('node:http').createServer(() => process.exit(3)).listen(Number(process.env.FC_SERVER_PORT), '127.0.0.1');
`);
  chmodSync(bootstrap, 0o755);
  const died = await run(['invoke', '--dir', dir, '--platform', 'http', '--bootstrap', bootstrap, '--json', '{}']);
  assert.equal(died.code, 1);
  const out = JSON.parse(died.stdout);
  assert.equal(out.error.errorType, 'Fnpool.RuntimeExited');
});

test('bench --platform http: a count of invocations through the runtime\'s port, none failed', async () => {
  const r = await run(['bench', fixture('behaviours'), '--platform', 'http', '--count', '300', '--concurrency', '8', '--warmup', '0', '--json',
    '--event', '{"action":"echo"}']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.invocations, 300);
  assert.equal(report.errors, 0);
  assert.equal(report.refused, 0);
});

test('--knative is for HTTP mode only, and a platform that is none of them is named', async () => {
  assertUsageError(await run(['start', fixture('behaviours'), '--knative', '--platform', 'lambda']), /--knative is for HTTP mode, not --platform lambda/, 'start');
  assertUsageError(await run(['invoke', '--dir', fixture('behaviours'), '--platform', 'grpc', '{}']), /--platform grpc: the local platform can be functiongraph, lambda, fc, http/, 'invoke');
});
