// The local platforms: the runtime-API emulator of FunctionGraph, Lambda or Function Compute (one
// ledger, one wire per platform), the fronts of the push platforms (HTTP mode's, FC's or
// Knative's; OpenEdge's gRPC), and the invoke endpoint in front of any of them.
export { EmulatorError, isValidRequestId, PullEmulator, REQUEST_ID_RULE } from './ledger.js';
export type {
  EmulatorErrorCode,
  EmulatorEvents,
  EmulatorOptions,
  EmulatorStats,
  FaultPlan,
  InvokeError,
  InvokeOptions,
  InvokeResult,
  InvokeType,
  PostsInFlight,
  RestartPlan,
  StopReport,
} from './ledger.js';
export { emulatorWire, launchEnvironment, LAUNCH_SHADOWED } from './wires.js';
export type { EmulatorWire, LaunchSettings } from './wires.js';
export { startInvokeEndpoint, LAMBDA_INVOKE_PATH } from './invoke-endpoint.js';
export type { InvokeEndpoint, InvokeEndpointOptions } from './invoke-endpoint.js';
export { pullCaller } from './caller.js';
export type { LocalCaller } from './caller.js';
export { HTTP_LIMITS, HttpFront, httpLaunchEnvironment } from './http-front.js';
export type { HttpFlavour, HttpFrontOptions } from './http-front.js';
export { GrpcFront, OPENEDGE_LIMITS, openEdgeLaunch } from './grpc-front.js';
export { freePort, PushFront } from './push-front.js';
