// `fnpool start --bootstrap PATH`: any executable written to FunctionGraph's custom-runtime contract
// runs against the local platform and answers through the invoke endpoint — a POSIX shell script
// looping on curl, and a C program compiled here. Ctrl-C takes its whole process group down, and a
// bootstrap that dies holding an invocation gets that invocation failed, not left hanging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, has, post, run, startCli } from './fixtures/cli-helpers/cli.mjs';

/** The shell bootstrap, copied with mode 0755 (a checkout may not keep the mode of a fixture). */
function shellBootstrap() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-sh-'));
  const file = path.join(dir, 'bootstrap');
  copyFileSync(path.join(fixture('cli-shell-bootstrap'), 'bootstrap'), file);
  chmodSync(file, 0o755);
  return { dir, file };
}

/** Processes still alive in a process group (zombies waiting for a reaper do not count). */
function liveInGroup(pgid) {
  const alive = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') alive.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return alive;
}

test('a POSIX shell bootstrap (curl loop) answers through the invoke endpoint; Ctrl-C stops its group', { skip: !has('curl') && 'curl is not installed' }, async () => {
  const { dir, file } = shellBootstrap();
  const pidfile = path.join(dir, 'pid');
  const platform = await startCli([fixture('cli-shell-bootstrap'), '--port', '0', '--bootstrap', file, '--handler', 'sh.handler'], {
    env: { CLI_TEST_PIDFILE: pidfile },
  });
  let pgid;
  try {
    assert.match(platform.stdout(), new RegExp(`runtime: +custom bootstrap ${file}`));
    const ok = await post(platform.url, { hello: 'sh' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.runtime, 'sh');
    assert.equal(ok.body.handler, 'sh.handler'); // the same environment as fnpool's own bootstrap
    assert.deepEqual(ok.body.event, { hello: 'sh' });
    assert.equal(ok.body.requestId, ok.headers.get('x-cff-request-id'));

    // Through the CLI too, with its error path.
    const viaCli = await run(['invoke', '--url', platform.url, '{"n":1}']);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    assert.deepEqual(JSON.parse(viaCli.stdout).event, { n: 1 });
    const failed = await run(['invoke', '--url', platform.url, '{"please":"fail"}']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^ShellError: asked to fail\n {4}at bootstrap \(sh\)\n/);
    pgid = Number(readFileSync(pidfile, 'utf8'));
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
  // The script, and the curl it was blocked in, are gone.
  assert.deepEqual(liveInGroup(pgid), []);
});

test('a compiled (C) bootstrap answers through the invoke endpoint', { skip: !has('cc') && 'no C compiler' }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-c-'));
  const binary = path.join(dir, 'bootstrap');
  execFileSync('cc', ['-O1', '-o', binary, path.join(fixture('cli-c-bootstrap'), 'bootstrap.c')], { stdio: 'pipe' });
  const platform = await startCli([dir, '--port', '0', '--bootstrap', binary]);
  try {
    const answers = await Promise.all([1, 2, 3].map((n) => post(platform.url, { n })));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200);
      assert.equal(a.body.runtime, 'c');
      assert.deepEqual(a.body.event, { n: i + 1 });
      assert.equal(a.body.requestId, a.headers.get('x-cff-request-id'));
    }
    const viaCli = await run(['invoke', '--url', platform.url, '--json', '{"from":"cli"}']);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    const out = JSON.parse(viaCli.stdout);
    assert.equal(out.ok, true);
    assert.deepEqual(out.result.event, { from: 'cli' });
    assert.equal(out.result.bytes, 14);
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('a bootstrap that dies holding an invocation: the caller gets an error, --watch keeps the platform up', { skip: !has('curl') && 'curl is not installed' }, async () => {
  const { file } = shellBootstrap();
  const platform = await startCli([fixture('cli-shell-bootstrap'), '--port', '0', '--bootstrap', file, '--watch']);
  try {
    const r = await run(['invoke', '--url', platform.url, '{"crash":true}']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Fnpool\.RuntimeExited: the runtime exited \(code 3\) without answering invocation /);
    await platform.waitFor(/the runtime exited \(code 3\); waiting for a change/, 5_000, 'stderr');
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('without --watch, a bootstrap that exits stops the platform with its exit status', { skip: !has('curl') && 'curl is not installed' }, async () => {
  const { file } = shellBootstrap();
  const platform = await startCli([fixture('cli-shell-bootstrap'), '--port', '0', '--bootstrap', file]);
  const answer = await post(platform.url, { crash: true });
  // The platform closed before anything answered: the caller is told so.
  assert.equal(answer.status, 503);
  assert.match(answer.body.errorMessage, /closed before request .* was answered/);
  const { code } = await platform.exited; // by itself
  assert.equal(code, 3);
  assert.match(platform.stderr(), /fnpool: the runtime exited \(code 3\); stopping/);
});

test('invoke --dir with a custom bootstrap, and the error of one that exits', { skip: !has('curl') && 'curl is not installed' }, async () => {
  const { file } = shellBootstrap();
  const ok = await run(['invoke', '--dir', fixture('cli-shell-bootstrap'), '--bootstrap', file, '{"once":1}']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).event, { once: 1 });
  const crashed = await run(['invoke', '--dir', fixture('cli-shell-bootstrap'), '--bootstrap', file, '--json', '{"crash":1}']);
  assert.equal(crashed.code, 1);
  const out = JSON.parse(crashed.stdout);
  assert.equal(out.ok, false);
  assert.equal(out.error.errorType, 'Fnpool.RuntimeExited');
  assert.match(out.error.errorMessage, /exited \(code 3\) before it answered/);
});
