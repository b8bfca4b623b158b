// What every local push platform does around the runtime it calls (HTTP mode's front, OpenEdge's
// function module): a port chosen for the runtime, the wait for it to open before anything is
// sent (the runtime listens once it has loaded the function: the platform's TCP readiness check),
// what the runtime is started with, and the error an invocation gets when the runtime is gone.
import type { IncomingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCaller } from './caller.js';
import { EmulatorError } from './emulator-error.js';
import type { InvokeError, InvokeOptions, InvokeResult } from './ledger.js';

/** How often the front tries the runtime's port until it opens. */
const PROBE_EVERY_MS = 20;

export abstract class PushFront implements LocalCaller {
  abstract readonly title: string;
  abstract readonly limits: LocalCaller['limits'];
  abstract invoke(event: Buffer | string | object, opts?: InvokeOptions): Promise<InvokeResult>;
  abstract callerHeaders(headers: IncomingHttpHeaders): Record<string, string>;
  /** What the banner says of where the runtime listens: `FC_SERVER_PORT=…`, `server.address=…`. */
  abstract readonly listensAt: string;
  /** The environment the platform gives the runtime, over env. */
  abstract runtimeEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** The runtime's command-line arguments. */
  runtimeArguments(): string[] {
    return [];
  }

  abstract close(): Promise<void>;

  /** Resolves once the runtime started last listens (and is initialized); rejects if it exited first. */
  #ready: Promise<void> = Promise.reject(new Error('the runtime has not been started'));
  /** How the runtime started last exited, once it has. */
  #exited: string | undefined;

  protected constructor(readonly port: number) {
    this.#ready.catch(() => {});
  }

  /**
   * A runtime was started: invocations wait until its port opens, then for afterListening().
   * @param exited settles when that runtime exits
   */
  runtimeStarted(exited: Promise<unknown>): void {
    this.#exited = undefined;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    this.#ready = (async () => {
      while (!(await portOpen(this.port))) {
        if (gone) throw new Error('the runtime exited before it listened');
        await sleep(PROBE_EVERY_MS);
      }
      await this.afterListening();
    })();
    this.#ready.catch(() => {});
  }

  /** The runtime started last has exited: what is sent from now on is answered Fnpool.RuntimeExited. */
  runtimeExited(how: string): void {
    this.#exited = how;
  }

  /** What the platform does once the runtime listens, before the first invocation (FC: POST /initialize). */
  protected afterListening(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves when invocations may be sent. */
  protected get ready(): Promise<void> {
    return this.#ready;
  }

  /** Fnpool.RuntimeExited for an invocation the runtime never answered. */
  protected lost(requestId: string, err: unknown): InvokeError {
    const why = this.#exited !== undefined ? `the runtime exited (${this.#exited})` : `the runtime could not be reached: ${(err as Error).message}`;
    return { errorType: 'Fnpool.RuntimeExited', errorMessage: `${why} without answering invocation ${requestId}`, stackTrace: [] };
  }
}

/** The invocation's answer, or EmulatorError INVOKE_TIMEOUT after timeoutMs (for tests and tools that bound their wait). */
export function withTimeout(answer: Promise<InvokeResult>, requestId: string, timeoutMs: number | undefined): Promise<InvokeResult> {
  if (timeoutMs === undefined) return answer;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmulatorError('INVOKE_TIMEOUT', `no answer to ${requestId} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([answer, timedOut]).finally(() => clearTimeout(timer));
}

/** Whether something accepts connections on the loopback port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A TCP port free on this machine now (the system's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
