#!/usr/bin/env node
// `npm run stress`: fnpool under stress, every part against the real runtime (the bootstrap as a
// child process) and real platforms (the local emulator, crafted API servers, raw sockets):
//   soak            — 1,000,000 no-op invocations through each platform, 100,000 mixed over all (soak.mjs)
//   hostile-pull    — fuzzed bodies and headers on the FunctionGraph, Lambda and FC wires (hostile-pull.mjs)
//   hostile-push    — hostile HTTP clients and gRPC frames (hostile-push.mjs)
//   platform-chaos  — the runtime API restarted, slow, failing, with SIGTERM during each (platform-chaos.mjs)
// Writes bench/results/stress.json (every figure and the soak's series) and stress.svg (RSS and
// descriptors along the soak), prints one table, and exits 1 when anything failed.
//   npm run stress [-- --quick] [-- --only soak,hostile-pull,hostile-push,platform-chaos]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from '../lib/machine.mjs';
import { table, f0 } from '../lib/report.mjs';
import { renderChart } from '../lib/svg.mjs';
import { BENCH } from '../lib/targets.mjs';
import { soakTable } from './soak.mjs';

const PARTS = ['soak', 'hostile-pull', 'hostile-push', 'platform-chaos'];

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const only = values.only ? values.only.split(',') : PARTS;
for (const part of only) {
  if (!PARTS.includes(part)) {
    process.stderr.write(`npm run stress: --only: unknown part ${JSON.stringify(part)}; one or more of ${PARTS.join(', ')}\n`);
    process.exit(2);
  }
}

const log = (line) => process.stderr.write(`${line}\n`);
const started = Date.now();
const reports = [];
for (const part of only) {
  log(`stress: ${part}${values.quick ? ' (quick)' : ''}`);
  const t0 = Date.now();
  const { run } = await import(`./${part}.mjs`);
  let report;
  try {
    report = await run({ quick: values.quick, log });
  } catch (err) {
    report = { name: part, rows: [], failures: [`${part} stopped: ${err?.stack ?? err}`] };
  }
  report.seconds = (Date.now() - t0) / 1000;
  reports.push({ part, ...report });
  log(`stress: ${part} done in ${Math.round(report.seconds)} s, ${report.failures.length} failure(s)`);
}

const soak = reports.find((r) => r.part === 'soak');
const resultsDir = path.join(BENCH, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, 'stress.json');
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), machine: describeMachine(), quick: values.quick, seconds: (Date.now() - started) / 1000, reports }, null, 1)}\n`);
if (soak?.runs?.length) writeFileSync(path.join(resultsDir, 'stress.svg'), soakChart(soak.runs, values.quick));

if (soak?.runs?.length) process.stdout.write(`Soak\n${soakTable(soak.runs)}\n\n`);
process.stdout.write(`${table(['part', 'platform', 'kind', 'tried', 'outcome', 'ok'],
  reports.flatMap((r) => r.rows.map((row) => [r.part, row.platform, row.kind, f0(row.tried), row.outcome, row.ok ? 'yes' : 'NO'])))}\n`);
const failures = reports.flatMap((r) => r.failures.map((f) => `${r.part}: ${f}`));
for (const f of failures) process.stdout.write(`FAIL ${f}\n`);
process.stdout.write(`\n${failures.length === 0 ? 'everything held' : `${failures.length} failure(s)`} in ${Math.round((Date.now() - started) / 1000)} s; ` +
  `report in ${path.relative(process.cwd(), file)}${soak?.runs?.length ? ' and stress.svg beside it' : ''}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;

/** RSS and open descriptors of each soak run, at every tenth of its invocations. */
function soakChart(runs, quick) {
  const tenths = Array.from({ length: 11 }, (_, i) => i / 10);
  const at = (r, field) => tenths.map((q) => {
    const done = q * (r.samples.at(-1)?.done ?? 0);
    return r.samples.find((s) => s.done >= done)?.[field] ?? Number.NaN;
  });
  const panel = (load, field, yLabel) => ({
    title: `${load === 'noop' ? 'no-op' : 'mixed'}: ${field === 'rssMB' ? 'RSS' : 'open descriptors'}`,
    xLabel: 'share of the run (after warm-up)', yLabel,
    categories: tenths.map((q) => `${q * 100}%`),
    series: runs.filter((r) => r.load === load && r.samples).map((r) => ({ name: r.platform, values: at(r, field) })),
  });
  const loads = [...new Set(runs.map((r) => r.load))];
  return renderChart({
    title: `fnpool soak${quick ? ' (quick)' : ''}: the runtime's RSS and descriptors along the run`,
    subtitle: runs.map((r) => `${r.platform} ${r.load} ${f0(r.done)}`).join(', '),
    panels: loads.flatMap((load) => [panel(load, 'rssMB', 'MB'), panel(load, 'fds', 'descriptors')]),
  });
}
