// The seam between "a platform" and the rest of fnpool. Every platform folder under src/platforms/
// exports one PlatformModule from its index.ts; the runtime picks one at start (registry.ts) and
// never looks at a header name, an environment variable or a URL path of a platform again. The
// executor, the worker and the logger see only neutral things: an Invocation (id, raw event
// bytes, deadline, InvocationMeta) in, an Outcome out.
//
// A platform folder holds the same files for every platform:
//   index.ts     the PlatformModule: how it is detected, what its environment says (settings)
//   wire.ts      pull platforms: the PullWire (paths, headers → invocation, outcome → request);
//                push platforms: requests → invocations, outcomes → answers (their server.ts serves them)
//   context.ts   worker side: what the platform adds to the handler's context object
//   emulator.ts  the local platform: the EmulatorWire of its runtime API, and the environment
//                a bootstrap gets from it (loaded by the CLI, the tests and the benchmarks only)
import { ConfigError, type Env, optionalString } from '../config/env.js';
import type { LogStyle, RuntimeConfig } from '../config/config.js';
import type { WireError } from '../errors.js';
import type { Executor, Outcome } from '../executor/executor.js';
import type { Logger } from '../logging/logger.js';
import type { HttpRequestMeta, InvocationMeta } from '../protocol.js';

export const PLATFORM_NAMES = ['functiongraph', 'lambda', 'fc', 'http', 'openedge'] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];
/** The platforms that fnpool serves by polling a runtime API. */
export const PULL_PLATFORMS = ['functiongraph', 'lambda', 'fc'] as const;
export type PullPlatformName = (typeof PULL_PLATFORMS)[number];

/**
 * What a platform's environment says about the function and how to reach the platform. Every
 * field is optional: what the platform does not say falls back to FNPOOL_* settings and defaults.
 * Readers throw ConfigError naming the variable and the bad value.
 */
export interface PlatformSettings {
  /** host:port of the runtime API (pull platforms); required there. */
  apiAddress?: string;
  codeRoot?: string;
  handler?: string;
  initializer?: string;
  initializerTimeoutSeconds?: number;
  /** The function's configured timeout; deadlines count from an invocation's arrival unless it carries one. */
  timeoutSeconds?: number;
  cpus?: number;
  memoryMB?: number;
  /** The most invocations the platform lets one instance run at once (Lambda: 1 unless it says more). */
  maxConcurrency?: number;
  /** Threads when FNPOOL_THREADS does not say (default: from the CPUs, at most the cores). */
  threads?: number;
  /** Size limits, with the variable that set them (named in the error when one is passed). */
  maxRequestBytes?: { bytes: number; from: string };
  maxResponseBytes?: { bytes: number; from: string };
  function: {
    name?: string;
    version?: string;
    /** The function's own settings, for context.getUserData(key). */
    userData?: Record<string, string>;
    /** Platform strings the context reports (package, projectId, logGroupName, region, …). */
    attrs?: Record<string, string>;
  };
  log?: Partial<LogStyle>;
  /** Push platforms: where to listen (FNPOOL_HOST overrides the host), and the status of an error answer (HTTP). */
  server?: { host?: string; port: number; errorStatus?: number };
  /** How long a stop may let invocations in flight finish (FNPOOL_SHUTDOWN_TIMEOUT_MS overrides it). */
  shutdownTimeoutMs?: number;
  /** Variables the platform's configuration gives the function (OpenEdge's function.env), set before the workers start. */
  functionEnv?: Record<string, string>;
  /** 'message': OpenEdge's payloads (an empty payload is an empty Buffer; a string result is its UTF-8, null is empty). */
  payloadCodec?: PayloadCodec;
}

/**
 * How event bytes become the handler's event and its result becomes bytes. 'json', FaaS's: JSON
 * when it parses, else a Buffer, an empty body {}; the result as JSON, a Buffer as is. 'message',
 * OpenEdge's: the same, but an empty payload is an empty Buffer, a string result is sent as its
 * UTF-8 bytes and null or undefined as nothing.
 */
export type PayloadCodec = 'json' | 'message';

/** One platform: detected from the environment, configured from it, served by an adapter. */
export interface PlatformModule {
  readonly name: PlatformName;
  /** For messages: "FunctionGraph", "AWS Lambda". */
  readonly title: string;
  /** The environment variables whose presence selects this platform, for detection and its message. */
  readonly detectedBy: readonly string[];
  /** Reads the platform's own environment (and command line: OpenEdge's -c); throws ConfigError naming a bad variable. */
  settings(env: Env, argv: readonly string[]): PlatformSettings;
  /** The pull wire, for platforms served by the shared poll loop (pull/adapter.ts). */
  readonly wire?: PullWire;
  /** Push platforms: the adapter that takes the platform's calls (loaded only when the platform is chosen). */
  pushAdapter?(config: RuntimeConfig, executor: Executor, log: Logger): Promise<Adapter>;
}

