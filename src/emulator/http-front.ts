// The local push platform for HTTP-server runtimes: what Function Compute's front end (or Knative's
// queue proxy) does in front of a custom runtime. It gives the runtime the environment the
// platform gives one (FC: FC_SERVER_PORT, FC_FUNC_CODE_PATH, FC_FUNCTION_*; Knative: PORT,
// K_SERVICE, K_REVISION, K_CONFIGURATION), waits for its port to open (the platform's TCP
// readiness check), calls POST /initialize once when the function has an initializer (FC), and
// sends each invocation as FC sends it: POST /invoke with x-fc-request-id, the function's
// x-fc-function-* headers and its deadline in x-fc-function-timeout (Knative sends none of them).
// Any other request to the invoke endpoint goes to the runtime as it came, with the same headers
// added: an HTTP trigger's request. The runtime's answer comes back as it was: its status (200, or
// FC's 404 / Knative's 500 for an error, 429 when the runtime is full, 413), headers and body.
//
// One HTTP request per invocation, never sent twice: when the connection fails (the runtime
// exited), the invocation is answered Fnpool.RuntimeExited.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { EmulatorError } from './emulator-error.js';
import { flatHeaders, toBytes } from './http.js';
import { freePort, PushFront, withTimeout } from './push-front.js';
import type { InvokeError, InvokeOptions, InvokeResult } from './ledger.js';
import { passHeaders } from './wire-helpers.js';
import { LAUNCH_SHADOWED, type EmulatorLimits, type LaunchSettings } from './wires.js';

const MiB = 1024 * 1024;
/** Headers a caller may give an invocation (credentials, an HTTP trigger's control path). */
const PASSED = ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token', 'x-fc-control-path', 'x-fc-qualifier'];
/** Headers of one hop only: not forwarded either way. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

export type HttpFlavour = 'fc' | 'knative';

/** FC takes events and results of up to 32 MB; Knative has no limit of its own: fnpool's default (6 MB) applies. */
export const HTTP_LIMITS: Readonly<Record<HttpFlavour, EmulatorLimits>> = {
  fc: { maxSyncRequestBytes: 32 * MiB, maxAsyncRequestBytes: 32 * MiB, maxResponseBytes: 32 * MiB },
  knative: { maxSyncRequestBytes: 6 * MiB, maxAsyncRequestBytes: 6 * MiB, maxResponseBytes: 6 * MiB },
};

export interface HttpFrontOptions {
  flavour: HttpFlavour;
  settings: LaunchSettings;
  /** The function's name (FC_FUNCTION_NAME, K_SERVICE); default: its folder's name. */
  functionName?: string;
}

export class HttpFront extends PushFront {
  /** Picks a free loopback port for the runtime. */
  static async create(opts: HttpFrontOptions): Promise<HttpFront> {
    return new HttpFront(opts, await freePort());
  }

  readonly title: string;
  readonly limits: Readonly<EmulatorLimits>;
  /** The function's name, as the platform gives it. */
  readonly functionName: string;
  readonly #pool: Pool;
  readonly #opts: HttpFrontOptions;

  private constructor(opts: HttpFrontOptions, port: number) {
    super(port);
    this.#opts = opts;
    this.functionName = opts.functionName ?? path.basename(opts.settings.dir);
    this.title = opts.flavour === 'fc' ? 'Function Compute (HTTP server)' : 'Knative (HTTP server)';
    this.limits = HTTP_LIMITS[opts.flavour];
    // One connection per request in flight, kept alive, never pipelined (as FC's front end); no
    // timeouts of ours: an invocation's own deadline is the runtime's to keep.
    this.#pool = new Pool(this.origin, { connections: null, pipelining: 1, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 15 * 60_000 });
  }

  /** Where the runtime listens. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The variable that tells the runtime its port, as `NAME=value` (for the banner). */
  get listensAt(): string {
    return `${this.#opts.flavour === 'fc' ? 'FC_SERVER_PORT' : 'PORT'}=${this.port}`;
  }

