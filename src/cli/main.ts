#!/usr/bin/env node
// The fnpool command line: one entry, one subcommand per job. Argument parsing only; the work is
// done by the modules each subcommand calls.
import { readFileSync } from 'node:fs';

const USAGE = `fnpool — a FaaS custom runtime that runs many invocations at once on every core

Usage:
  fnpool serve              run the runtime (what bootstrap runs on the platform)
  fnpool start [dir]        a local FunctionGraph platform for the function in dir
  fnpool --version
  fnpool <command> --help   help for a command
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('../runtime.js')).serve();
    case 'start':
      return (await import('./start.js')).start(rest);
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`fnpool: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      process.exit(2);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

await main(process.argv.slice(2));
