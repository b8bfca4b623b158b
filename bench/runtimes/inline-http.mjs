// The inline HTTP baseline (scenario 8): the runtime of Function Compute's custom-runtime tutorials,
// written with plain node:http instead of Express. One thread: POST /invoke reads the whole body,
// runs the handler on it inline on the main thread, and answers 200 with the JSON result (x-fc-status
// 200), or a thrown error as 404 with x-fc-status 404, x-fc-error-type and its message. Listens on
// 0.0.0.0:$PORT (FC's 9000 when unset); the handler is index.handler of the folder
// $FNPOOL_CODE_ROOT (the variable the suite starts fnpool's HTTP mode with). A benchmark baseline,
// not a feature: no deadline, no admission limit, no body limit, no isolation.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.FNPOOL_CODE_ROOT ?? process.cwd();
const file = ['index.js', 'index.mjs', 'index.cjs'].map((name) => path.join(root, name)).find((f) => existsSync(f));
if (!file) {
  process.stderr.write(`inline HTTP baseline: no index module under ${root}\n`);
  process.exit(1);
}
const { handler } = await import(pathToFileURL(file).href);

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/invoke') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    const requestId = req.headers['x-fc-request-id'];
    try {
      const body = Buffer.concat(chunks).toString('utf8');
      const result = await handler(body === '' ? {} : JSON.parse(body), { requestId });
      res.writeHead(200, { 'content-type': 'application/json', 'x-fc-status': '200' });
      res.end(JSON.stringify(result ?? null));
    } catch (err) {
      const errorType = err?.name ?? 'Error';
      res.writeHead(404, { 'content-type': 'application/json', 'x-fc-status': '404', 'x-fc-error-type': errorType });
      res.end(JSON.stringify({ errorType, errorMessage: String(err?.message ?? err) }));
    }
  });
});
server.listen(Number(process.env.PORT ?? 9000), '0.0.0.0');