  /** The environment the platform gives the runtime, over env. */
  runtimeEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return httpLaunchEnvironment(this.#opts, this.port, env);
  }

  /** FC calls POST /initialize once before the first invocation when the function has an initializer. */
  protected override async afterListening(): Promise<void> {
    if (this.#opts.flavour !== 'fc' || this.#opts.settings.initializer === undefined) return;
    const res = await this.#pool.request({ method: 'POST', path: '/initialize', headers: this.#platformHeaders(randomUUID()), body: '' });
    const body = await res.body.text();
    if (res.statusCode !== 200) {
      process.stderr.write(`fnpool: the function's initializer failed (HTTP ${res.statusCode}): ${body.slice(0, 500)}\n`);
    }
  }

  invoke(event: Buffer | string | object, opts: InvokeOptions = {}): Promise<InvokeResult> {
    const body = toBytes(event);
    const requestId = opts.requestId ?? randomUUID();
    const invokeType = opts.invokeType ?? 'sync';
    const limit = invokeType === 'async' ? this.limits.maxAsyncRequestBytes : this.limits.maxSyncRequestBytes;
    if (body.length > limit) {
      return Promise.reject(new EmulatorError('REQUEST_TOO_LARGE', `the ${invokeType} request is ${body.length} bytes, over the platform's limit of ${limit}`));
    }
    const queuedAt = performance.now();
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.#platformHeaders(requestId), ...opts.headers };
    return withTimeout(this.#send(requestId, queuedAt, { method: 'POST', path: '/invoke', headers, body }), requestId, opts.timeoutMs);
  }

  callerHeaders(headers: IncomingHttpHeaders): Record<string, string> {
    return passHeaders(headers, PASSED);
  }

  /** The runtime's own status and headers, as FC's front end passes them on. */
  httpAnswer(result: InvokeResult): { status: number; headers: Record<string, string | string[]> } {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    return { status: result.status, headers };
  }

  /** An HTTP trigger's request: to the runtime as it came, with the platform's headers added. */
  forward(req: IncomingMessage, res: ServerResponse): void {
    const requestId = firstOf(req.headers['x-fc-request-id']) ?? randomUUID();
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    Object.assign(headers, this.#platformHeaders(requestId));
    const method = req.method ?? 'GET';
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    void this.ready.then(
      () => this.#pool.request({ method: method as 'GET', path: req.url ?? '/', headers, body: hasBody ? req : null }),
    ).then(
      async (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        const bytes = Buffer.from(await answer.body.arrayBuffer());
        if (res.destroyed) return;
        res.writeHead(answer.statusCode, { ...out, 'content-length': String(bytes.length) });
        res.end(bytes);
      },
      (err: unknown) => {
        req.resume();
        if (res.destroyed) return;
        const error = this.lost(requestId, err);
        const bytes = Buffer.from(JSON.stringify(error));
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': String(bytes.length), 'x-fc-request-id': requestId });
        res.end(bytes);
      },
    );
  }

  /** Closes every connection to the runtime (requests still in flight fail). */
  close(): Promise<void> {
    return this.#pool.destroy();
  }

  /** What the platform sends with each request: FC's headers, or nothing of its own on Knative. */
  #platformHeaders(requestId: string): Record<string, string> {
    if (this.#opts.flavour === 'knative') return {};
    const s = this.#opts.settings;
    return {
      'x-fc-request-id': requestId,
      'x-fc-function-name': this.functionName,
      'x-fc-function-handler': s.handler,
      'x-fc-function-timeout': String(Math.max(1, Math.ceil(s.timeout))),
      'x-fc-region': 'local',
      'x-fc-account-id': '0000000000000000',
      'x-fc-qualifier': 'LATEST',
      ...(s.memory !== undefined ? { 'x-fc-function-memory': String(s.memory) } : {}),
      ...(s.initializer !== undefined ? { 'x-fc-function-initializer': s.initializer } : {}),
    };
  }

  async #send(requestId: string, queuedAt: number, request: { method: 'POST'; path: string; headers: Record<string, string>; body: Buffer }): Promise<InvokeResult> {
    let handedOutAt = queuedAt;
    try {
      await this.ready;
      handedOutAt = performance.now();
      const res = await this.#pool.request(request);
      const body = Buffer.from(await res.body.arrayBuffer());
      const headers = flatHeaders(res.headers as IncomingHttpHeaders);
      const ok = res.statusCode === 200;
      return {
        requestId, ok, status: res.statusCode, headers, body, queuedAt, handedOutAt, answeredAt: performance.now(),
        ...(headers['content-type'] !== undefined ? { contentType: headers['content-type'] } : {}),
        ...(ok ? {} : { error: errorOf(res.statusCode, headers, body) }),
      };
    } catch (err) {
      const error = this.lost(requestId, err);
      const body = Buffer.from(JSON.stringify(error));
      return { requestId, ok: false, status: 0, headers: {}, body, contentType: 'application/json', error, queuedAt, handedOutAt, answeredAt: performance.now() };
    }
  }
}

/** The environment FC (or Knative) gives an HTTP-server runtime listening on port, over env. */
export function httpLaunchEnvironment(opts: HttpFrontOptions, port: number, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const s = opts.settings;
  const functionName = opts.functionName ?? path.basename(s.dir);
  // Without the variables that would select another platform, or set what the settings say.
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of LAUNCH_SHADOWED) delete out[name];
  const common: Record<string, string> = {
    // The front calls it on the loopback interface: nothing else on the network reaches it.
    FNPOOL_HOST: '127.0.0.1',
    FNPOOL_HANDLER: s.handler,
    FNPOOL_TIMEOUT: String(s.timeout),
    FNPOOL_THREADS: env.FNPOOL_THREADS ?? String(Math.max(1, Math.ceil(s.cpus))),
  };
  if (s.memory !== undefined) common.FNPOOL_MEMORY_MB = String(s.memory);
  if (s.initializer !== undefined) common.FNPOOL_INITIALIZER = s.initializer;
  if (s.concurrency !== undefined) common.FNPOOL_CONCURRENCY = String(s.concurrency);
  if (opts.flavour === 'fc') {
    return Object.assign(out, common, {
      FC_SERVER_PORT: String(port),
      FC_FUNC_CODE_PATH: s.dir,
      FC_FUNCTION_NAME: functionName,
      FC_FUNCTION_HANDLER: s.handler,
      FC_REGION: env.FC_REGION ?? 'local',
      FC_ACCOUNT_ID: env.FC_ACCOUNT_ID ?? '0000000000000000',
      ...(s.memory !== undefined ? { FC_FUNCTION_MEMORY_SIZE: String(s.memory) } : {}),
    });
  }
  // Knative names the service and revision; the code is where the image put it.
  return Object.assign(out, common, {
    PORT: String(port),
    K_SERVICE: functionName,
    K_CONFIGURATION: functionName,
    K_REVISION: `${functionName}-00001`,
    FNPOOL_CODE_ROOT: s.dir,
  });
}

/** The error of a non-200 answer: FC's x-fc-error-type and the JSON body of the runtime, or what the answer says. */
function errorOf(status: number, headers: Record<string, string>, body: Buffer): InvokeError {
  let parsed: { errorType?: unknown; errorMessage?: unknown; stackTrace?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null) parsed = value;
  } catch {
    // not JSON: the text is the message
  }
  const type = headers['x-fc-error-type'] ?? (typeof parsed.errorType === 'string' ? parsed.errorType : undefined);
  return {
    errorType: type ?? (status === 429 ? 'Fnpool.TooManyRequests' : `HTTP ${status}`),
    errorMessage: typeof parsed.errorMessage === 'string' ? parsed.errorMessage : body.toString('utf8').slice(0, 1000),
    stackTrace: Array.isArray(parsed.stackTrace) ? parsed.stackTrace.map(String) : [],
  };
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
