// The edges of `fnpool invoke` and the settings flags a new user meets first: --wait bounds the
// wait for a platform that never answers, --async prints the request id once the platform took
// the invocation, --dir uses the folder's event.json, --json makes usage errors JSON too, memory
// below the runtime's minimum and negative numbers are refused with a message that says so.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertUsageError, example, fixture, ROOT, run, startCli } from './fixtures/cli-helpers/cli.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A function that logs its invoke type and event, and waits as long as the event says (forever: -1). */
function asyncFunction() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-edges-async-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(path.join(dir, 'index.js'), `export const handler = async (event, context) => {
  console.log('invoked ' + context.getInvokeType() + ' ' + JSON.stringify(event));
  if (event.ms === -1) return new Promise(() => {});
  await new Promise((resolve) => setTimeout(resolve, event.ms ?? 0));
  return { done: true };
};\n`);
  return dir;
}

/** A TCP server that takes connections and never answers on them. */
async function silentServer() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(resolve);
    }),
  };
}

describe('invoke --wait: a platform that never answers', { concurrency: true }, () => {
  test('--wait SECONDS gives up with a clear message, exit status 3', async () => {
    const silent = await silentServer();
    try {
      const r = await run(['invoke', '--url', silent.url, '--wait', '0.5', '{}'], { timeoutMs: 10_000 });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^fnpool invoke: no answer from http:\/\/127\.0\.0\.1:\d+ within 0\.5 s \(wait longer with --wait SECONDS, or --wait 0 for no limit\)\n$/);
      // FNPOOL_WAIT, and --json: the same as an object on stdout.
      const j = await run(['invoke', '--url', silent.url, '--json', '{}'], { env: { FNPOOL_WAIT: '0.3' }, timeoutMs: 10_000 });
      assert.equal(j.code, 3, j.stderr);
      const out = JSON.parse(j.stdout);
      assert.equal(out.ok, false);
      assert.equal(out.error.errorType, 'Fnpool.NoAnswer');
      assert.match(out.error.errorMessage, /within 0\.3 s/);
    } finally {
      await silent.close();
    }
  });

  test('a bad --wait is a usage error', async () => {
    assertUsageError(await run(['invoke', '--wait', 'soon', '{}']), /--wait "soon" is not a number of seconds/, 'invoke');
    assertUsageError(await run(['invoke', '--wait', '-1', '{}']), /--wait -1 is below 0/, 'invoke');
  });
});

