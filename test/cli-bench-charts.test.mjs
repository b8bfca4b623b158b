// The latency histogram of `fnpool bench` (stats.ts: buckets on round, log-spaced edges; bench-charts.ts:
// the text bars and the SVG chart), and the benchmark suite's report of its targets (bench/run.mjs),
// which judges them only in a full run. Pure functions of the build: no runtime is started.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { histogram } from '../dist/loadgen/stats.js';
import { rangeText, svgHistogram, textHistogram } from '../dist/cli/bench-charts.js';
import { MODES, targetsReport } from '../bench/run.mjs';

/** Every sample in the bucket that holds it, the buckets edge to edge. */
function assertCovers(buckets, samples) {
  buckets.forEach((b, i) => assert.ok(b.fromMs < b.toMs && (i === 0 || b.fromMs === buckets[i - 1].toMs), JSON.stringify(buckets)));
  assert.equal(buckets.reduce((sum, b) => sum + b.count, 0), samples.length);
  for (const b of buckets) assert.equal(b.count, samples.filter((v) => v >= b.fromMs && v < b.toMs).length, JSON.stringify(b));
}

describe('the latency histogram', () => {
  test('round edges, finer when the latencies are close together, never more than 12 buckets', () => {
    assert.deepEqual(histogram([]), []);
    const close = [1.1, 1.3, 1.3, 1.9];
    assert.deepEqual(histogram(close), [{ fromMs: 1, toMs: 1.2, count: 1 }, { fromMs: 1.2, toMs: 1.5, count: 2 }, { fromMs: 1.5, toMs: 2, count: 1 }]);
    const spread = [0.3, 0.45, 0.7, 1, 2.2, 4, 9.9, 40];
    const b = histogram(spread);
    assert.deepEqual(b.map((x) => x.fromMs), [0.2, 0.5, 1, 2, 5, 10, 20]);
    assertCovers(b, spread);
    // A tail of timeouts behind sub-millisecond answers: a bar per decade.
    const wide = [0.05, 0.08, 0.2, 3, 3000, 30_000];
    const w = histogram(wide);
    assert.deepEqual(w.map((x) => x.fromMs), [0.01, 0.1, 1, 10, 100, 1000, 10_000]);
    assertCovers(w, wide);
    const many = Array.from({ length: 5000 }, (_, i) => 0.2 + (i % 97) * 0.37);
    const m = histogram(many);
    assert.ok(m.length <= 12);
    assertCovers(m, many);
    // One value (or all the same): one bucket that holds it.
    assert.deepEqual(histogram([2, 2]), [{ fromMs: 2, toMs: 2.5, count: 2 }]);
  });

  test('as text: a range, a bar as long as its share of the largest, the count and the share', () => {
    const lines = textHistogram([
      { fromMs: 0.5, toMs: 1, count: 1 },
      { fromMs: 1, toMs: 2, count: 0 },
      { fromMs: 2, toMs: 5, count: 800 },
      { fromMs: 500, toMs: 1000, count: 400 },
      { fromMs: 1000, toMs: 2000, count: 1000 },
    ], 20);
    assert.deepEqual(lines, [
      '  0.5–1 ms  ▏                         1    0.0%',
      '    1–2 ms                            0    0.0%',
      '    2–5 ms  ████████████████        800   36.3%',
      '500 ms–1 s  ████████                400   18.2%',
      '     1–2 s  ████████████████████  1,000   45.4%',
    ]);
    assert.equal(rangeText({ fromMs: 0.25, toMs: 0.3 }), '0.25–0.3 ms');
    assert.equal(rangeText({ fromMs: 500, toMs: 1000 }), '500 ms–1 s');
    assert.equal(rangeText({ fromMs: 10_000, toMs: 20_000 }), '10–20 s');
  });

  test('as SVG: a standalone document, text escaped, marks where their latency falls', () => {
    const svg = svgHistogram({
      title: 'fnpool bench <my & "fn">',
      subtitle: 'p50 1.5 ms',
      buckets: [{ fromMs: 1, toMs: 2, count: 10 }, { fromMs: 2, toMs: 5, count: 0 }, { fromMs: 5, toMs: 10, count: 3 }],
      marks: [{ label: 'p50 1.5 ms', ms: 1.5 }, { label: 'p99 7 ms', ms: 7 }],
    });
    assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
    assert.match(svg, /fnpool bench &lt;my &amp; &quot;fn&quot;&gt;/);
    assert.doesNotMatch(svg, /<my/);
    assert.equal([...svg.matchAll(/fill="#2563eb"/g)].length, 2, 'no bar for an empty bucket');
    const marks = [...svg.matchAll(/<line x1="([\d.]+)" x2="\1" [^>]*stroke-dasharray/g)].map((m) => Number(m[1]));
    assert.equal(marks.length, 2);
    // p50 1.5 ms inside the first bar's slot, p99 7 ms inside the third's.
    const slots = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[1]) + Number(m[2])]);
    assert.ok(marks[0] > slots[0][0] && marks[0] < slots[0][1], `${marks} ${JSON.stringify(slots)}`);
    assert.ok(marks[1] > slots[1][0] && marks[1] < slots[1][1], `${marks} ${JSON.stringify(slots)}`);
    assert.match(svgHistogram({ title: 't', subtitle: 's', buckets: [], marks: [] }), /no invocation was measured/);
  });
});

describe('npm run bench: the targets', () => {
  const targets = [['CPU-bound ≥ 1.8× sequential', '1.52×', false], ['Idle RSS ≤ 100 MB', '82.5 MB', true]];

  test('a quick run says it is a smoke run and does not call a target MISSED', () => {
    const text = targetsReport(targets, MODES.quick);
    assert.match(text, /^Targets \(quick mode: a smoke run; targets are judged only in a full run, npm run bench/);
    assert.doesNotMatch(text, /MISSED/);
    assert.match(text, /CPU-bound ≥ 1\.8× sequential +1\.52× +off target \(not judged\)\n/);
    assert.match(text, /Idle RSS ≤ 100 MB +82\.5 MB +met/);
  });

  test('a full run judges: met or MISSED', () => {
    const text = targetsReport(targets, MODES.full);
    assert.match(text, /^Targets\n/);
    assert.doesNotMatch(text, /quick|not judged/);
    assert.match(text, /CPU-bound ≥ 1\.8× sequential +1\.52× +MISSED/);
  });
});