/** What serves a platform, pull or push: started once the workers are ready, stopped on SIGTERM. */
export interface Adapter {
  /** Starts taking invocations; onFatal: the platform (or the server) says the runtime must go. */
  start(onFatal: (reason: string) => void): void | Promise<void>;
  /** Takes no more invocations, lets those in flight end (or answers them Runtime.Shutdown), answers all. */
  stop(): Promise<void>;
}

/** The headers of one response, lower-cased (as undici gives them). */
export type WireHeaders = Record<string, string | string[] | undefined>;

/** What a pull platform's invocation headers say, besides the event. */
export interface WireInvocation {
  /** Epoch ms. */
  deadlineMs: number;
  meta: InvocationMeta;
  /** Call this export (`file.export`) with the context only, instead of the handler (lifecycle hooks). */
  entry?: string;
  /** The invocation is an HTTP trigger's request: the handler gets an API-gateway-shaped event. */
  http?: HttpRequestMeta;
  /** Nothing to run: the work was done at start (FC's initializer, run on every thread): answer at once. */
  done?: true;
  /** Written as plain lines on stdout before and after the invocation (FC's console looks for them). */
  startLine?: string;
  endLine?: (ok: boolean) => string;
  /** Set when the headers are unusable: the invocation is answered with this error, never run. */
  invalid?: WireError;
}

/** What the configuration says that a wire mapping needs. */
export interface WireDefaults {
  /** The deadline of an invocation whose platform sends none, from its arrival. */
  timeoutMs: number;
  /** Lifecycle exports (`file.export`) named by FNPOOL_INITIALIZER, FNPOOL_PRE_STOP, FNPOOL_PRE_FREEZE. */
  hooks: { initializer?: string; preStop?: string; preFreeze?: string };
}

/** An HTTP request to the platform's API, as the poll loop sends it. */
export interface WireRequest {
  path: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
}

/**
 * A pull platform's runtime API, as the runtime sees it. The shared loop (pull/adapter.ts) takes a
 * slot, long-polls `nextPath`, turns the answer into an Invocation with `invocation()`, runs it,
 * and posts what `answer()` builds, with backoff, exactly once.
 */
export interface PullWire {
  readonly nextPath: string;
  /** The response header that names the request id; an answer without it is skipped. */
  readonly requestIdHeader: string;
  /** Where a failed init is posted (then `initFailure` says what follows). */
  readonly initErrorPath?: string;
  /** 'exit': post the init error, then exit (Lambda). 'serve': answer every invocation with it. */
  readonly initFailure: 'exit' | 'serve';
  /** A /next status after which the runtime must exit rather than retry (Lambda: 500). */
  readonly fatalNextStatus?: number;
  /** The invocation's deadline and metadata from its headers; arrivedAtMs is when they came (epoch ms). */
  invocation(headers: WireHeaders, arrivedAtMs: number, defaults: WireDefaults): WireInvocation;
  /** The request that answers an invocation. */
  answer(requestId: string, outcome: Outcome): WireRequest;
  /** The request that reports a failed init. */
  initError?(error: WireError): WireRequest;
  /**
   * What to post when the platform refused an answer with this status (Lambda: 413 for a response
   * over its limit), or undefined when the refusal is final.
   */
  retryRefused?(requestId: string, status: number, refused: WireRequest): WireRequest | undefined;
}

/** JSON error body with the given key for the stack (`stackTrace`, or Lambda's `trace`). */
export function errorJson(error: WireError, stackKey: 'stackTrace' | 'trace' = 'stackTrace'): string {
  return JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, [stackKey]: error.stackTrace });
}

/** The first value of a header, or undefined when it is absent or empty. */
export function header(headers: WireHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/**
 * Copies the headers named in pairs ([context key, header name]) into fields; when secrets is
 * given, their values are added to it too (credentials, never to be logged).
 */
export function headerFields(headers: WireHeaders, pairs: readonly (readonly [string, string])[], fields: Record<string, string>, secrets?: string[]): void {
  for (const [key, name] of pairs) {
    const value = header(headers, name);
    if (value === undefined) continue;
    fields[key] = value;
    secrets?.push(value);
  }
}

/** A pull platform's API address from its variable; refused at start when missing. */
export function apiAddressFrom(env: Env, variable: string, what: string): string {
  const address = optionalString(env, variable);
  if (address === undefined) throw new ConfigError(`${variable} is not set: ${what} address (host:port)`);
  return address;
}
