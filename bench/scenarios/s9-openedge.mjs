// Scenario 9: OpenEdge (BAETYL) mode, where the platform's function module calls the runtime's
// gRPC service runtime.Runtime/Handle once per message. fnpool's real bootstrap started as OpenEdge
// starts a runtime (`-c '<config>'`, instance.max = the load, FNPOOL_THREADS=2), against the inline
// grpc-js server of OpenEdge's own Node runtime (bench/runtimes/inline-grpc.mjs: one thread, the
// handler run inline), each a child process on loopback, driven by the closed loop through one
// grpc-js client: a single HTTP/2 connection that multiplexes every call in flight, as OpenEdge's
// function module does. No-op at 64 calls in flight, CPU-bound (~5 ms, calibrated as in scenario 2)
// at 16. The load generator's CPU (load-gen cores) is gRPC's client side, heavier than HTTP's.
import { aggregate, measure, startAll, stopAll } from './common.mjs';
import { calibrate } from './s2-cpu.mjs';
import { f0, f1, f2 } from '../lib/report.mjs';

export const id = 's9-openedge';
export const title = 'OpenEdge mode: fnpool vs an inline grpc-js server';

const THREADS = '2';

export async function run(ctx) {
  const cal = await calibrate(5);
  const cpuEvent = { rounds: cal.rounds };
  // platform 'http': startAll's "a runtime the load calls" (PushTarget); protocol 'grpc' makes it an OpenEdge one.
  const fnpool = (handler, max) => ({
    kind: 'fnpool', platform: 'http', protocol: 'grpc', handler, instanceMax: max, warmupEvent: handler === 'cpu' ? cpuEvent : {},
    env: { FNPOOL_THREADS: THREADS },
  });
  const inline = (handler) => ({ kind: 'inline-grpc', platform: 'http', protocol: 'grpc', handler, warmupEvent: handler === 'cpu' ? cpuEvent : {} });
  const specs = {
    fnNoop: { name: `fnpool OpenEdge (${THREADS} threads, instance.max=64)`, ...fnpool('noop', 64) },
    inNoop: { name: 'inline grpc-js', ...inline('noop') },
    fnCpu: { name: `fnpool OpenEdge (${THREADS} threads, instance.max=16)`, ...fnpool('cpu', 16) },
    inCpu: { name: 'inline grpc-js', ...inline('cpu') },
  };
  // What is measured: a handler at a load, fnpool's target against the inline server's.
  const points = [
    { handler: 'no-op', load: 64, fn: 'fnNoop', inline: 'inNoop', event: {} },
    { handler: 'cpu', load: 16, fn: 'fnCpu', inline: 'inCpu', event: cpuEvent },
  ];
  const plan = [];
  for (let r = 0; r < ctx.mode.rounds; r++) {
    // Alternate the order between rounds, so that neither runtime always runs first.
    for (const p of points) for (const key of r % 2 === 0 ? [p.fn, p.inline] : [p.inline, p.fn]) plan.push({ key, p });
  }
  ctx.progress.stage(`9/9 ${title}`, plan.length + Object.keys(specs).length);
  const targets = await startAll(ctx, specs);
  for (let i = 0; i < Object.keys(specs).length; i++) ctx.progress.advance();
  const runs = {};
  try {
    for (const { key, p } of plan) {
      (runs[`${key}@${p.load}`] ??= []).push(await measure(ctx, targets[key], { concurrency: p.load, event: p.event }));
    }
  } finally {
    await stopAll(ctx, targets);
  }

  const agg = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, aggregate(v)]));
  const at = (key, load) => agg[`${key}@${load}`];
  const headers = ['handler', 'load', 'runtime', 'inv/s', 'compared', 'p50 ms', 'p99 ms', 'runtime cores', 'load-gen cores', 'other cores',
    'runtime µs CPU/inv', 'errors'];
  const rows = [];
  for (const p of points) {
    for (const key of [p.fn, p.inline]) {
      const a = at(key, p.load);
      const compared = key === p.fn ? `${f2(a.throughput / at(p.inline, p.load).throughput)}× inline` : '';
      rows.push([p.handler, String(p.load), a.target, f0(a.throughput), compared, f1(a.latencyMs.p50), f1(a.latencyMs.p99),
        f2(a.cpu.runtimeCores), f2(a.cpu.emulatorCores), f2(a.cpu.otherCores), f0(a.cpu.runtimeUsPerInvocation), String(a.errors)]);
    }
  }

  const ratioOf = (p) => ({ fnpool: at(p.fn, p.load).throughput, inline: at(p.inline, p.load).throughput,
    ratio: at(p.fn, p.load).throughput / at(p.inline, p.load).throughput });
  const figures = {
    threads: Number(THREADS),
    calibration: { rounds: cal.rounds, handlerMs: cal.ms },
    // Targets: no-op at 64 ≥ 0.8× inline, CPU-bound at 16 ≥ 1.8× inline.
    noop: ratioOf(points[0]),
    cpu: ratioOf(points[1]),
  };

  const categories = ['fnpool', 'inline grpc-js'];
  const bars = (p, title) => ({ kind: 'bar', title, yLabel: 'invocations / s', categories,
    series: [{ name: 'invocations / s', values: [at(p.fn, p.load).throughput, at(p.inline, p.load).throughput], color: '#2563eb' }] });
  const chart = {
    title: 'Scenario 9 — OpenEdge mode: fnpool vs an inline grpc-js server',
    subtitle: `closed loop over one HTTP/2 connection; fnpool: ${THREADS} threads, instance.max = the load; ${ctx.mode.name} run, ${ctx.mode.durationMs / 1000} s per point × ${ctx.mode.rounds} round(s)`,
    panels: [
      bars(points[0], 'No-op, 64 calls in flight'),
      bars(points[1], `CPU-bound (${cal.ms.toFixed(2)} ms), 16 calls in flight`),
    ],
  };
  return { headers, rows, figures, aggregates: agg, chart };
}
