// The sequential baseline on AWS Lambda's Runtime API: what sequential.mjs is for FunctionGraph. One
// loop on one thread: GET /next, run the handler inline, POST its answer, repeat, over one
// keep-alive undici Client, so the comparison is with an efficient sequential runtime. Reads the
// variables Lambda gives a runtime: AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT, _HANDLER.
// A benchmark baseline, not a feature: no deadlines enforced, no retries, no isolation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'undici';

const addr = process.env.AWS_LAMBDA_RUNTIME_API;
const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const spec = process.env._HANDLER ?? 'index.handler';
if (!addr) {
  process.stderr.write('sequential Lambda baseline: AWS_LAMBDA_RUNTIME_API is not set\n');
  process.exit(2);
}

const dot = spec.lastIndexOf('.');
const base = path.join(root, spec.slice(0, dot));
const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
if (!file) {
  process.stderr.write(`sequential Lambda baseline: no module for ${spec} under ${root}\n`);
  process.exit(1);
}
const mod = await import(pathToFileURL(file).href);
const handler = mod[spec.slice(dot + 1)] ?? mod.default?.[spec.slice(dot + 1)];

const client = new Client(`http://${addr}`, { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 600_000, pipelining: 1 });
const BASE = '/2018-06-01/runtime/invocation';
const JSON_TYPE = { 'content-type': 'application/json' };

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

for (;;) {
  const res = await client.request({ path: `${BASE}/next`, method: 'GET' });
  const requestId = res.headers['lambda-runtime-aws-request-id'];
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200 || typeof requestId !== 'string') continue;
  const deadline = Number(res.headers['lambda-runtime-deadline-ms']);
  const context = {
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
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
    body = JSON.stringify({ errorType, errorMessage: String(err?.message ?? err), trace: [] });
    headers['lambda-runtime-function-error-type'] = errorType;
  }
  const posted = await client.request({ path: `${BASE}/${encodeURIComponent(requestId)}/${kind}`, method: 'POST', body, headers });
  await posted.body.dump();
}
