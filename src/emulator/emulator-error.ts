// The one error class of the local platforms: every refusal of the emulator and the invoke
// endpoint, with a stable `code` to match on.

export type EmulatorErrorCode =
  | 'REQUEST_TOO_LARGE'
  | 'INVOKE_TIMEOUT'
  | 'EMULATOR_CLOSED'
  | 'DUPLICATE_REQUEST_ID'
  | 'INVALID_INVOCATION'
  | 'INVALID_RESTART'
  | 'EADDRINUSE';

/** Every error the emulator rejects with; match on `code`. */
export class EmulatorError extends Error {
  readonly code: EmulatorErrorCode;

  constructor(code: EmulatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorError';
    this.code = code;
  }
}
