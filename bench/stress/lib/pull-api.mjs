// A crafted runtime API for the hostile-input run: a real node:http server that answers each long
// poll with the next response the run queued, however malformed (duplicate or binary headers, a
// body that breaks off, bytes that are not HTTP at all), holds polls open while nothing is
// queued, and records every POST as it came (raw path, headers, body), answering it 202.
import http from 'node:http';
import { headerValue } from './pull-wires.mjs';

/**
 * One poll's answer. delivery: 'whole' (Content-Length, keep-alive), 'chunked' (no length),
 * 'break' (promises body.length bytes, sends breakAfter of them, drops the connection),
 * 'break-chunked' (the same without a length), 'stall' (promises body.length bytes, sends
 * breakAfter of them, then nothing, the connection left open) or 'raw' (the bytes of `raw` as they
 * are, then the connection is closed).
 * @typedef {{ status?: number, headers?: [string, string | (() => string)][], body?: Buffer, delivery?: 'whole'|'chunked'|'break'|'break-chunked'|'stall'|'raw', breakAfter?: number, raw?: Buffer }} Reply
 */

/** The largest request head the API takes: the runtime's answer paths may hold huge ids. */
const MAX_HEADER_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

export class CraftedApi {
  /** Every POST: { url, headers, body: Buffer }. */
  posts = [];
  polls = 0;
  #server;
  #queue = [];
  #waiting = new Set();
  #postWaiters = new Set();

  static async start() {
    const api = new CraftedApi();
    api.#server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => api.#onRequest(req, res));
    await new Promise((resolve) => api.#server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  get address() {
    return `127.0.0.1:${this.#server.address().port}`;
  }

  /** Polls held open now, waiting for a reply. */
  get waitingPolls() {
    return this.#waiting.size;
  }

  /** Queues replies, each for the next poll (a poll waiting now takes one at once). */
  hand(...replies) {
    this.#queue.push(...replies);
    for (const res of [...this.#waiting]) {
      if (this.#queue.length === 0) break;
      this.#waiting.delete(res);
      send(res, this.#queue.shift());
    }
  }

  /** Resolves once predicate(posts) is true; false when timeoutMs passed first. */
  waitForPosts(predicate, timeoutMs) {
    if (predicate(this.posts)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        if (!predicate(this.posts)) return;
        done(true);
      };
      const done = (result) => {
        clearTimeout(timer);
        this.#postWaiters.delete(waiter);
        resolve(result);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#postWaiters.add(waiter);
    });
  }

  async close() {
    for (const res of this.#waiting) res.destroy();
    this.#waiting.clear();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #onRequest(req, res) {
    if (req.method === 'GET') {
      this.polls++;
      if (this.#queue.length > 0) return send(res, this.#queue.shift());
      this.#waiting.add(res);
      res.once('close', () => this.#waiting.delete(res));
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      this.posts.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(202).end();
      for (const waiter of [...this.#postWaiters]) waiter();
    });
  }
}

function send(res, reply) {
  const { status = 200, headers = [], body = Buffer.alloc(0), delivery = 'whole' } = reply;
  if (delivery === 'raw') {
    res.socket.end(reply.raw);
    return;
  }
  const flat = headers.flatMap(([name, value]) => [name, headerValue(value)]);
  const chunked = delivery === 'chunked' || delivery === 'break-chunked';
  if (!chunked) flat.push('Content-Length', String(body.length));
  res.writeHead(status, flat);
  if (delivery === 'break' || delivery === 'break-chunked' || delivery === 'stall') {
    res.write(body.subarray(0, reply.breakAfter ?? 0));
    if (delivery !== 'stall') setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  for (let offset = 0; offset < body.length; offset += CHUNK_BYTES) res.write(body.subarray(offset, offset + CHUNK_BYTES));
  res.end();
}
