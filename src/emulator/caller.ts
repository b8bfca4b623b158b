// What calls a function on a local platform, whichever way the platform reaches its runtime: the
// runtime-API emulator of a pull platform (the runtime fetches the invocation) or the front of a
// push platform (it sends the invocation to the runtime's port, http-front.ts). The invoke
// endpoint, `fnpool invoke --dir` and `fnpool bench` are written once against this interface.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorLimits } from './wires.js';
import type { InvokeOptions, InvokeResult, PullEmulator } from './ledger.js';

export interface LocalCaller {
  /** For messages: "FunctionGraph", "Function Compute (HTTP)". */
  readonly title: string;
  /** What the platform accepts: request sizes by invocation type. */
  readonly limits: Readonly<EmulatorLimits>;
  /** One invocation, answered once: the function's result or its error. */
  invoke(event: Buffer | string | object, opts?: InvokeOptions): Promise<InvokeResult>;
  /** What of a caller's request headers the invoke endpoint passes on to the invocation. */
  callerHeaders(headers: IncomingHttpHeaders): Record<string, string>;
  /** The status and headers the invoke endpoint answers with, when not its own (an HTTP trigger's answer, a push runtime's). */
  httpAnswer?(result: InvokeResult): { status: number; headers: Record<string, string | string[]> } | undefined;
  /** A push platform: a request to any other path goes to the runtime as it came (an HTTP trigger's). */
  forward?(req: IncomingMessage, res: ServerResponse): void;
}

/** A pull platform's emulator as a caller. */
export function pullCaller(emulator: PullEmulator): LocalCaller {
  const { wire } = emulator;
  return {
    title: wire.title,
    limits: emulator.limits,
    invoke: (event, opts) => emulator.invoke(event, opts),
    callerHeaders: (headers) => wire.callerHeaders(headers),
    // An HTTP trigger's result carries its own status and headers; errors are the endpoint's to answer.
    ...(wire.httpAnswer ? { httpAnswer: (result: InvokeResult) => (result.ok ? wire.httpAnswer!(result) : undefined) } : {}),
  };
}