describe('invoke --async: the request id as soon as the platform accepted it', { concurrency: 2 }, () => {
  for (const platform of ['functiongraph', 'lambda', 'fc', 'http']) {
    test(`--platform ${platform}: prints the id and exits 0 while the function still runs`, async () => {
      const started = await startCli([asyncFunction(), '--port', '0', '--timeout', '60', '--platform', platform], {
        env: { FNPOOL_SHUTDOWN_TIMEOUT_MS: '200' },
      });
      try {
        await started.waitFor(/"msg":"fnpool serving"/);
        const r = await run(['invoke', '--url', started.url, '--async', '{"ms":-1}'], { timeoutMs: 15_000 });
        assert.equal(r.code, 0, r.stderr);
        const id = r.stdout.trimEnd();
        assert.match(id, UUID);
        assert.equal(r.stdout, `${id}\n`);
        // The function got it, under that id, and is still running.
        await started.waitFor(new RegExp(`"requestId":"${id}"[^\\n]*"msg":"invoked (async|sync) \\{\\\\"ms\\\\":-1\\}"`));
        if (platform === 'functiongraph') assert.match(started.stdout(), /"msg":"invoked async/);
        assert.doesNotMatch(started.stdout(), new RegExp(`"requestId":"${id}"[^\\n]*"msg":"invocation finished"`));

        const j = await run(['invoke', '--url', started.url, '--async', '--json', '--request-id', `mine-${platform}`, '{"ms":-1}'], { timeoutMs: 15_000 });
        assert.equal(j.code, 0, j.stderr);
        assert.deepEqual(JSON.parse(j.stdout), { ok: true, accepted: true, requestId: `mine-${platform}` });
        if (platform === 'functiongraph') {
          // Not accepted: over FunctionGraph's 256 KiB async limit, the refusal is printed, exit status 1.
          const big = path.join(mkdtempSync(path.join(os.tmpdir(), 'fnpool-edges-big-')), 'event.json');
          writeFileSync(big, JSON.stringify({ pad: 'x'.repeat(300 * 1024) }));
          const refused = await run(['invoke', '--url', started.url, '--async', '--event', big], { timeoutMs: 15_000 });
          assert.equal(refused.code, 1, refused.stderr);
          assert.match(refused.stderr, /^Runtime\.RequestTooLarge: the async request is over the platform's limit/);
        }
        if (platform === 'lambda') {
          // AWS's invoke path, as an Event invocation asked to be answered once accepted.
          const res = await fetch(`${started.url}/2015-03-31/functions/function/invocations`, {
            method: 'POST', body: '{"ms":-1}', headers: { 'X-Amz-Invocation-Type': 'Event', Prefer: 'respond-async' },
          });
          assert.equal(res.status, 202);
          assert.match(res.headers.get('x-amzn-requestid'), UUID);
          assert.deepEqual(await res.json(), { requestId: res.headers.get('x-amzn-requestid') });
        }
      } finally {
        await started.stop('SIGINT');
      }
    });
  }

  test('--dir: the id at once, then the one-shot platform stays up until the function is done', async () => {
    const r = await run(['invoke', '--dir', asyncFunction(), '--async', '--request-id', 'once-async', '{"ms":300}'], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'once-async\n');
    assert.match(r.stderr, /"requestId":"once-async"[^\n]*"msg":"invoked async \{\\"ms\\":300\}"/);
    assert.match(r.stderr, /"requestId":"once-async"[^\n]*"msg":"invocation finished"/); // not cut short
  });
});

describe('invoke --dir: the folder\'s event.json', { concurrency: true }, () => {
  test('is the event when none is given', async () => {
    const r = await run(['invoke', '--dir', example('hello')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).message, 'Hello, fnpool!'); // event.json: {"name": "fnpool"}
    assert.match(r.stderr, /^fnpool invoke: the event is examples\/hello\/event\.json$/m);
    const given = await run(['invoke', '--dir', example('hello'), '-q', '{"name":"given"}']);
    assert.equal(JSON.parse(given.stdout).message, 'Hello, given!');
  });

  test('a folder without one: {}', async () => {
    const r = await run(['invoke', '--dir', fixture('cli-invoke'), '-q']);
    assert.deepEqual(JSON.parse(r.stdout).event, {});
  });
});

describe('usage errors with --json: one JSON object on stderr, exit status 2', { concurrency: true }, () => {
  test('an unknown option, a bad value, an unknown command', async () => {
    const r = await run(['invoke', '--json', '--frob', '{}']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.deepEqual(JSON.parse(r.stderr), { error: 'usage', command: 'invoke', message: 'unknown option --frob (see fnpool invoke --help)' });
    assert.equal(r.stderr.split('\n').length, 2); // one line

    const bad = JSON.parse((await run(['invoke', '{"a":', '--json'])).stderr);
    assert.equal(bad.command, 'invoke');
    assert.match(bad.message, /^the event is not valid JSON/);

    const unknown = await run(['frobnicate', '--json']);
    assert.equal(unknown.code, 2);
    assert.deepEqual(Object.keys(JSON.parse(unknown.stderr)), ['error', 'command', 'message']);
    assert.equal(JSON.parse(unknown.stderr).command, null);
  });

  test('without --json (or with it after --), the line as before', async () => {
    assertUsageError(await run(['invoke', '--frob']), /^fnpool invoke: unknown option --frob/, 'invoke');
    assertUsageError(await run(['invoke', '--', '--json']), /^fnpool invoke: the event is not valid JSON/, 'invoke');
  });
});

describe('memory below the runtime\'s minimum, and negative numbers', { concurrency: true }, () => {
  test('--memory 10: the flag, the value and the minimum', async () => {
    assertUsageError(await run(['start', 'examples/hello', '--memory', '10'], { timeoutMs: 10_000 }),
      /--memory 10 is below the runtime's minimum of 64 MB \(40 MB for its main thread, 24 MB for one worker thread\)/, 'start');
    assertUsageError(await run(['invoke', '--dir', 'examples/hello', '--memory', '63']), /--memory 63 is below the runtime's minimum of 64 MB/, 'invoke');
    assertUsageError(await run(['start', 'examples/hello'], { env: { RUNTIME_MEMORY: '32' } }), /RUNTIME_MEMORY 32 is below the runtime's minimum of 64 MB/, 'start');
  });

  test('the runtime itself refuses it where it reads the platform\'s memory', async () => {
    const r = await run(['serve'], { env: { RUNTIME_API_ADDR: '127.0.0.1:1', RUNTIME_MEMORY: '10' }, cwd: ROOT, timeoutMs: 10_000 });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^fnpool: RUNTIME_MEMORY="10" must be at least 64 MB$/m);
    const own = await run(['serve'], { env: { RUNTIME_API_ADDR: '127.0.0.1:1', FNPOOL_MEMORY_MB: '20' }, timeoutMs: 10_000 });
    assert.equal(own.code, 2);
    assert.match(own.stderr, /FNPOOL_MEMORY_MB="20" must be at least 64 MB/);
  });

  test('--cpus -1 and other negative values: what is wrong with the number, not "needs a value"', async () => {
    assertUsageError(await run(['start', 'examples/hello', '--cpus', '-1']), /^fnpool start: --cpus -1 is not a positive number of CPUs$/, 'start');
    assertUsageError(await run(['start', 'examples/hello', '--memory', '-512']), /--memory -512 is not a positive number of MB$/, 'start');
    assertUsageError(await run(['start', 'examples/hello', '--port', '-1']), /--port -1 is below 0$/, 'start');
    assertUsageError(await run(['invoke', '--dir', 'examples/hello', '--timeout', '-3']), /--timeout -3 is not a positive number of seconds$/, 'invoke');
    assertUsageError(await run(['invoke', '--dir', 'examples/hello', '--concurrency', '-2']), /--concurrency -2 is not a positive number$/, 'invoke');
    // A flag that takes no number still says a value is missing.
    assertUsageError(await run(['start', 'examples/hello', '--handler', '-1']), /option --handler needs a value/, 'start');
  });
});
