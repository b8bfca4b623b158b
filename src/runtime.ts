// `fnpool serve`, what `bootstrap` runs: read the configuration (which picks the platform), start
// the workers (the handler is loaded before the first invocation is fetched), then serve the
// platform until SIGTERM/SIGINT, or until the platform says to go.
// Cold start is paid on every new instance: the worker threads are started first, and the rest of
// the runtime (pino, p-queue, undici) is imported while they boot and load the handler.
import { loadConfig, type RuntimeConfig } from './config/config.js';
import { ConfigError } from './config/env.js';
import type { Logger } from './logging/logger.js';
import type { Executor } from './executor/executor.js';
import type { Adapter, PlatformModule } from './platforms/platform.js';
import { platformModule } from './platforms/registry.js';

export const EXIT_CONFIG = 2;

/** The platform told the runtime to go (Lambda: init failed, or a 500 on /next). */
export const EXIT_PLATFORM = 1;

export async function serve(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): Promise<void> {
  let config: RuntimeConfig;
  let module: PlatformModule;
  try {
    config = loadConfig(env, argv);
    module = platformModule(config.platform);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`fnpool: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }

  // The function's own variables (OpenEdge's function.env): the workers copy the environment when they start.
  if (config.functionEnv !== undefined) Object.assign(process.env, config.functionEnv);
  const { WorkerPool } = await import('./executor/worker-pool.js');
  const workers = new WorkerPool(config);
  const [{ createLogger, endLogs }, { Executor }] = await Promise.all([import('./logging/logger.js'), import('./executor/executor.js')]);
  const log = createLogger({ ...config.worker.log, batched: true });
  guardMainThread(log);
  const executor = await Executor.start(config, log, workers);
  const adapter = await adapterFor(module, config, executor, log);
  let stopping = false;
  const stop = (signal: NodeJS.Signals | 'parent gone' | 'platform', code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: no new invocations; waiting for those in flight');
    void adapter.stop().then(() => {
      log.info('stopped');
      // The main thread's records are written in batches: let the last ones out first.
      void endLogs().then(() => process.exit(code));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (config.parentPid !== undefined) watchParent(config.parentPid, () => stop('parent gone'));
  await adapter.start(() => stop('platform', EXIT_PLATFORM));
  log.info({
    platform: config.platform, threads: config.threads, concurrency: config.concurrency,
    timeoutMs: config.timeoutMs, memoryBudgetMB: config.memory.budgetMB, workerHeapMB: config.memory.workerHeapMB,
    handler: config.worker.handler, codeRoot: config.worker.codeRoot,
  }, 'fnpool serving');
}

/** The pull platforms' shared poll loop with the platform's wire, or the push platform's own server. */
async function adapterFor(module: PlatformModule, config: RuntimeConfig, executor: Executor, log: Logger): Promise<Adapter> {
  if (module.wire !== undefined) {
    const { PullAdapter } = await import('./platforms/pull/adapter.js');
    return new PullAdapter(config, module.wire, executor, log);
  }
  if (module.pushAdapter === undefined) throw new Error(`platform ${module.name} has neither a wire nor a server`);
  return module.pushAdapter(config, executor, log);
}

/** A local platform killed outright (SIGKILL) cannot stop its runtime: the runtime notices instead. */
function watchParent(pid: number, onGone: () => void): void {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch {
      clearInterval(timer);
      onGone();
    }
  }, 1000);
  timer.unref();
}

/** Nothing a handler does can reach the main thread; a fault of fnpool's own is logged, not fatal. */
function guardMainThread(log: Logger): void {
  process.on('uncaughtException', (err) => log.error({ err }, 'internal error (uncaught exception on the main thread)'));
  process.on('unhandledRejection', (err) => log.error({ err }, 'internal error (unhandled rejection on the main thread)'));
}
