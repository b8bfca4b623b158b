// `fnpool start` through the real CLI: every example starts and answers `fnpool invoke` (and plain
// HTTP), settings come from flags, then the environment, then package.json "fnpool", Ctrl-C stops
// everything with exit status 0, and --watch starts the runtime again when a file changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { example, post, ROOT, run, startCli, textLines } from './fixtures/cli-helpers/cli.mjs';

/** Starts the example, invokes it once with `fnpool invoke --url` and its event.json, stops it. */
async function startAndInvoke(name, args = [], check) {
  const platform = await startCli([example(name), '--port', '0', ...args]);
  try {
    const r = await run(['invoke', '--url', platform.url, '--event', path.join(example(name), 'event.json')]);
    assert.equal(r.code, 0, `invoke failed: ${r.stderr}; runtime: ${platform.stdout()}`);
    await check(JSON.parse(r.stdout), platform);
  } finally {
    const { code } = await platform.stop('SIGINT');
    assert.equal(code, 0);
  }
}

test('example hello: the banner says what to try, and it answers', async () => {
  await startAndInvoke('hello', [], async (result, platform) => {
    assert.equal(result.message, 'Hello, fnpool!');
    const banner = textLines(platform.stdout()).join('\n');
    assert.match(banner, /local FunctionGraph platform for examples\/hello/);
    assert.match(banner, /handler index\.handler, timeout 3 s, memory 256 MB, 1 CPU/);
    assert.match(banner, /curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/invoke -d '\{"name":"fnpool"\}'/);
    assert.match(banner, /fnpool invoke --url http:\/\/127\.0\.0\.1:\d+ '\{"name":"fnpool"\}'/);
  });
});

test('example typescript: a .ts handler with fnpool types answers, and type-checks', async () => {
  await startAndInvoke('typescript', [], async (result) => {
    assert.equal(result.id, 'A-1');
    assert.equal(result.total, 1200);
    assert.equal(result.currency, 'EUR');
  });
  // `import type { Handler, Context } from 'fnpool'` resolves for tsc (and so for editors).
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', example('typescript')], { stdio: 'pipe' });
});

test('example cpu: invocations sent at once run on two threads in parallel', async () => {
  await startAndInvoke('cpu', [], async (result, platform) => {
    assert.equal(result.primes, 216816); // below 3,000,000
    assert.equal(result.cpus, 2);
    const answers = await Promise.all([1, 2, 3, 4].map(() => post(platform.url, { limit: 300_000 })));
    for (const a of answers) assert.equal(a.status, 200);
    assert.equal(new Set(answers.map((a) => a.body.threadId)).size, 2, JSON.stringify(answers.map((a) => a.body)));
  });
});

test('example apig: an HTTP-trigger response', async () => {
  await startAndInvoke('apig', [], async (result, platform) => {
    assert.equal(result.statusCode, 200);
    assert.equal(result.headers['Content-Type'], 'application/json');
    assert.equal(JSON.parse(result.body).message, 'Hello, fnpool!');
    const created = await post(platform.url, { httpMethod: 'POST', path: '/orders', body: Buffer.from('{"n":1}').toString('base64'), isBase64Encoded: true });
    assert.equal(created.body.statusCode, 201);
    assert.deepEqual(JSON.parse(created.body.body).received, { n: 1 });
  });
});

test('example initializer: its package.json names the initializer; warm state persists', async () => {
  await startAndInvoke('initializer', [], async (first, platform) => {
    assert.match(textLines(platform.stdout()).join('\n'), /initializer index\.init/);
    assert.equal(first.message, 'Hello, fnpool!');
    assert.ok(first.initializedAt);
    const second = (await post(platform.url, {})).body;
    assert.equal(second.initializedAt, first.initializedAt);
    assert.equal(second.invocationsOnThisThread, first.invocationsOnThisThread + 1);
  });
});

test('settings: a flag wins over the environment, which wins over package.json', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-start-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', fnpool: { timeout: 7, memory: 300, cpus: 1.5, handler: 'wrong.handler' } }));
  writeFileSync(path.join(dir, 'app.js'), `export const handler = async (event, context) => ({
    timeout: context.getRunningTimeInSeconds(), memory: context.getMemorySize(), cpus: context.getCPUNumber(),
    invokeType: context.getInvokeType(), name: context.getFunctionName(), user: context.getUserData('who'),
  });\n`);
  const platform = await startCli([dir, '--handler', 'app.handler', '--memory', '512'], {
    env: { FNPOOL_PORT: '0', RUNTIME_TIMEOUT: '9', RUNTIME_HANDLER: 'also-wrong.handler', RUNTIME_USERDATA: '{"who":"me"}' },
  });
  try {
    const r = await run(['invoke', '--url', platform.url, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    assert.deepEqual(out.result, { timeout: 9, memory: 512, cpus: 1.5, invokeType: 'sync', name: path.basename(dir), user: 'me' });
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('Ctrl-C stops the runtime and the platform, exit status 0', async () => {
  const platform = await startCli([example('hello'), '--port', '0']);
  await platform.waitFor(/"msg":"fnpool serving"/);
  const { code, signal } = await platform.stop('SIGINT');
  assert.equal(code, 0);
  assert.equal(signal, null);
  assert.match(platform.stderr(), /fnpool: stopping/);
  assert.match(platform.stdout(), /"msg":"stopped"/); // the runtime's own graceful shutdown
  await assert.rejects(fetch(`${platform.url}/health`)); // the endpoint is closed
});

test('--watch starts the runtime again when a file changes', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-watch-'));
  cpSync(example('hello'), dir, { recursive: true });
  const platform = await startCli([dir, '--port', '0', '--watch']);
  try {
    await platform.waitFor(/"msg":"fnpool serving"/);
    assert.equal((await post(platform.url, { name: 'a' })).body.message, 'Hello, a!');
    writeFileSync(path.join(dir, 'index.js'), 'export const handler = async (event) => ({ message: `Bye, ${event.name}!` });\n');
    await platform.waitFor(/fnpool: index\.js changed; starting the runtime again/, 10_000, 'stderr');
    await platform.waitFor(/"msg":"fnpool serving"[^]*"msg":"fnpool serving"/); // the second start
    assert.equal((await post(platform.url, { name: 'b' })).body.message, 'Bye, b!');
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('--platform lambda and fc: the same function behind their runtime APIs; AWS\'s invoke path answers too', async () => {
  for (const [name, title, variable] of [['lambda', 'Lambda', 'AWS_LAMBDA_RUNTIME_API'], ['fc', 'Function Compute', 'FC_RUNTIME_API']]) {
    await startAndInvoke('hello', ['--platform', name], async (result, platform) => {
      assert.equal(result.message, 'Hello, fnpool!');
      const banner = textLines(platform.stdout()).join('\n');
      assert.match(banner, new RegExp(`local ${title} platform for examples/hello`));
      assert.match(banner, new RegExp(`runtime API: ${variable}=127\\.0\\.0\\.1:\\d+`));
      // Tools written for AWS's runtime interface emulator: 200 with the function's body.
      const res = await fetch(`${platform.url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{"name":"aws"}' });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).message, 'Hello, aws!');
    });
  }
});
