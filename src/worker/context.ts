// The context object a handler receives: the common part every platform's handler gets —
// FunctionGraph's methods with their documented units and the Lambda-style fields, on the same
// object — which a platform's own part extends (platforms/<name>/context.ts). One per invocation.
// Secrets live in a private field, so neither console.log(context) nor JSON.stringify(context)
// can print them; what a platform part adds is read through getters on the prototype.
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
    this.invokedFunctionArn = meta.fields?.invokedFunctionArn ?? '';
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
  getAccessKey(): string { return this.field('accessKey'); }
  getSecretKey(): string { return this.field('secretKey'); }
  getSecurityAccessKey(): string { return this.field('securityAccessKey'); }
  getSecuritySecretKey(): string { return this.field('securitySecretKey'); }
  getSecurityToken(): string { return this.field('securityToken'); }
  getToken(): string { return this.field('authToken'); }
  getUserData(key: string): string | undefined { return this.#fn.userData[key]; }
  getFunctionName(): string { return this.#fn.name; }
  getVersion(): string { return this.#fn.version; }
  getPackage(): string { return this.#fn.attrs.package ?? 'default'; }
  getProjectID(): string { return this.#fn.attrs.projectId ?? ''; }
  /** The function's timeout, in seconds (FunctionGraph's published runtime wrongly returns ms). */
  getRunningTimeInSeconds(): number { return this.#fn.timeoutSeconds; }
  /** The function's memory, in MB, as a number. */
  getMemorySize(): number { return this.#fn.memoryMB; }
  getCPUNumber(): number { return this.#fn.cpus; }
  getInvokeType(): 'sync' | 'async' { return this.#meta.invokeType; }
  getLogger(): HandlerLogger {
    return (this.#logger ??= handlerLogger(this.#scope));
  }

  /** For a platform's part: a string of the invocation's metadata ('' when the platform sent none). */
  protected field(key: string): string {
    return this.#meta.fields?.[key] ?? '';
  }

  /** For a platform's part: the invocation's metadata and the function's settings. */
  protected get invocationMeta(): InvocationMeta { return this.#meta; }
  protected get functionInfo(): FunctionInfo { return this.#fn; }
}

/** The constructor of the common context; a platform's part extends it (platforms/<name>/context.ts). */
export type ContextClass = new (scope: InvocationScope, deadlineMs: number, meta: InvocationMeta, fn: FunctionInfo, abort: LazyAbort) => InvocationContext;

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
