// The sequential baseline: how the reference bootstraps in the platforms' docs work. One loop on
// one thread: GET the next invocation, run the handler inline, POST its answer, repeat, over one
// keep-alive undici Client (the fastest Node HTTP client on loopback), so the comparison is with
// an efficient sequential runtime, not a slow one. It speaks FunctionGraph's custom-runtime
// protocol (RUNTIME_API_ADDR, RUNTIME_CODE_ROOT, RUNTIME_HANDLER, RUNTIME_TIMEOUT), or Lambda's
// Runtime API when AWS_LAMBDA_RUNTIME_API is set (LAMBDA_TASK_ROOT, _HANDLER, the deadline header).
// A benchmark baseline, not a feature: no deadlines enforced, no retries, no isolation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'undici';

const env = process.env;
const LAMBDA = '/2018-06-01/runtime/invocation';
const wire = env.AWS_LAMBDA_RUNTIME_API
  ? {
    addr: env.AWS_LAMBDA_RUNTIME_API, root: env.LAMBDA_TASK_ROOT, spec: env._HANDLER,
    next: `${LAMBDA}/next`, idHeader: 'lambda-runtime-aws-request-id', stackKey: 'trace',
    answer: (id, kind) => `${LAMBDA}/${encodeURIComponent(id)}/${kind}`,
    deadline: (headers) => Number(headers['lambda-runtime-deadline-ms']),
  }
  : {
    addr: env.RUNTIME_API_ADDR, root: env.RUNTIME_CODE_ROOT, spec: env.RUNTIME_HANDLER,
    next: '/v1/runtime/invocation/request', idHeader: 'x-cff-request-id', stackKey: 'stackTrace',
    answer: (id, kind) => `/v1/runtime/invocation/${kind}/${encodeURIComponent(id)}`,
    deadline: () => Date.now() + Number(env.RUNTIME_TIMEOUT ?? 3) * 1000,
  };
const root = wire.root ?? process.cwd();
const spec = wire.spec ?? 'index.handler';
if (!wire.addr) {
  process.stderr.write('sequential baseline: neither RUNTIME_API_ADDR nor AWS_LAMBDA_RUNTIME_API is set\n');
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

const client = new Client(`http://${wire.addr}`, { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 600_000, pipelining: 1 });
const JSON_TYPE = { 'content-type': 'application/json' };

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

for (;;) {
  const res = await client.request({ path: wire.next, method: 'GET' });
  const requestId = res.headers[wire.idHeader];
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200 || typeof requestId !== 'string') continue;
  const deadline = wire.deadline(res.headers);
  const remaining = () => Math.max(0, deadline - Date.now());
  const context = {
    requestId,
    awsRequestId: requestId,
    getRequestID: () => requestId,
    getRemainingTimeInMilliSeconds: remaining,
    getRemainingTimeInMillis: remaining,
  };
  let kind = 'response';
  let body;
  const headers = { ...JSON_TYPE };
  try {
    const event = bytes.length === 0 ? {} : JSON.parse(bytes.toString('utf8'));
    body = JSON.stringify((await handler(event, context)) ?? null);
  } catch (err) {
    kind = 'error';
    const errorType = err?.name ?? 'Error';
    body = JSON.stringify({ errorType, errorMessage: String(err?.message ?? err), [wire.stackKey]: [] });
    headers['lambda-runtime-function-error-type'] = errorType;
  }
  const posted = await client.request({ path: wire.answer(requestId, kind), method: 'POST', body, headers });
  await posted.body.dump();
}
