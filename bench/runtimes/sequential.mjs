// The sequential baseline: how the reference bootstraps in the platforms' docs work. One loop on
// one thread: GET the next invocation, run the handler inline, POST its answer, repeat. It speaks
// FunctionGraph's custom-runtime protocol over one keep-alive undici Client (the fastest Node HTTP
// client on loopback), so the comparison is with an efficient sequential runtime, not a slow one.
// Reads the same variables as fnpool: RUNTIME_API_ADDR, RUNTIME_CODE_ROOT, RUNTIME_HANDLER.
// A benchmark baseline, not a feature: no deadlines, no retries, no isolation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'undici';

const addr = process.env.RUNTIME_API_ADDR;
const root = process.env.RUNTIME_CODE_ROOT ?? process.cwd();
const spec = process.env.RUNTIME_HANDLER ?? 'index.handler';
const timeoutMs = Number(process.env.RUNTIME_TIMEOUT ?? 3) * 1000;
if (!addr) {
  process.stderr.write('sequential baseline: RUNTIME_API_ADDR is not set\n');
  process.exit(2);
}

const dot = spec.lastIndexOf('.');
const base = path.join(root, spec.slice(0, dot));
const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
if (!file) {
  process.stderr.write(`sequential baseline: no module for ${spec} under ${root}\n`);
  process.exit(1);
}
const mod = await import(pathToFileURL(file).href);
const handler = mod[spec.slice(dot + 1)] ?? mod.default?.[spec.slice(dot + 1)];

const client = new Client(`http://${addr}`, { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 600_000, pipelining: 1 });
const NEXT = '/v1/runtime/invocation/request';
const JSON_TYPE = { 'content-type': 'application/json' };

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

for (;;) {
  const res = await client.request({ path: NEXT, method: 'GET' });
  const requestId = res.headers['x-cff-request-id'];
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200 || typeof requestId !== 'string') continue;
  const deadline = Date.now() + timeoutMs;
  const context = {
    requestId,
    getRequestID: () => requestId,
    getRemainingTimeInMilliSeconds: () => Math.max(0, deadline - Date.now()),
  };
  let kind = 'response';
  let body;
  try {
    const event = bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'));
    body = JSON.stringify((await handler(event, context)) ?? null);
  } catch (err) {
    kind = 'error';
    body = JSON.stringify({ errorType: err?.name ?? 'Error', errorMessage: String(err?.message ?? err), stackTrace: [] });
  }
  const posted = await client.request({
    path: `/v1/runtime/invocation/${kind}/${encodeURIComponent(requestId)}`, method: 'POST', body, headers: JSON_TYPE,
  });
  await posted.body.dump();
}
