// A local platform for one function, shared by `fnpool start`, `fnpool invoke --dir` and `fnpool
// bench`: what calls the function (caller.ts) — for a pull platform (FunctionGraph, Lambda or
// Function Compute's runtime API) the runtime-API emulator, for HTTP mode the front of FC or
// Knative (http-front.ts) — optionally the invoke endpoint, and the bootstrap (fnpool's or any
// custom runtime) started as a child process with the environment that platform gives it. The
// child can be stopped and started again (`--watch`).
//
// When a bootstrap exits with invocations handed to it and unanswered (it crashed, or it was
// stopped for a restart while a hand-out was on its way), the platform answers them with
// `Fnpool.RuntimeExited`, as a real platform fails the requests of an instance that died: the
// caller gets an error instead of waiting forever.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import {
  EmulatorError, GrpcFront, HttpFront, launchEnvironment, PullEmulator, pullCaller, startInvokeEndpoint, type InvokeEndpoint, type LocalCaller, type PushFront,
} from '../emulator/index.js';
import { HttpInvoker } from '../loadgen/http.js';
import type { Invoker } from '../loadgen/load.js';
import { UsageError } from './args.js';
import type { FunctionSettings } from './function-settings.js';

export interface LocalPlatformOptions {
  settings: FunctionSettings;
  /** Interface of the emulator and the endpoint; default 127.0.0.1. */
  host?: string;
  /** Port of the runtime-API emulator; default 0 (any free port). */
  apiPort?: number;
  /** Port of the invoke endpoint; undefined starts none. */
  endpointPort?: number;
  /** Where the bootstrap's stdout and stderr go: ours, our stderr (keeps stdout for results), nowhere. */
  output: 'inherit' | 'stderr' | 'ignore';
  env?: NodeJS.ProcessEnv;
}

export interface LocalPlatformEvents {
  /** The bootstrap exited without being asked to. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

/** How long a bootstrap may take to stop after SIGTERM before it is killed. */
function stopGraceMs(env: NodeJS.ProcessEnv): number {
  const shutdown = Number(env.FNPOOL_SHUTDOWN_TIMEOUT_MS);
  return (Number.isFinite(shutdown) && shutdown >= 0 ? shutdown : 10_000) + 2_000;
}

export class LocalPlatform extends EventEmitter<LocalPlatformEvents> {
  /** Starts the emulator and the endpoint; a port in use is a UsageError that names it. */
  static async start(opts: LocalPlatformOptions): Promise<LocalPlatform> {
    const host = opts.host ?? '127.0.0.1';
    const { settings } = opts;
    let callee: PullEmulator | PushFront;
    if (settings.platform === 'http') {
      callee = await HttpFront.create({ flavour: settings.knative ? 'knative' : 'fc', settings, functionName: settings.functionName });
    } else if (settings.platform === 'openedge') {
      callee = await GrpcFront.create({ settings, topic: settings.topic, qos: settings.qos });
    } else {
      try {
        callee = await PullEmulator.start({
          platform: settings.platform, host, port: opts.apiPort ?? 0, functionTimeoutMs: Math.round(settings.timeout * 1000),
        });
      } catch (err) {
        throw listenError(err, '--api-port');
      }
    }
    let endpoint: InvokeEndpoint | undefined;
    if (opts.endpointPort !== undefined) {
      try {
        endpoint = await startInvokeEndpoint(callee, { host, port: opts.endpointPort });
      } catch (err) {
        await callee.close();
        throw listenError(err, '--port');
      }
    }
    return new LocalPlatform(opts, callee, endpoint);
  }

  private child: ChildProcess | undefined;
  /** Every bootstrap started that has not exited yet: the running one, and one being stopped. */
  private readonly live = new Set<ChildProcess>();
  private exited: Promise<void> = Promise.resolve();
  private closed = false;
  /** Which start of the bootstrap each unanswered hand-out went to. */
  private generation = 0;
  private readonly handedTo = new Map<string, number>();

  /** A pull platform's runtime-API emulator (undefined in HTTP mode). */
  readonly emulator: PullEmulator | undefined;
  /** A push platform's front: HTTP mode's, OpenEdge's (undefined on a pull platform). */
  readonly front: PushFront | undefined;
  /** What calls the function: one invocation, one answer. */
  readonly caller: LocalCaller;
  #loadInvoker: HttpInvoker | undefined;

  private constructor(
    private readonly opts: LocalPlatformOptions,
    callee: PullEmulator | PushFront,
    readonly endpoint: InvokeEndpoint | undefined,
  ) {
    super();
    if (!(callee instanceof PullEmulator)) {
      this.front = callee;
      this.caller = callee;
    } else {
      this.emulator = callee;
      this.caller = pullCaller(callee);
      callee.on('handout', (requestId) => this.handedTo.set(requestId, this.generation));
      callee.on('answer', (result) => this.handedTo.delete(result.requestId));
    }
  }

  /** For the banner: the platform's name, and how the runtime and the platform meet ("runtime API", "RUNTIME_API_ADDR=…"). */
  get description(): { title: string; meeting: string; variable: string } {
    if (this.front) return { title: this.front.title, meeting: 'runtime at', variable: this.front.listensAt };
    return { title: this.emulator!.wire.title, meeting: 'runtime API', variable: `${this.emulator!.wire.apiVariable}=${this.emulator!.address}` };
  }

