// OpenEdge's Runtime.Handle, as fnpool sees it: a Message in becomes one invocation, its outcome a
// Message back or a gRPC status. The payload bytes are the event (the worker parses them, with the
// 'message' codec: platform.ts); the reply echoes QOS, Topic, FunctionName and FunctionInvokeID
// with the result as Payload. A handler's error is UNKNOWN, with `<errorType>: <errorMessage>` as
// the details and the error's JSON body in the trailing metadata, so that a client can tell the
// type without parsing text; the runtime's own errors map to the status a gRPC client expects. A
// call that cannot be an invocation (bytes that are not a Message, a FunctionInvokeID that is
// too long, holds control characters, or is in flight already) is INVALID_ARGUMENT
// (Runtime.InvalidRequest), and nothing runs.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ErrorType, type WireError } from '../../errors.js';
import type { Outcome } from '../../executor/executor.js';
import type { InvocationMeta } from '../../protocol.js';

/** runtime.proto ships beside this file (the build copies it into dist/). */
export const PROTO_FILE = fileURLToPath(new URL('./runtime.proto', import.meta.url));

/** The message of OpenEdge's runtime.proto (keepCase: its field names as written there). */
export interface Message {
  QOS: number;
  Topic: string;
  Payload: Buffer;
  FunctionName: string;
  FunctionInvokeID: string;
}

/** A request's message as the server decodes it: `invalid` says why the bytes were not a Message. */
export interface ReceivedMessage extends Message {
  invalid?: string;
}

/** gRPC status codes used here (grpc-js's Status enum, kept as numbers so this file loads without it). */
export const Code = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
} as const;

/** Trailing metadata keys of an error: its type, and its JSON body (README "Errors"). */
export const ERROR_TYPE_KEY = 'fnpool-error-type';
export const ERROR_BODY_KEY = 'fnpool-error';

/** The longest FunctionInvokeID taken (OpenEdge sends UUIDs): it is in every log record of its invocation. */
export const MAX_INVOKE_ID_CHARS = 1024;
/** Characters a FunctionInvokeID may not hold: control characters and line separators, which would break log lines. */
const INVOKE_ID_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** What is wrong with a message's FunctionInvokeID, or undefined (an empty one is fine: an id is made up). */
export function invokeIdProblem(id: string): string | undefined {
  if (id.length > MAX_INVOKE_ID_CHARS) return `FunctionInvokeID is ${id.length} characters long, over ${MAX_INVOKE_ID_CHARS}`;
  if (INVOKE_ID_FORBIDDEN.test(id)) return `FunctionInvokeID ${JSON.stringify(id.slice(0, 64))} holds a control character or a line separator`;
  return undefined;
}

/** The request id (the call's FunctionInvokeID, else a fresh one) and what the context reports of the message. */
export function invocationOf(message: Message): { requestId: string; meta: InvocationMeta } {
  const requestId = message.FunctionInvokeID !== '' ? message.FunctionInvokeID : randomUUID();
  return {
    requestId,
    meta: {
      invokeType: 'sync',
      fields: {
        messageQOS: String(message.QOS),
        messageTopic: message.Topic,
        functionName: message.FunctionName,
        functionInvokeID: requestId,
      },
    },
  };
}

/** The reply to a call whose handler succeeded: the message's fields echoed, the result as Payload. */
export function replyOf(message: Message, requestId: string, body: string | Uint8Array): Message {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { QOS: message.QOS, Topic: message.Topic, Payload: payload, FunctionName: message.FunctionName, FunctionInvokeID: requestId };
}

/** The gRPC status of a failed invocation. */
export function statusOf(error: WireError): number {
  switch (error.errorType) {
    case ErrorType.Timeout:
      return Code.DEADLINE_EXCEEDED;
    case ErrorType.RequestTooLarge:
    case ErrorType.ResponseTooLarge:
      return Code.RESOURCE_EXHAUSTED;
    case ErrorType.Shutdown:
      return Code.UNAVAILABLE;
    case ErrorType.Cancelled:
      return Code.CANCELLED;
    case ErrorType.InvalidRequest:
      return Code.INVALID_ARGUMENT;
    default:
      return Code.UNKNOWN;
  }
}

/** What a call is answered with: the reply, or a status with the error's details and trailing metadata. */
export type Answer = { ok: true; reply: Message } | { ok: false; code: number; details: string; error: WireError };

export function answerOf(message: Message, requestId: string, outcome: Outcome): Answer {
  if (outcome.ok) return { ok: true, reply: replyOf(message, requestId, outcome.body) };
  const { error } = outcome;
  return { ok: false, code: statusOf(error), details: `${error.errorType}: ${error.errorMessage}`, error };
}
