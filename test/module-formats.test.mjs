// Module formats through the whole runtime (README "Writing a handler"): CJS, ESM, TypeScript with no build step,
// nested module paths; and the init errors of broken modules, answered for every invocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachPlatform, startRuntime } from './helpers/runtime.mjs';

forEachPlatform((platform) => {
  const working = [
    ['esm-mjs', 'index.handler'],
    ['esm-type-module', 'index.handler'],
    ['cjs', 'index.handler'],
    ['cjs-cjs', 'index.handler'],
    ['default-export', 'index.handler'],
    ['nested', 'src/app.api.v1.handler'],
    ['ts-esm', 'index.handler'],
    ['ts-mts', 'index.handler'],
    ['ts-cts', 'index.handler'],
    ['ts-cjs', 'index.handler'],
    ['ts-enum', 'index.handler'],
    ['ts-esm-in-cjs', 'index.handler'], // import/export in a .ts under "type": "commonjs" (npm init -y)
  ];

  for (const [name, handler] of working) {
    test(`${name} (${handler}) runs in the pool`, async () => {
      const rt = await startRuntime({ platform, fixture: name, env: { RUNTIME_HANDLER: handler, RUNTIME_CPU: '2' } });
      try {
        const outs = await Promise.all(Array.from({ length: 4 }, () => rt.invoke({ name: 'pool' })));
        for (const res of outs) {
          assert.equal(res.ok, true, JSON.stringify(res.error));
          assert.equal(JSON.parse(res.body).fixture, name);
        }
      } finally {
        await rt.stop();
      }
    });
  }

  const broken = [
    ['syntax-error', 'Runtime.UserCodeSyntaxError'],
    ['ts-syntax-error', 'Runtime.UserCodeSyntaxError'],
    ['throws-at-load', 'Runtime.ImportModuleError'],
    ['missing-dep', 'Runtime.ImportModuleError'],
    ['not-a-function', 'Runtime.HandlerNotFound'],
  ];

  test('a syntax error is reported with its file:line:column and the line, on every invocation', async () => {
    const rt = await startRuntime({ platform, fixture: 'syntax-error', env: { RUNTIME_CPU: '1' } });
    try {
      const res = await rt.invoke({});
      assert.equal(res.ok, false);
      assert.match(res.error.errorMessage, /^SyntaxError: Unexpected token ';' \(.*syntax-error[/\\]index\.js:2:36\)\n  return \{ fixture: 'syntax-error' ;\n {35}\^$/);
    } finally {
      await rt.stop();
    }
  });

  for (const [name, errorType] of broken) {
    test(`${name}: every invocation gets ${errorType}`, async () => {
      const rt = await startRuntime({ platform, fixture: name, env: { RUNTIME_CPU: '1' } });
      try {
        for (let i = 0; i < 2; i++) {
          const res = await rt.invoke({});
          assert.equal(res.ok, false);
          assert.equal(res.error.errorType, errorType, JSON.stringify(res.error));
          // Node's own loader frames say nothing about the user's code.
          assert.ok(res.error.stackTrace.every((line) => !line.includes('node:internal/')), JSON.stringify(res.error.stackTrace));
        }
        assert.equal(rt.child.exitCode, null);
      } finally {
        await rt.stop();
      }
    });
  }
}, { push: true });
