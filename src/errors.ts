// The Runtime.* error types (README "Errors") and the one function that turns any thrown value into the
// wire body `{errorType, errorMessage, stackTrace}`. Code matches on `name`, never on message text.

export const ErrorType = {
  Timeout: 'Runtime.Timeout',
  OutOfMemory: 'Runtime.OutOfMemory',
  WorkerExited: 'Runtime.WorkerExited',
  UncaughtException: 'Runtime.UncaughtException',
  UnhandledPromiseRejection: 'Runtime.UnhandledPromiseRejection',
  ImportModuleError: 'Runtime.ImportModuleError',
  UserCodeSyntaxError: 'Runtime.UserCodeSyntaxError',
  HandlerNotFound: 'Runtime.HandlerNotFound',
  MalformedHandlerName: 'Runtime.MalformedHandlerName',
  InitializerError: 'Runtime.InitializerError',
  InitializerTimeout: 'Runtime.InitializerTimeout',
  SerializationError: 'Runtime.SerializationError',
  RequestTooLarge: 'Runtime.RequestTooLarge',
  ResponseTooLarge: 'Runtime.ResponseTooLarge',
  Shutdown: 'Runtime.Shutdown',
  /**
   * fnpool's own addition: the invocation had started on a worker thread that another invocation
   * blocked or brought down, and could not go on (a casualty, not a culprit).
   */
  NeighbourFailed: 'Runtime.NeighbourFailed',
  /** fnpool's addition: the caller went away before the answer (HTTP mode); seen in logs and by context.signal only. */
  Cancelled: 'Runtime.Cancelled',
  /** fnpool's own addition: the event body could not be read in full (the connection broke). */
  InvalidRequest: 'Runtime.InvalidRequest',
} as const;

export type RuntimeErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** The JSON body of every error sent to a platform. */
export interface WireError {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

/** An error raised by fnpool itself; its `name` is the wire `errorType`. */
export class RuntimeError extends Error {
  declare readonly name: RuntimeErrorType;

  constructor(type: RuntimeErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: type, enumerable: false, configurable: true, writable: true });
  }
}

export function runtimeError(type: RuntimeErrorType, message: string): WireError {
  return { errorType: type, errorMessage: message, stackTrace: [] };
}

/**
 * Any thrown value → wire body. An Error keeps its `name` (or, when a subclass never set one, its
 * class name) and message; a non-Error value is reported as AWS's Node runtime does, with its
 * `typeof` as the type, and its string (or JSON) form as the message.
 */
export function toWireError(value: unknown): WireError {
  if (value instanceof Error || isErrorLike(value)) {
    const err = value as Error;
    // A RuntimeError that wraps the user's error (a failed import, initializer) points at the user's frames.
    const origin = err instanceof RuntimeError && err.cause instanceof Error ? err.cause : err;
    return { errorType: errorTypeOf(err), errorMessage: cap(String(err.message ?? '')), stackTrace: stackLines(origin).slice(0, MAX_STACK_LINES) };
  }
  return { errorType: typeof value, errorMessage: cap(describe(value)), stackTrace: [] };
}

/** An error body must fit the platform's response limit however large the thrown message was. */
const MAX_MESSAGE_CHARS = 64 * 1024;
const MAX_STACK_LINES = 100;

/** The message cut to max characters, saying how many more there were. */
export function capMessage(message: string, max = MAX_MESSAGE_CHARS): string {
  return message.length <= max ? message : `${message.slice(0, max)}… (${message.length - max} more characters cut)`;
}

const cap = (message: string): string => capMessage(message);

function errorTypeOf(err: Error): string {
  const name = typeof err.name === 'string' && err.name !== '' ? err.name : 'Error';
  if (name === 'Error') {
    const ctor = (err as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof ctor === 'string' && ctor !== '' && ctor !== 'Error' && ctor !== 'Object') return ctor;
  }
  return name;
}

export function stackLines(err: Error): string[] {
  const stack = typeof err.stack === 'string' ? err.stack : '';
  const lines = stack.split('\n');
  // The first lines repeat "Name: message" (which may itself span lines); frames start with "at ".
  const first = lines.findIndex((line) => line.trimStart().startsWith('at '));
  return first === -1 ? [] : lines.slice(first).map((line) => line.trim()).filter((line) => line !== '');
}

function isErrorLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' &&
    typeof (value as Error).name === 'string' && typeof (value as Error).stack === 'string';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch {
      // cycles, BigInt: fall through to String()
    }
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
