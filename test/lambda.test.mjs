// What only AWS Lambda's Runtime API has: one invocation at a time unless Managed Instances say
// more, the deadline header, the error type header and `trace`, init errors reported and then
// exit, a 413 on a response turned into an error, a 500 on /next meaning exit, the Lambda context
// members with a per-invocation _X_AMZN_TRACE_ID, and Lambda's Text and JSON log formats.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PullEmulator } from '../dist/emulator/index.js';
import { fixture, startRuntime } from './helpers/runtime.mjs';

const CONTEXT = fixture('platform-context');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Lambda: concurrency', () => {
  test('without AWS_LAMBDA_MAX_CONCURRENCY: one /next outstanding and one invocation in flight', async () => {
    const rt = await startRuntime({ platform: 'lambda', classic: true });
    try {
      const all = Array.from({ length: 3 }, () => rt.invoke({ action: 'sleep', ms: 300 }));
      await sleep(150);
      const stats = rt.emulator.stats();
      assert.equal(stats.handedOut, 1);
      assert.equal(stats.inFlight, 1);
      assert.equal(stats.polls, 0, 'no second poll while the invocation runs');
      for (const r of await Promise.all(all)) assert.equal(r.ok, true);
      const serving = rt.records.find((r) => r.msg === 'fnpool serving');
      assert.deepEqual([serving.concurrency, serving.threads], [1, 1]);
    } finally {
      await rt.stop();
    }
  });

  test('with AWS_LAMBDA_MAX_CONCURRENCY=6: six at once across the pool', async () => {
    const rt = await startRuntime({ platform: 'lambda', env: { FNPOOL_CONCURRENCY: '6', RUNTIME_CPU: '2' } });
    try {
      const all = Array.from({ length: 8 }, () => rt.invoke({ action: 'sleep', ms: 300 }));
      await sleep(150);
      assert.equal(rt.emulator.stats().inFlight, 6);
      for (const r of await Promise.all(all)) assert.equal(r.ok, true);
    } finally {
      await rt.stop();
    }
  });
});

