// HTTP client of FunctionGraph's custom-runtime API (SPEC §1.1), on undici. Long polls and result
// posts use separate connection pools: with every pooled connection held by a poll, a result POST
// waited ~1 s (TRAPS.md). Polls have no headers/body timeout (the instance may be frozen between
// invocations for minutes); aborting one rejects at once, which is how shutdown stops fetching.
import { performance } from 'node:perf_hooks';
import { Pool } from '../undici-pool.js';
import type { Logger } from '../../logging/logger.js';
import type { InvocationMeta } from '../../protocol.js';
import { Backoff } from '../backoff.js';

const NEXT_PATH = '/v1/runtime/invocation/request';
/** How long a result POST is retried (refused, reset, 5xx) before it is given up and logged. */
const POST_RETRY_BUDGET_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface ReceivedInvocation {
  requestId: string;
  body: Uint8Array;
  /** Set when the body is over the request limit: it was not read, and must be refused. */
  tooLargeBytes?: number;
  /** Set when the body could not be read in full (the connection broke). */
  readError?: string;
  receivedAt: number;
  /** Epoch ms when the headers arrived: the deadline counts from here. */
  arrivedAtMs: number;
  meta: InvocationMeta;
}

export interface ClientOptions {
  connections: number;
  maxRequestBytes: number;
  log: Logger;
}

type Headers = Record<string, string | string[] | undefined>;

export class RuntimeApiClient {
  readonly #polls: Pool;
  readonly #posts: Pool;
  readonly #opts: ClientOptions;
  readonly #log: Logger;

  constructor(address: string, opts: ClientOptions) {
    const origin = `http://${address}`;
    this.#opts = opts;
    this.#log = opts.log;
    this.#polls = new Pool(origin, {
      connections: opts.connections, headersTimeout: 0, bodyTimeout: 0, connectTimeout: CONNECT_TIMEOUT_MS,
    });
    this.#posts = new Pool(origin, {
      connections: opts.connections, headersTimeout: 30_000, bodyTimeout: 30_000, connectTimeout: CONNECT_TIMEOUT_MS,
    });
  }

  /** The next invocation. Retries API faults with backoff until one arrives; rejects only when aborted. */
  async next(signal: AbortSignal): Promise<ReceivedInvocation> {
    const backoff = new Backoff();
    for (;;) {
      let res: Awaited<ReturnType<Pool['request']>>;
      try {
        res = await this.#polls.request({ path: NEXT_PATH, method: 'GET', signal });
      } catch (err) {
        if (signal.aborted) throw err;
        this.#logFault(backoff, `polling for the next invocation failed: ${describe(err)}`);
        await backoff.wait(signal);
        continue;
      }
      const receivedAt = performance.now();
      const arrivedAtMs = Date.now();
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => {});
        this.#logFault(backoff, `polling for the next invocation answered HTTP ${res.statusCode}`);
        await backoff.wait(signal);
        continue;
      }
      const headers = res.headers as Headers;
      const requestId = header(headers, 'x-cff-request-id');
      if (requestId === undefined) {
        await res.body.dump().catch(() => {});
        this.#logFault(backoff, 'skipped an invocation without an X-Cff-Request-Id header');
        await backoff.wait(signal);
        continue;
      }
      return { requestId, receivedAt, arrivedAtMs, meta: metaOf(headers), ...await this.#readBody(res.body, headers) };
    }
  }

  async #readBody(body: AsyncIterable<Buffer> & { dump(): Promise<void>; arrayBuffer(): Promise<ArrayBuffer> }, headers: Headers):
    Promise<{ body: Uint8Array; tooLargeBytes?: number; readError?: string }> {
    const max = this.#opts.maxRequestBytes;
    const declared = Number(header(headers, 'content-length'));
    try {
      if (declared > max) {
        await body.dump().catch(() => {});
        return { body: new Uint8Array(0), tooLargeBytes: declared };
      }
      if (Number.isFinite(declared)) return { body: new Uint8Array(await body.arrayBuffer()) };
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > max) {
          await body.dump().catch(() => {});
          return { body: new Uint8Array(0), tooLargeBytes: size };
        }
        chunks.push(chunk);
      }
      // A fresh buffer of its own: Buffer.concat may hand out a slice of a shared pool.
      const out = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) { out.set(chunk, offset); offset += chunk.byteLength; }
      return { body: out };
    } catch (err) {
      return { body: new Uint8Array(0), readError: describe(err) };
    }
  }

  /**
   * Sends the result or the error of one invocation. Refused connections, resets and 5xx are
   * retried with backoff; a 4xx is final for the invocation and is logged. Never rejects.
   */
  async post(requestId: string, kind: 'response' | 'error', body: string | Uint8Array, contentType: string): Promise<boolean> {
    const path = `/v1/runtime/invocation/${kind}/${encodeURIComponent(requestId)}`;
    const backoff = new Backoff();
    const started = performance.now();
    for (;;) {
      let failure: string;
      try {
        const res = await this.#posts.request({ path, method: 'POST', body, headers: { 'content-type': contentType } });
        await res.body.dump().catch(() => {});
        if (res.statusCode < 300) return true;
        if (res.statusCode < 500) {
          this.#log.warn({ requestId, status: res.statusCode }, `the runtime API refused the ${kind} with HTTP ${res.statusCode}; not retried`);
          return false;
        }
        failure = `HTTP ${res.statusCode}`;
      } catch (err) {
        failure = describe(err);
      }
      if (performance.now() - started > POST_RETRY_BUDGET_MS) {
        this.#log.error({ requestId }, `gave up posting the ${kind} after ${backoff.attempts + 1} attempts: ${failure}`);
        return false;
      }
      this.#logFault(backoff, `posting the ${kind} failed (${failure}); retrying`, requestId);
      await backoff.wait();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#polls.destroy(), this.#posts.close()]);
  }

  /** The first failure of a streak is a warning; the rest are debug, so a long outage does not flood the log. */
  #logFault(backoff: Backoff, message: string, requestId?: string): void {
    if (backoff.attempts === 0) this.#log.warn({ requestId }, message);
    else this.#log.debug({ requestId, attempt: backoff.attempts + 1 }, message);
  }
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function metaOf(headers: Headers): InvocationMeta {
  return {
    invokeType: header(headers, 'x-cff-invoke-type')?.toLowerCase() === 'async' ? 'async' : 'sync',
    accessKey: header(headers, 'x-cff-access-key'),
    secretKey: header(headers, 'x-cff-secret-key'),
    authToken: header(headers, 'x-cff-auth-token'),
    securityAccessKey: header(headers, 'x-cff-security-access-key'),
    securitySecretKey: header(headers, 'x-cff-security-secret-key'),
    securityToken: header(headers, 'x-cff-security-token'),
  };
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return code ? `${code}: ${e?.message ?? ''}` : String(e?.message ?? err);
}
