// fnpool's public surface for function authors: the handler and context types (README "Writing a handler").
// `import type { Handler, Context } from 'fnpool'` gives completion on `context.`.

/** A logger whose records carry the invocation's request id. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The context of one invocation. One object per invocation, never shared or reused. */
export interface Context {
  /** The request id of this invocation. */
  readonly requestId: string;
  /** The same as `requestId`, for code written for AWS Lambda. */
  readonly awsRequestId: string;
  /** The function's name. */
  readonly functionName: string;
  /** The function's version. */
  readonly functionVersion: string;
  /** The function's memory in MB, as a string, as on AWS Lambda. */
  readonly memoryLimitInMB: string;
  /** The ARN (Lambda) of the invoked function; empty where the platform gives none. */
  readonly invokedFunctionArn: string;
  /** The deadline, in epoch milliseconds. */
  readonly deadlineMs: number;
  /**
   * Aborts at the deadline (reason: an Error named `Runtime.Timeout`) and when the runtime gives up
   * on the invocation during shutdown (`Runtime.Shutdown`). Pass it to fetch() and timers to stop
   * work that can no longer be used.
   */
  readonly signal: AbortSignal;

  /** The request id of this invocation. */
  getRequestID(): string;
  /** Milliseconds left before the deadline; never below 0. */
  getRemainingTimeInMilliSeconds(): number;
  /** Milliseconds left before the deadline (AWS Lambda's name); never below 0. */
  getRemainingTimeInMillis(): number;
  /** The temporary access key of the function's agency (`X-CFF-Access-Key`); '' when none. */
  getAccessKey(): string;
  /** The temporary secret key of the function's agency (`X-CFF-Secret-Key`); '' when none. */
  getSecretKey(): string;
  /** `X-CFF-Security-Access-Key`; '' when none. */
  getSecurityAccessKey(): string;
  /** `X-CFF-Security-Secret-Key`; '' when none. */
  getSecuritySecretKey(): string;
  /** `X-CFF-Security-Token`; '' when none. */
  getSecurityToken(): string;
  /** The IAM token of the request (`X-CFF-Auth-Token`); '' when none. */
  getToken(): string;
  /** A value of the function's environment (`RUNTIME_USERDATA`), or undefined. */
  getUserData(key: string): string | undefined;
  /** The function's name. */
  getFunctionName(): string;
  /** The function's version. */
  getVersion(): string;
  /** The function's app (package). */
  getPackage(): string;
  /** The project id. */
  getProjectID(): string;
  /** The function's timeout, in seconds. */
  getRunningTimeInSeconds(): number;
  /** The function's memory, in MB. */
  getMemorySize(): number;
  /** The function's CPUs (may be fractional). */
  getCPUNumber(): number;
  /** `sync` or `async`. */
  getInvokeType(): 'sync' | 'async';
  /** A logger whose records carry this invocation's request id. */
  getLogger(): Logger;
}

/** Node-style callback: the first call wins. */
export type Callback<TResult = unknown> = (error?: unknown, result?: TResult) => void;

/**
 * A function handler: `async (event, context) => result`, or `(event, context, callback)`.
 * A Buffer/Uint8Array result is sent as raw bytes; anything else as JSON (undefined as null).
 * One signature, not a union of the two styles, so that `const handler: Handler<E, R> = async
 * (event, context) => …` types its parameters (TypeScript cannot infer them from a union).
 */
export type Handler<TEvent = any, TResult = unknown> =
  (event: TEvent, context: Context, callback: Callback<TResult>) => void | Promise<TResult> | TResult;

/** An initializer, run once per worker thread before any invocation (`RUNTIME_INITIALIZER_HANDLER`). */
export type Initializer = (context: Context, callback: Callback<void>) => void | Promise<void>;

/** The wire body of every error. */
export type { WireError as ErrorBody, RuntimeErrorType } from './errors.js';
export { ErrorType } from './errors.js';
