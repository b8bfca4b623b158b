// fnpool's "inline loop": fnpool's own wire code minus the worker hop. It fetches with fnpool's
// RuntimeApiClient and the platform's PullWire (the same undici pools, body reading, headers and
// answer requests), decodes the event, calls the handler and serializes its result with fnpool's
// own functions — all on the main thread — then posts the answer with the same client.
//
// INLINE_POLLERS (default 1) loops run at once, each fetching its next invocation when it has
// answered the last: with 1, fnpool at concurrency 1 minus this loop is the cost of the thread
// hop (scenario 4); with 8, it is what the transport allows on this machine, the baseline of
// no-op throughput (scenario 1). The platform is the one whose variables are set: FunctionGraph
// (RUNTIME_API_ADDR), Lambda (AWS_LAMBDA_RUNTIME_API) or Function Compute (FC_RUNTIME_API).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RuntimeApiClient } from '../../dist/platforms/pull/client.js';
import { functionGraphWire } from '../../dist/platforms/functiongraph/wire.js';
import { lambdaWire } from '../../dist/platforms/lambda/wire.js';
import { fcWire } from '../../dist/platforms/fc/wire.js';
import { callUserFunction, parseEvent, serializeResult } from '../../dist/worker/invoke.js';

const env = process.env;
const platform = env.RUNTIME_API_ADDR ? { wire: functionGraphWire, addr: env.RUNTIME_API_ADDR, root: env.RUNTIME_CODE_ROOT, spec: env.RUNTIME_HANDLER, timeoutS: env.RUNTIME_TIMEOUT }
  : env.AWS_LAMBDA_RUNTIME_API ? { wire: lambdaWire, addr: env.AWS_LAMBDA_RUNTIME_API, root: env.LAMBDA_TASK_ROOT, spec: env._HANDLER, timeoutS: env.AWS_LAMBDA_FUNCTION_TIMEOUT }
  : env.FC_RUNTIME_API ? { wire: fcWire, addr: env.FC_RUNTIME_API, root: env.FC_FUNC_CODE_PATH, spec: env.FC_FUNCTION_HANDLER, timeoutS: env.FNPOOL_TIMEOUT }
  : undefined;
if (platform === undefined) {
  process.stderr.write('inline loop: none of RUNTIME_API_ADDR, AWS_LAMBDA_RUNTIME_API, FC_RUNTIME_API is set\n');
  process.exit(2);
}
const pollers = Number(env.INLINE_POLLERS ?? 1);
const root = platform.root ?? process.cwd();
const spec = platform.spec ?? 'index.handler';
const timeoutMs = Number(platform.timeoutS ?? 3) * 1000;
const MAX = 6 * 1024 * 1024;

const dot = spec.lastIndexOf('.');
const base = path.join(root, spec.slice(0, dot));
const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
const mod = await import(pathToFileURL(file).href);
const handler = mod[spec.slice(dot + 1)] ?? mod.default?.[spec.slice(dot + 1)];

const quiet = () => {};
const log = { warn: quiet, debug: quiet, error: quiet, info: quiet, isLevelEnabled: () => false };
const client = new RuntimeApiClient(platform.addr, platform.wire, { connections: pollers, maxRequestBytes: MAX, log });
const stop = new AbortController();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

async function loop() {
  for (;;) {
    const inv = await client.next(stop.signal);
    const deadline = inv.arrivedAtMs + timeoutMs;
    const context = {
      requestId: inv.requestId,
      getRequestID: () => inv.requestId,
      getRemainingTimeInMilliSeconds: () => Math.max(0, deadline - Date.now()),
    };
    let outcome;
    try {
      const value = await callUserFunction(handler, [parseEvent(inv.body), context]);
      outcome = { ok: true, body: serializeResult(value, MAX) };
    } catch (err) {
      outcome = { ok: false, error: { errorType: err?.name ?? 'Error', errorMessage: String(err?.message ?? err), stackTrace: [] } };
    }
    await client.post(inv.requestId, platform.wire.answer(inv.requestId, outcome));
  }
}

await Promise.all(Array.from({ length: pollers }, loop));
