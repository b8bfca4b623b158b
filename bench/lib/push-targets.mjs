// Runtimes that the platform calls (push), as child processes on a loopback port: fnpool's HTTP
// mode (the real bootstrap with FNPOOL_PLATFORM=http) and the inline node:http baseline. There is
// no emulator in front of them: the closed loop calls them through fnpool's HttpInvoker
// (src/loadgen/http.ts), one keep-alive connection per request in flight.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpInvoker } from '../../dist/loadgen/http.js';
import { nextRequestId } from '../../dist/loadgen/load.js';
import { cleanEnv, handlerDir, KINDS, Target } from './targets.mjs';

/** How long a runtime may take to open its port and answer a first invocation. */
const READY_MS = 30_000;

export class PushTarget extends Target {
  /** spec as Target.start's (kind 'fnpool' or 'inline-http'); env is added to the HTTP mode's variables. */
  static async start({ kind, name, handler = 'noop', env = {}, warmupEvent = {}, nodeArgs, bootstrap }) {
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

  /** Ready = a first invocation answered; until the port opens (fnpool: once every worker loaded the handler), tried again. */
  async ready(event) {
    const body = Buffer.from(JSON.stringify(event));
    let exit;
    void this.exited.then((e) => { exit = e; });
    const until = Date.now() + READY_MS;
    for (;;) {
      if (exit) throw new Error(`${this.name} exited before it answered (${exit.signal ?? exit.code}): ${this.stderr}${this.stdoutTail}`);
      try {
        const res = await this.invoker.invoke(body, { requestId: nextRequestId(), timeoutMs: READY_MS });
        if (!res.ok) throw new Error(`${this.name}: warm-up invocation failed: ${res.refused ? '429' : JSON.stringify(res.error)}`);
        return;
      } catch (err) {
        if (err.code !== 'ECONNREFUSED' || Date.now() > until) throw err;
      }
      await sleep(25);
    }
  }

  async stop() {
    await this.invoker.close();
    await this.stopChild();
  }
}

/** A TCP port free on this machine now (the system's pick for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '0.0.0.0', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
