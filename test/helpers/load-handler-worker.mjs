// Worker thread for test/handler-loader.test.mjs: enables TypeScript and loads one handler from
// dist/ as the runtime's worker does, calls it once, and posts back what happened.
// workerData: { codeRoot, spec, event, repeat = 1 } — `repeat` loads the same spec several times.
import { parentPort, workerData } from 'node:worker_threads';
import { loadFunction } from '../../dist/worker/handler-loader.js';
import { enableTypeScript } from '../../dist/worker/typescript.js';

const { codeRoot, spec, event, repeat = 1 } = workerData;

const describeError = (error) => ({
  name: error?.name,
  message: error?.message ?? String(error),
  stack: error?.stack,
  cause: error?.cause instanceof Error ? { name: error.cause.name, message: error.cause.message, code: error.cause.code } : undefined,
});

let handler;
try {
  enableTypeScript();
  enableTypeScript(); // idempotent
  let sameFunction = true;
  for (let i = 0; i < repeat; i++) {
    const loaded = await loadFunction(codeRoot, spec);
    if (handler !== undefined && loaded !== handler) sameFunction = false;
    handler = loaded;
  }
  try {
    const result = await handler(event, {});
    parentPort.postMessage({ ok: true, result, sameFunction });
  } catch (error) {
    parentPort.postMessage({ ok: false, phase: 'invoke', ...describeError(error) });
  }
} catch (error) {
  parentPort.postMessage({ ok: false, phase: 'load', isRuntimeError: error?.constructor?.name === 'RuntimeError', ...describeError(error) });
}
