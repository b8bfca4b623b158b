// `fnpool bench` at the edges of a run: past the measuring window it says what it still waits for
// (the invocations the runtime has, up to their deadline); a load of which nothing succeeds stops
// early with the first error and exit status 1, and a whole run without a success ends with it
// too; --out writes the latency histogram as a standalone SVG file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { example, run } from './fixtures/cli-helpers/cli.mjs';

/** A function folder in a temporary directory: its index.js and the "fnpool" settings of its package.json. */
function functionDir(code, settings = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-bench-end-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true, fnpool: settings }));
  writeFileSync(path.join(dir, 'index.js'), code);
  return dir;
}

const ALWAYS_FAILS = `
export const handler = async () => { throw new TypeError('cannot read the order: undefined'); };
`;

describe('fnpool bench: the end of a run', { concurrency: true }, () => {
  test('past the window, stderr says what is still running and for how long at most', async () => {
    // Every other invocation takes 2.5 s: within a 0.5 s window the four slots all end up waiting
    // on a slow one, which the runtime finishes after the window (its deadline is 5 s).
    const dir = functionDir(`
let n = 0;
export const handler = async () => {
  n++;
  if (n % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 2500));
  return { n };
};
`, { cpus: 1, concurrency: 4, timeout: 5 });
    const r = await run(['bench', dir, '--duration', '0.5', '--warmup', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^fnpool bench: window over; waiting for [1-4] invocations? still running \(up to their 5 s deadline; Ctrl-C stops (it|them) now\)…\n$/);
    // The summary came first, with the time in the runtime and in the platform's queue apart.
    assert.match(r.stdout, /\n {2}latency {6}p50 .* \(in the runtime: hand-out to answer\)\n {2}queued {7}p50 .* \(before: in the platform's queue until the runtime took it\)\n/);
  });

  test('a function that fails every call: stopped early with its first error, exit status 1', async () => {
    const dir = functionDir(ALWAYS_FAILS);
    // Without the stop, this would run for 20 s (and exit 0).
    const r = await run(['bench', dir, '--duration', '20', '--warmup', '0.2'], { timeoutMs: 15_000 });
    assert.equal(r.code, 1, r.stderr);
    // The banner, and no summary: the figures of a few failures would only hide the message.
    assert.match(r.stdout, /^fnpool bench: .*, 8 outstanding for 20 s after 0\.2 s of warm-up\n/);
    assert.doesNotMatch(r.stdout, /invocations {2}/);
    // The first invocation's error is said once, before the load, and the stop points back to it.
    assert.match(r.stderr, /warning: the first invocation failed: TypeError: cannot read the order: undefined\n/);
    assert.match(r.stderr, /\nfnpool bench: stopped early: all [\d,]+ invocations failed, none succeeded\n {2}first error: the one above\n {2}fnpool invoke --dir \S+ shows one invocation's whole error and its stack\n/);
    assert.equal(r.stderr.split('cannot read the order').length - 1, 1, r.stderr);

    const json = await run(['bench', dir, '--count', '100000', '--json'], { timeoutMs: 15_000 });
    assert.equal(json.code, 1, json.stderr);
    const o = JSON.parse(json.stdout);
    assert.equal(o.stoppedEarly, true);
    assert.equal(o.stoppedBecause, 'nothing succeeded');
    assert.equal(o.ok, 0);
    assert.deepEqual(o.firstError, { errorType: 'TypeError', errorMessage: 'cannot read the order: undefined' });
    assert.match(json.stderr, /stopped early: all [\d,]+ invocations failed/);
  });

  test('a whole run without a success (too short to stop early): the summary, then the first error, exit status 1', async () => {
    const dir = functionDir(`
class StockError extends Error { name = 'StockError'; }
export const handler = async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  throw new StockError('out of stock');
};
`, { cpus: 1, concurrency: 1 });
    const r = await run(['bench', dir, '--count', '3', '--warmup', '0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /\n {2}invocations {2}3 in [\d.]+ s = [\d,]+\/s \(0 ok, 3 errors\)\n/);
    assert.match(r.stderr, /warning: the first invocation failed: StockError: out of stock\n/);
    assert.match(r.stderr, /\nfnpool bench: all 3 invocations failed, none succeeded\n {2}first error: the one above\n/);
  });

  test('--out writes the latency histogram as an SVG document', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-bench-svg-'));
    const file = path.join(dir, 'latency.SVG');
    const r = await run(['bench', example('hello'), '--count', '200', '--warmup', '0', '--json', '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    const svg = readFileSync(file, 'utf8');
    assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
    assert.match(svg, /<\/svg>\n$/);
    assertBalanced(svg);
    assert.match(svg, /latency of 200 invocations/);
    // One bar per bucket that has a count, its count in its tooltip; the percentiles marked.
    const bars = [...svg.matchAll(/<rect [^>]*fill="#2563eb"><title>([^<]*)<\/title><\/rect>/g)].map((m) => m[1]);
    const filled = o.histogram.filter((b) => b.count > 0);
    assert.equal(bars.length, filled.length, svg);
    bars.forEach((title, i) => assert.match(title, new RegExp(`: ${filled[i].count.toLocaleString('en-US')}$`)));
    assert.match(svg, />p50 [\d.,]+ ms</);
    assert.match(svg, />p99 [\d.,]+ ms</);

    // Without --json, the summary says where the chart went.
    const text = await run(['bench', example('hello'), '--count', '50', '--warmup', '0', '--out', path.join(dir, 'again.svg')]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /\n {2}chart {8}\S*again\.svg\n$/);
    assert.match(readFileSync(path.join(dir, 'again.svg'), 'utf8'), /^<\?xml/);
  });
});

/** Every element closed, in order (a check that the document is well formed, short of an XML parser). */
function assertBalanced(svg) {
  const open = [];
  for (const [, slash, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)\b[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!slash) open.push(name);
    else assert.equal(open.pop(), name, `</${name}> closes <${open.at(-1)}>`);
  }
  assert.deepEqual(open, []);
}
