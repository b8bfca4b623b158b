// Runtimes that the platform calls (push), as child processes on a loopback port: fnpool's HTTP
// mode (the real bootstrap with FNPOOL_PLATFORM=http) and the inline node:http baseline. There is
// no emulator in front of them: the closed loop calls them through fnpool's HttpInvoker
// (src/loadgen/http.ts), one keep-alive connection per request in flight.
// A spec with protocol 'grpc' is an OpenEdge runtime instead (GrpcPushTarget): fnpool's real
// bootstrap started with `-c '<config>'` as OpenEdge starts it, or the inline grpc-js baseline,
// called through GrpcInvoker (src/loadgen/grpc.ts) on one HTTP/2 connection.
// FrontTarget is either behind the local platform's own front instead (src/emulator/http-front.ts,
// grpc-front.ts, as `fnpool start --platform http|openedge` runs it), which answers each
// invocation with the pull emulator's InvokeResult.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, GrpcFront, HttpFront } from '../../dist/emulator/index.js';
import { GrpcInvoker } from '../../dist/loadgen/grpc.js';
import { HttpInvoker } from '../../dist/loadgen/http.js';
import { nextRequestId } from '../../dist/loadgen/load.js';
import { BENCH, cleanEnv, handlerDir, KINDS, Target } from './targets.mjs';

/** How long a runtime may take to open its port and answer a first invocation. */
const READY_MS = 30_000;
/** gRPC's status UNAVAILABLE: no connection (yet). */
const UNAVAILABLE = 14;

export class PushTarget extends Target {
  /** spec as Target.start's (kind 'fnpool' or 'inline-http'); env is added to the HTTP mode's variables. protocol 'grpc': GrpcPushTarget's spec. */
  static async start(spec) {
    if (spec.protocol === 'grpc') return GrpcPushTarget.start(spec);
    const { kind, name, handler = 'noop', env = {}, warmupEvent = {}, nodeArgs, bootstrap } = spec;
    // fnpool logs where it listens only at level info, which would also log every invocation: the port is chosen here.
    const port = await freePort();
    const [cmd, args] = KINDS[kind](bootstrap, nodeArgs);
    const childEnv = {
      ...cleanEnv(), FNPOOL_PLATFORM: 'http', PORT: String(port), FNPOOL_CODE_ROOT: handlerDir(handler),
      FNPOOL_TIMEOUT: '60', FNPOOL_LOG_LEVEL: 'warn', ...env,
    };
    const child = spawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    return Target.readied(new PushTarget(name ?? kind, kind, new HttpInvoker(`http://127.0.0.1:${port}/invoke`), child), warmupEvent);
  }

  constructor(name, kind, invoker, child) {
    super(name, kind, undefined, child);
    this.invoker = invoker;
  }

  /**
   * Ready = a first invocation answered; while the runtime does not listen yet (fnpool opens its
   * port once every worker loaded the handler), tried again.
   */
  async ready(event) {
    const body = Buffer.from(JSON.stringify(event));
    let exit;
    void this.exited.then((e) => { exit = e; });
    const until = Date.now() + READY_MS;
    for (;;) {
      if (exit) throw new Error(`${this.name} exited before it answered (${exit.signal ?? exit.code}): ${this.stderr}${this.stdoutTail}`);
      let res;
      try {
        res = await this.invoker.invoke(body, { requestId: nextRequestId(), timeoutMs: READY_MS });
      } catch (err) {
        if (!this.notListening(err) || Date.now() > until) throw err;
      }
      if (res?.ok) return;
      if (res !== undefined && (!this.notListening(res) || Date.now() > until)) {
        throw new Error(`${this.name}: warm-up invocation failed: ${res.refused ? '429' : JSON.stringify(res.error)}`);
      }
      await sleep(25);
    }
  }

  /** Whether a failed first call (a thrown error or an answer) means the runtime does not listen yet: HTTP, a refused connection. */
  notListening(failure) {
    return failure.code === 'ECONNREFUSED';
  }

  async stop() {
    await this.invoker.close();
    await this.stopChild();
  }
}

/** The OpenEdge runtimes by kind: [command, args] before the -c config. */
const GRPC_KINDS = {
  fnpool: KINDS.fnpool,
  'inline-grpc': (_, nodeArgs = []) => [process.execPath, [...nodeArgs, path.join(BENCH, 'runtimes', 'inline-grpc.mjs')]],
};

/**
 * An OpenEdge (BAETYL) runtime: started with `-c '<json config>'` as OpenEdge's function module
 * starts one (server.address on a free loopback port, the handler's folder as codedir, instance.max
 * calls at once, 60 s each unless asked), FNPOOL_THREADS=2 and FNPOOL_LOG_LEVEL=warn unless env says otherwise.
 */
