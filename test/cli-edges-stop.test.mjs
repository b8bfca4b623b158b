// Stopping `fnpool start` with an invocation hung in the runtime: the first Ctrl-C starts the
// graceful stop, a second one kills the runtime's whole process group at once, and fnpool start
// exits only once it is gone (nothing of it prints afterwards); the `fnpool invoke` that was
// waiting is told the local platform stopped before answering (exit status 3, not a usage error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, ROOT, run, startCli } from './fixtures/cli-helpers/cli.mjs';

/** A process that is gone: no entry in /proc, or a zombie waiting to be reaped. */
function gone(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').startsWith('Z');
  } catch {
    return true;
  }
}

test('a second Ctrl-C kills the runtime and what it started at once; a waiting invoke exits 3: the platform stopped', async () => {
  // fnpool's bootstrap, behind a wrapper that leaves a child of its own in the runtime's group.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-edges-stop-'));
  const pids = path.join(dir, 'pids');
  const wrapper = path.join(dir, 'bootstrap');
  writeFileSync(wrapper, `#!/bin/sh\nsleep 300 &\necho "$$ $!" > '${pids}'\nexec '${path.join(ROOT, 'bootstrap')}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const platform = await startCli([fixture('cli-invoke'), '--port', '0', '--timeout', '60', '--bootstrap', wrapper]);
  try {
    await platform.waitFor(/"msg":"fnpool serving"/);
    const waiting = run(['invoke', '--url', platform.url, '{"action":"hang"}'], { timeoutMs: 20_000 });
    await platform.waitFor(/"msg":"handling hang"/);
    const [runtimePid, childPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);

    platform.child.kill('SIGINT');
    await platform.waitFor(/fnpool: stopping \(Ctrl-C again to kill\)/, 5_000, 'stderr');
    platform.child.kill('SIGINT');
    const { code } = await platform.exited;
    assert.equal(code, 130);
    assert.ok(gone(runtimePid), 'the runtime is gone when fnpool start exits');
    assert.ok(gone(childPid), 'so is what it started in its group');
    const printed = platform.stdout().length + platform.stderr().length;

    const r = await waiting;
    assert.equal(r.code, 3, `invoke: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^fnpool invoke: the local platform at http:\/\/127\.0\.0\.1:\d+ stopped before answering/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(platform.stdout().length + platform.stderr().length, printed, 'nothing printed after fnpool start exited');
  } finally {
    await platform.stop('SIGKILL');
    if (existsSync(pids)) for (const pid of readFileSync(pids, 'utf8').trim().split(' ').map(Number)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});
