// HTTP client of a pull platform's runtime API, on undici; the PullWire gives the paths. Long
// polls and answer posts use separate connection pools: with every pooled connection held by a
// poll, a result POST waited ~1 s. Polls have no headers/body timeout (the instance may be frozen
// between invocations for minutes); aborting one rejects at once, which is how shutdown stops
// fetching. Faults of the API (refused, reset, 5xx) are retried with capped, jittered backoff:
// while a streak of them lasts, one poll and one answer (the probes) retry, and the other polls
// and answers wait for them, so an API that is away sees two attempts per delay, not one per slot
// and per answer, and everything is back as soon as a request gets through. A streak is one
// warning for the whole runtime, however many polls are in flight (the rest are debug, each
// naming its poll or answer), and one record when the API answers again.
import { performance } from 'node:perf_hooks';
import { Pool } from '../undici-pool.js';
import type { Logger } from '../../logging/logger.js';
import type { WireError } from '../../errors.js';
import { Backoff, BACKOFF_CAP_MS } from '../backoff.js';
import { header, type PullWire, type WireHeaders, type WireRequest } from '../platform.js';

/** How long an answer POST is retried (refused, reset, 5xx) before it is given up and logged. */
const POST_RETRY_BUDGET_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long a poll's body may stall between two chunks once its headers came (the wait for the
 * headers has no limit): a platform sends an invocation's body at once, and one that stopped
 * midway with the connection open would hold its slot for ever (classic Lambda's only one).
 */
const POLL_BODY_STALL_MS = 10_000;
/** The API's answer to a repeated answer: an earlier attempt of it was recorded. */
const ALREADY_ANSWERED = 409;

/** What talks to the API: a long poll, or an answer's post. */
type RequestKind = 'poll' | 'post';

/** What a fault record says of the request that failed: its poll's number, or its answer's request id. */
type FaultFields = { poll: number } | { requestId: string };

/** A streak of faults of the runtime API. */
interface Outage {
  /** performance.now() of its first fault. */
  since: number;
  /** Faults so far, polls and posts of every slot. */
  faults: number;
  /**
   * The poll and the answer that retry the API with backoff (their request numbers) while the
   * other polls and answers wait for them; each is taken by the first of its kind to fail.
   */
  probes: Partial<Record<RequestKind, number>>;
  /** Settles when the streak is over, or when a probe stops probing: the waiting requests retry then. */
  changed: Promise<void>;
  settle: () => void;
}

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
  /** The streak of faults going on, if any. */
  #outage: Outage | undefined;
  /** Numbers each next() and post() call: a probe is known by its number, and so is a poll in the log. */
  #requestCount = 0;

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

  /**
   * The next invocation. Retries API faults until one arrives (with backoff as the probe, else
   * after the probe); rejects when aborted or told to stop.
   */
  async next(signal: AbortSignal): Promise<Received> {
    const poll = ++this.#requestCount;
    try {
      return await this.#poll(poll, signal);
    } finally {
      this.#stopProbing('poll', poll);
    }
  }

  async #poll(poll: number, signal: AbortSignal): Promise<Received> {
    const backoff = new Backoff();
    const wire = this.#wire;
    const retry = (message: string): Promise<void> => this.#afterFault('poll', poll, backoff, message, { poll }, signal);
    for (;;) {
      let res: Awaited<ReturnType<Pool['request']>>;
      try {
        res = await this.#polls.request({ path: wire.nextPath, method: 'GET', signal, bodyTimeout: POLL_BODY_STALL_MS });
      } catch (err) {
        if (signal.aborted) throw err;
        await retry(`polling for the next invocation failed: ${describe(err)}`);
        continue;
      }
      const receivedAt = performance.now();
      const arrivedAtMs = Date.now();
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => {});
        if (res.statusCode === wire.fatalNextStatus) throw new FatalApiError(`polling for the next invocation answered HTTP ${res.statusCode}`);
        await retry(`polling for the next invocation answered HTTP ${res.statusCode}`);
        continue;
      }
      const headers = res.headers as WireHeaders;
      const requestId = header(headers, wire.requestIdHeader);
      if (requestId === undefined) {
        await res.body.dump().catch(() => {});
        await retry(`skipped an invocation without a request id (no ${wire.requestIdHeader} header)`);
        continue;
      }
      this.#answered();
      return { requestId, headers, receivedAt, arrivedAtMs, ...await this.#readBody(res.body, headers) };
    }
  }

  /**
   * Waits before a failed request retries. The first poll and the first answer to fail in a streak
   * become its probes and retry with backoff; the others wait until the streak is over (any
   * request got through) or their probe stops, then retry at once. A poll waits for as long as
   * that takes; an answer at most the backoff's cap, so that one the API keeps refusing cannot hold
   * the others up, nor a probing poll that an API with nothing to hand out holds open.
   */
  async #afterFault(kind: RequestKind, id: number, backoff: Backoff, message: string, fields: FaultFields, signal?: AbortSignal): Promise<void> {
    const outage = this.#fault();
    outage.probes[kind] ??= id;
    if (outage.probes[kind] === id) {
      const delay = backoff.next();
      this.#logFault(outage, message, { ...fields, retryInMs: Math.round(delay) });
      await backoff.wait(signal, delay);
      return;
    }
    this.#logFault(outage, message, { ...fields, waitsFor: outage.probes[kind] });
    if (kind === 'poll' && signal !== undefined) await untilSettled(outage.changed, signal);
    else await settledOrAfter(outage.changed, BACKOFF_CAP_MS);
  }

  /** A request that stops (it got through, gave up, or was aborted) hands its probe's role on. */
  #stopProbing(kind: RequestKind, id: number): void {
    const outage = this.#outage;
    if (outage === undefined || outage.probes[kind] !== id) return;
    delete outage.probes[kind];
    const settle = outage.settle;
    outage.changed = new Promise((resolve) => { outage.settle = resolve; });
    settle();
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
    const id = ++this.#requestCount;
    try {
      return await this.#post(id, requestId, request);
    } finally {
      this.#stopProbing('post', id);
    }
  }

  async #post(id: number, requestId: string, request: WireRequest): Promise<boolean> {
    const backoff = new Backoff();
    const started = performance.now();
    let current = request;
    let attempts = 0;
    for (;;) {
      let failure: string;
      attempts++;
      try {
        const res = await this.#posts.request({ path: current.path, method: 'POST', body: current.body, headers: current.headers });
        await res.body.dump().catch(() => {});
        if (res.statusCode < 500) this.#answered();
        if (res.statusCode < 300) return true;
        if (res.statusCode === ALREADY_ANSWERED && attempts > 1) {
          // An earlier attempt failed after the API may have recorded it (a reset, a 5xx, an API
          // that restarted before replying): this answer is in, and once is enough.
          this.#log.info({ requestId, status: res.statusCode }, `the runtime API had recorded an earlier attempt of ${current.path} (HTTP ${res.statusCode} to the retry): done`);
          return true;
        }
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
        this.#log.error({ requestId }, `gave up posting to ${current.path} after ${attempts} attempts: ${failure}`);
        return false;
      }
      await this.#afterFault('post', id, backoff, `posting to ${current.path} failed (${failure}); retrying`, { requestId });
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

  /** Counts one fault in the streak going on, which it starts if there is none. */
  #fault(): Outage {
    if (this.#outage !== undefined) {
      this.#outage.faults++;
      return this.#outage;
    }
    let settle!: () => void;
    const changed = new Promise<void>((resolve) => { settle = resolve; });
    this.#outage = { since: performance.now(), faults: 1, probes: {}, changed, settle };
    return this.#outage;
  }

  /**
   * The first fault of a streak is a warning; the rest, from any poll or post, are debug, so an
   * outage is one warning however many polls are in flight, and a long one does not flood the log.
   */
  #logFault(outage: Outage, message: string, fields: FaultFields & { retryInMs?: number; waitsFor?: number }): void {
    if (outage.faults === 1) {
      this.#log.warn(fields, `${message} (retried with backoff; more failures are logged at debug until the runtime API answers again)`);
      return;
    }
    this.#log.debug({ ...fields, fault: outage.faults }, message);
  }

  /** The API answered: a streak of faults, if there was one, is over, and the requests waiting for its probes retry. */
  #answered(): void {
    const outage = this.#outage;
    if (outage === undefined) return;
    this.#outage = undefined;
    outage.settle();
    const seconds = ((performance.now() - outage.since) / 1000).toFixed(1);
    this.#log.info({ faults: outage.faults }, `the runtime API answers again, after ${outage.faults} failed attempt${outage.faults === 1 ? '' : 's'} in ${seconds} s`);
  }
}

/** Resolves when `settled` does, or after ms, whichever comes first. */
function settledOrAfter(settled: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([settled, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]).finally(() => clearTimeout(timer));
}

/** Resolves when `settled` does; rejects with the signal's reason when it aborts first. */
function untilSettled(settled: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return code ? `${code}: ${e?.message ?? ''}` : String(e?.message ?? err);
}
