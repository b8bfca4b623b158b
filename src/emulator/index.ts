// The local pull platforms: the runtime-API emulator of FunctionGraph, Lambda or Function Compute
// (one ledger, one wire per platform), and the invoke endpoint in front of it.
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
} from './ledger.js';
export { emulatorWire, launchEnvironment, LAUNCH_SHADOWED } from './wires.js';
export type { EmulatorWire, LaunchSettings } from './wires.js';
export { startInvokeEndpoint, LAMBDA_INVOKE_PATH } from './invoke-endpoint.js';
export type { InvokeEndpoint, InvokeEndpointOptions } from './invoke-endpoint.js';
