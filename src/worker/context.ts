// The context object a handler receives (SPEC §2.1): FunctionGraph's methods with their documented
// units, and the Lambda-style fields on the same object. One per invocation. Secrets live in a
// private field, so neither console.log(context) nor JSON.stringify(context) can print them.
import type { FunctionInfo } from '../config/config.js';
import type { Context } from '../index.js';
import type { InvocationMeta } from '../protocol.js';
import { handlerLogger, type HandlerLogger, type InvocationScope } from './log-correlation.js';

export class InvocationContext implements Context {
  readonly requestId: string;
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  /** As a string, as on AWS Lambda. */
  readonly memoryLimitInMB: string;
  readonly invokedFunctionArn: string;
  /** The deadline, in epoch milliseconds. */
  readonly deadlineMs: number;

  readonly #abort: LazyAbort;
  readonly #meta: InvocationMeta;
  readonly #fn: FunctionInfo;
  readonly #scope: InvocationScope;
  #logger: HandlerLogger | undefined;

  constructor(scope: InvocationScope, deadlineMs: number, meta: InvocationMeta, fn: FunctionInfo, abort: LazyAbort) {
    this.requestId = scope.requestId;
    this.awsRequestId = scope.requestId;
    this.functionName = fn.name;
    this.functionVersion = fn.version;
    this.memoryLimitInMB = String(fn.memoryMB);
    this.invokedFunctionArn = meta.invokedFunctionArn ?? '';
    this.deadlineMs = deadlineMs;
    this.#abort = abort;
    this.#meta = meta;
    this.#fn = fn;
    this.#scope = scope;
  }

  /** Aborts at the deadline and when the runtime gives up on the invocation during shutdown. */
  get signal(): AbortSignal { return this.#abort.signal; }

  getRequestID(): string { return this.requestId; }
  getRemainingTimeInMilliSeconds(): number { return Math.max(0, this.deadlineMs - Date.now()); }
  getRemainingTimeInMillis(): number { return this.getRemainingTimeInMilliSeconds(); }
  getAccessKey(): string { return this.#meta.accessKey ?? ''; }
  getSecretKey(): string { return this.#meta.secretKey ?? ''; }
  getSecurityAccessKey(): string { return this.#meta.securityAccessKey ?? ''; }
  getSecuritySecretKey(): string { return this.#meta.securitySecretKey ?? ''; }
  getSecurityToken(): string { return this.#meta.securityToken ?? ''; }
  getToken(): string { return this.#meta.authToken ?? ''; }
  getUserData(key: string): string | undefined { return this.#fn.userData[key]; }
  getFunctionName(): string { return this.#fn.name; }
  getVersion(): string { return this.#fn.version; }
  getPackage(): string { return this.#fn.package; }
  getProjectID(): string { return this.#fn.projectId; }
  /** The function's timeout, in seconds (FunctionGraph's published runtime wrongly returns ms). */
  getRunningTimeInSeconds(): number { return this.#fn.timeoutSeconds; }
  /** The function's memory, in MB, as a number. */
  getMemorySize(): number { return this.#fn.memoryMB; }
  getCPUNumber(): number { return this.#fn.cpus; }
  getInvokeType(): 'sync' | 'async' { return this.#meta.invokeType; }
  getLogger(): HandlerLogger {
    return (this.#logger ??= handlerLogger(this.#scope));
  }
}

/**
 * An AbortController made only when the handler reads context.signal: creating one costs ~10 µs
 * per invocation on Node 20, and most handlers never look at it. An abort before that is kept.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** The secret values of an invocation, scrubbed from everything its handler logs. */
export function secretsOf(meta: InvocationMeta): string[] {
  const out: string[] = [];
  for (const value of [meta.accessKey, meta.secretKey, meta.authToken, meta.securityAccessKey, meta.securitySecretKey, meta.securityToken]) {
    if (value) out.push(value);
  }
  return out;
}
