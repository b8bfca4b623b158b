// Calling user code and converting at its edges: raw event bytes → the event, the handler's
// promise-or-callback → one settled value, the result → bytes for the wire (README "Writing a handler").
import { ErrorType, RuntimeError } from '../errors.js';
import type { PayloadCodec } from '../platforms/platform.js';

type UserFunction = (...args: unknown[]) => unknown;

/**
 * Calls `fn(...args, callback)`. The first of the callback call and the returned promise's
 * settlement wins; a function that returns a plain value and declares no callback parameter
 * completes with that value; one that declares it (arity > args) waits for the callback.
 */
export function callUserFunction(fn: UserFunction, args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => callUser(fn, args, resolve, reject));
}

/**
 * callUserFunction without a promise of its own: exactly one of `succeed` and `fail` is called,
 * once, possibly before this returns (a function that returns a plain value, or throws). The
 * worker's hot path uses it, so that each invocation makes one promise of fnpool's instead of
 * a chain of them, each of which pays AsyncLocalStorage's hook.
 */
export function callUser(fn: UserFunction, args: unknown[], succeed: (value: unknown) => void, fail: (error: unknown) => void): void {
  let done = false;
  const ok = (value: unknown) => { if (!done) { done = true; succeed(value); } };
  const notOk = (error: unknown) => { if (!done) { done = true; fail(error); } };
  const callback = (error?: unknown, value?: unknown) => {
    if (error !== undefined && error !== null) notOk(error);
    else ok(value);
  };
  let returned: unknown;
  try {
    returned = fn(...args, callback);
  } catch (error) {
    notOk(error);
    return;
  }
  if (isThenable(returned)) {
    try {
      returned.then(ok, (error: unknown) => notOk(error ?? new Error(`handler rejected with ${String(error)}`)));
    } catch (error) {
      notOk(error); // a thenable whose then() throws
    }
  } else if (fn.length <= args.length) {
    ok(returned);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body parsed as JSON; an empty body is `{}` (OpenEdge's codec: an empty Buffer); a body that is not JSON is given as a Buffer. */
export function parseEvent(body: Uint8Array, codec: PayloadCodec = 'json'): unknown {
  if (body.byteLength === 0) return codec === 'json' ? {} : Buffer.alloc(0);
  try {
    return JSON.parse(utf8.decode(body));
  } catch {
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }
}

/**
 * A Buffer/Uint8Array result is sent as raw bytes; anything else as JSON, `undefined` as `null`.
 * OpenEdge's codec sends a string as it is (its UTF-8) and null or undefined as nothing.
 */
export function serializeResult(result: unknown, maxBytes: number, limitName = 'FNPOOL_MAX_RESPONSE_BYTES', codec: PayloadCodec = 'json'): string | Uint8Array {
  let body: string | Uint8Array;
  if (codec === 'message' && (typeof result === 'string' || result === null || result === undefined)) {
    body = result ?? '';
  } else if (result instanceof Uint8Array) {
    // A view into a larger buffer (a pooled Buffer, a slice) would carry all of it across threads.
    body = result.byteOffset === 0 && result.byteLength === result.buffer.byteLength ? result : copyBytes(result);
  } else if (result instanceof ArrayBuffer) {
    body = new Uint8Array(result);
  } else {
    let json: string | undefined;
    try {
      json = JSON.stringify(result === undefined ? null : result);
    } catch (err) {
      throw new RuntimeError(ErrorType.SerializationError,
        `the handler's result cannot be serialized to JSON: ${(err as Error).message}`, { cause: err });
    }
    // JSON.stringify gives undefined for a function or a symbol: send null, as for undefined.
    body = json ?? 'null';
  }
  const size = typeof body === 'string' ? (body.length * 3 <= maxBytes ? body.length : Buffer.byteLength(body)) : body.byteLength;
  if (size > maxBytes) {
    throw new RuntimeError(ErrorType.ResponseTooLarge,
      `the handler's result is ${size} bytes, over the limit of ${maxBytes} bytes (${limitName})`);
  }
  return body;
}

function copyBytes(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}
