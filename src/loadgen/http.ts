// The closed loop's Invoker for a runtime the platform calls (push: fnpool's HTTP mode, or any
// server that takes FC's custom-runtime POST /invoke): each invocation is a POST of the event on a
// keep-alive connection of an undici Pool that opens one connection per request in flight (no
// pipelining), as a platform's front end does. The answer is read as FC's contract writes it: 200
// is the result, 429 a refusal (the runtime's admission is full: nothing ran), anything else an
// error whose type is x-fc-error-type (else the status). Latency: request sent → whole answer read.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { Invoker, LoadAnswer } from './load.js';

export class HttpInvoker implements Invoker {
  readonly #pool: Pool;
  readonly #path: string;

  /** url: where POSTs go, e.g. http://127.0.0.1:9000/invoke. */
  constructor(url: string | URL) {
    const { origin, pathname } = new URL(url);
    // connections: null = one more whenever every open one is busy, so the pool grows to the load.
    this.#pool = new Pool(origin, { connections: null, pipelining: 1 });
    this.#path = pathname;
  }

  async invoke(body: Buffer, { requestId, timeoutMs }: { requestId: string; timeoutMs?: number }): Promise<LoadAnswer> {
    const handedOutAt = performance.now();
    let res;
    let answer: Buffer;
    try {
      res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: { 'content-type': 'application/json', 'x-fc-request-id': requestId },
        body,
        // Past it the connection is closed: the runtime sees its caller go away.
        ...(timeoutMs !== undefined ? { headersTimeout: Math.max(1, timeoutMs), bodyTimeout: Math.max(1, timeoutMs) } : {}),
      });
      answer = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw Object.assign(new Error(`no answer within ${timeoutMs} ms`, { cause: err }), { code: 'INVOKE_TIMEOUT' });
      }
      throw err;
    }
    const answeredAt = performance.now();
    const { statusCode } = res;
    if (statusCode === 200) return { ok: true, handedOutAt, answeredAt, body: answer };
    if (statusCode === 429) return { ok: false, refused: true, handedOutAt, answeredAt, body: answer };
    const type = res.headers['x-fc-error-type'];
    return { ok: false, handedOutAt, answeredAt, body: answer, error: errorOf(statusCode, typeof type === 'string' ? type : undefined, answer) };
  }

  /** Closes every connection at once (requests still in flight fail). */
  close(): Promise<void> {
    return this.#pool.destroy();
  }
}

/** The error an answer carries: its JSON body's message when it has one, else the body's start. */
function errorOf(status: number, type: string | undefined, body: Buffer): NonNullable<LoadAnswer['error']> {
  let parsed: { errorType?: unknown; errorMessage?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null) parsed = value;
  } catch {
    // not JSON: the text itself is the message
  }
  return {
    errorType: type ?? (typeof parsed.errorType === 'string' ? parsed.errorType : `HTTP ${status}`),
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : body.toString('utf8').slice(0, 200),
    stackTrace: [],
  };
}
