// Scenario 5: cold start. From the exec of `bootstrap` (an invocation already waiting in the
// emulator, as on a platform that starts an instance for a request) to that invocation's answer,
// at fnpool's defaults (2 threads, info logs); beside bare `node -e 0` (exec → exit) and the
// sequential baseline. Init time per worker comes from fnpool's own log records.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { launchEnvironment, PullEmulator } from '../../dist/emulator/index.js';
import { nextRequestId } from '../../dist/loadgen/load.js';
import { BENCH, BOOTSTRAP, cleanEnv, handlerDir } from '../lib/targets.mjs';
import { f0, f1 } from '../lib/report.mjs';
import { summarize } from '../../dist/loadgen/stats.js';

export const id = 's5-coldstart';
export const title = 'Cold start';

async function coldStart(kind, env = {}) {
  const emulator = await PullEmulator.start({ port: 0 });
  const answered = emulator.invoke({}, { requestId: nextRequestId(), timeoutMs: 30_000 });
  const [cmd, args] = kind === 'fnpool' ? [BOOTSTRAP, []] : [process.execPath, [path.join(BENCH, 'runtimes', 'sequential.mjs')]];
  const records = [];
  let buffered = '';
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    env: { ...launchEnvironment('functiongraph', { dir: handlerDir('noop'), handler: 'index.handler', timeout: 3, cpus: 2 }, emulator.address, cleanEnv()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => {
    const at = performance.now();
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try { records.push({ at, ...JSON.parse(line) }); } catch { /* not JSON */ }
    }
  });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const res = await Promise.race([answered, exited.then((code) => { throw new Error(`${kind} exited (${code}) before answering: ${stderr}`); })]);
  const firstAnswerMs = res.answeredAt - t0;
  // Only the start is measured: no need to wait for a graceful stop.
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the last log records arrive
  child.kill('SIGKILL');
  await exited;
  await emulator.close();
  const ready = records.find((r) => r.msg === 'workers ready');
  const serving = records.find((r) => r.msg === 'fnpool serving');
  const finished = records.find((r) => r.msg === 'invocation finished');
  return {
    firstAnswerMs,
    handedOutMs: res.handedOutAt - t0,
    workersReadyLoggedMs: ready ? ready.at - t0 : undefined,
    poolInitMs: ready?.initMs,
    servingLoggedMs: serving ? serving.at - t0 : undefined,
    workerInitMs: finished?.initDurationMs,
  };
}

async function bareNode() {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return performance.now() - t0;
}

export async function run(ctx) {
  const n = ctx.mode.coldStarts;
  ctx.progress.stage(`5/7 ${title}`, n);
  const fn = [];
  const fn1 = [];
  const seq = [];
  const bare = [];
  for (let i = 0; i < (ctx.mode.name === 'full' ? 3 : 1); i++) { await bareNode(); await coldStart('fnpool'); }
  for (let i = 0; i < n; i++) {
    ctx.progress.step(`round ${i + 1}/${n}`);
    bare.push(await bareNode());
    fn.push(await coldStart('fnpool'));
    fn1.push(await coldStart('fnpool', { FNPOOL_THREADS: '1' }));
    seq.push(await coldStart('sequential'));
    ctx.progress.advance();
  }
  const S = (xs) => summarize(xs.filter((v) => Number.isFinite(v)));
  const out = {
    bareNode: S(bare),
    fnpool: S(fn.map((r) => r.firstAnswerMs)),
    fnpoolHandedOut: S(fn.map((r) => r.handedOutMs)),
    fnpoolWorkersReady: S(fn.map((r) => r.workersReadyLoggedMs)),
    fnpoolPoolInit: S(fn.map((r) => r.poolInitMs)),
    fnpoolWorkerInit: S(fn.map((r) => r.workerInitMs)),
    fnpool1: S(fn1.map((r) => r.firstAnswerMs)),
    fnpool1WorkerInit: S(fn1.map((r) => r.workerInitMs)),
    sequential: S(seq.map((r) => r.firstAnswerMs)),
  };
  const figures = {
    fnpoolMedianMs: out.fnpool.p50,
    bareNodeMedianMs: out.bareNode.p50,
    ratioToBareNode: out.fnpool.p50 / out.bareNode.p50,
    sequentialMedianMs: out.sequential.p50,
    workerInitMedianMs: out.fnpoolWorkerInit.p50,
    poolInitMedianMs: out.fnpoolPoolInit.p50,
    runs: n,
  };
  const headers = ['what', 'median ms', 'min ms', 'p90 ms', 'max ms', '× bare node'];
  const row = (label, s) => [label, f1(s.p50), f1(s.min), f1(s.p90), f1(s.max), s === out.fnpoolWorkerInit || s === out.fnpoolPoolInit || s === out.fnpool1WorkerInit || s === out.fnpoolHandedOut || s === out.fnpoolWorkersReady ? '' : f1(s.p50 / out.bareNode.p50) + '×'];
  const rows = [
    row('bare node -e 0 (exec → exit)', out.bareNode),
    row('fnpool, 2 threads: exec → first answer', out.fnpool),
    row('  … exec → invocation handed out', out.fnpoolHandedOut),
    row('  … exec → "workers ready" logged', out.fnpoolWorkersReady),
    row('  pool start → all workers ready (initMs)', out.fnpoolPoolInit),
    row('  init per worker (initDurationMs)', out.fnpoolWorkerInit),
    row('fnpool, 1 thread: exec → first answer', out.fnpool1),
    row('sequential baseline: exec → first answer', out.sequential),
  ];
  const chart = {
    title: 'Scenario 5 — cold start (exec → first answer)',
    subtitle: `median of ${n} starts; an invocation is already waiting when the runtime starts; fnpool at its defaults (info logs)`,
    panels: [{
      kind: 'bar', title: 'Start-up', yLabel: 'ms', categories: ['node -e 0', 'sequential', 'fnpool 1 thread', 'fnpool 2 threads', '250 ms target'],
      series: [
        { name: 'median', values: [out.bareNode.p50, out.sequential.p50, out.fnpool1.p50, out.fnpool.p50, 250], color: '#2563eb' },
        { name: 'p90', values: [out.bareNode.p90, out.sequential.p90, out.fnpool1.p90, out.fnpool.p90, NaN], color: '#1e3a8a' },
      ],
    }],
  };
  return { headers, rows, figures, aggregates: { ...out, raw: { fnpool: fn, fnpool1: fn1, sequential: seq, bareNode: bare } }, chart };
}
