// fnpool's "inline loop" (scenario 4): fnpool's own code path minus the worker hop. It fetches with
// fnpool's RuntimeApiClient (the same undici pools, the same body reading and headers), decodes
// the event, calls the handler and serializes its result with fnpool's own functions — all on the
// main thread — then posts with the same client, one invocation at a time. fnpool at concurrency 1
// minus this loop is the cost of the thread hop.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RuntimeApiClient } from '../../dist/platforms/functiongraph/runtime-api-client.js';
import { callUserFunction, parseEvent, serializeResult } from '../../dist/worker/invoke.js';

const addr = process.env.RUNTIME_API_ADDR;
const root = process.env.RUNTIME_CODE_ROOT ?? process.cwd();
const spec = process.env.RUNTIME_HANDLER ?? 'index.handler';
const timeoutMs = Number(process.env.RUNTIME_TIMEOUT ?? 3) * 1000;
const MAX = 6 * 1024 * 1024;
if (!addr) {
  process.stderr.write('inline loop: RUNTIME_API_ADDR is not set\n');
  process.exit(2);
}
const dot = spec.lastIndexOf('.');
const base = path.join(root, spec.slice(0, dot));
const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
const mod = await import(pathToFileURL(file).href);
const handler = mod[spec.slice(dot + 1)] ?? mod.default?.[spec.slice(dot + 1)];

const quiet = () => {};
const log = { warn: quiet, debug: quiet, error: quiet, info: quiet, isLevelEnabled: () => false };
const client = new RuntimeApiClient(addr, { connections: 1, maxRequestBytes: MAX, log });
const stop = new AbortController();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

for (;;) {
  const inv = await client.next(stop.signal);
  const deadline = inv.arrivedAtMs + timeoutMs;
  const context = {
    requestId: inv.requestId,
    getRequestID: () => inv.requestId,
    getRemainingTimeInMilliSeconds: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const value = await callUserFunction(handler, [parseEvent(inv.body), context]);
    const body = serializeResult(value, MAX);
    await client.post(inv.requestId, 'response', body, typeof body === 'string' ? 'application/json' : 'application/octet-stream');
  } catch (err) {
    await client.post(inv.requestId, 'error',
      JSON.stringify({ errorType: err?.name ?? 'Error', errorMessage: String(err?.message ?? err), stackTrace: [] }), 'application/json');
  }
}
