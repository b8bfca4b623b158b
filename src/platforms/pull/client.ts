// HTTP client of a pull platform's runtime API, on undici; the PullWire gives the paths. Long
// polls and answer posts use separate connection pools: with every pooled connection held by a
// poll, a result POST waited ~1 s. Polls have no headers/body timeout (the instance may be frozen
// between invocations for minutes); aborting one rejects at once, which is how shutdown stops
// fetching. Faults of the API (refused, reset, 5xx) are retried with capped, jittered backoff.
// A streak of faults is one warning for the whole runtime, however many polls are in flight (the
// rest are debug), and one record when the API answers again.
import { performance } from 'node:perf_hooks';
import { Pool } from '../undici-pool.js';
import type { Logger } from '../../logging/logger.js';
import type { WireError } from '../../errors.js';
import { Backoff } from '../backoff.js';
import { header, type PullWire, type WireHeaders, type WireRequest } from '../platform.js';

/** How long an answer POST is retried (refused, reset, 5xx) before it is given up and logged. */
const POST_RETRY_BUDGET_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface Received {
  requestId: string;
  headers: WireHeaders;
  body: Uint8Array;
  /** Set when the body is over the request limit: it was not read, and must be refused. */
  tooLargeBytes?: number;
  /** Set when the body could not be read in full (the connection broke). */
  readError?: string;
  /** performance.now() when the headers arrived. */
  receivedAt: number;
  /** Epoch ms when the headers arrived: a deadline the platform does not send counts from here. */
  arrivedAtMs: number;
}

export interface ClientOptions {
  connections: number;
  maxRequestBytes: number;
  log: Logger;
}

/** The platform answered /next in a way that means "stop" (Lambda: 500). */
export class FatalApiError extends Error {
  override readonly name = 'FatalApiError';
}

export class RuntimeApiClient {
  readonly #polls: Pool;
  readonly #posts: Pool;
  readonly #wire: PullWire;
  readonly #opts: ClientOptions;
  readonly #log: Logger;
  /** The streak of faults going on: since when, and how many (polls and posts of every slot). */
  #outage: { since: number; faults: number } | undefined;

  constructor(address: string, wire: PullWire, opts: ClientOptions) {
    const origin = `http://${address}`;
    this.#wire = wire;
    this.#opts = opts;
    this.#log = opts.log;
    this.#polls = new Pool(origin, {
      connections: opts.connections, headersTimeout: 0, bodyTimeout: 0, connectTimeout: CONNECT_TIMEOUT_MS,
    });
    this.#posts = new Pool(origin, {
      connections: opts.connections, headersTimeout: 30_000, bodyTimeout: 30_000, connectTimeout: CONNECT_TIMEOUT_MS,
    });
  }

  /** The next invocation. Retries API faults with backoff until one arrives; rejects when aborted or told to stop. */
  async next(signal: AbortSignal): Promise<Received> {
    const backoff = new Backoff();
    const wire = this.#wire;
    for (;;) {
      let res: Awaited<ReturnType<Pool['request']>>;
      try {
        res = await this.#polls.request({ path: wire.nextPath, method: 'GET', signal });
      } catch (err) {
        if (signal.aborted) throw err;
        this.#logFault(`polling for the next invocation failed: ${describe(err)}`);
        await backoff.wait(signal);
        continue;
      }
      const receivedAt = performance.now();
      const arrivedAtMs = Date.now();
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => {});
        if (res.statusCode === wire.fatalNextStatus) throw new FatalApiError(`polling for the next invocation answered HTTP ${res.statusCode}`);
        this.#logFault(`polling for the next invocation answered HTTP ${res.statusCode}`);
        await backoff.wait(signal);
        continue;
      }
      const headers = res.headers as WireHeaders;
      const requestId = header(headers, wire.requestIdHeader);
      if (requestId === undefined) {
        await res.body.dump().catch(() => {});
        this.#logFault(`skipped an invocation without a request id (no ${wire.requestIdHeader} header)`);
        await backoff.wait(signal);
        continue;
      }
      this.#answered();
      return { requestId, headers, receivedAt, arrivedAtMs, ...await this.#readBody(res.body, headers) };
    }
  }

  async #readBody(body: AsyncIterable<Buffer> & { dump(): Promise<void>; arrayBuffer(): Promise<ArrayBuffer> }, headers: WireHeaders):
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
   * Sends the answer of one invocation. Refused connections, resets and 5xx are retried with
   * backoff; a 4xx is final for the invocation and is logged, unless the wire has another answer
   * for it (Lambda's 413 for a response over its limit becomes an error). Never rejects.
   */
  async post(requestId: string, request: WireRequest): Promise<boolean> {
    const backoff = new Backoff();
    const started = performance.now();
    let current = request;
    for (;;) {
      let failure: string;
      try {
        const res = await this.#posts.request({ path: current.path, method: 'POST', body: current.body, headers: current.headers });
        await res.body.dump().catch(() => {});
        if (res.statusCode < 500) this.#answered();
        if (res.statusCode < 300) return true;
        if (res.statusCode < 500) {
          const instead = this.#wire.retryRefused?.(requestId, res.statusCode, current);
          if (instead !== undefined) {
            this.#log.warn({ requestId, status: res.statusCode }, `the runtime API refused ${current.path} with HTTP ${res.statusCode}; posting an error instead`);
            current = instead;
            continue;
          }
          this.#log.warn({ requestId, status: res.statusCode }, `the runtime API refused ${current.path} with HTTP ${res.statusCode}; not retried`);
          return false;
        }
        failure = `HTTP ${res.statusCode}`;
      } catch (err) {
        failure = describe(err);
      }
      if (performance.now() - started > POST_RETRY_BUDGET_MS) {
        this.#log.error({ requestId }, `gave up posting to ${current.path} after ${backoff.attempts + 1} attempts: ${failure}`);
        return false;
      }
      this.#logFault(`posting to ${current.path} failed (${failure}); retrying`, requestId);
      await backoff.wait();
    }
  }

  /** Reports a failed init where the platform wants it; retried like an answer. */
  postInitError(error: WireError): Promise<boolean> {
    const request = this.#wire.initError?.(error);
    if (request === undefined) return Promise.resolve(true);
    return this.post('init', request);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#polls.destroy(), this.#posts.close()]);
  }

  /**
   * The first fault of a streak is a warning; the rest, from any poll or post, are debug, so an
   * outage is one warning however many polls are in flight, and a long one does not flood the log.
   */
  #logFault(message: string, requestId?: string): void {
    if (this.#outage === undefined) {
      this.#outage = { since: performance.now(), faults: 1 };
      this.#log.warn({ requestId }, `${message} (retried with backoff; more failures are logged at debug until the runtime API answers again)`);
      return;
    }
    this.#outage.faults++;
    this.#log.debug({ requestId, fault: this.#outage.faults }, message);
  }

  /** The API answered: a streak of faults, if there was one, is over. */
  #answered(): void {
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    const seconds = ((performance.now() - outage.since) / 1000).toFixed(1);
    this.#log.info({ faults: outage.faults }, `the runtime API answers again, after ${outage.faults} failed attempt${outage.faults === 1 ? '' : 's'} in ${seconds} s`);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return code ? `${code}: ${e?.message ?? ''}` : String(e?.message ?? err);
}
