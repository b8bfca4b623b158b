// `fnpool start [dir]`: a local platform on this machine — FunctionGraph, Lambda or FC's runtime
// API emulator, or HTTP mode's front (FC's or Knative's), by --platform — the bootstrap (fnpool's,
// or any custom runtime's) started as a child process with the function in dir and the
// environment that platform gives it, and an invoke endpoint (POST http://127.0.0.1:9000/invoke)
// that returns the function's answer. --watch starts the bootstrap again when the function's
// files change.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fromEnv, parse, shownPath, toBoolean, toPort, UsageError } from './args.js';
import { describeSettings, FUNCTION_OPTIONS, FUNCTION_OPTIONS_HELP, NUMBER_OPTIONS, PACKAGE_JSON_HELP, resolveSettings, withLogFormat } from './function-settings.js';
import { LocalPlatform } from './local-platform.js';
import { watchTree, type TreeWatcher } from './watch.js';

export const HELP = `Usage: fnpool start [dir] [options]

Starts a local platform for the function in dir (default: the current folder): an emulator of the
platform's runtime API (FunctionGraph, AWS Lambda or Function Compute's, by --platform) with the
bootstrap started against it — or, with --platform http, the bootstrap as an HTTP server behind
a front that calls it as Function Compute does (Knative, with --knative) — and an invoke endpoint
(POST /invoke, body = the event; AWS's POST /2015-03-31/functions/function/invocations too) that
answers with the function's result. In HTTP mode, any other request to the endpoint goes to the
runtime as an HTTP trigger's request. Ctrl-C stops everything, letting invocations in flight
finish; a second Ctrl-C kills the runtime (its whole process group) at once, exit status 130.

Options (flag, environment variable, default):
${FUNCTION_OPTIONS_HELP}
  --port PORT          port of the invoke endpoint      FNPOOL_PORT (9000; 0 = any free port)
  --api-port PORT      port of the runtime API emulator FNPOOL_API_PORT (0 = any free port)
  --host ADDRESS       interface of both                FNPOOL_HOST (127.0.0.1)
  -w, --watch          restart the bootstrap on changes FNPOOL_WATCH=1 (off)
                       in dir (node_modules and dot-folders are not watched)
  -h, --help           this help

${PACKAGE_JSON_HELP}

The bootstrap gets the environment the platform gives a runtime — FunctionGraph: RUNTIME_API_ADDR,
RUNTIME_CODE_ROOT (dir), RUNTIME_HANDLER, RUNTIME_TIMEOUT, RUNTIME_MEMORY, RUNTIME_CPU, …; Lambda:
AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT, _HANDLER, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, …; FC:
FC_RUNTIME_API, FC_FUNC_CODE_PATH, FC_FUNCTION_HANDLER, …; HTTP mode: FC_SERVER_PORT (Knative: PORT,
K_SERVICE), FC_FUNC_CODE_PATH, FNPOOL_HANDLER, FNPOOL_TIMEOUT, … Other variables (RUNTIME_USERDATA,
FNPOOL_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT, …) are passed on as they are.

Examples:
  fnpool start examples/hello
  curl -s -X POST http://127.0.0.1:9000/invoke -d '{"name":"fnpool"}'

  fnpool start . --handler src/app.handler --timeout 10 --memory 512 --cpus 2 --watch
  fnpool start examples/initializer --port 9001
  fnpool start my-go-function --bootstrap my-go-function/bootstrap
  fnpool start examples/hello --platform lambda --concurrency 16
  fnpool start examples/apig --platform http      then: curl -s http://127.0.0.1:9000/any/path?q=1
  fnpool start my-fc-function --platform http --bootstrap my-fc-function/bootstrap
`;

