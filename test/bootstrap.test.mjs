// The bootstrap file itself: mode 0755, LF endings, plain POSIX sh (dash), any cwd, via a symlink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PullEmulator } from '../dist/emulator/index.js';
import { BOOTSTRAP, fixture } from './helpers/runtime.mjs';

test('bootstrap is executable, LF-only, and parses under dash', () => {
  assert.ok((statSync(BOOTSTRAP).mode & 0o755) === 0o755);
  const text = readFileSync(BOOTSTRAP, 'utf8');
  assert.ok(!text.includes('\r'));
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.equal(execFileSync('git', ['ls-files', '-s', 'bootstrap'], { cwd: path.dirname(BOOTSTRAP), encoding: 'utf8' }).slice(0, 6), '100755');
  execFileSync('dash', ['-n', BOOTSTRAP]);
});

for (const how of ['dash from another cwd', 'a symlink']) {
  test(`bootstrap serves when started by ${how}`, async () => {
    const emulator = await PullEmulator.start({ port: 0 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-boot-'));
    let cmd = 'dash';
    let args = [BOOTSTRAP];
    if (how === 'a symlink') {
      cmd = path.join(dir, 'bootstrap');
      symlinkSync(BOOTSTRAP, cmd);
      args = [];
    }
    const child = spawn(cmd, args, {
      cwd: dir,
      stdio: 'ignore',
      env: { PATH: process.env.PATH, RUNTIME_API_ADDR: emulator.address, RUNTIME_CODE_ROOT: fixture('behaviours'), RUNTIME_CPU: '1' },
    });
    try {
      const res = await emulator.invoke({ action: 'echo' }, { timeoutMs: 15_000 });
      assert.equal(res.ok, true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await emulator.close();
    }
  });
}

test('bootstrap says what is missing when no node can be found', () => {
  let out;
  try {
    execFileSync('/bin/sh', [BOOTSTRAP], { env: { PATH: '/nonexistent', FNPOOL_NODE: '' }, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    out = err;
  }
  // Either no node at all (127 with a message), or a node found in the usual places that then serves
  // nothing because no platform is configured (exit 2 with a message naming the variables).
  assert.ok(out, 'bootstrap must fail without a platform');
  assert.match(out.stderr, /no node executable found|no platform found/);
});

test('bootstrap gives the runtime a 4 MB young generation, unless NODE_OPTIONS names a size', async () => {
  for (const [nodeOptions, expected] of [[undefined, true], ['--max-semi-space-size=8', false], ['--no-warnings', true]]) {
    const emulator = await PullEmulator.start({ port: 0 });
    const env = { PATH: process.env.PATH, RUNTIME_API_ADDR: emulator.address, RUNTIME_CODE_ROOT: fixture('behaviours'), RUNTIME_CPU: '1' };
    if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
    const child = spawn('dash', [BOOTSTRAP], { stdio: 'ignore', env });
    try {
      const res = await emulator.invoke({ action: 'echo' }, { timeoutMs: 15_000 });
      assert.equal(res.ok, true);
      // bootstrap execs node: the child is the runtime itself.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      assert.equal(argv.includes('--max-semi-space-size=4'), expected, `NODE_OPTIONS=${nodeOptions}: ${argv.join(' ')}`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await emulator.close();
    }
  }
});
