// The CLI's face: usage, --help on every command, --version, and the one-line errors (exit status
// 2, no stack trace) for unknown commands and flags, missing folders and files, bad JSON, bad
// values, a port in use and an unreachable platform.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertUsageError, example, ROOT, run } from './fixtures/cli-helpers/cli.mjs';

const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;


describe('usage', { concurrency: true }, () => {
  test('fnpool alone prints the usage with every command', async () => {
    const r = await run([]);
    assert.equal(r.code, 0);
    for (const command of ['start', 'invoke', 'bench', 'package', 'serve']) assert.match(r.stdout, new RegExp(`fnpool ${command}`));
    assert.match(r.stdout, /Examples:/);
  });

  test('--version prints the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${VERSION}\n`);
    }
  });

  for (const command of ['start', 'invoke', 'bench', 'package']) {
    test(`fnpool ${command} --help has options and examples`, async () => {
      const r = await run([command, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: fnpool ${command}`));
      assert.match(r.stdout, /Options/);
      assert.match(r.stdout, /Examples:\n {2}fnpool /);
      const viaHelp = await run(['help', command]);
      assert.equal(viaHelp.stdout, r.stdout);
    });
  }

  test('fnpool serve --help', async () => {
    const r = await run(['serve', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /RUNTIME_API_ADDR/);
  });
});

describe('usage errors: one line, exit status 2, no stack', { concurrency: true }, () => {
  test('unknown command', async () => {
    assertUsageError(await run(['frobnicate']), /unknown command "frobnicate" \(commands: start, invoke, bench, package, serve/);
  });

  for (const command of ['start', 'invoke', 'bench', 'package']) {
    test(`unknown flag on ${command}`, async () => {
      assertUsageError(await run([command, '--frob']), new RegExp(`fnpool ${command}: unknown option --frob \\(see fnpool ${command} --help\\)`));
    });
  }

  test('a flag without its value', async () => {
    assertUsageError(await run(['start', 'examples/hello', '--port']), /option --port needs a value/);
  });

  test('start: missing folder', async () => {
    assertUsageError(await run(['start', 'no/such/folder']), /no such folder: no\/such\/folder/);
  });

  test('start: a file where a folder is expected', async () => {
    assertUsageError(await run(['start', 'package.json']), /package\.json is not a folder/);
  });

  test('start: bad numbers name the flag or the variable', async () => {
    assertUsageError(await run(['start', 'examples/hello', '--timeout', 'soon']), /--timeout "soon" is not a number of seconds/);
    assertUsageError(await run(['start', 'examples/hello', '--memory', '12.5']), /--memory "12.5" is not a whole number of MB/);
    assertUsageError(await run(['start', 'examples/hello', '--port', '70000']), /--port 70000 is above 65535/);
    assertUsageError(await run(['start', 'examples/hello'], { env: { RUNTIME_CPU: 'many' } }), /RUNTIME_CPU "many" is not a number of CPUs/);
    assertUsageError(await run(['start', 'examples/hello'], { env: { FNPOOL_WATCH: 'maybe' } }), /FNPOOL_WATCH "maybe" is not a boolean/);
  });

  test('start: port in use', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    try {
      assertUsageError(await run(['start', 'examples/hello', '--port', String(port)]),
        new RegExp(`port ${port} is already in use on 127\\.0\\.0\\.1 \\(choose another with --port\\)`));
      assertUsageError(await run(['start', 'examples/hello', '--port', '0', '--api-port', String(port)]),
        new RegExp(`port ${port} is already in use.*--api-port`));
    } finally {
      blocker.close();
    }
  });

  test('start: a bootstrap that is missing or not executable', async () => {
    assertUsageError(await run(['start', 'examples/hello', '--bootstrap', 'nope/bootstrap']), /--bootstrap nope\/bootstrap: no such file/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-'));
    const file = path.join(dir, 'bootstrap');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    assertUsageError(await run(['start', 'examples/hello', '--bootstrap', file]), /is not executable \(chmod \+x/);
    assertUsageError(await run(['start', 'examples/hello'], { env: { FNPOOL_BOOTSTRAP: file } }), /FNPOOL_BOOTSTRAP .* is not executable/);
  });

  test('start: a bad "fnpool" section in package.json', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-'));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ fnpool: { handeler: 'index.handler' } }));
    assertUsageError(await run(['start', dir]), /package\.json "fnpool" .*unknown key "handeler"/);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ fnpool: { timeout: 'long' } }));
    assertUsageError(await run(['start', dir]), /package\.json "fnpool"\.timeout "long" is not a number of seconds/);
    writeFileSync(path.join(dir, 'package.json'), '{ "fnpool": ');
    assertUsageError(await run(['start', dir]), /package\.json is not valid JSON/);
  });

  test('invoke: bad JSON names where it came from and what is wrong', async () => {
    assertUsageError(await run(['invoke', '{"name": fnpool}']), /the event is not valid JSON: Unexpected token/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-'));
    const file = path.join(dir, 'event.json');
    writeFileSync(file, '{"a": 1,}');
    assertUsageError(await run(['invoke', '--event', file]), new RegExp(`${file} is not valid JSON`));
    assertUsageError(await run(['invoke', '-'], { input: '[1, 2' }), /the event on standard input is not valid JSON/);
  });

  test('invoke: missing event file, two events, flags that need --dir', async () => {
    assertUsageError(await run(['invoke', '--event', 'no-such.json']), /--event no-such\.json: no such file/);
    assertUsageError(await run(['invoke', '{}', '{}']), /expected one event, got 2 arguments/);
    assertUsageError(await run(['invoke', '--timeout', '5', '{}']), /--timeout chooses how a function runs: it needs --dir/);
    assertUsageError(await run(['invoke', '--dir', 'no/such/dir', '{}']), /no such folder: no\/such\/dir/);
    assertUsageError(await run(['invoke', '--dir', example('hello'), '--url', 'http://127.0.0.1:1', '{}']), /either --url .* or --dir/);
  });

  test('invoke: no platform at the URL', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    await new Promise((resolve) => blocker.close(resolve)); // a port just freed: nothing listens
    assertUsageError(await run(['invoke', '--url', `http://127.0.0.1:${port}`, '{}']),
      /no local platform at http:\/\/127\.0\.0\.1:\d+ \(start one with fnpool start, or invoke with --dir\)/);
    assertUsageError(await run(['invoke', '{}'], { env: { FNPOOL_URL: 'not a url' } }), /FNPOOL_URL not a url is not a URL/);
  });

  test('package: missing folder, output in a missing folder', async () => {
    assertUsageError(await run(['package', 'no/such/folder']), /no such folder: no\/such\/folder/);
    assertUsageError(await run(['package', 'examples/hello', '-o', 'no/such/dir/f.zip']), /no such folder/);
  });
});
