// The module each Piscina worker thread runs. At start it loads the user's handler and runs the
// initializer once (piscina waits for this module's top-level await before it marks the worker
// ready, so no task starts before init), and reports the outcome on the control channel. Its
// default export runs one invocation. A failed init is kept and returned for every invocation,
// so a broken function answers with its init error instead of crash-looping (README "Errors").
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { WorkerConfig } from '../config/config.js';
import { ErrorType, RuntimeError, toWireError, type WireError } from '../errors.js';
import { createLogger, writeLine } from '../logging/logger.js';
import { CONTROL_CHANNEL, type AbortReason, type ControlMessage, type TaskRequest, type TaskResult } from '../protocol.js';
import { claimTask, markLineWritten } from '../executor/claims.js';
import { BEAT_INTERVAL_MS, Heartbeat } from '../executor/heartbeats.js';
import { InvocationContext, LazyAbort, type ContextClass } from './context.js';
import { loadFunction } from './handler-loader.js';
import { callUser, callUserFunction, parseEvent, serializeResult } from './invoke.js';
import { httpEvent, httpResult } from './http-event.js';
import { enableTypeScript } from './typescript.js';
import { correlateConsole, invocationStore, scrub, type InvocationScope } from './log-correlation.js';

export interface WorkerData {
  config: WorkerConfig;
  claims: SharedArrayBuffer;
  concurrency: number;
  heartbeats: SharedArrayBuffer;
}

/** Module start: init duration counts from here (in a worker, performance.now() counts from process start). */
const moduleStart = performance.now();
const { config, claims: claimsBuffer, concurrency, heartbeats } = workerData as WorkerData;
const claims = new Int32Array(claimsBuffer);
const heart = new Heartbeat(heartbeats, threadId);
/** Stamps the heartbeat while invocations run here (heartbeats.ts); stopped when the thread is idle. */
let beating: NodeJS.Timeout | undefined;
/** fnpool's own files and piscina's: their frames say nothing to the user about their error. */
const RUNTIME_FRAMES = [path.dirname(path.dirname(fileURLToPath(import.meta.url))) + path.sep, `${path.sep}node_modules${path.sep}piscina${path.sep}`];
const log = createLogger(config.log);
correlateConsole(log);

/** An invocation running on this thread, and how to end it early. */
interface Running extends InvocationScope {
  readonly abort: LazyAbort;
  /** Ends the task now (deadline, shutdown, stray error); the handler's own promise is abandoned. */
  interrupt(result: TaskResult): void;
  readonly slot: number;
  /** Which dispatch of the slot this is (claims.ts). */
  readonly token: number;
}
/**
 * By admission slot: a slot has one invocation at a time, where a request id may repeat (a push
 * platform's caller chooses it; two at once under one id would end or abort each other).
 */
const running = new Map<number, Running>();

/** Set when this thread must be replaced once its current invocations end. */
let retireReason: string | undefined;

/** The platform's part of the context (platforms/<name>/context.ts), chosen once. */
const platformPart = await import(`../platforms/${config.platform}/context.js`) as {
  platformContext(Base: ContextClass): ContextClass;
  platformThread?(current: () => InvocationScope | undefined): void;
};
const Context = platformPart.platformContext(InvocationContext);
platformPart.platformThread?.(() => invocationStore.getStore());

type UserFunction = (...args: unknown[]) => unknown;
let handler: UserFunction | undefined;
/** Lifecycle exports (FC's preStop, …) loaded on first use. */
const entries = new Map<string, Promise<UserFunction>>();
let initError: WireError | undefined;
let initDurationMs: number | undefined;
let initReported = false;

installCrashGuards();
const control = new BroadcastChannel(CONTROL_CHANNEL);
control.onmessage = (event) => onControl((event as MessageEvent).data as ControlMessage);
control.unref();
await init();

