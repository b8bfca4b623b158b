// Hostile input, per wire: the push platforms' runtime (HTTP mode and OpenEdge's gRPC) under
// clients that misbehave on purpose. Starts the real bootstrap as a child process — in HTTP mode as
// FC's custom runtime starts it, then in OpenEdge mode with -c — serving the hostile-echo handler
// (bench/handlers/hostile-echo), and tries each kind of hostile input on it over raw sockets and
// real HTTP/2 clients (bench/stress/lib/push-*-kinds.mjs say what each kind sends and expects).
// After every kind the runtime must be alive, answer a normal request, have written nothing to
// stderr, logged no internal error, and run the handler at most once per request (never for a
// request hidden in another's bytes); at the end no credential sent may appear in its output, and
// SIGTERM must stop it, its stop done ("stopped"), with status 0.
//
//   node bench/stress/hostile-push.mjs [--quick] [--seed N]
//
// prints a table (platform, kind, inputs tried, outcomes) and the failures, and exits 1 if there
// are any. --quick takes a few seconds per platform; the full run draws many more inputs, from a
// seeded generator (the seed is printed; --seed replays a run). run() is the same as a module.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { afterKind, credentialsLeaked, Kind, Target } from './lib/push-checks.mjs';
import { GRPC_KINDS, grpcCanary } from './lib/push-grpc-kinds.mjs';
import { HEADERS_TIMEOUT_MS, HTTP_KINDS, httpCanary } from './lib/push-http-kinds.mjs';
import { freshSeed, prng } from './lib/prng.mjs';
import { startGrpcRuntime, startHttpRuntime } from './lib/push-runtime.mjs';

const NAME = 'hostile input, HTTP and gRPC';
/** The quick run's seed, so that the test sees the same inputs every time. */
const QUICK_SEED = 14;
/** Short enough for the run to see it act; the default is 60 s. */
const HTTP_ENV = { FNPOOL_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), FNPOOL_SHUTDOWN_TIMEOUT_MS: '2000' };
/** Pings every second: connections node's HTTP/2 gave up on are closed within 1.5 s (the default is 20 s). */
const GRPC_ENV = { FNPOOL_SHUTDOWN_TIMEOUT_MS: '2000', FNPOOL_GRPC_KEEPALIVE_MS: '1000' };

/**
 * Runs every kind on both platforms. Returns { name, seed, rows: [{ platform, kind, tried,
 * outcome, ok }], failures: [string] }; log receives progress lines.
 */
export async function run({ quick = false, log = () => {}, seed = quick ? QUICK_SEED : freshSeed(), only } = {}) {
  const rng = prng(seed);
  log(`${NAME}: ${quick ? 'quick' : 'full'} run, seed ${seed}`);
  const rows = [];
  const failures = [];
  const platforms = [
    ['HTTP', () => startHttpRuntime({ env: HTTP_ENV }), HTTP_KINDS, httpCanary],
    ['gRPC', () => startGrpcRuntime({ env: GRPC_ENV }), GRPC_KINDS, grpcCanary],
  ];
  for (const [platform, start, kinds, canaryOf] of platforms) {
    if (only !== undefined && only !== platform) continue;
    const t0 = Date.now();
    const rt = await start();
    const target = new Target(platform, rt);
    try {
      for (const [name, tryKind] of kinds) {
        const kind = new Kind(target, name, { rng, quick, log });
        const started = Date.now();
        try {
          await tryKind(kind);
        } catch (err) {
          kind.problem(`the run itself failed: ${err.stack ?? err}`);
        }
        await afterKind(kind, canaryOf(kind));
        rows.push(kind.row());
        for (const problem of kind.problems) failures.push(`${platform} ${name}: ${problem}`);
        log(`${platform} ${name}: ${kind.tried} tried, ${kind.problems.length === 0 ? 'ok' : `${kind.problems.length} problem(s)`} (${Date.now() - started} ms)`);
        if (!rt.alive()) break;
      }
    } finally {
      const leaked = credentialsLeaked(target);
      if (leaked.length > 0) failures.push(`${platform}: ${leaked.length} of ${target.secrets.size} credential values sent appear in the runtime's output`);
      const exit = await rt.stop();
      if (exit.code !== 0) failures.push(`${platform}: the runtime stopped with ${exit.signal ?? `status ${exit.code}`} on SIGTERM: ${rt.stderr.slice(-300)}`);
      else if (!rt.records.some((r) => r.msg === 'stopped')) failures.push(`${platform}: on SIGTERM the runtime exited before its stop was done (no "stopped" record)`);
      const secrets = target.secrets.size === 0 ? '' : `${target.secrets.size} credential values sent, ${leaked.length} of them in its output; `;
      log(`${platform}: ${secrets}${Date.now() - t0} ms in all`);
    }
  }
  return { name: NAME, seed, rows, failures };
}

/** The rows as a table for people, then the failures. */
export function formatReport(result) {
  const header = ['platform', 'kind', 'tried', 'ok', 'outcomes'];
  const lines = result.rows.map((r) => [r.platform, r.kind, String(r.tried), r.ok ? 'yes' : 'NO', r.outcome]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (i === 4 ? 0 : l[i].length))));
  const format = (cells) => cells.map((c, i) => (i === 4 ? c : i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const out = [`${result.name} (seed ${result.seed})`, format(header), format(widths.map((w, i) => (i === 4 ? '--------' : '-'.repeat(w))))];
  for (const line of lines) out.push(format(line));
  const total = result.rows.reduce((sum, r) => sum + r.tried, 0);
  out.push('', `${total} inputs tried, ${result.failures.length} failure(s)`);
  for (const failure of result.failures) out.push(`  - ${failure}`);
  return out.join('\n');
}

async function main() {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seed: { type: 'string' }, only: { type: 'string' } } });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`--seed must be a whole number (got ${values.seed})`);
  const result = await run({ quick: values.quick, seed, only: values.only, log: (line) => console.error(line) });
  console.log(formatReport(result));
  process.exitCode = result.failures.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 2;
  });
}
