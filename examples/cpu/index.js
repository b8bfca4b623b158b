// A CPU-bound handler: counts the primes below event.limit the slow way, keeping its thread busy.
// fnpool runs each invocation on a worker thread, so invocations sent at once run in parallel on
// as many cores as the function has CPUs ("cpus" in package.json; --cpus on the command line).
// Send four at once and compare the wall time with one, and the threadIds:
//
//   for i in 1 2 3 4; do curl -s -X POST http://127.0.0.1:9000/invoke -d '{"limit":2000000}' & done; wait
import { threadId } from 'node:worker_threads';

function countPrimes(limit) {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

export const handler = async (event, context) => {
  const limit = Number.isInteger(event?.limit) && event.limit > 0 ? event.limit : 1_000_000;
  const started = performance.now();
  const primes = countPrimes(limit);
  return {
    limit,
    primes,
    ms: Math.round(performance.now() - started),
    threadId,
    cpus: context.getCPUNumber(),
  };
};
