// The closed loop's Invoker for a runtime served over OpenEdge's (BAETYL's) gRPC service
// runtime.Runtime/Handle (fnpool's OpenEdge mode, or any server of runtime.proto): each invocation
// is one Handle call of a Message whose Payload is the event and FunctionInvokeID the request id.
// One grpc-js client, so one HTTP/2 connection to host:port that multiplexes every call in flight
// as streams, as OpenEdge's function module does with a runtime (unlike HttpInvoker's connection
// per request). The answer: the reply's Payload is the result; a failed call is an error read from
// its fnpool-error trailer (the runtime's JSON error body), else from the gRPC status. A call past
// its deadline (timeoutMs) with no trailer is no answer: rejected with code 'INVOKE_TIMEOUT'.
// Latency: call started → reply (or status) received.
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { RUNTIME_SERVICE } from '../platforms/openedge/service.js';
import { ERROR_BODY_KEY, type Message } from '../platforms/openedge/wire.js';
import type { Invoker, LoadAnswer } from './load.js';

/** OpenEdge's default server.message.length.max, with room for the other fields. */
const MAX_MESSAGE_BYTES = 4_194_304 + 64 * 1024;

type HandleClient = grpc.Client & {
  Handle(message: Message, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, reply?: Message) => void): grpc.ClientUnaryCall;
};

/** An answer with the call's gRPC status (0 = OK): UNAVAILABLE tells a runtime not listening yet. */
export interface GrpcAnswer extends LoadAnswer {
  status: number;
}

export interface GrpcInvokerOptions {
  /** The Message's Topic, QOS and FunctionName; default 'bench', 0, 'bench'. */
  topic?: string;
  qos?: number;
  functionName?: string;
}

export class GrpcInvoker implements Invoker {
  readonly #client: HandleClient;
  readonly #topic: string;
  readonly #qos: number;
  readonly #functionName: string;

  /** address: host:port of the runtime's server.address. */
  constructor(address: string, opts: GrpcInvokerOptions = {}) {
    this.#topic = opts.topic ?? 'bench';
    this.#qos = opts.qos ?? 0;
    this.#functionName = opts.functionName ?? 'bench';
    const Runtime = grpc.makeGenericClientConstructor(RUNTIME_SERVICE, 'Runtime');
    this.#client = new Runtime(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // A runtime that is starting is tried again soon after it refused a connection (grpc-js's
      // default backoff starts at 1 s), so that it is reached as soon as it listens.
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 500,
    }) as unknown as HandleClient;
  }

  invoke(body: Buffer, { requestId, timeoutMs }: { requestId: string; timeoutMs?: number }): Promise<GrpcAnswer> {
    const message: Message = { QOS: this.#qos, Topic: this.#topic, Payload: body, FunctionName: this.#functionName, FunctionInvokeID: requestId };
    const options: grpc.CallOptions = timeoutMs !== undefined ? { deadline: Date.now() + Math.max(1, timeoutMs) } : {};
    return new Promise((resolve, reject) => {
      const handedOutAt = performance.now();
      this.#client.Handle(message, new grpc.Metadata(), options, (err, reply) => {
        const answeredAt = performance.now();
        if (err === null) {
          resolve({ ok: true, status: grpc.status.OK, handedOutAt, answeredAt, body: reply?.Payload ?? Buffer.alloc(0) });
          return;
        }
        const error = runtimeError(err);
        // The runtime's own timeout carries its trailer; without one, the deadline passed was this call's.
        if (error === undefined && err.code === grpc.status.DEADLINE_EXCEEDED && timeoutMs !== undefined) {
          reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`, { cause: err }), { code: 'INVOKE_TIMEOUT' }));
          return;
        }
        const wire = error ?? { errorType: `grpc.${grpc.status[err.code] ?? err.code}`, errorMessage: err.details, stackTrace: [] };
        resolve({ ok: false, status: err.code, handedOutAt, answeredAt, body: Buffer.from(JSON.stringify(wire)), error: wire });
      });
    });
  }

  /** Closes the connection (calls still in flight fail CANCELLED). */
  close(): Promise<void> {
    this.#client.close();
    return Promise.resolve();
  }
}

/** The runtime's own error, from the call's fnpool-error trailer; undefined when there is none. */
function runtimeError(err: grpc.ServiceError): NonNullable<LoadAnswer['error']> | undefined {
  const body = err.metadata?.get(ERROR_BODY_KEY)[0];
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as { errorType?: unknown; errorMessage?: unknown; stackTrace?: unknown };
    if (typeof parsed.errorType !== 'string') return undefined;
    return {
      errorType: parsed.errorType,
      errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '',
      stackTrace: Array.isArray(parsed.stackTrace) ? parsed.stackTrace.filter((l): l is string => typeof l === 'string') : [],
    };
  } catch {
    return undefined;
  }
}
