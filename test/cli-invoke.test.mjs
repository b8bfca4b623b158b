// `fnpool invoke --dir`: a one-shot local platform for one event, through the real CLI. The result
// on stdout (the runtime's logs on stderr), exit status 0; a function error's type, message and
// stack on stderr, exit status 1; --json for scripts; the event inline, from a file or stdin.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, run } from './fixtures/cli-helpers/cli.mjs';

const DIR = fixture('cli-invoke');

describe('fnpool invoke --dir', { concurrency: 2 }, () => {
  test('prints the result on stdout, the logs on stderr, exit status 0', async () => {
    const r = await run(['invoke', '--dir', DIR, '--request-id', 'req-1', '{"hello":"world"}']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith('}\n'));
    const result = JSON.parse(r.stdout);
    assert.deepEqual(result, { event: { hello: 'world' }, requestId: 'req-1', invokeType: 'sync', timeout: 3 });
    assert.match(r.stderr, /"requestId":"req-1".*"msg":"handling echo"/); // the runtime's logs
    const quiet = await run(['invoke', '--dir', DIR, '-q', '{}']);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, '');
  });

  test('a function error: type, message and stack on stderr, exit status 1', async () => {
    const r = await run(['invoke', '--dir', DIR, '-q', '{"action":"fail","id":7}']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n');
    assert.equal(lines[0], 'OrderError: order 7 is not valid');
    assert.match(lines[1], /^ {4}at handler \(.*cli-invoke\/index\.js:\d+:\d+\)$/);
    assert.match(r.stderr, /\(request [\w-]+\)\n$/);
  });

  test('--json: one object for success, error and bytes', async () => {
    const ok = JSON.parse((await run(['invoke', '--dir', DIR, '-q', '--json', '{"n":1}'])).stdout);
    assert.equal(ok.ok, true);
    assert.deepEqual(ok.result.event, { n: 1 });
    assert.equal(typeof ok.requestId, 'string');
    assert.equal(typeof ok.durationMs, 'number');

    const failed = await run(['invoke', '--dir', DIR, '-q', '--json', '{"action":"fail","id":1}']);
    assert.equal(failed.code, 1);
    const err = JSON.parse(failed.stdout);
    assert.equal(err.ok, false);
    assert.equal(err.error.errorType, 'OrderError');
    assert.equal(err.error.errorMessage, 'order 1 is not valid');
    assert.ok(err.error.stackTrace.length > 0);

    const bytes = JSON.parse((await run(['invoke', '--dir', DIR, '-q', '--json', '{"action":"bytes"}'])).stdout);
    assert.equal(bytes.resultBase64, Buffer.from([0, 1, 2, 255]).toString('base64'));
  });

  test('a Buffer result is written as raw bytes', async () => {
    const r = await run(['invoke', '--dir', DIR, '-q', '{"action":"bytes"}']);
    assert.equal(r.code, 0);
    assert.deepEqual(Buffer.from(r.stdout, 'latin1').subarray(0, 3), Buffer.from([0, 1, 2]));
  });

  test('the event from a file, from stdin, or none at all', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-inv-')), 'event.json');
    writeFileSync(file, '{"from": "file"}\n');
    const fromFile = await run(['invoke', '--dir', DIR, '-q', '--event', file]);
    assert.deepEqual(JSON.parse(fromFile.stdout).event, { from: 'file' });
    const fromStdin = await run(['invoke', '--dir', DIR, '-q', '-'], { input: '{"from": "stdin"}' });
    assert.deepEqual(JSON.parse(fromStdin.stdout).event, { from: 'stdin' });
    const viaFlag = await run(['invoke', '--dir', DIR, '-q', '--event', '-'], { input: '[1,2]' });
    assert.deepEqual(JSON.parse(viaFlag.stdout).event, [1, 2]);
    const none = await run(['invoke', '--dir', DIR, '-q']);
    assert.deepEqual(JSON.parse(none.stdout).event, {});
  });

  test('the function settings reach the function; --async prints the request id', async () => {
    const r = await run(['invoke', '--dir', DIR, '-q', '--timeout', '5', '{}']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.invokeType, 'sync');
    assert.equal(result.timeout, 5);
    const accepted = await run(['invoke', '--dir', DIR, '--async', '--request-id', 'async-1', '{}']);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(accepted.stdout, 'async-1\n');
    assert.match(accepted.stderr, /"requestId":"async-1".*"msg":"handling echo"/); // it ran, logs on stderr
  });

  test('the timeout applies: Runtime.Timeout, exit status 1', async () => {
    const r = await run(['invoke', '--dir', DIR, '-q', '--timeout', '0.3', '{"action":"hang"}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Runtime\.Timeout: /);
  });
});
