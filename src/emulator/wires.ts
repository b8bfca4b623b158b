// What a pull platform's local emulator needs to know of its wire (platforms/<name>/emulator.ts):
// the ledger (ledger.ts), the invoke endpoint and the local platform of the CLI are written once
// against this interface.
import type { IncomingHttpHeaders } from 'node:http';
import type { PullPlatformName } from '../platforms/platform.js';
import type { InvokeError, InvokeResult, InvokeType } from './ledger.js';
import { functionGraphEmulator } from '../platforms/functiongraph/emulator.js';
import { lambdaEmulator } from '../platforms/lambda/emulator.js';
import { fcEmulator } from '../platforms/fc/emulator.js';

export interface EmulatorLimits {
  maxSyncRequestBytes: number;
  maxAsyncRequestBytes: number;
  maxResponseBytes: number;
}

/** How a local platform runs a function: the settings of `fnpool start`, the tests and the benchmarks. */
export interface LaunchSettings {
  /** The function's folder. */
  dir: string;
  handler: string;
  initializer?: string;
  /** Seconds. */
  timeout: number;
  /** MB; undefined: no memory budget. */
  memory?: number;
  cpus: number;
  concurrency?: number;
}

export interface EmulatorWire {
  /** For messages: "FunctionGraph". */
  readonly title: string;
  /** The variable that tells a runtime where the API is (RUNTIME_API_ADDR). */
  readonly apiVariable: string;
  readonly nextPath: string;
  /** A POST path → the (URL-encoded) request id and whether it posts a result (ok) or an error. */
  answerOf(path: string): { rawId: string; ok: boolean } | undefined;
  readonly initErrorPath?: string;
  /** 'exit': a runtime whose init failed is gone, so what waits is answered with the error (Lambda). */
  readonly initFailure: 'exit' | 'serve';
  /** The status that accepts an answer (FunctionGraph and Lambda 202, FC 200). */
  readonly acceptedStatus: number;
  readonly limits: EmulatorLimits;
  /** Hand-out headers the emulator sets itself: defaultHeaders and an invocation's headers cannot. */
  readonly ownedHeaders: readonly string[];
  /** Headers of every hand-out unless defaultHeaders or the invocation's own say otherwise (Lambda's ARN). */
  readonly baseHeaders?: Readonly<Record<string, string>>;
  /** The hand-out's own headers, flat [name, value, …]: its request id and type. */
  handoutHeaders(requestId: string, invokeType: InvokeType): string[];
  /** Headers made at the moment of the hand-out: the deadline (and Lambda's trace id). */
  handoutTimeHeaders?(deadlineMs: number, timeoutMs: number): string[];
  /** A posted error body → the neutral shape; undefined when it is not the platform's shape. */
  parseError(body: Buffer, headers: IncomingHttpHeaders): InvokeError | undefined;
  /** What a well-formed error body looks like, for the 400 a malformed one gets. */
  readonly errorShape: string;
  /** What of a caller's request headers the invoke endpoint passes on to the invocation, as hand-out headers. */
  callerHeaders(headers: IncomingHttpHeaders): Record<string, string>;
  /** An HTTP trigger's answer (FC's x-fc-http-params on the response): the status and headers the invoke endpoint answers with. */
  httpAnswer?(result: InvokeResult): { status: number; headers: Record<string, string | string[]> } | undefined;
  /** Every variable launchEnv may write, and the platform's other spellings of those settings. */
  readonly launchVariables: readonly string[];
  /** The environment the platform gives a bootstrap: its variables for these settings and this API address. */
  launchEnv(settings: LaunchSettings, apiAddress: string, env: NodeJS.ProcessEnv): Record<string, string>;
}


const WIRES: Record<PullPlatformName, EmulatorWire> = { functiongraph: functionGraphEmulator, lambda: lambdaEmulator, fc: fcEmulator };

export function emulatorWire(platform: PullPlatformName): EmulatorWire {
  return WIRES[platform];
}

/**
 * Variables that select a platform or name a setting the local platform sets itself, in every
 * platform's spelling: removed from the caller's environment before a launch, so that the
 * bootstrap sees one platform and the settings it was started with. fnpool's own, each pull
 * platform's (its EmulatorWire's `launchVariables`), and those that select the HTTP mode.
 */
export const LAUNCH_SHADOWED: readonly string[] = [
  'FNPOOL_PLATFORM', 'FNPOOL_HANDLER', 'FNPOOL_INITIALIZER', 'FNPOOL_MEMORY_MB', 'FNPOOL_CODE_ROOT', 'FNPOOL_BOOTSTRAP',
  'FNPOOL_CONCURRENCY', 'FNPOOL_TIMEOUT',
  ...Object.values(WIRES).flatMap((wire) => wire.launchVariables),
  'FC_SERVER_PORT', 'PORT', 'K_SERVICE',
];

/** The caller's environment less LAUNCH_SHADOWED, with the platform's launch variables. */
export function launchEnvironment(platform: PullPlatformName, settings: LaunchSettings, apiAddress: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of LAUNCH_SHADOWED) delete out[name];
  return Object.assign(out, WIRES[platform].launchEnv(settings, apiAddress, env));
}
