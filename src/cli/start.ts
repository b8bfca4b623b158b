// `fnpool start [dir]`: a local FunctionGraph platform on this machine — the runtime API emulator,
// the real bootstrap started against it as a child process with the function in dir, and an invoke
// endpoint (POST http://127.0.0.1:9000/invoke) that returns the function's answer.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FunctionGraphEmulator, startInvokeEndpoint } from '../emulator/index.js';

const HELP = `Usage: fnpool start [dir] [options]

Starts a local FunctionGraph platform for the function in dir (default: the current folder) and
prints how to invoke it. Ctrl-C stops everything.

Options:
  --handler NAME       module.export of the handler           (default: index.handler)
  --initializer NAME   module.export of the initializer       (default: none)
  --timeout SECONDS    the function's timeout                 (default: 3)
  --memory MB          the function's memory                  (default: 256)
  --cpus N             the function's CPUs                    (default: 1)
  --concurrency N      invocations in flight at once          (default: threads × 8)
  --port PORT          port of the invoke endpoint            (default: 9000)
  -h, --help           this help

Example:
  fnpool start examples/hello
  curl -s -X POST http://127.0.0.1:9000/invoke -d '{"name":"fnpool"}'
`;

const BOOTSTRAP = fileURLToPath(new URL('../../bootstrap', import.meta.url));

export async function start(argv: string[]): Promise<void> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        handler: { type: 'string', default: 'index.handler' },
        initializer: { type: 'string' },
        timeout: { type: 'string', default: '3' },
        memory: { type: 'string', default: '256' },
        cpus: { type: 'string', default: '1' },
        concurrency: { type: 'string' },
        port: { type: 'string', default: '9000' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (args.positionals.length > 1) usageError(`expected at most one folder, got ${args.positionals.join(' ')}`);
  const dir = path.resolve(args.positionals[0] ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) usageError(`${dir} is not a folder`);
  const port = Number(args.values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(`--port ${args.values.port} is not a port number`);

  const emulator = await FunctionGraphEmulator.start({ port: 0 });
  let endpoint;
  try {
    endpoint = await startInvokeEndpoint(emulator, { port });
  } catch (err) {
    await emulator.close();
    usageError((err as Error).message);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUNTIME_API_ADDR: emulator.address,
    RUNTIME_CODE_ROOT: dir,
    RUNTIME_HANDLER: args.values.handler,
    RUNTIME_TIMEOUT: args.values.timeout,
    RUNTIME_MEMORY: args.values.memory,
    RUNTIME_CPU: args.values.cpus,
    RUNTIME_FUNC_NAME: path.basename(dir),
    RUNTIME_FUNC_VERSION: 'latest',
    RUNTIME_PACKAGE: 'local',
    RUNTIME_PROJECT_ID: 'local',
    FNPOOL_LOG_FORMAT: process.env.FNPOOL_LOG_FORMAT ?? (process.stdout.isTTY ? 'text' : 'json'),
  };
  if (args.values.initializer) env.RUNTIME_INITIALIZER_HANDLER = args.values.initializer;
  if (args.values.concurrency) env.FNPOOL_CONCURRENCY = args.values.concurrency;

  const child = spawn(BOOTSTRAP, [], { env, stdio: 'inherit' });
  process.stdout.write(
    `fnpool: local FunctionGraph platform for ${dir} (handler ${args.values.handler})\n` +
    `fnpool: runtime API emulator at http://${emulator.address}; invoke endpoint at ${endpoint.url}/invoke\n` +
    `fnpool: try:\n  curl -s -X POST ${endpoint.url}/invoke -d '{"name":"fnpool"}'\n` +
    `fnpool: Ctrl-C to stop\n`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await Promise.allSettled([endpoint.close(), emulator.close()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`fnpool: the runtime exited (${signal ?? `code ${code}`})\n`);
    void stop(code === 0 ? 1 : code ?? 1);
  });
}

function usageError(message: string): never {
  process.stderr.write(`fnpool start: ${message}\n`);
  process.exit(2);
}
