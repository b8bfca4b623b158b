// The typed messages that cross the thread boundary between the executor (main thread) and a
// worker. Event and result bytes travel as bytes or strings, never as cloned object graphs:
// structured clone of a 1 MB object costs ~13 ms, the same JSON as a string ~0.5 ms (docs/pitfalls.md).
import type { WireError } from './errors.js';

/**
 * What the handler's context needs from the platform request, besides the event. Neutral: each
 * platform's wire mapping fills it (platforms/<name>/wire.ts), and its context part reads it.
 */
export interface InvocationMeta {
  invokeType: 'sync' | 'async';
  /**
   * Strings the context reports, under neutral keys. Common ones (every platform's context has
   * the methods): accessKey, secretKey, securityAccessKey, securitySecretKey, securityToken,
   * authToken, invokedFunctionArn. A platform adds its own (Lambda's clientContext, FC's region).
   */
  fields?: Readonly<Record<string, string>>;
  /** Values that must never appear in a log (credentials): scrubbed from what the handler logs. */
  secrets?: readonly string[];
  /** The platform's trace id (Lambda's X-Ray header), when it sends one. */
  traceId?: string;
}

/** An HTTP trigger's request, for an API-gateway-shaped event built in the worker. */
export interface HttpRequestMeta {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  query: Record<string, string | string[]>;
}

/** What the handler's HTTP-trigger result says besides the body. */
export interface HttpResponseMeta {
  statusCode: number;
  headers: Record<string, string | string[]>;
}

/** One invocation, as the executor hands it to a worker. */
export interface TaskRequest {
  /** Unique per dispatch; a worker runs the task only if it can claim this token (see claims.ts). */
  token: number;
  /** Index into the shared claims array. */
  slot: number;
  requestId: string;
  /**
   * The raw event bytes, copied to the worker (~0.5 ms per MB here). Not transferred: a task
   * taken back before it started (a lost or stuck thread, work stealing) is dispatched again with
   * the same bytes, which a transfer would have detached.
   */
  body: Uint8Array;
  /** Epoch milliseconds. */
  deadlineMs: number;
  meta: InvocationMeta;
  /** Call this export (`file.export`) with the context only, instead of the handler: lifecycle hooks. */
  entry?: string;
  /** Build an API-gateway-shaped event around the body, and map the result back (HTTP triggers). */
  http?: HttpRequestMeta;
  /**
   * A line the platform's log tail looks for when the invocation starts (FC's "FC Invoke Start
   * RequestId: …"): the worker writes it just before the handler's first line (which it writes at
   * once), so that it comes first; if the handler logs nothing, the main thread writes it.
   */
  startLine?: string;
}

interface ResultBase {
  threadId: number;
  /** Milliseconds the worker spent loading the handler and running the initializer; on the first task of a worker only. */
  initDurationMs?: number;
  /** JS heap plus off-heap (Buffer) memory of the worker after the task, in bytes; 0 when no memory budget is set (not measured). */
  memoryBytes: number;
  /** The worker went over its memory share (or hit a fatal fault) and must be replaced once idle. */
  retire?: string;
  /** Milliseconds the handler ran before it first returned or awaited (its first synchronous slice). */
  syncMs?: number;
}

export interface OkResult extends ResultBase {
  kind: 'ok';
  /** A JSON text, or raw bytes when the handler returned a Buffer/Uint8Array. */
  body: string | Uint8Array;
  /** For an HTTP-trigger task: the status and headers the handler chose. */
  http?: HttpResponseMeta;
}

export interface ErrorResult extends ResultBase {
  kind: 'error';
  error: WireError;
  /** The worker's own init failed: the handler never ran. */
  initFailed?: true;
}

/** The task was not run: it was cancelled before it started, or its token went stale. */
export interface SkippedResult {
  kind: 'skipped';
}

/** The executor aborted the task (deadline, shutdown); the caller has already been answered. */
export interface AbortedResult extends ResultBase {
  kind: 'aborted';
}

export type TaskResult = OkResult | ErrorResult | SkippedResult | AbortedResult;

/** Messages on the control BroadcastChannel. */
export type ControlMessage =
  | { type: 'loaded'; threadId: number }
  | { type: 'ready'; threadId: number; initDurationMs: number; error?: WireError }
  /** The dispatch of the given admission slot and token: a request id may repeat (a push platform's caller chooses it). */
  | { type: 'abort'; slot: number; token: number; reason: AbortReason }
  | { type: 'abort-all'; reason: 'shutdown' };

/** Why a running invocation is ended early: its deadline, the runtime stopping, or its caller gone (HTTP mode). */
export type AbortReason = 'timeout' | 'shutdown' | 'cancelled';

export const CONTROL_CHANNEL = 'fnpool:control';
