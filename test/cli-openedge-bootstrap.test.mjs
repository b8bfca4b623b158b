// `fnpool start --platform openedge --bootstrap PATH` with a runtime fnpool did not write: a Python
// program on grpcio (test/fixtures/py-openedge-runtime/bootstrap, its Message codec by hand) started
// as OpenEdge starts one (`-c '<config>'`) answers through the invoke endpoint. This proves that the
// local OpenEdge speaks OpenEdge's wire to any runtime: the event arrives as Payload with the
// request id as FunctionInvokeID and --topic/--qos as Topic/QOS, calls run at once, a failed call's
// fnpool-error trailer becomes the caller's error (`fnpool invoke` exits 1 with it), and Ctrl-C
// stops the runtime (SIGTERM) and the platform with status 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, post, run, startCli } from './fixtures/cli-helpers/cli.mjs';

// Debian's python3 with python3-grpcio (the bootstrap's shebang names it).
const PYTHON = '/usr/bin/python3';
const hasGrpc = spawnSync(PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;

/** The Python bootstrap, copied with mode 0755 (a checkout may not keep the mode of a fixture). */
function pythonBootstrap() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-cli-py-openedge-'));
  const file = path.join(dir, 'bootstrap');
  copyFileSync(path.join(fixture('py-openedge-runtime'), 'bootstrap'), file);
  chmodSync(file, 0o755);
  return { dir, file };
}

test('a Python (grpcio) OpenEdge runtime answers through the invoke endpoint; Ctrl-C stops it', {
  skip: !hasGrpc && `${PYTHON} cannot import grpc (python3-grpcio is not installed)`,
}, async () => {
  const { dir, file } = pythonBootstrap();
  const platform = await startCli([dir, '--platform', 'openedge', '--port', '0', '--bootstrap', file, '--topic', 'sensors/t1', '--qos', '1']);
  try {
    assert.match(platform.stdout(), new RegExp(`runtime: +custom bootstrap ${file}`));

    // One invocation: the event, the request id, the topic and QOS reach the runtime as a Message.
    const one = await post(platform.url, { hello: 'py' }, { 'x-cff-request-id': 'py-1' });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(one.headers.get('x-cff-request-id'), 'py-1');
    assert.deepEqual(one.body, { runtime: 'python', event: { hello: 'py' }, topic: 'sensors/t1', qos: 1, invokeId: 'py-1' });

    // Three at once, each answered with its own event and id.
    const answers = await Promise.all([1, 2, 3].map((n) => post(platform.url, { n }, { 'x-cff-request-id': `py-many-${n}` })));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.equal(a.body.runtime, 'python');
      assert.deepEqual(a.body.event, { n: i + 1 });
      assert.equal(a.body.topic, 'sensors/t1');
      assert.equal(a.body.qos, 1);
      assert.equal(a.body.invokeId, `py-many-${i + 1}`);
      assert.equal(a.headers.get('x-cff-request-id'), `py-many-${i + 1}`);
    }

    // A failed call: the runtime's fnpool-error trailer is the error, through the endpoint and the CLI.
    const failedPost = await post(platform.url, { fail: true });
    assert.equal(failedPost.status, 500);
    assert.deepEqual(failedPost.body, { errorType: 'PyError', errorMessage: 'failed on purpose', stackTrace: [] });
    const failed = await run(['invoke', '--url', platform.url, '{"fail":true}']);
    assert.equal(failed.code, 1, `stdout: ${failed.stdout}; stderr: ${failed.stderr}`);
    assert.ok(failed.stderr.startsWith('PyError: failed on purpose'), failed.stderr);
    assert.equal(failed.stdout, '');

    // The platform still answers after the failure.
    const viaCli = await run(['invoke', '--url', platform.url, '{"after":"fail"}']);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    assert.deepEqual(JSON.parse(viaCli.stdout).event, { after: 'fail' });
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0, platform.stderr());
  }
  // The runtime said it listened, and stopped gracefully on the SIGTERM fnpool sent it (fnpool does
  // not report the exit status of a runtime it stopped, so its last line is the evidence).
  assert.match(platform.stdout(), /python runtime: \S+ listening at 127\.0\.0\.1:\d+/);
  assert.match(platform.stdout(), /python runtime: stopped\n/);
});
