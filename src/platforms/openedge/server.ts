// OpenEdge's (BAETYL's) gRPC server: the function module calls Runtime.Handle for each message, and
// each call becomes one invocation on the shared executor (wire.ts says how). @grpc/grpc-js, pure
// JS, with the message size limit (server.message.length.max) both ways: a larger message is
// refused by grpc-js itself with RESOURCE_EXHAUSTED, a larger result by the worker (the same
// status, saying which limit).
//
// Admission: at most instance.max calls run at once; more wait for a slot in arrival order, each
// within its own deadline (instance.timeout, shortened by the caller's gRPC deadline): OpenEdge
// bounds what it sends, so there is no queue bound of fnpool's own here. A call the client cancels
// aborts its invocation's context.signal and frees its slot (or its place in the queue). On stop:
// new calls are refused UNAVAILABLE, what waits for a slot gets Runtime.Shutdown, and what runs may
// finish within server.timeout.
//
// Bad input is refused before it takes a slot, INVALID_ARGUMENT (wire.ts): a message that is not
// protobuf, a FunctionInvokeID that is too long or holds control characters, and one that names
// a call still in flight — an id names one invocation: its log records are told apart by it.
//
// Connections: the server pings each one every FNPOOL_GRPC_KEEPALIVE_MS and closes one that does
// not answer within half that. Besides a client gone without a word, that ends a connection
// node's HTTP/2 gives up on after a protocol error of the client's (a frame over the frame size,
// DATA after the end of a stream): node sends GOAWAY, stops reading, and would otherwise keep the
// socket open for ever after the client has closed its side.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { RuntimeConfig } from '../../config/config.js';
import { capMessage, ErrorType, runtimeError, type WireError } from '../../errors.js';
import { notAdmittedError, waitForSlot } from '../../executor/admission.js';
import type { Executor, Invocation, Outcome } from '../../executor/executor.js';
import { recordInvocation } from '../../executor/invocation-record.js';
import type { Logger } from '../../logging/logger.js';
import type { Adapter } from '../platform.js';
import { RUNTIME_SERVICE } from './service.js';
import { answerOf, Code, ERROR_BODY_KEY, ERROR_TYPE_KEY, invocationOf, invokeIdProblem, type Message, type ReceivedMessage } from './wire.js';

/** Trailing metadata a client reads (grpc-js takes at most 8 KB by default): a longer error body loses its stack, then its message is cut. */
const MAX_ERROR_METADATA_CHARS = 4096;
/** The status details (the grpc-message header), for the same reason. */
const MAX_DETAILS_CHARS = 1024;
/** A client's cancel this close to the deadline is grpc-js ending the call at the deadline, not the client going away. */
const DEADLINE_RACE_MS = 20;
/** What a message's fields besides its payload may add to the size limit of the payload. */
const FIELDS_ALLOWANCE = 64 * 1024;
/** After the shutdown timeout, how long grpc-js may take to close its connections before they are cut. */
const CLOSE_GRACE_MS = 1_000;
/** The shortest wait for a keepalive ping's answer. */
const MIN_PING_TIMEOUT_MS = 500;

type HandleCall = grpc.ServerUnaryCall<ReceivedMessage, Message>;

export class GrpcAdapter implements Adapter {
  readonly #config: RuntimeConfig;
  readonly #executor: Executor;
  readonly #log: Logger;
  readonly #server: grpc.Server;
  /** Calls waiting for a slot: told to stop when the runtime stops. */
  readonly #waiting = new Set<() => void>();
  /** Calls being answered, awaited by stop(). */
  readonly #answering = new Set<Promise<void>>();
  #stopping = false;
  /** The FunctionInvokeIDs of the calls being handled: a second call with one of them is refused. */
  readonly #invokeIds = new Set<string>();

