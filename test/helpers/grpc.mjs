// A gRPC client of OpenEdge's Runtime.Handle, as OpenEdge's function module calls a runtime: for the
// tests of OpenEdge mode (the real bootstrap started with -c). Loads the runtime.proto fnpool ships.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('../../dist/platforms/openedge/runtime.proto', import.meta.url));
const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });
const { runtime } = grpc.loadPackageDefinition(definition);

export { grpc };
export { freePort } from '../../dist/emulator/index.js';

/**
 * A client of Runtime.Handle at address (host:port). handle() resolves with
 * { ok: true, reply } or { ok: false, code, details, metadata } (metadata as a plain object).
 */
export function runtimeClient(address, options = {}) {
  const client = new runtime.Runtime(address, grpc.credentials.createInsecure(), options);
  return {
    client,
    handle(message, { deadlineMs, signal } = {}) {
      return new Promise((resolve) => {
        const call = client.Handle(
          { QOS: 0, Topic: 't', Payload: Buffer.alloc(0), FunctionName: 'f', FunctionInvokeID: '', ...message },
          new grpc.Metadata(),
          deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
          (err, reply) => resolve(err
            ? { ok: false, code: err.code, details: err.details, metadata: err.metadata?.getMap() ?? {} }
            : { ok: true, reply }),
        );
        signal?.addEventListener('abort', () => call.cancel(), { once: true });
      });
    },
    close: () => client.close(),
  };
}
