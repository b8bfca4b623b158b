// The inline gRPC baseline (scenario 9): the shape of OpenEdge's (BAETYL's) own Node.js function
// runtime, which fnpool's OpenEdge mode replaces — one thread, a @grpc/grpc-js server of
// runtime.Runtime/Handle that runs the handler inline on the main thread for each call. That is
// what a function gets on OpenEdge without fnpool, so it is what fnpool is compared with: the same
// wire, the same single HTTP/2 connection from the caller, only the runtime differs.
// Started as OpenEdge starts a runtime, `inline-grpc.mjs -c '<json config>'`; of the config it
// reads only server.address, function.handler (module.export, e.g. index.handler) and
// function.codedir. The Payload is the event (JSON-parsed when it parses, else the bytes as a
// string); the reply echoes the message with the result as Payload (a Buffer as is, a string as
// UTF-8, anything else as JSON). A thrown error is status UNKNOWN with `<name>: <message>`.
// A benchmark baseline, not a feature: no deadline, no concurrency limit, no isolation.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_FILE } from '../../dist/platforms/openedge/wire.js';

const fail = (message) => {
  process.stderr.write(`inline gRPC baseline: ${message}\n`);
  process.exit(2);
};

const at = process.argv.indexOf('-c');
if (at < 0 || process.argv[at + 1] === undefined) fail("usage: inline-grpc.mjs -c '<json config>'");
let config;
try {
  config = JSON.parse(process.argv[at + 1]);
} catch (err) {
  fail(`-c is not JSON: ${err.message}`);
}
const address = config?.server?.address;
if (typeof address !== 'string' || address === '') fail('server.address is required');
const handlerName = config?.function?.handler ?? 'index.handler';
const codeDir = path.resolve(config?.function?.codedir ?? '.');

const dot = handlerName.lastIndexOf('.');
const [moduleName, exportName] = dot > 0 ? [handlerName.slice(0, dot), handlerName.slice(dot + 1)] : ['index', handlerName];
const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(codeDir, moduleName + ext)).find((f) => existsSync(f));
if (!file) fail(`no module ${moduleName} under ${codeDir}`);
const handler = (await import(pathToFileURL(file).href))[exportName];
if (typeof handler !== 'function') fail(`${handlerName} is not a function`);

const eventOf = (payload) => {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};
const payloadOf = (result) => {
  if (Buffer.isBuffer(result)) return result;
  if (typeof result === 'string') return Buffer.from(result, 'utf8');
  return Buffer.from(JSON.stringify(result ?? null));
};

const definition = protoLoader.loadSync(PROTO_FILE, { keepCase: true, longs: Number, defaults: true });
const { runtime } = grpc.loadPackageDefinition(definition);
const server = new grpc.Server();
server.addService(runtime.Runtime.service, {
  Handle: async (call, callback) => {
    const msg = call.request;
    try {
      const result = await handler(eventOf(msg.Payload), { functionName: msg.FunctionName, functionInvokeID: msg.FunctionInvokeID, messageTopic: msg.Topic, messageQOS: msg.QOS });
      callback(null, { QOS: msg.QOS, Topic: msg.Topic, Payload: payloadOf(result), FunctionName: msg.FunctionName, FunctionInvokeID: msg.FunctionInvokeID });
    } catch (err) {
      callback({ code: grpc.status.UNKNOWN, details: `${err?.name ?? 'Error'}: ${String(err?.message ?? err)}` }, null);
    }
  },
});
server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) fail(`cannot listen on ${address}: ${err.message}`);
});
process.once('SIGTERM', () => {
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