describe('Lambda: the wire', () => {
  test('an error goes as {errorType, errorMessage, trace} with Lambda-Runtime-Function-Error-Type', async () => {
    const rt = await startRuntime({ platform: 'lambda', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1' } });
    try {
      const res = await rt.invoke({ action: 'throw' });
      assert.equal(res.ok, false);
      assert.equal(res.headers['lambda-runtime-function-error-type'], 'ValidationError');
      const body = JSON.parse(res.body);
      assert.equal(body.errorType, 'ValidationError');
      assert.equal(body.errorMessage, 'it broke');
      assert.ok(Array.isArray(body.trace) && body.trace.length > 0, 'trace');
      assert.equal(body.stackTrace, undefined);
    } finally {
      await rt.stop();
    }
  });

  test('the deadline is the one Lambda sends: Runtime.Timeout after it, with its length in the message', async () => {
    const rt = await startRuntime({ platform: 'lambda', env: { RUNTIME_TIMEOUT: '1', RUNTIME_CPU: '1' } });
    try {
      const started = Date.now();
      const res = await rt.invoke({ action: 'hang' });
      assert.equal(res.error?.errorType, 'Runtime.Timeout');
      // The time it was given, from its arrival here to the deadline Lambda set at the hand-out.
      assert.match(res.error.errorMessage, /^Task timed out after (0\.9\d|1\.00) seconds$/);
      assert.ok(Date.now() - started < 1800, `answered after ${Date.now() - started} ms`);
    } finally {
      await rt.stop();
    }
  });

  test('a failed init is posted to /runtime/init/error, the process exits, and the invocation gets the error', async () => {
    const rt = await startRuntime({ platform: 'lambda', fixture: 'missing-dep', env: { RUNTIME_CPU: '1' } });
    const res = await rt.invoke({});
    assert.equal(res.ok, false);
    assert.equal(res.error.errorType, 'Runtime.ImportModuleError');
    const { code } = await rt.exited;
    assert.equal(code, 1);
    assert.equal(rt.emulator.stats().initErrors, 1);
    await rt.emulator.close();
  });

  test('a 500 on /next means the sandbox is going: the runtime exits', async () => {
    const emulator = await PullEmulator.start({ platform: 'lambda', port: 0 });
    emulator.injectFaults({ pollStatus: { status: 500, count: 1 } });
    const rt = await startRuntime({ platform: 'lambda', emulator, env: { RUNTIME_CPU: '1' }, ready: false });
    try {
      const { code } = await rt.exited;
      assert.equal(code, 1);
      assert.ok(rt.records.some((r) => /asked the runtime to stop/.test(r.msg ?? '')));
    } finally {
      await emulator.close();
    }
  });

  test('a response Lambda refuses with 413 is answered as Runtime.ResponseTooLarge, once', async () => {
    const rt = await startRuntime({ platform: 'lambda', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1', FNPOOL_MAX_RESPONSE_BYTES: String(20 * 1024 * 1024) } });
    try {
      const res = await rt.invoke({ action: 'big', bytes: 7 * 1024 * 1024 }, { requestId: 'too-big' });
      assert.equal(res.ok, false);
      assert.equal(res.error.errorType, 'Runtime.ResponseTooLarge');
      assert.equal(rt.emulator.answers('too-big'), 1);
      assert.equal(rt.emulator.stats().rejectedPosts, 1, 'the 413');
    } finally {
      await rt.stop();
    }
  });
});

describe('Lambda: the context', () => {
  test('Lambda\'s members: ARN, log group and stream, client context and identity parsed, tenant id, trace id', async () => {
    const rt = await startRuntime({ platform: 'lambda', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1', RUNTIME_MEMORY: '256' } });
    try {
      const res = await rt.invoke({ action: 'lambda' }, {
        headers: {
          'Lambda-Runtime-Client-Context': '{"custom":{"a":1}}',
          'Lambda-Runtime-Cognito-Identity': '{"cognitoIdentityId":"id-1"}',
          'Lambda-Runtime-Aws-Tenant-Id': 'tenant-7',
        },
      });
      assert.equal(res.ok, true, JSON.stringify(res.error));
      const ctx = JSON.parse(res.body);
      assert.match(ctx.invokedFunctionArn, /^arn:aws:lambda:/);
      assert.equal(ctx.functionName, 'test-fn');
      assert.equal(ctx.functionVersion, '$LATEST');
      assert.equal(ctx.memoryLimitInMB, '256');
      assert.equal(ctx.logGroupName, '/aws/lambda/test-fn');
      assert.equal(ctx.logStreamName, '$LATEST');
      assert.deepEqual(ctx.clientContext, { custom: { a: 1 } });
      assert.deepEqual(ctx.identity, { cognitoIdentityId: 'id-1' });
      assert.equal(ctx.tenantId, 'tenant-7');
      assert.match(ctx.xRayTraceId, /^Root=1-/);
      assert.equal(ctx.envTraceId, ctx.xRayTraceId);
      assert.ok(ctx.remaining > 2000 && ctx.remaining <= 3000, `remaining ${ctx.remaining}`);
    } finally {
      await rt.stop();
    }
  });

  test('_X_AMZN_TRACE_ID is each invocation\'s own, with several at once on one thread', async () => {
    const rt = await startRuntime({ platform: 'lambda', codeRoot: CONTEXT, env: { RUNTIME_CPU: '1', FNPOOL_CONCURRENCY: '4' } });
    try {
      const ids = ['Root=1-a', 'Root=1-b', 'Root=1-c', 'Root=1-d'];
      const results = await Promise.all(ids.map((id, i) => rt.invoke({ action: 'trace', ms: 50 + 30 * (3 - i) }, { headers: { 'Lambda-Runtime-Trace-Id': id } })));
      results.forEach((res, i) => assert.deepEqual(JSON.parse(res.body), { env: ids[i], context: ids[i] }));
    } finally {
      await rt.stop();
    }
  });
});

describe('Lambda: logs', () => {
  test('Text (the default): time, request id, LEVEL and message tab-separated; a message\'s newlines stay in its line', async () => {
    const rt = await startRuntime({ platform: 'lambda', codeRoot: CONTEXT, platformLogs: true, env: { RUNTIME_CPU: '1' } });
    try {
      await rt.invoke({ action: 'log' }, { requestId: 'log-text' });
      const mine = rt.lines.filter((l) => l.split('\t')[1] === 'log-text');
      const first = mine.find((l) => l.includes('first line'));
      assert.ok(first, rt.lines.join('\n'));
      const [time, id, level, message] = first.split('\t');
      assert.ok(!Number.isNaN(Date.parse(time)));
      assert.equal(id, 'log-text');
      assert.equal(level, 'INFO');
      assert.equal(message, 'first line\rsecond line');
      assert.ok(mine.some((l) => l.split('\t')[2] === 'DEBUG'), 'DEBUG shown: everything by default');
    } finally {
      await rt.stop();
    }
  });

  test('AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL=WARN: {timestamp, level, requestId, message}, filtered', async () => {
    const rt = await startRuntime({
      platform: 'lambda', codeRoot: CONTEXT, platformLogs: true, env: { RUNTIME_CPU: '1', AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'WARN', FNPOOL_LOG_LEVEL: '' },
      // At WARN the runtime's own "serving" record is filtered too: the invocation waits for the poll instead.
      ready: false,
    });
    try {
      await rt.invoke({ action: 'log' }, { requestId: 'log-json' });
      await sleep(100);
      const mine = rt.records.filter((r) => r.requestId === 'log-json');
      assert.deepEqual(mine.map((r) => r.message), ['a warning']);
      assert.equal(mine[0].level, 'WARN');
      assert.ok(!Number.isNaN(Date.parse(mine[0].timestamp)));
    } finally {
      await rt.stop();
    }
  });
});
