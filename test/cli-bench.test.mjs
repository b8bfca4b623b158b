// `fnpool bench`: the real CLI process drives load through a local platform (the emulator and the
// real bootstrap) against a function folder, and reports throughput, latency, errors by type, and
// the runtime's CPU and RSS, the time in the platform's queue apart, a latency histogram; --json
// prints one object; the function settings follow the flag > environment > package.json order of
// fnpool start; Ctrl-C prints what was measured; usage errors (--out's too) are one line with exit
// status 2. What happens past the window and when nothing succeeds: cli-bench-end.test.mjs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertUsageError, cleanEnv, CLI, example, fixture, ROOT, run } from './fixtures/cli-helpers/cli.mjs';

const ERRORS = fixture('cli-bench');


describe('fnpool bench', { concurrency: true }, () => {
  test('output to a closed pipe (| head -1) ends quietly: no EPIPE stack, exit 0, no runtime left behind', async () => {
    const marker = `epipe-${process.pid}-${Date.now()}`;
    const script = `"${process.execPath}" "${CLI}" bench "${example('hello')}" --count 300 --warmup 0 | head -1; echo "fnpool exited $\{PIPESTATUS[0]\}"`;
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: cleanEnv({ EPIPE_MARKER: marker }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    await new Promise((resolve) => child.once('exit', resolve));
    assert.match(stdout, /^fnpool bench: examples\/hello, 8 outstanding for 300 invocations\nfnpool exited 0\n$/);
    assert.equal(stderr, '');
    // The runtime it started (with the marker in its environment) is gone.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { execFileSync } = await import('node:child_process');
    const left = execFileSync('sh', ['-c', `grep -l "EPIPE_MARKER=${marker}" /proc/[0-9]*/environ 2>/dev/null || true`], { encoding: 'utf8' }).trim();
    assert.equal(left, '', `processes left with the marker: ${left}`);
  });

  test('a --count run against examples/hello: the banner, then the summary', async () => {
    const r = await run(['bench', example('hello'), '--count', '300', '--warmup', '0.2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, ''); // no terminal: no progress line; the runtime's logs are hidden
    const out = r.stdout;
    assert.match(out, /^fnpool bench: examples\/hello, 8 outstanding for 300 invocations after 0\.2 s of warm-up\n/);
    assert.match(out, /\n {2}function: {2}handler index\.handler, timeout 3 s, memory 256 MB, 1 CPU\n/);
    assert.match(out, /\n {2}event: {5}examples\/hello\/event\.json \(\d+ bytes\)\n/);
    assert.match(out, /\n {2}machine: {3}\d+ × .*, Node v\d+/);
    assert.match(out, /\n {2}invocations {2}300 in \d+\.\d\d s = [\d,]+\/s\n/);
    assert.match(out, /\n {2}latency {6}p50 [\d.,]+ ms {2}p90 [\d.,]+ ms {2}p99 [\d.,]+ ms {2}max [\d.,]+ ms {2}\(in the runtime: hand-out to answer\)\n/);
    // The emulator's queue, apart: from invoke() to the runtime's fetch.
    assert.match(out, /\n {2}queued {7}p50 [\d.,]+ ms {2}p90 [\d.,]+ ms {2}p99 [\d.,]+ ms {2}max [\d.,]+ ms {2}\(before: in the platform's queue until the runtime took it\)\n/);
    assert.doesNotMatch(out, /errors/);
    assert.match(out, /\n {2}runtime CPU {2}[\d.]+ cores, [\d,]+ µs per invocation; main thread [\d.]+, other threads [\d.]+/);
    assert.match(out, /\n {2}runtime RSS {2}[\d.]+ MB at start, [\d.]+ MB peak\n/);
    // Last, the histogram: a bar and a count per bucket, the counts adding up to the invocations.
    const bars = /\n {2}histogram {4}(.*)\n((?: {15}.*\n)*)$/.exec(out);
    assert.ok(bars, out);
    const rows = [bars[1], ...bars[2].split('\n').filter(Boolean)].map((l) => /^ *([\d.]+(?: ms| s)?–[\d.]+ (?:ms|s)) {2}([█▏▎▍▌▋▊▉]*) +([\d,]+) +([\d.]+)%$/.exec(l));
    assert.ok(rows.every(Boolean), out);
    assert.equal(rows.reduce((sum, r) => sum + Number(r[3].replace(/,/g, '')), 0), 300);
    assert.ok(rows.some((r) => r[2].startsWith('█'.repeat(30))), 'the largest bucket has the whole width');
  });

  test('--json: one object, a --duration run', async () => {
    const r = await run(['bench', example('hello'), '--duration', '0.5', '--warmup', '0.2', '--json', '--event', '{"name":"bench"}']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    const o = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(o), ['dir', 'function', 'load', 'stoppedEarly', 'stoppedBecause', 'invocations', 'ok', 'errors', 'refused', 'seconds', 'perSecond',
      'latencyMs', 'queueMs', 'histogram', 'errorsByType', 'firstError', 'runtime', 'loadGeneratorCores', 'otherProcessesCores', 'machine']);
    assert.equal(o.dir, example('hello'));
    assert.deepEqual(o.function, { handler: 'index.handler', initializer: null, timeout: 3, memory: 256, cpus: 1, concurrency: 8, bootstrap: null });
    assert.deepEqual(o.load, { concurrency: 8, durationSeconds: 0.5, count: null, warmupSeconds: 0.2, event: 'inline', eventBytes: 16 });
    assert.equal(o.stoppedEarly, false);
    assert.equal(o.stoppedBecause, null);
    assert.equal(o.firstError, null);
    assert.ok(o.invocations > 0);
    assert.equal(o.ok, o.invocations);
    assert.equal(o.errors, 0);
    assert.deepEqual(o.errorsByType, {});
    assert.equal(o.seconds, 0.5);
    assert.ok(Math.abs(o.perSecond - o.invocations / 0.5) < 1, `${o.perSecond} vs ${o.invocations}`);
    const l = o.latencyMs;
    assert.ok(l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, JSON.stringify(l));
    assert.ok(l.mean > 0);
    const q = o.queueMs;
    assert.ok(q.p50 >= 0 && q.p50 <= q.p90 && q.p90 <= q.p99 && q.p99 <= q.max && q.mean >= 0, JSON.stringify(q));
    // Buckets in order, edge to edge, counting every latency; the smallest and the largest inside.
    const h = o.histogram;
    assert.ok(h.length >= 1 && h.length <= 12, JSON.stringify(h));
    assert.equal(h.reduce((sum, b) => sum + b.count, 0), o.invocations);
    h.forEach((b, i) => assert.ok(b.fromMs < b.toMs && (i === 0 || b.fromMs === h[i - 1].toMs), JSON.stringify(h)));
    assert.ok(h[0].fromMs <= l.p50 && l.max < h.at(-1).toMs, JSON.stringify(h));
    assert.equal(typeof o.runtime.pid, 'number');
    assert.ok(o.runtime.cpu.ms >= 0 && o.runtime.cpu.cores >= 0 && o.runtime.cpu.usPerInvocation >= 0, JSON.stringify(o.runtime.cpu));
    assert.ok(o.runtime.cpu.threads.every((t) => typeof t.tid === 'number' && typeof t.main === 'boolean' && t.ms > 0));
    assert.ok(o.runtime.rssMB.start > 10 && o.runtime.rssMB.peak >= o.runtime.rssMB.start, JSON.stringify(o.runtime.rssMB));
    assert.equal(typeof o.loadGeneratorCores, 'number');
    assert.deepEqual(Object.keys(o.machine), ['cpus', 'model', 'node', 'fnpool']);
    assert.equal(o.machine.node, process.version);
  });

  test('HTTP mode has no platform queue: the latency is request to answer, no queued row, queueMs null', async () => {
    const text = await run(['bench', example('hello'), '--platform', 'http', '--count', '100', '--warmup', '0']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /\n {2}latency {6}p50 .* \(request to answer\)\n/);
    assert.doesNotMatch(text.stdout, /queued/);
    const json = await run(['bench', example('hello'), '--platform', 'http', '--count', '100', '--warmup', '0', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const o = JSON.parse(json.stdout);
    assert.equal(o.queueMs, null);
    assert.equal(o.histogram.reduce((sum, b) => sum + b.count, 0), 100);
  });

  test('function errors are counted by type; the settings follow flag > environment > package.json', async () => {
    // package.json: 1 CPU (one thread, so the handler's counter is exact), concurrency 4.
    const env = { FNPOOL_CONCURRENCY: '2', RUNTIME_TIMEOUT: '7', RUNTIME_MEMORY: '300' };
    const r = await run(['bench', ERRORS, '--count', '40', '--warmup', '0.2', '--timeout', '5', '--json'], { env });
    assert.equal(r.code, 0, r.stderr); // function errors are reported, not a failure of the command
    const o = JSON.parse(r.stdout);
    assert.deepEqual(o.function, { handler: 'index.handler', initializer: null, timeout: 5, memory: 300, cpus: 1, concurrency: 2, bootstrap: null });
    assert.equal(o.load.concurrency, 2);
    assert.equal(o.load.count, 40);
    assert.equal(o.load.event, '{}');
    assert.equal(o.invocations, 40);
    assert.equal(o.errors, 20);
    assert.equal(o.ok, 20);
    assert.deepEqual(Object.keys(o.errorsByType).sort(), ['OrderError', 'string']);
    assert.equal(o.errorsByType.OrderError.count, 10);
    assert.match(o.errorsByType.OrderError.message, /^order \d+ is not valid$/);
    assert.deepEqual(o.errorsByType.string, { count: 10, message: 'out of stock' });

    const text = await run(['bench', ERRORS, '--count', '40', '--warmup', '0', '--concurrency', '3']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /, 3 outstanding for 40 invocations\n/);
    assert.match(text.stdout, /concurrency 3\n/);
    assert.match(text.stdout, /\n {2}invocations {2}40 in [\d.]+ s = [\d,]+\/s \(20 ok, 20 errors\)\n/);
    assert.match(text.stdout, /\n {2}errors {7}10 {2}OrderError: order \d+ is not valid\n {15}10 {2}string: out of stock\n/);
  });

  test('Ctrl-C stops the load, prints what was measured, exit status 130', async () => {
    const child = spawn(process.execPath, [CLI, 'bench', example('hello'), '--duration', '30', '--warmup', '0.2'],
      { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // The banner is printed before the runtime starts; give it time to answer and to warm up (a
    // Ctrl-C before the first answer has nothing to print; the machine may be busy with other tests).
    while (!stdout.includes('machine:')) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    child.kill('SIGINT');
    const { code } = await exited;
    clearTimeout(killer);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /stopping/);
    assert.match(stdout, /\n {2}invocations {2}[\d,]+ in \d+\.\d\d s = [\d,]+\/s \(stopped early\)\n/);
  });

  test('a runtime that exits before answering: exit status 1, said in one line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-bench-'));
    const bootstrap = path.join(dir, 'bootstrap');
    writeFileSync(bootstrap, '#!/bin/sh\nexit 3\n');
    chmodSync(bootstrap, 0o755);
    const r = await run(['bench', dir, '--bootstrap', bootstrap, '--count', '10']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'fnpool bench: the runtime exited (code 3) before it answered; --logs shows its output\n');
  });
});

describe('fnpool bench: usage errors, one line, exit status 2', { concurrency: true }, () => {
  test('--help has options and examples', async () => {
    const r = await run(['bench', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: fnpool bench \[dir\]/);
    assert.match(r.stdout, /--count N/);
    assert.match(r.stdout, /-o, --out FILE\.svg +also write the latency histogram/);
    assert.match(r.stdout, /Exit status: 0 it ran; 1 no invocation succeeded, or the runtime exited or never answered;\n2 usage error; 130 /);
    assert.match(r.stdout, /when nothing succeeds/);
    assert.match(r.stdout, /Examples:\n {2}fnpool bench /);
  });

  test('bad values name the flag', async () => {
    const hello = example('hello');
    assertUsageError(await run(['bench', hello, '--duration', '2', '--count', '5']), /give either --duration or --count, not both/, 'bench');
    assertUsageError(await run(['bench', hello, '--count', '0']), /--count 0 is below 1/, 'bench');
    assertUsageError(await run(['bench', hello, '--count', '2.5']), /--count "2\.5" is not a whole number/, 'bench');
    assertUsageError(await run(['bench', hello, '--duration', 'soon']), /--duration "soon" is not a number of seconds/, 'bench');
    assertUsageError(await run(['bench', hello, '--warmup=-1']), /--warmup -1 is below 0/, 'bench');
    assertUsageError(await run(['bench', hello, '--warmup', '-1']), /--warmup -1 is below 0/, 'bench');
    assertUsageError(await run(['bench', hello, '--cpus', '-1']), /--cpus -1 is not a positive number/, 'bench');
    assertUsageError(await run(['bench', hello, '--concurrency', 'many']), /--concurrency "many" is not a whole number/, 'bench');
    assertUsageError(await run(['bench', hello], { env: { RUNTIME_CPU: 'lots' } }), /RUNTIME_CPU "lots" is not a number of CPUs/, 'bench');
  });

  test('folders, events and flags', async () => {
    const hello = example('hello');
    assertUsageError(await run(['bench', 'no/such/folder']), /no such folder: no\/such\/folder/, 'bench');
    assertUsageError(await run(['bench', hello, 'examples/cpu']), /expected at most one folder/, 'bench');
    assertUsageError(await run(['bench', hello, '--frob']), /unknown option --frob \(see fnpool bench --help\)/, 'bench');
    assertUsageError(await run(['bench', hello, '--event', '{"name": fnpool}']), /the event is not valid JSON/, 'bench');
    assertUsageError(await run(['bench', hello, '--event', 'no-such.json']), /--event no-such\.json: no such file/, 'bench');
    assertUsageError(await run(['bench', hello, '--event', '-'], { input: '[1, 2' }), /the event on standard input is not valid JSON/, 'bench');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-bench-'));
    writeFileSync(path.join(dir, 'event.json'), '{"a": 1,}');
    assertUsageError(await run(['bench', dir]), /event\.json is not valid JSON/, 'bench');
  });

  test('--out: an .svg file where one can be written, said before anything runs', async () => {
    const hello = example('hello');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-bench-out-'));
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    assertUsageError(await run(['bench', hello, '--out', path.join(dir, 'latency.png')]), /--out \S+latency\.png: only \.svg is written/, 'bench');
    assertUsageError(await run(['bench', hello, '--out', path.join(dir, 'latency')]), /only \.svg is written/, 'bench');
    assertUsageError(await run(['bench', hello, '-o', path.join(dir, 'no-such', 'x.svg')]), /--out \S+x\.svg: no such folder \S+no-such$/, 'bench');
    assertUsageError(await run(['bench', hello, '--out', path.join(file, 'x.svg')]), /--out \S+x\.svg: \S+a-file is not a folder/, 'bench');
    mkdirSync(path.join(dir, 'taken.svg'));
    assertUsageError(await run(['bench', hello, '--out', path.join(dir, 'taken.svg')]), /--out \S+taken\.svg is a folder/, 'bench');
  });
});