async function init(): Promise<void> {
  try {
    // On Node 20 TypeScript's loader hooks cost ~35 ms and ~9 MB per worker, which a JavaScript
    // function should not pay: they are switched on when the handler's folder holds TypeScript
    // (loadFunction also switches them on for a .ts handler file).
    if (holdsTypeScript(config.codeRoot, config.handler)) enableTypeScript();
    handler = await loadFunction(config.codeRoot, config.handler) as typeof handler;
    control.postMessage({ type: 'loaded', threadId } satisfies ControlMessage);
    if (config.initializer !== undefined) await runInitializer(config.initializer);
  } catch (err) {
    initError = userError(err);
    log.error({ errorType: initError.errorType }, `init failed: ${initError.errorMessage}`);
  }
  initDurationMs = performance.now() - moduleStart;
  control.postMessage({ type: 'ready', threadId, initDurationMs, error: initError } satisfies ControlMessage);
}

async function runInitializer(spec: string): Promise<void> {
  let initializer: (...args: unknown[]) => unknown;
  try {
    initializer = await loadFunction(config.codeRoot, spec) as typeof initializer;
  } catch (err) {
    // Said of the initializer, not of "the handler": a missing export is the initializer's error.
    if (err instanceof RuntimeError) {
      // The loader's "index.init is undefined or not exported" names the export already.
      const missing = err.name === ErrorType.HandlerNotFound;
      throw new RuntimeError(missing ? ErrorType.InitializerError : err.name,
        missing ? `the initializer ${err.message}` : `the initializer ${spec}: ${err.message}`, err.cause === undefined ? undefined : { cause: err.cause });
    }
    throw new RuntimeError(ErrorType.InitializerError, `the initializer ${spec}: ${String(err)}`);
  }
  const timeoutMs = config.initializerTimeoutMs;
  const controller = new LazyAbort();
  const scope: InvocationScope = { requestId: `init-${threadId}`, secrets: [] };
  const context = new Context(scope, Date.now() + timeoutMs, { invokeType: 'sync' }, config.function, controller);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new RuntimeError(ErrorType.InitializerTimeout, 'initializer timed out'));
      reject(new RuntimeError(ErrorType.InitializerTimeout, `the initializer ${spec} did not finish within its timeout of ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  try {
    await Promise.race([invocationStore.run(scope, () => callUserFunction(initializer, [context])), timeout]);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    const wire = toWireError(err);
    throw new RuntimeError(ErrorType.InitializerError, `the initializer ${spec} failed: ${wire.errorType}: ${wire.errorMessage}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function holdsTypeScript(codeRoot: string, spec: string): boolean {
  const folders = new Set([codeRoot, path.resolve(codeRoot, path.dirname(spec))]);
  for (const folder of folders) {
    try {
      if (readdirSync(folder).some((name) => /\.[mc]?ts$/.test(name) && !name.endsWith('.d.ts'))) return true;
    } catch {
      // a missing folder: loadFunction reports it
    }
  }
  return false;
}

/** Runs one invocation. Never throws: every outcome is a TaskResult. */
export default function runTask(req: TaskRequest): TaskResult | Promise<TaskResult> {
  // A placeholder that only made the pool start a thread (worker-pool.ts addThread).
  if (req.slot < 0) return { kind: 'skipped' };
  if (!claimTask(claims, req.slot, req.token, threadId, concurrency)) return { kind: 'skipped' };
  if (initError !== undefined) return finish({ kind: 'error', error: initError, initFailed: true, threadId, memoryBytes: 0 });
  if (Date.now() >= req.deadlineMs) return finish({ kind: 'aborted', threadId, memoryBytes: 0 });
  // One promise per invocation: the handler's outcome, an abort and a stray error all end it
  // through `end`, and the first one wins (the handler's own promise is abandoned after an abort).
  return new Promise<TaskResult>((resolve) => {
    let outcome: TaskResult | undefined;
    /** True while the handler's first synchronous slice runs: an outcome then waits for it to return. */
    let calling = true;
    let syncMs: number | undefined;
    const complete = (): void => {
      running.delete(req.slot);
      if (running.size === 0) heart.idle();
      else heart.beat();
      const result = finish(outcome!);
      if (result.kind !== 'skipped') result.syncMs = syncMs;
      resolve(result);
    };
    const end = (result: TaskResult): void => {
      if (outcome !== undefined) return;
      outcome = result;
      if (!calling) complete();
    };
    const failed = (error: unknown): void => end({ kind: 'error', error: userError(error), threadId, memoryBytes: 0 });
    const succeeded = (value: unknown): void => {
      let result: TaskResult;
      try {
        result = req.http !== undefined
          ? { kind: 'ok', ...httpResult(value, config.maxResponseBytes), threadId, memoryBytes: 0 }
          : { kind: 'ok', body: serializeResult(value, config.maxResponseBytes, config.maxResponseBytesFrom, config.payloadCodec), threadId, memoryBytes: 0 };
      } catch (error) {
        return failed(error);
      }
      end(result);
    };
    const abort = new LazyAbort();
    const scope: Running = {
      requestId: req.requestId, secrets: req.meta.secrets ?? [], traceId: req.meta.traceId, abort, interrupt: end, slot: req.slot, token: req.token,
    };
    // The platform's start line goes out just before the handler's first line, written here at once
    // as they are; a handler that logs nothing leaves it to the main thread, which writes it (batched)
    // before the end line. So an invocation that logs nothing never waits for stdout.
    if (req.startLine !== undefined) {
      const line = req.startLine;
      scope.beforeFirstRecord = () => {
        writeLine(line);
        markLineWritten(claims, req.slot, req.token, concurrency);
      };
    }
    running.set(req.slot, scope);
    beating ??= setInterval(beatWhileBusy, BEAT_INTERVAL_MS).unref();
    try {
      const context = new Context(scope, req.deadlineMs, req.meta, config.function, abort);
      const call = req.entry !== undefined
        ? () => { entryFunction(req.entry!).then((fn) => callUser(fn, [context], succeeded, failed), failed); }
        : req.http !== undefined
          ? () => callUser(handler!, [httpEvent(req.http!, req.body, req.requestId), context], succeeded, failed)
          : () => callUser(handler!, [parseEvent(req.body, config.payloadCodec), context], succeeded, failed);
      heart.calling(req.slot);
      const calledAt = performance.now();
      try {
        invocationStore.run(scope, call);
      } finally {
        syncMs = performance.now() - calledAt;
        heart.returned();
      }
    } catch (error) {
      failed(error);
    }
    calling = false;
    if (outcome !== undefined) complete();
  });
}

function beatWhileBusy(): void {
  if (running.size > 0) return heart.beat();
  heart.idle();
  clearInterval(beating);
  beating = undefined;
}

/** A lifecycle export (`file.export`), loaded once per thread. */
function entryFunction(spec: string): Promise<UserFunction> {
  let loaded = entries.get(spec);
  if (loaded === undefined) {
    loaded = loadFunction(config.codeRoot, spec) as Promise<UserFunction>;
    entries.set(spec, loaded);
  }
  return loaded;
}

/** Adds what the executor learns from every result: memory, init time, whether to retire. */
function finish(result: TaskResult): TaskResult {
  if (result.kind === 'skipped') return result;
  if (config.memoryShareBytes > 0) {
    const heap = v8.getHeapStatistics();
    result.memoryBytes = heap.used_heap_size + heap.external_memory;
    if (retireReason === undefined && result.memoryBytes > config.memoryShareBytes) {
      retireReason = `worker memory ${mb(result.memoryBytes)} MB (heap ${mb(heap.used_heap_size)} MB, off-heap ` +
        `${mb(heap.external_memory)} MB) is over its share of ${mb(config.memoryShareBytes)} MB`;
    }
  }
  if (!initReported) {
    initReported = true;
    result.initDurationMs = initDurationMs;
  }
  if (retireReason !== undefined) result.retire = retireReason;
  return result;
}

/** The wire error for a user's error, with the runtime's own stack frames left out. */
function userError(error: unknown): WireError {
  const wire = toWireError(error);
  const frames = wire.stackTrace;
  const kept = frames.filter((line, i) => {
    if (RUNTIME_FRAMES.some((dir) => line.includes(dir)) || line.includes('(node:async_hooks')) return false;
    // The Promise our callback adapter creates sits right above its runtime frame.
    return !(line === 'at new Promise (<anonymous>)' && RUNTIME_FRAMES.some((dir) => frames[i + 1]?.includes(dir)));
  });
  wire.stackTrace = kept;
  return wire;
}

function mb(bytes: number): number {
  return Math.round(bytes / 104857.6) / 10;
}

function onControl(message: ControlMessage): void {
  if (message.type === 'abort') {
    const scope = running.get(message.slot);
    if (scope !== undefined && scope.token === message.token) abort(scope, message.reason);
  } else if (message.type === 'abort-all') {
    for (const scope of running.values()) abort(scope, message.reason);
  }
}

function abort(scope: Running, reason: AbortReason): void {
  const error = reason === 'timeout' ? new RuntimeError(ErrorType.Timeout, 'the invocation reached its deadline')
    : reason === 'cancelled' ? new RuntimeError(ErrorType.Cancelled, 'the caller went away before the answer')
    : new RuntimeError(ErrorType.Shutdown, 'the runtime is shutting down');
  scope.abort.abort(error);
  scope.interrupt({ kind: 'aborted', threadId, memoryBytes: 0 });
}

/** The invocation whose async context this is, if it is still running here. */
function runningAs(scope: InvocationScope | undefined): Running | undefined {
  const slot = (scope as Partial<Running> | undefined)?.slot;
  const owner = slot === undefined ? undefined : running.get(slot);
  return owner === scope ? owner : undefined;
}

/**
 * Stray async work of a handler (a timer that throws, a promise nobody awaits) fails the
 * invocation it belongs to — AsyncLocalStorage tells which — and the thread is replaced once its
 * other invocations end, since its state can no longer be trusted.
 *
 * process.exit() from a handler ends that invocation, not the thread: the invocations beside it
 * have done nothing wrong. It fails with Runtime.WorkerExited at once, and the call throws, so
 * that nothing after it runs; the thread takes no new work and is replaced once the others end.
 * Called from code outside any invocation, it ends the thread as Node does.
 */
function installCrashGuards(): void {
  const exit = process.exit.bind(process);
  const stray = (type: typeof ErrorType.UncaughtException | typeof ErrorType.UnhandledPromiseRejection) => (error: unknown) => {
    if (error instanceof ExitCalled) {
      // process.exit() thrown out of a callback: its invocation has been answered already.
      if (running.size === 0) exit(error.code);
      return;
    }
    const wire = userError(error);
    const scope = invocationStore.getStore();
    const owner = runningAs(scope);
    retireReason ??= `${type} in ${scope?.requestId ?? 'code outside any invocation'}`;
    if (owner !== undefined) {
      owner.interrupt({
        kind: 'error',
        error: { errorType: type, errorMessage: `${wire.errorType}: ${wire.errorMessage}`, stackTrace: wire.stackTrace },
        threadId, memoryBytes: 0,
      });
      return;
    }
    // The invocation is over, but what its stray code throws may still carry its credentials.
    const secrets = scope?.secrets ?? [];
    log.error({ requestId: scope?.requestId, errorType: type, stackTrace: wire.stackTrace.map((line) => scrub(line, secrets)) },
      scrub(`${wire.errorType}: ${wire.errorMessage}`, secrets));
    // Nothing to answer for it here; an idle thread is replaced at once.
    if (running.size === 0) exit(70);
  };
  process.on('uncaughtException', stray(ErrorType.UncaughtException));
  process.on('unhandledRejection', stray(ErrorType.UnhandledPromiseRejection));

  process.exit = ((code?: number | string | null) => {
    const owner = runningAs(invocationStore.getStore());
    if (owner === undefined) return exit(code as number | undefined);
    const shown = code === undefined || code === null ? '' : String(code);
    retireReason ??= `process.exit(${shown}) in ${owner.requestId}`;
    owner.interrupt({
      kind: 'error',
      error: { errorType: ErrorType.WorkerExited, errorMessage: `the handler called process.exit(${shown}); its invocation ended there`, stackTrace: [] },
      threadId, memoryBytes: 0,
    });
    throw new ExitCalled(code);
  }) as typeof process.exit;
}

/** Thrown by process.exit() inside a handler, so that the code after the call does not run. */
class ExitCalled extends Error {
  constructor(readonly code: number | string | null | undefined) {
    super(`process.exit(${code ?? ''}) was called: this invocation has ended`);
    this.name = 'ExitCalled';
  }
}