  /**
   * What a closed-loop load calls: the emulator; in HTTP mode the runtime's port itself (one
   * keep-alive connection per request in flight, as the platform's front end; a 429 counts as
   * refused); on OpenEdge, the front's own gRPC client.
   */
  get loadInvoker(): Invoker {
    if (this.emulator) return this.emulator;
    if (!(this.front instanceof HttpFront)) return this.front!;
    this.#loadInvoker ??= new HttpInvoker(`${this.front.origin}/invoke`);
    return this.#loadInvoker;
  }

  get settings(): FunctionSettings {
    return this.opts.settings;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The bootstrap's process id while it runs (fnpool's bootstrap execs node: the runtime's own). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the bootstrap (once; call stopRuntime() first to start it again). */
  startRuntime(): void {
    if (this.child || this.closed) return;
    const env = this.opts.env ?? process.env;
    const stream = this.opts.output === 'stderr' ? process.stderr : process.stdout;
    const logFormat = stream.isTTY ? 'text' : 'json';
    const stdio = this.opts.output === 'inherit' ? (['ignore', 'inherit', 'inherit'] as const)
      : this.opts.output === 'stderr' ? (['ignore', 2, 2] as const)
      : (['ignore', 'ignore', 'ignore'] as const);
    // A process group of its own: stopping it stops whatever a custom bootstrap started (curl, …),
    // and a Ctrl-C at the terminal reaches only us, so the order of the shutdown is ours to choose.
    const child = spawn(this.opts.settings.bootstrap, this.front?.runtimeArguments() ?? [], {
      cwd: this.opts.settings.dir,
      // FNPOOL_PARENT_PID: killed outright, this process could not stop a runtime in its own group.
      env: {
        // On a terminal, lines for people; elsewhere the platform's own log format.
        ...(logFormat === 'text' ? { FNPOOL_LOG_FORMAT: 'text' } : {}),
        ...(this.front ? this.front.runtimeEnvironment(env) : launchEnvironment(this.emulator!.platform, this.opts.settings, this.emulator!.address, env)),
        FNPOOL_PARENT_PID: String(process.pid),
      },
      stdio: [...stdio],
      detached: true,
    });
    this.child = child;
    // Whatever ends this process (an exit on a closed pipe, an error), its runtime goes with it.
    const orphanGuard = (): void => signalGroup(child, 'SIGKILL');
    process.once('exit', orphanGuard);
    this.live.add(child);
    void this.exitedOf(child).then(() => {
      this.live.delete(child);
      process.off('exit', orphanGuard);
    });
    const generation = ++this.generation;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        // spawn failed (e.g. a bootstrap with a bad #! line): reported like an exit.
        process.stderr.write(`fnpool: cannot start ${this.opts.settings.bootstrap}: ${err.message}\n`);
        this.onChildGone(child, generation, null, null);
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.onChildGone(child, generation, code, signal);
        resolve();
      });
    });
    this.front?.runtimeStarted(this.exited);
  }

  /** Settles when child exits (or could not start). */
  private exitedOf(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
  }

  /** SIGTERM to the bootstrap's process group, SIGKILL if it has not exited after the grace period. */
  async stopRuntime(): Promise<void> {
    const child = this.child;
    if (!child) return this.exited;
    this.child = undefined; // from now on its exit is expected
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), stopGraceMs(this.opts.env ?? process.env));
    await this.exited;
    clearTimeout(timer);
    // Whatever the bootstrap left in its group (a custom runtime's curl) goes with it.
    signalGroup(child, 'SIGKILL');
  }

  /**
   * Kills the bootstrap's process group at once (a second Ctrl-C) — the one being stopped
   * gracefully too — and settles once it has exited.
   */
  kill(): Promise<void> {
    this.child = undefined; // its exit is expected
    const children = [...this.live];
    for (const child of children) signalGroup(child, 'SIGKILL');
    return Promise.all(children.map((child) => this.exitedOf(child))).then(() => undefined);
  }

  /** Stops the bootstrap, then the endpoint and the emulator (pending invocations are rejected). */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopRuntime();
    // The emulator first: it rejects what is pending, and the endpoint answers those callers (503)
    // before its own sockets are closed.
    await this.#loadInvoker?.close();
    await (this.emulator ?? this.front)!.close();
    await new Promise((resolve) => setImmediate(resolve));
    await this.endpoint?.close();
  }

  private onChildGone(child: ChildProcess, generation: number, code: number | null, signal: NodeJS.Signals | null): void {
    // HTTP mode: what was sent to it fails on its own connection; what comes next is told why.
    if (generation === this.generation) this.front?.runtimeExited(signal ?? `code ${code}`);
    // Its sockets are closed by now; a hand-out the emulator takes back is not an orphan, so look
    // a moment later.
    setTimeout(() => this.failOrphans(generation, signal ?? `code ${code}`), 100).unref();
    if (this.child !== child) return; // stopped on purpose
    this.child = undefined;
    signalGroup(child, 'SIGKILL');
    this.emit('exit', code, signal);
  }

  /** Answers, in the dead bootstrap's place, what was handed to it and never answered. */
  private failOrphans(generation: number, how: string): void {
    const orphans = [...this.handedTo].filter(([, g]) => g === generation).map(([id]) => id);
    for (const id of orphans) {
      if (this.closed) return;
      this.handedTo.delete(id);
      this.emulator?.failHandedOut(id, {
        errorType: 'Fnpool.RuntimeExited',
        errorMessage: `the runtime exited (${how}) without answering invocation ${id}`,
        stackTrace: [],
      });
    }
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function listenError(err: unknown, flag: string): Error {
  if (err instanceof EmulatorError && err.code === 'EADDRINUSE') return new UsageError(`${err.message} (choose another with ${flag})`);
  if (err instanceof Error && /cannot listen/.test(err.message)) return new UsageError(err.message);
  return err as Error;
}