export async function start(argv: string[]): Promise<void> {
  const { values, positionals } = parse('start', argv, {
    ...FUNCTION_OPTIONS,
    port: { type: 'string' },
    'api-port': { type: 'string' },
    host: { type: 'string' },
    watch: { type: 'boolean', short: 'w' },
    help: { type: 'boolean', short: 'h' },
  }, [...NUMBER_OPTIONS, 'port', 'api-port']);
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.join(' ')}`);
  const env = withLogFormat(values['log-format'], process.env);
  const settings = resolveSettings(positionals[0], values, env);
  const portOf = (flag: string, value: string | undefined, variable: string, fallback: number): number => {
    if (value !== undefined) return toPort(`--${flag}`, value);
    const v = fromEnv(env, [variable]);
    return v ? toPort(v.name, v.value) : fallback;
  };
  const endpointPort = portOf('port', values.port, 'FNPOOL_PORT', 9000);
  const apiPort = portOf('api-port', values['api-port'], 'FNPOOL_API_PORT', 0);
  const host = values.host ?? fromEnv(env, ['FNPOOL_HOST'])?.value ?? '127.0.0.1';
  const watchVar = fromEnv(env, ['FNPOOL_WATCH']);
  const watching = values.watch ?? (watchVar ? toBoolean(watchVar.name, watchVar.value) : false);

  const platform = await LocalPlatform.start({ settings, host, apiPort, endpointPort, output: 'inherit', env });
  const url = platform.endpoint!.url;
  platform.startRuntime();
  const { title, meeting, variable } = platform.description;
  process.stdout.write(banner(title, settings.dir, url, `${`${meeting}:`.padEnd(13)}${variable}`, describeSettings(settings),
    settings.ownBootstrap ? undefined : settings.bootstrap, watching));

  let stopping = false;
  let killing = false;
  let exitCode = 0;
  let watcher: TreeWatcher | undefined;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    watcher?.close();
    await platform.close();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => {
    if (killing) return;
    if (stopping) {
      // A second Ctrl-C: no more waiting for the bootstrap's graceful shutdown. Its whole process
      // group is killed at once; the stop under way ends once it is gone, so nothing of it prints
      // after the prompt is back, and what waited on it is told the platform stopped.
      killing = true;
      exitCode = 130;
      process.stderr.write('fnpool: killing the runtime\n');
      void platform.kill().then(() => setTimeout(() => process.exit(exitCode), 2_000));
      return;
    }
    process.stderr.write('\nfnpool: stopping (Ctrl-C again to kill)\n');
    void stop(0);
  });
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));

  platform.on('exit', (code, signal) => {
    if (stopping) return;
    const how = signal ?? `code ${code}`;
    if (watching) {
      process.stderr.write(`fnpool: the runtime exited (${how}); waiting for a change in ${settings.dir} to start it again\n`);
      return;
    }
    process.stderr.write(`fnpool: the runtime exited (${how}); stopping\n`);
    void stop(code === 0 || code === null ? 1 : code);
  });

  if (watching) {
    // One restart at a time; changes during a restart make one more restart after it.
    let restarting = false;
    let pending: string | undefined;
    const restart = async (file: string): Promise<void> => {
      restarting = true;
      for (let next: string | undefined = file; next !== undefined && !stopping; next = pending) {
        pending = undefined;
        process.stderr.write(`fnpool: ${next} changed; starting the runtime again\n`);
        await platform.stopRuntime();
        if (!stopping) platform.startRuntime();
      }
      restarting = false;
    };
    watcher = watchTree(settings.dir, (file) => {
      if (stopping) return;
      if (restarting) pending = file;
      else void restart(file);
    });
  }
}

function banner(title: string, dir: string, url: string, api: string, settings: string, bootstrap: string | undefined, watching: boolean): string {
  const event = sampleEvent(dir);
  const defaultUrl = url === 'http://127.0.0.1:9000';
  const invokeArgs = `${defaultUrl ? '' : `--url ${url} `}${event.cli}`;
  return [
    `fnpool: local ${title} platform for ${shownPath(dir)}`,
    `  function:    ${settings}`,
    `  runtime:     ${bootstrap ? `custom bootstrap ${bootstrap}` : "fnpool's bootstrap"}${watching ? ' (restarted when files change)' : ''}`,
    `  ${api}`,
    `  invoke:      POST ${url}/invoke`,
    `  try:         curl -s -X POST ${url}/invoke -d ${event.curl}`,
    `               fnpool invoke ${invokeArgs}`,
    '  Ctrl-C to stop',
    '',
  ].join('\n');
}

/** The folder's event.json when there is one (examples have one), else {}; quoted for a shell. */
function sampleEvent(dir: string): { curl: string; cli: string } {
  const file = path.join(dir, 'event.json');
  if (existsSync(file)) {
    const rel = shownPath(file);
    let compact: string | undefined;
    try {
      compact = JSON.stringify(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // not JSON: point at the file
    }
    if (compact !== undefined && compact.length <= 80 && !compact.includes("'")) {
      return { curl: `'${compact}'`, cli: `'${compact}'` };
    }
    return { curl: `@${rel}`, cli: `--event ${rel}` };
  }
  return { curl: "'{}'", cli: "'{}'" };
}