export class GrpcPushTarget extends PushTarget {
  /** spec: kind 'fnpool' or 'inline-grpc'; instanceMax = how many calls fnpool runs at once (the load); timeout in s. */
  static async start({ kind, name, handler = 'noop', env = {}, warmupEvent = {}, nodeArgs, bootstrap, instanceMax = 1, timeout = 60 }) {
    const port = await freePort();
    const [cmd, args] = GRPC_KINDS[kind](bootstrap, nodeArgs);
    const config = {
      name: 'bench',
      server: { address: `127.0.0.1:${port}` },
      function: { name: 'bench', handler: 'index.handler', codedir: handlerDir(handler), instance: { max: instanceMax, timeout: `${timeout}s` } },
    };
    const childEnv = { ...cleanEnv(), FNPOOL_THREADS: '2', FNPOOL_LOG_LEVEL: 'warn', ...env };
    const child = spawn(cmd, [...args, '-c', JSON.stringify(config)], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    return Target.readied(new GrpcPushTarget(name ?? kind, kind, new GrpcInvoker(`127.0.0.1:${port}`), child), warmupEvent);
  }

  /** gRPC: status UNAVAILABLE, no connection yet. */
  notListening(failure) {
    return failure.status === UNAVAILABLE;
  }
}

/**
 * fnpool on a push platform behind the local platform's front, as `fnpool start --platform
 * http|openedge` runs it (src/cli/local-platform.ts): platform 'http' is HttpFront (flavour 'fc':
 * FC's custom runtime, the deadline in each request's x-fc-function-timeout and FNPOOL_TIMEOUT;
 * 'knative': none), 'openedge' is GrpcFront (OpenEdge's -c config: instance.max = concurrency,
 * instance.timeout = timeout). The front gives the runtime the platform's environment (2 CPUs:
 * FNPOOL_THREADS=2, FNPOOL_MEMORY_MB, on HTTP FNPOOL_CONCURRENCY), waits for its port, and answers
 * each invocation with the pull emulator's InvokeResult (requestId, ok, error, queuedAt,
 * handedOutAt = request sent, answeredAt): `target.front.invoke()` where a pull Target has
 * `target.emulator.invoke()`; the closed loop calls it as `target.invoker`. env comes last, over
 * the platform's variables (FNPOOL_LOG_LEVEL=warn unless it says otherwise), as in Target.start.
 */
export class FrontTarget extends Target {
  static async start({ kind = 'fnpool', name, platform, flavour = 'fc', handler = 'noop', env = {}, warmupEvent = {}, nodeArgs, bootstrap, memory, concurrency, timeout = 60, topic = 'bench', qos = 0 }) {
    const settings = { dir: handlerDir(handler), handler: 'index.handler', timeout, cpus: 2, memory, concurrency };
    let front;
    if (platform === 'http') front = await HttpFront.create({ flavour, settings });
    else if (platform === 'openedge') front = await GrpcFront.create({ settings, topic, qos });
    else throw new Error(`FrontTarget: no front for platform ${platform} (http or openedge)`);
    const [cmd, args] = KINDS[kind](bootstrap, nodeArgs);
    const childEnv = { ...front.runtimeEnvironment(cleanEnv()), FNPOOL_LOG_LEVEL: 'warn', ...env };
    const child = spawn(cmd, [...args, ...front.runtimeArguments()], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const target = new FrontTarget(name ?? kind, kind, front, child);
    front.runtimeStarted(target.exited);
    void target.exited.then(({ code, signal }) => front.runtimeExited(signal ?? `code ${code}`));
    return Target.readied(target, warmupEvent);
  }

  constructor(name, kind, front, child) {
    super(name, kind, undefined, child);
    this.front = front;
    this.platform = front instanceof GrpcFront ? 'openedge' : 'http';
  }

  /** What the closed loop calls: the front. */
  get invoker() {
    return this.front;
  }

  /** Ready = a first invocation answered (the front holds it until the runtime listens). */
  async ready(event) {
    const answered = this.front.invoke(event, { requestId: nextRequestId(), timeoutMs: READY_MS });
    const died = this.exited.then(({ code, signal }) => {
      throw new Error(`${this.name} exited before it answered (${signal ?? code}): ${this.stderr}${this.stdoutTail}`);
    });
    const res = await Promise.race([answered, died]);
    if (!res.ok) throw new Error(`${this.name}: warm-up invocation failed: ${JSON.stringify(res.error)}`);
  }

  async stop() {
    await this.stopChild();
    await this.front.close();
  }
}
