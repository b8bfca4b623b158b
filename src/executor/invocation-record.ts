// The one record per invocation at its end ("invocation finished"): request id, outcome, duration,
// billed duration (rounded up), the process's memory, the worker's memory when a budget is set,
// and the init duration on the first invocation of each worker. Users rely on it; it is built only
// when info records are written.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logging/logger.js';
import type { TaskResult } from '../protocol.js';
import type { Invocation, Outcome } from './executor.js';

/** RSS is read at most this often: the syscall is not free, and invocations end by the thousand. */
const RSS_SAMPLE_MS = 100;
let rss = { at: 0, mb: 0 };

export function recordInvocation(log: Logger, inv: Invocation, outcome: Outcome, result: TaskResult | undefined): void {
  if (!log.isLevelEnabled('info')) return;
  const durationMs = performance.now() - inv.receivedAt;
  const stats = result !== undefined && result.kind !== 'skipped' ? result : undefined;
  log.info({
    requestId: inv.requestId,
    outcome: outcome.ok ? 'success' : 'error',
    errorType: outcome.ok ? undefined : outcome.error.errorType,
    durationMs: Math.round(durationMs * 1000) / 1000,
    billedDurationMs: Math.max(1, Math.ceil(durationMs)),
    memoryUsedMB: rssMB(),
    workerMemoryMB: stats === undefined || stats.memoryBytes === 0 ? undefined : Math.round(stats.memoryBytes / 1048576),
    initDurationMs: stats?.initDurationMs === undefined ? undefined : Math.round(stats.initDurationMs * 1000) / 1000,
  }, 'invocation finished');
}

function rssMB(): number {
  const now = performance.now();
  if (now - rss.at > RSS_SAMPLE_MS) rss = { at: now, mb: Math.round(process.memoryUsage.rss() / 1048576) };
  return rss.mb;
}
