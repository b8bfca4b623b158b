// Watches the workers load the handler and run the initializer, before the first invocation is
// fetched: resolves with the init failure, if any, once every thread is ready or one failed. The
// worker's own timer ends an initializer that awaits forever; one that keeps its thread busy can
// only be caught from here, so each thread's initializer is timed from its 'loaded' message too.
// A module that ends its thread while loading (process.exit at top level) is caught by the
// thread's exit: piscina does not replace threads that die while starting.
import type { RuntimeConfig } from '../config/config.js';
import { ErrorType, runtimeError, type WireError } from '../errors.js';
import type { ControlMessage } from '../protocol.js';
import type { WorkerPool } from './worker-pool.js';

/** How long workers may take to load the handler, on top of the initializer's own timeout. */
const MODULE_LOAD_BUDGET_MS = 30_000;
/** How long a thread may ignore its initializer's timeout before it is called stuck. */
const INITIALIZER_GRACE_MS = 250;

export interface InitWatchEvents {
  /** Every control message, during init and after (the executor tracks ready threads). */
  onControl(message: ControlMessage): void;
  /** A worker thread failed (the pool's 'error' event), during init and after. */
  onError(error: Error): void;
  /** A thread exited, for whatever reason (during init and after). */
  onExit(threadId: number): void;
}

export function watchInit(config: RuntimeConfig, workers: WorkerPool, events: InitWatchEvents): Promise<WireError | undefined> {
  const { threads, worker } = config;
  let initializing = true;
  return new Promise((resolve) => {
    let ready = 0;
    const initializerTimers = new Map<number, NodeJS.Timeout>();
    const finish = (failure?: WireError) => {
      if (!initializing) return;
      initializing = false;
      clearTimeout(loadTimer);
      for (const timer of initializerTimers.values()) clearTimeout(timer);
      resolve(failure);
    };
    const loadTimer = setTimeout(() => finish(runtimeError(ErrorType.ImportModuleError,
      `loading ${worker.handler} did not finish within ${MODULE_LOAD_BUDGET_MS / 1000} s`)),
      MODULE_LOAD_BUDGET_MS + (worker.initializer === undefined ? 0 : worker.initializerTimeoutMs));
    workers.attach((event) => {
      if (event.kind === 'error') {
        events.onError(event.error);
      } else if (event.kind === 'exit') {
        events.onExit(event.threadId);
        if (initializing) {
          finish(runtimeError(ErrorType.ImportModuleError,
            `the worker thread exited with code ${event.code} while loading ${worker.handler} (process.exit() at the module's top level?)`));
        }
      } else {
        const message = event.message;
        events.onControl(message);
        if (!initializing) return;
        if (message.type === 'loaded' && worker.initializer !== undefined) {
          initializerTimers.set(message.threadId, setTimeout(() => finish(runtimeError(ErrorType.InitializerTimeout,
            `the initializer ${worker.initializer} did not finish within ${worker.initializerTimeoutMs / 1000} s ` +
            'and kept its thread busy')), worker.initializerTimeoutMs + INITIALIZER_GRACE_MS));
        } else if (message.type === 'ready') {
          clearTimeout(initializerTimers.get(message.threadId));
          if (message.error !== undefined) finish(message.error);
          else if (++ready === threads) finish();
        }
      }
    });
  });
}
