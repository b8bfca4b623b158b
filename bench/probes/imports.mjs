#!/usr/bin/env node
// What fnpool's main thread pays to load, before it can start its workers: each module imported
// alone in a fresh process (median of N), and all of fnpool's serve path together. Cold start is
// bounded below by bare node + this + the workers' own start-up.
//   node bench/probes/imports.mjs [runs]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 7);
const dist = new URL('../../dist/', import.meta.url);
const modules = [
  'undici', 'pino', 'piscina', 'p-queue',
  new URL('config/config.js', dist).href,
  new URL('logging/logger.js', dist).href,
  new URL('executor/executor.js', dist).href,
  new URL('platforms/functiongraph/adapter.js', dist).href,
  new URL('runtime.js', dist).href,
];
const cwd = fileURLToPath(new URL('..', import.meta.url));
const time = (spec) => {
  const script = `const t=performance.now(); await import(${JSON.stringify(spec)}); process.stdout.write(String(performance.now()-t)+' '+performance.now())`;
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' }).split(' ').map(Number));
  xs.sort((a, b) => a[0] - b[0]);
  return xs[Math.floor(xs.length / 2)];
};
const [, bootMs] = time('node:os');
console.log(`node's own start-up to first user code: ${bootMs.toFixed(1)} ms (performance.now() at the first line)`);
for (const m of modules) {
  const [ms] = time(m);
  console.log(`${m.replace(dist.href, 'dist/').padEnd(40)} ${ms.toFixed(1).padStart(6)} ms`);
}
