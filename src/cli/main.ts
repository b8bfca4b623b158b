#!/usr/bin/env node
// The fnpool command line: one entry, one subcommand per job. Argument parsing only; the work is
// done by the modules each subcommand calls. A UsageError from any of them is one line on stderr
// and exit status 2; anything else is a bug of fnpool's and keeps its stack.
import { EXIT_USAGE, fnpoolVersion, UsageError } from './args.js';

const USAGE = `fnpool — a FaaS custom runtime that runs many invocations at once on every core

Usage:
  fnpool init [dir]           write a minimal function to start from (--ts: TypeScript)
  fnpool start [dir]          a local platform for the function in dir (FunctionGraph by default;
                              --platform lambda, fc, http or openedge)
  fnpool invoke [event]       send one event to it (or, with --dir, to a one-shot platform)
  fnpool bench [dir]          benchmark the function in dir: invocations/s, latency, CPU, memory
  fnpool package [dir]        a zip of the function and the runtime, ready to upload
  fnpool serve                run the runtime (what bootstrap runs on the platform)
  fnpool <command> --help     help for a command, with examples
  fnpool --version

Examples:
  fnpool init my-function
  fnpool start examples/hello
  fnpool invoke '{"name":"fnpool"}'
  fnpool invoke --dir examples/hello '{"name":"fnpool"}'
  fnpool bench examples/hello --duration 5
  fnpool package examples/hello -o function.zip
`;

const SERVE_HELP = `Usage: fnpool serve [-c CONFIG]

Runs the runtime for the platform its arguments and environment name: -c CONFIG (OpenEdge),
AWS_LAMBDA_RUNTIME_API (Lambda), FC_RUNTIME_API (Function Compute's runtime API),
RUNTIME_API_ADDR (FunctionGraph), FC_SERVER_PORT, FC_FUNC_CODE_PATH or PORT (the HTTP server), or
FNPOOL_PLATFORM. This is what bootstrap runs; to try a function on this machine use fnpool start.
`;

type Command = (argv: string[]) => Promise<number | void>;

const COMMANDS: Record<string, () => Promise<{ command: Command; help: string }>> = {
  start: async () => {
    const m = await import('./start.js');
    return { command: m.start, help: m.HELP };
  },
  invoke: async () => {
    const m = await import('./invoke.js');
    return { command: m.invoke, help: m.HELP };
  },
  bench: async () => {
    const m = await import('./bench.js');
    return { command: m.bench, help: m.HELP };
  },
  package: async () => {
    const m = await import('./package.js');
    return { command: m.packageFunction, help: m.HELP };
  },
  serve: async () => ({
    command: async (argv) => {
      // Other arguments are the platform's (bootstrap passes its own on: OpenEdge's -c CONFIG).
      if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
        process.stdout.write(SERVE_HELP);
        return;
      }
      await (await import('../runtime.js')).serve(process.env, argv);
    },
    help: SERVE_HELP,
  }),
  init: async () => {
    const m = await import('./init.js');
    return { command: m.init, help: m.HELP };
  },
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  switch (name) {
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`${fnpoolVersion()}\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    case 'help': {
      const topic = rest[0];
      if (topic === undefined) {
        process.stdout.write(USAGE);
        return;
      }
      const load = COMMANDS[topic];
      if (!load) return usageError('help', `no such command ${JSON.stringify(topic)} (commands: ${Object.keys(COMMANDS).join(', ')})`);
      process.stdout.write((await load()).help);
      return;
    }
  }
  const load = COMMANDS[name];
  if (!load) return usageError(null, `unknown command ${JSON.stringify(name)} (commands: ${Object.keys(COMMANDS).join(', ')}; see fnpool --help)`);
  try {
    const code = await (await load()).command(rest);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (err instanceof UsageError) return usageError(name, err.message);
    throw err;
  }
}

/**
 * Output to a pipe whose reader has gone (`fnpool bench … | head -1`) ends the command quietly, as
 * other command-line tools end, instead of a stack for the EPIPE. The exit runs the 'exit' hooks
 * that stop a local platform's runtime.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

function usageError(command: string | null, message: string): void {
  // With --json among the arguments, a script reads stderr too: one JSON object instead of the line.
  const args = process.argv.slice(2);
  const json = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined).includes('--json');
  process.stderr.write(json ? `${JSON.stringify({ error: 'usage', command, message })}\n` : `fnpool${command ? ` ${command}` : ''}: ${message}\n`);
  process.exit(EXIT_USAGE);
}

endQuietlyOnClosedPipe(process.stdout);
endQuietlyOnClosedPipe(process.stderr);
await main(process.argv.slice(2));