  /** keepaliveMs: FNPOOL_GRPC_KEEPALIVE_MS (0: no pings). */
  constructor(config: RuntimeConfig, executor: Executor, log: Logger, { keepaliveMs }: { keepaliveMs: number }) {
    if (config.server === undefined) throw new Error('OpenEdge mode needs the server settings');
    this.#config = config;
    this.#executor = executor;
    this.#log = log;
    // The limit is the payload's (checked here and by the worker, with an error that names it);
    // grpc-js refuses, on its own, a message whose other fields would take it far past it.
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': config.maxRequestBytes + FIELDS_ALLOWANCE,
      'grpc.max_send_message_length': config.worker.maxResponseBytes + FIELDS_ALLOWANCE,
      ...(keepaliveMs > 0 ? {
        'grpc.keepalive_time_ms': keepaliveMs,
        'grpc.keepalive_timeout_ms': Math.max(MIN_PING_TIMEOUT_MS, Math.round(keepaliveMs / 2)),
      } : {}),
    });
    this.#server.addService(RUNTIME_SERVICE, {
      Handle: (call: HandleCall, callback: grpc.sendUnaryData<Message>) => {
        const answered = this.#handle(call, callback).catch((err: unknown) => {
          this.#log.error({ err }, 'internal error while answering a call');
          callback({ code: Code.UNKNOWN, details: 'internal error of the runtime' }, null);
        });
        this.#answering.add(answered);
        void answered.finally(() => this.#answering.delete(answered));
      },
    });
  }

  start(onFatal: (reason: string) => void): Promise<void> {
    const { host, port } = this.#config.server!;
    const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new Promise((resolve) => {
      this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => {
        if (err !== null) {
          this.#log.error({ err }, `cannot listen on ${address}`);
          onFatal(`cannot listen: ${err.message}`);
        } else {
          this.#log.info({ address: host, port: bound }, `gRPC server listening on ${host}:${bound}`);
        }
        resolve();
      });
    });
  }

  async #handle(call: HandleCall, callback: grpc.sendUnaryData<Message>): Promise<void> {
    const message = call.request;
    const problem = message.invalid ?? invokeIdProblem(message.FunctionInvokeID);
    if (problem !== undefined) {
      return this.#send(call, callback, message, '', { ok: false, error: runtimeError(ErrorType.InvalidRequest, problem) });
    }
    const given = message.FunctionInvokeID;
    if (given !== '' && this.#invokeIds.has(given)) {
      const error = runtimeError(ErrorType.InvalidRequest, `a call with FunctionInvokeID ${JSON.stringify(given)} is in flight already: an id names one invocation`);
      return this.#send(call, callback, message, given, { ok: false, error });
    }
    if (given !== '') this.#invokeIds.add(given);
    try {
      await this.#serve(call, callback, message);
    } finally {
      if (given !== '') this.#invokeIds.delete(given);
    }
  }

  /** A call whose message and id are its own: refused (stopping, too large), or run and answered. */
  async #serve(call: HandleCall, callback: grpc.sendUnaryData<Message>, message: Message): Promise<void> {
    const arrivedAtMs = Date.now();
    const receivedAt = performance.now();
    const { requestId, meta } = invocationOf(message);
    if (this.#stopping) return this.#send(call, callback, message, requestId, { ok: false, error: runtimeError(ErrorType.Shutdown, 'the runtime is stopping') });
    const limit = this.#config.maxRequestBytes;
    if (message.Payload.length > limit) {
      const error = runtimeError(ErrorType.RequestTooLarge,
        `the message's payload is ${message.Payload.length} bytes, over the limit of ${limit} bytes (${this.#config.maxRequestBytesFrom})`);
      return this.#send(call, callback, message, requestId, { ok: false, error });
    }
    // The call's own deadline (grpc-timeout) shortens the function's.
    const deadlineMs = Math.min(arrivedAtMs + this.#config.timeoutMs, epochMs(call.getDeadline()));
    const inv: Invocation = { requestId, body: ownBytes(message.Payload), deadlineMs, timeoutMs: deadlineMs - arrivedAtMs, receivedAt, meta };
    // grpc-js ends a call at the client's deadline with 'cancelled', racing fnpool's own timer for
    // the same deadline: only a client that goes away before it cancels; at it, it is a timeout.
    const beforeDeadline = () => Date.now() < deadlineMs - DEADLINE_RACE_MS;
    const admitted = await waitForSlot(this.#executor.admission, deadlineMs, (giveUp) => {
      const stopped = () => giveUp('stopped');
      const gone = () => { if (beforeDeadline()) giveUp('cancelled'); };
      this.#waiting.add(stopped);
      call.once('cancelled', gone);
      return () => {
        this.#waiting.delete(stopped);
        call.off('cancelled', gone);
      };
    });
    let outcome: Outcome;
    if (typeof admitted === 'string') {
      outcome = { ok: false, error: notAdmittedError(admitted, inv.timeoutMs) };
      recordInvocation(this.#log, inv, outcome, undefined);
    } else {
      // A call the client cancels aborts its invocation (and frees its slot).
      const gone = () => { if (beforeDeadline()) this.#executor.cancel(inv); };
      call.once('cancelled', gone);
      outcome = await this.#executor.run(inv, admitted);
      call.off('cancelled', gone);
    }
    this.#send(call, callback, message, requestId, outcome);
  }

  #send(call: HandleCall, callback: grpc.sendUnaryData<Message>, message: Message, requestId: string, outcome: Outcome): void {
    if (call.cancelled) return;
    const answer = answerOf(message, requestId, outcome);
    if (answer.ok) {
      callback(null, answer.reply);
      return;
    }
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_TYPE_KEY, asciiOnly(answer.error.errorType));
    metadata.set(ERROR_BODY_KEY, errorBody(answer.error));
    callback({ code: answer.code, details: capMessage(answer.details, MAX_DETAILS_CHARS), metadata }, null);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    for (const stop of [...this.#waiting]) stop();
    // No new connections; calls on the open ones are refused by #handle until they close.
    const closed = new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    await this.#executor.shutdown(this.#config.shutdownTimeoutMs);
    await Promise.allSettled([...this.#answering]);
    // A timer that holds the process: with only connections node gave up on left (see above),
    // nothing else would, and the process would end here, before its last records are out.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]);
    this.#server.forceShutdown();
  }
}

/**
 * The payload in a buffer of its own: grpc-js decodes it as a view into the frame's pooled 8 KB
 * buffer, and handing a view to a worker copies the whole buffer under it.
 */
function ownBytes(payload: Buffer): Uint8Array {
  return payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength ? payload : Uint8Array.prototype.slice.call(payload);
}

/** grpc-js's Deadline (a Date, or ms since the epoch; Infinity: none) as epoch ms. */
function epochMs(deadline: grpc.Deadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** The error's JSON body for the trailing metadata: ASCII (a metadata value), at most MAX_ERROR_METADATA_CHARS. */
function errorBody(error: WireError): string {
  let json = asciiOnly(JSON.stringify(error));
  if (json.length <= MAX_ERROR_METADATA_CHARS) return json;
  json = asciiOnly(JSON.stringify({ ...error, stackTrace: [] }));
  if (json.length <= MAX_ERROR_METADATA_CHARS) return json;
  // The message cut until the body fits (escaped characters take up to 6 each).
  let room = MAX_ERROR_METADATA_CHARS;
  for (;;) {
    json = asciiOnly(JSON.stringify({ ...error, errorMessage: capMessage(error.errorMessage, room), stackTrace: [] }));
    if (json.length <= MAX_ERROR_METADATA_CHARS || room === 0) return json;
    room = Math.max(0, Math.floor((room * MAX_ERROR_METADATA_CHARS) / json.length) - 64);
  }
}

/** JSON text with every character outside printable ASCII escaped as \uXXXX (still the same JSON). */
function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
