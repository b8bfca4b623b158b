// The local FunctionGraph platform (SPEC §6): the runtime-API emulator and the invoke endpoint.
export {
  DEFAULT_MAX_ASYNC_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_SYNC_REQUEST_BYTES,
  EmulatorError,
  FunctionGraphEmulator,
} from './runtime-api.js';
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
} from './runtime-api.js';
export { startInvokeEndpoint } from './invoke-endpoint.js';
export type { InvokeEndpoint, InvokeEndpointOptions } from './invoke-endpoint.js';
