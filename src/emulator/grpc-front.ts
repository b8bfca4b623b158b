// The local OpenEdge (BAETYL): what its function module does with a function runtime. It writes
// the runtime's config — the function's folder, handler, instance.max (its concurrency) and
// instance.timeout (its deadline), server.address on a free loopback port — starts the runtime
// with `-c '<config>'` as OpenEdge does, waits for the port to open, and sends each invocation as
// a Runtime.Handle call: the event as Payload, the request id as FunctionInvokeID, the topic and QOS
// of the local platform's --topic and --qos. The reply's Payload is the result; a failed call's
// error comes from its trailing metadata (fnpool-error), else from the gRPC status.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { RUNTIME_SERVICE } from '../platforms/openedge/service.js';
import { ERROR_BODY_KEY, type Message } from '../platforms/openedge/wire.js';
import { EmulatorError } from './emulator-error.js';
import { toBytes } from './http.js';
import type { InvokeError, InvokeOptions, InvokeResult } from './ledger.js';
import { freePort, PushFront, withTimeout } from './push-front.js';
import { LAUNCH_SHADOWED, type EmulatorLimits, type LaunchSettings } from './wires.js';

/** OpenEdge's default server.message.length.max. */
const MAX_MESSAGE_BYTES = 4_194_304;
export const OPENEDGE_LIMITS: Readonly<EmulatorLimits> = {
  maxSyncRequestBytes: MAX_MESSAGE_BYTES, maxAsyncRequestBytes: MAX_MESSAGE_BYTES, maxResponseBytes: MAX_MESSAGE_BYTES,
};

export interface GrpcFrontOptions {
  settings: LaunchSettings;
  /** The MQTT topic and QOS of every message (OpenEdge: the rule's). */
  topic: string;
  qos: number;
  functionName?: string;
}

type HandleClient = grpc.Client & {
  Handle(message: Message, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, reply?: Message) => void): grpc.ClientUnaryCall;
};

/** OpenEdge's config for a runtime serving the function at port. */
export function openEdgeConfig(settings: LaunchSettings, port: number, functionName = path.basename(settings.dir)): object {
  const name = functionName.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 140) || 'function';
  return {
    name,
    server: { address: `127.0.0.1:${port}`, timeout: '30s', message: { length: { max: MAX_MESSAGE_BYTES } } },
    function: {
      id: name,
      name,
      handler: settings.handler,
      codedir: settings.dir,
      // OpenEdge runs one call at a time unless instance.max says more: the local platform runs
      // what the function's settings say, fnpool's default (threads × 8) when they say nothing.
      instance: { max: settings.concurrency ?? Math.max(1, Math.ceil(settings.cpus)) * 8, timeout: `${settings.timeout}s` },
    },
  };
}

/** What the runtime is started with: OpenEdge's -c config, and fnpool's variables for what it does not say. */
export function openEdgeLaunch(settings: LaunchSettings, port: number, env: NodeJS.ProcessEnv, functionName?: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of LAUNCH_SHADOWED) delete out[name];
  out.FNPOOL_THREADS = env.FNPOOL_THREADS ?? String(Math.max(1, Math.ceil(settings.cpus)));
  if (settings.memory !== undefined) out.FNPOOL_MEMORY_MB = String(settings.memory);
  if (settings.initializer !== undefined) out.FNPOOL_INITIALIZER = settings.initializer;
  return { args: ['-c', JSON.stringify(openEdgeConfig(settings, port, functionName))], env: out };
}

export class GrpcFront extends PushFront {
  static async create(opts: GrpcFrontOptions): Promise<GrpcFront> {
    return new GrpcFront(opts, await freePort());
  }

  readonly title = 'OpenEdge (gRPC)';
  readonly limits = OPENEDGE_LIMITS;
  readonly functionName: string;
  readonly #opts: GrpcFrontOptions;
  readonly #client: HandleClient;

  private constructor(opts: GrpcFrontOptions, port: number) {
    super(port);
    this.#opts = opts;
    this.functionName = opts.functionName ?? path.basename(opts.settings.dir);
    const Runtime = grpc.makeGenericClientConstructor(RUNTIME_SERVICE, 'Runtime');
    this.#client = new Runtime(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES + 64 * 1024,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES + 64 * 1024,
    }) as unknown as HandleClient;
  }

  get listensAt(): string {
    return `server.address=127.0.0.1:${this.port}`;
  }

  runtimeEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return openEdgeLaunch(this.#opts.settings, this.port, env, this.functionName).env;
  }

  override runtimeArguments(): string[] {
    return openEdgeLaunch(this.#opts.settings, this.port, {}, this.functionName).args;
  }

  invoke(event: Buffer | string | object, opts: InvokeOptions = {}): Promise<InvokeResult> {
    const payload = toBytes(event);
    const requestId = opts.requestId ?? randomUUID();
    if (payload.length > this.limits.maxSyncRequestBytes) {
      return Promise.reject(new EmulatorError('REQUEST_TOO_LARGE', `the message is ${payload.length} bytes, over OpenEdge's limit of ${this.limits.maxSyncRequestBytes}`));
    }
    const message: Message = { QOS: this.#opts.qos, Topic: this.#opts.topic, Payload: payload, FunctionName: this.functionName, FunctionInvokeID: requestId };
    return withTimeout(this.#call(message, requestId), requestId, opts.timeoutMs);
  }

  callerHeaders(_headers: IncomingHttpHeaders): Record<string, string> {
    return {};
  }

  close(): Promise<void> {
    this.#client.close();
    return Promise.resolve();
  }

  async #call(message: Message, requestId: string): Promise<InvokeResult> {
    const queuedAt = performance.now();
    let handedOutAt = queuedAt;
    try {
      await this.ready;
    } catch (err) {
      return this.#failed(requestId, this.lost(requestId, err), queuedAt, handedOutAt, 0);
    }
    handedOutAt = performance.now();
    return new Promise((resolve) => {
      this.#client.Handle(message, new grpc.Metadata(), {}, (err, reply) => {
        const answeredAt = performance.now();
        if (err === null && reply !== undefined) {
          resolve({ requestId, ok: true, status: 0, headers: {}, body: reply.Payload, queuedAt, handedOutAt, answeredAt });
          return;
        }
        resolve(this.#failed(requestId, err === null ? this.lost(requestId, new Error('no reply')) : this.#errorOf(err, requestId), queuedAt, handedOutAt, err?.code ?? 0));
      });
    });
  }

  #failed(requestId: string, error: InvokeError, queuedAt: number, handedOutAt: number, status: number): InvokeResult {
    const body = Buffer.from(JSON.stringify(error));
    return { requestId, ok: false, status, headers: {}, body, contentType: 'application/json', error, queuedAt, handedOutAt, answeredAt: performance.now() };
  }

  /** The error of a failed call: the runtime's own (its fnpool-error trailer), else what the gRPC status says. */
  #errorOf(err: grpc.ServiceError, requestId: string): InvokeError {
    const body = err.metadata?.get(ERROR_BODY_KEY)[0];
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as InvokeError;
        if (typeof parsed.errorType === 'string') return parsed;
      } catch {
        // not the runtime's JSON: the status says what happened
      }
    }
    // No connection: the runtime is gone (or never listened).
    if (err.code === grpc.status.UNAVAILABLE) return this.lost(requestId, err);
    return { errorType: `grpc.${grpc.status[err.code] ?? err.code}`, errorMessage: err.details, stackTrace: [] };
  }
}
