// AWS's own Node runtime client runs on fnpool's Lambda platform: aws-lambda-ric 4 (on Node 22, its
// native addon built here) is the custom bootstrap of `fnpool start --platform lambda`, and answers
// `fnpool invoke`, a handler's error, AWS's invoke path, and many invocations at once in its
// multi-concurrent (worker threads) mode. What fnpool's emulator serves is what the real client
// expects, not only what fnpool's own bootstrap does. The first run prepares the client (about a
// minute, in a cache outside the repository); later runs take seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { fixture, run, startCli } from './fixtures/cli-helpers/cli.mjs';
import { NODE22_VERSION, prepareAwsRic, RIC_VERSION } from './helpers/aws-ric.mjs';

const FUNCTION = fixture('aws-ric');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const AWS_INVOKE_PATH = '/2015-03-31/functions/function/invocations';

/** Set by the first test; the others skip without it. */
let ric;

/** Whether the client is there; if not, test t is skipped with the preparation's reason. */
function needRic(t) {
  const why = ric === undefined ? 'aws-lambda-ric was not prepared (see the first test)' : ric.skip;
  if (why) t.skip(why);
  return !why;
}

/** `fnpool start` of the fixture with the client as its bootstrap. */
const startRic = (extraArgs = [], env = {}) =>
  startCli([FUNCTION, '--platform', 'lambda', '--port', '0', '--bootstrap', ric.bootstrap, ...extraArgs], { env });

/** POST to AWS's invoke path of a started platform. */
async function postAws(url, event) {
  const res = await fetch(`${url}${AWS_INVOKE_PATH}`, { method: 'POST', body: JSON.stringify(event) });
  return { status: res.status, headers: res.headers, body: JSON.parse(await res.text()) };
}

// Only this step may be long: a cold preparation downloads Node 22 and the client and compiles curl,
// aws-lambda-cpp and the addon (about 70 s on 2 cores); the tests after it have the default timeout.
test(`aws-lambda-ric ${RIC_VERSION} and Node ${NODE22_VERSION} are prepared (built once, then cached)`, { timeout: 8 * 60_000 }, async (t) => {
  ric = await prepareAwsRic({ log: (line) => t.diagnostic(line) });
  if (ric.skip) {
    t.skip(ric.skip);
    return;
  }
  t.diagnostic(ric.built
    ? `prepared in ${ric.ms} ms (cold: downloaded and built)`
    : `found in the cache in ${ric.ms} ms (it took ${ric.buildMs} ms to build)`);
  accessSync(ric.bootstrap, constants.X_OK);
});

test('fnpool invoke answers with the echo through the client; a throwing handler exits 1 with its error type', async (t) => {
  if (!needRic(t)) return;
  const platform = await startRic();
  try {
    assert.match(platform.stdout(), /runtime: +custom bootstrap \S+\/bootstrap/);
    const ok = await run(['invoke', '--url', platform.url, '{"hello":"ric"}']);
    assert.equal(ok.code, 0, ok.stderr);
    const answer = JSON.parse(ok.stdout);
    assert.deepEqual(answer.echo, { hello: 'ric' });
    assert.match(answer.requestId, UUID); // the client's context.awsRequestId: the emulator's id
    assert.equal(answer.fn, 'aws-ric'); // AWS_LAMBDA_FUNCTION_NAME, from the folder's name

    const failed = await run(['invoke', '--url', platform.url, '{"fail":"on purpose"}']);
    assert.equal(failed.code, 1, failed.stdout);
    assert.match(failed.stderr, /^RicFixtureError: asked to fail: on purpose\n/);
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test("AWS's invoke path answers 200 with the result, and with the client's error body on a throw", async (t) => {
  if (!needRic(t)) return;
  const platform = await startRic();
  try {
    const ok = await postAws(platform.url, { via: 'aws-path' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.echo, { via: 'aws-path' });
    assert.equal(ok.body.fn, 'aws-ric');
    assert.equal(ok.body.requestId, ok.headers.get('x-amzn-requestid'));

    const failed = await postAws(platform.url, { fail: 'here' });
    assert.equal(failed.status, 200); // as AWS's emulator answers a function error
    assert.equal(failed.headers.get('x-amz-function-error'), 'Unhandled');
    assert.equal(failed.body.errorType, 'RicFixtureError');
    assert.equal(failed.body.errorMessage, 'asked to fail: here');
    // The error body is the client's own (`trace`, with its frames): it really served this one.
    assert.ok(failed.body.trace.some((line) => line.includes('/aws-lambda-ric/index.mjs')), failed.body.trace.join('\n'));
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('with --concurrency the client runs its worker threads, and 16 invocations at once all answer', async (t) => {
  if (!needRic(t)) return;
  // --concurrency sets AWS_LAMBDA_MAX_CONCURRENCY, which switches the client to its multi-concurrent
  // mode; two worker threads (not its default of 8 per CPU), and its verbose log to see them start.
  const platform = await startRic(['--concurrency', '8'], { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2', AWS_LAMBDA_RUNTIME_VERBOSE: '1' });
  try {
    const answers = await Promise.all(Array.from({ length: 16 }, (_, n) => postAws(platform.url, { n })));
    for (const [n, a] of answers.entries()) {
      assert.equal(a.status, 200);
      assert.deepEqual(a.body.echo, { n });
      assert.equal(a.body.requestId, a.headers.get('x-amzn-requestid'));
    }
    assert.equal(new Set(answers.map((a) => a.body.requestId)).size, 16);
    await platform.waitFor(/Starting 2 worker threads/, 5_000);
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});
