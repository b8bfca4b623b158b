// `fnpool invoke`: sends one event to a function and prints its answer. Either to a running local
// platform (`fnpool start`, through its invoke endpoint), or with --dir to a one-shot local platform
// started for this one invocation and stopped after it. Exit status: 0 the function answered (with
// --async: the platform accepted the invocation), 1 it failed (its error type, message and stack
// are printed), 2 the command was wrong, 3 no answer came (the platform stopped, or --wait ran out).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Agent, request } from 'undici';
import { EmulatorError, isValidRequestId, REQUEST_ID_RULE, type InvokeError } from '../emulator/index.js';
import { EXIT_FUNCTION_ERROR, EXIT_NO_ANSWER, EXIT_OK, fromEnv, parse, shownPath, toNumber, UsageError } from './args.js';
import { readEvent, type EventSource } from './event-input.js';
import { FUNCTION_OPTIONS, FUNCTION_OPTIONS_HELP, NUMBER_OPTIONS, resolveSettings, withLogFormat } from './function-settings.js';
import { LocalPlatform } from './local-platform.js';

export const HELP = `Usage: fnpool invoke [event] [options]

Sends one event to a function and prints its result; for a function error, its type, message and
stack (on stderr). Exit status: 0 success (--async: accepted), 1 function error, 2 usage error,
3 no answer (the local platform stopped before answering, or --wait ran out).

The event is JSON: inline as the argument, from a file (--event FILE), or from standard input
(--event - or the argument -). Without one, the event is {} — with --dir, DIR/event.json when
there is one.

Options:
  -e, --event FILE     read the event from FILE (- for standard input)
  --url URL            a running local platform (fnpool start)   FNPOOL_URL (http://127.0.0.1:9000)
  --dir DIR            no running platform: start one for the function in DIR, invoke it once,
                       stop it (the runtime's logs go to stderr)
  --async              an async invocation (context.getInvokeType() is 'async'): prints its
                       request id as soon as the platform accepted it, and exits 0; the outcome
                       is in the runtime's logs (--dir waits for it before stopping the platform)
  --request-id ID      the request id (default: a fresh UUID)
  --wait SECONDS       how long to wait for the answer  FNPOOL_WAIT (--url: 900; --dir: the
                       (0: no limit)                    function's timeout + 30)
  --json               print one JSON object for scripts: {"ok", "requestId", "durationMs",
                       "result" | "resultBase64" | "error": {errorType, errorMessage, stackTrace}};
                       --async: {"ok", "accepted", "requestId"}; a usage error: {"error": "usage",
                       "command", "message"} on stderr
  -q, --quiet          with --dir: do not show the runtime's logs
  -h, --help           this help

With --dir, these choose how the function runs (as for fnpool start):
${FUNCTION_OPTIONS_HELP}

Examples:
  fnpool invoke '{"name":"fnpool"}'
  fnpool invoke --event examples/apig/event.json --url http://127.0.0.1:9001
  echo '{"limit": 2000000}' | fnpool invoke - --dir examples/cpu --json
  fnpool invoke --dir examples/hello --timeout 10 '{"name":"once"}'
  fnpool invoke --dir examples/hello                 (its event.json)
  fnpool invoke --async '{"name":"later"}'           (prints the request id)
  fnpool invoke --url http://127.0.0.1:9001 --wait 60 '{}'
`;

/** How long `--url` waits for an answer by default: the longest a synchronous invocation runs on Lambda or FunctionGraph. */
const DEFAULT_WAIT_SECONDS = 900;

/** What came back, the same whether it came over HTTP or straight from the emulator. */
interface Answer {
  ok: boolean;
  requestId: string;
  durationMs: number;
  body: Buffer;
  contentType: string;
  error?: InvokeError;
  /** An async invocation the platform accepted: only its request id is printed. */
  accepted?: boolean;
  /** No answer came (the platform stopped, or the wait ran out): printed as fnpool's own message, exit status 3. */
  noAnswer?: boolean;
}

export async function invoke(argv: string[]): Promise<number> {
  const { values, positionals } = parse('invoke', argv, {
    ...FUNCTION_OPTIONS,
    event: { type: 'string', short: 'e' },
    url: { type: 'string' },
    dir: { type: 'string' },
    async: { type: 'boolean' },
    'request-id': { type: 'string' },
    wait: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  }, [...NUMBER_OPTIONS, 'wait']);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) {
    throw new UsageError(`expected one event, got ${positionals.length} arguments (quote the JSON: '{"a": 1}')`);
  }
  if (positionals.length === 1 && values.event !== undefined) throw new UsageError('give the event either inline or with --event, not both');
  if (values.dir !== undefined && values.url !== undefined) throw new UsageError('give either --url (a running platform) or --dir (a one-shot one), not both');
  if (values.dir === undefined) {
    const runFlag = Object.keys(FUNCTION_OPTIONS).find((name) => values[name as keyof typeof FUNCTION_OPTIONS] !== undefined);
    if (runFlag) throw new UsageError(`--${runFlag} chooses how a function runs: it needs --dir (a running platform was started with its own)`);
  }
  const invokeType = values.async ? 'async' : 'sync';
  // An async invocation's id is printed as soon as it is accepted: it is chosen here.
  const requestId = values['request-id'] ?? (invokeType === 'async' ? randomUUID() : undefined);
  if (requestId !== undefined && !isValidRequestId(requestId)) throw new UsageError(`--request-id must be ${REQUEST_ID_RULE}`);
  const waitVar = fromEnv(process.env, ['FNPOOL_WAIT']);
  const wait = values.wait !== undefined ? { source: '--wait', raw: values.wait } : waitVar ? { source: waitVar.name, raw: waitVar.value } : undefined;
  const waitSeconds = wait === undefined ? undefined : toNumber(wait.source, wait.raw, { min: 0, max: 86_400, unit: 'seconds' });

  const env = values.dir !== undefined ? withLogFormat(values['log-format'], process.env) : process.env;
  const settings = values.dir !== undefined ? resolveSettings(values.dir, values, env) : undefined;
  const inline = positionals[0];
  let source: EventSource | undefined = inline === '-' || values.event === '-' ? { stdin: true }
    : values.event !== undefined ? { file: values.event }
    : inline !== undefined ? { inline } : undefined;
  let sample: string | undefined;
  if (source === undefined && settings !== undefined) {
    // As fnpool bench and the banner of fnpool start: the folder's own sample event.
    const file = path.join(settings.dir, 'event.json');
    if (existsSync(file)) source = { file: sample = shownPath(file) };
  }
  const event = await readEvent('invoke', source);
  if (sample !== undefined && !values.quiet) process.stderr.write(`fnpool invoke: the event is ${sample}\n`);
  const json = values.json === true;
  const accepted = (id: string): void => print({ ok: true, accepted: true, requestId: id, durationMs: 0, body: Buffer.alloc(0), contentType: '' }, json);

  let answer: Answer;
  if (settings !== undefined) {
    answer = await invokeOnce(event, settings, env, invokeType, requestId, values.quiet ? 'ignore' : 'stderr', waitSeconds, accepted);
    if (answer.accepted) return EXIT_OK; // printed when it was accepted
  } else {
    const fromVar = fromEnv(process.env, ['FNPOOL_URL']);
    const [source, url] = values.url !== undefined ? ['--url', values.url]
      : fromVar ? [fromVar.name, fromVar.value] : ['--url', 'http://127.0.0.1:9000'];
    answer = await invokeUrl(event, url, source, invokeType, requestId, waitSeconds ?? DEFAULT_WAIT_SECONDS);
  }
  print(answer, json);
  return answer.noAnswer ? EXIT_NO_ANSWER : answer.ok ? EXIT_OK : EXIT_FUNCTION_ERROR;
}

/**
 * POST to a running platform's invoke endpoint, waiting at most waitSeconds (0: no limit) for the
 * answer. An async invocation asks to be answered as soon as it is accepted (202).
 */
async function invokeUrl(
  event: Buffer, base: string, source: string, invokeType: 'sync' | 'async', requestId: string | undefined, waitSeconds: number,
): Promise<Answer> {
  let target: URL;
  try {
    target = new URL('invoke', base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new UsageError(`${source} ${base} is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new UsageError(`${source} ${base}: only http and https are supported`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (invokeType === 'async') {
    headers['x-cff-invoke-type'] = 'async';
    headers.prefer = 'respond-async';
  }
  if (requestId !== undefined) headers['x-cff-request-id'] = requestId;
  // Our own limit (--wait) instead of undici's (300 s for the headers), which would cut a long function short.
  const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
  const waited = new AbortController();
  const timer = waitSeconds > 0 ? setTimeout(() => waited.abort(), waitSeconds * 1000) : undefined;
  const started = performance.now();
  const stopped = (): Answer => noAnswer(requestId ?? '', performance.now() - started, 'Fnpool.PlatformStopped',
    `the local platform at ${base} stopped before answering`);
  const tooLong = (): Answer => noAnswer(requestId ?? '', performance.now() - started, 'Fnpool.NoAnswer',
    `no answer from ${base} within ${waitSeconds} s (wait longer with --wait SECONDS, or --wait 0 for no limit)`);
  try {
    let res;
    try {
      res = await request(target, { method: 'POST', headers, body: event, dispatcher, signal: waited.signal });
    } catch (err) {
      if (waited.signal.aborted) return tooLong();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED') {
        throw new UsageError(`no local platform at ${base} (start one with fnpool start, or invoke with --dir)`);
      }
      // The platform closed the connection it had taken the invocation on (fnpool start was stopped).
      if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return stopped();
      throw new UsageError(`cannot reach ${base}: ${(err as Error).message}`);
    }
    let body: Buffer;
    try {
      body = Buffer.from(await res.body.arrayBuffer());
    } catch {
      return waited.signal.aborted ? tooLong() : stopped();
    }
    const durationMs = Math.round(performance.now() - started);
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const id = header('x-cff-request-id') ?? header('x-fc-request-id') ?? requestId ?? '';
    const contentType = header('content-type') ?? 'application/octet-stream';
    // An async invocation the platform took (202), or, from a platform that ran it at once, answered.
    if (invokeType === 'async' && (res.statusCode === 202 || res.statusCode === 200)) return { ok: true, accepted: true, requestId: id, durationMs, body, contentType };
    if (res.statusCode === 200) return { ok: true, requestId: id, durationMs, body, contentType };
    // A function error is a 404 on FC's HTTP front: it says so in its headers.
    const errorType = header('x-fnpool-error-type') ?? header('x-fc-error-type');
    if (res.statusCode === 404 && errorType === undefined) throw new UsageError(`${base} is not a local platform (no /invoke there)`);
    const error = errorOf(body, res.statusCode);
    // The platform's own refusal: it was stopped with the invocation pending.
    if (res.statusCode === 503 && error.errorType === 'Emulator.InvokeFailed' && /\bclosed\b/.test(error.errorMessage)) return stopped();
    return { ok: false, requestId: id, durationMs, body, contentType, error: errorType !== undefined && error.errorType.startsWith('HTTP ') ? { ...error, errorType } : error };
  } finally {
    clearTimeout(timer);
    await dispatcher.destroy();
  }
}

/** A one-shot local platform: the emulator and the bootstrap, for one invocation. */
async function invokeOnce(
  event: Buffer,
  settings: ReturnType<typeof resolveSettings>,
  env: NodeJS.ProcessEnv,
  invokeType: 'sync' | 'async',
  requestId: string | undefined,
  output: 'stderr' | 'ignore',
  waitSeconds: number | undefined,
  onAccepted: (requestId: string) => void,
): Promise<Answer> {
  const platform = await LocalPlatform.start({ settings, output, env });
  const stopOnSignal = (): void => void platform.close().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    platform.startRuntime();
    // The runtime answers every invocation by its deadline; this is for a bootstrap that never does.
    const limitMs = waitSeconds !== undefined ? waitSeconds * 1000 : Math.ceil(settings.timeout * 1000) + 30_000;
    const exited = new Promise<never>((_, reject) => platform.once('exit', (code, signal) => {
      reject(new Error(`the runtime exited (${signal ?? `code ${code}`}) before it answered`));
    }));
    exited.catch(() => {});
    const started = performance.now();
    const pending = platform.caller.invoke(event, { invokeType, ...(limitMs > 0 ? { timeoutMs: limitMs } : {}), ...(requestId !== undefined ? { requestId } : {}) });
    if (invokeType === 'async' && requestId !== undefined) {
      // A refusal (too large, …) is settled by now; else it is accepted: say so at once, and keep
      // the platform up until the function is done (its logs show how it went).
      const refused = await Promise.race([pending.then(() => false, () => true), new Promise<false>((resolve) => setImmediate(resolve, false))]);
      if (!refused) {
        onAccepted(requestId);
        await Promise.race([pending, exited]).catch(() => {});
        return { ok: true, accepted: true, requestId, durationMs: Math.round(performance.now() - started), body: Buffer.alloc(0), contentType: '' };
      }
    }
    let result;
    try {
      result = await Promise.race([pending, exited]);
    } catch (err) {
      if (err instanceof EmulatorError && err.code === 'INVOKE_TIMEOUT') {
        return noAnswer(requestId ?? '', performance.now() - started, 'Fnpool.NoAnswer',
          `the runtime did not answer within ${limitMs / 1000} s${waitSeconds === undefined ? " (the function's timeout + 30 s)" : ''}`);
      }
      if (err instanceof EmulatorError && err.code === 'REQUEST_TOO_LARGE') {
        return failure(requestId ?? '', performance.now() - started, 'Runtime.RequestTooLarge', err.message);
      }
      if (err instanceof EmulatorError) throw new UsageError(err.message);
      return failure(requestId ?? '', performance.now() - started, 'Fnpool.RuntimeExited', (err as Error).message);
    }
    const durationMs = Math.round(result.answeredAt - result.queuedAt);
    const contentType = result.contentType ?? 'application/json';
    if (result.ok) return { ok: true, requestId: result.requestId, durationMs, body: result.body, contentType };
    return { ok: false, requestId: result.requestId, durationMs, body: result.body, contentType, error: result.error ?? errorOf(result.body, 500) };
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await platform.close();
  }
}

function failure(requestId: string, ms: number, errorType: string, errorMessage: string): Answer {
  const error = { errorType, errorMessage, stackTrace: [] };
  return { ok: false, requestId, durationMs: Math.round(ms), body: Buffer.from(JSON.stringify(error)), contentType: 'application/json', error };
}

/** No answer came: not the function's error, fnpool's message (exit status 3). */
function noAnswer(requestId: string, ms: number, errorType: string, errorMessage: string): Answer {
  return { ...failure(requestId, ms, errorType, errorMessage), noAnswer: true };
}

/** The error body of README "Errors", or a description of whatever else came back. */
function errorOf(body: Buffer, status: number): InvokeError {
  try {
    const v = JSON.parse(body.toString('utf8')) as Partial<InvokeError>;
    if (typeof v.errorType === 'string') {
      return {
        errorType: v.errorType,
        errorMessage: typeof v.errorMessage === 'string' ? v.errorMessage : '',
        stackTrace: Array.isArray(v.stackTrace) ? v.stackTrace.map(String) : [],
      };
    }
  } catch {
    // not the error shape
  }
  return { errorType: `HTTP ${status}`, errorMessage: body.toString('utf8').slice(0, 1000), stackTrace: [] };
}

function print(answer: Answer, json: boolean): void {
  const isJson = /^application\/json\b/i.test(answer.contentType);
  if (answer.accepted) {
    process.stdout.write(json ? `${JSON.stringify({ ok: true, accepted: true, requestId: answer.requestId })}\n` : `${answer.requestId}\n`);
    return;
  }
  if (answer.noAnswer && !json) {
    process.stderr.write(`fnpool invoke: ${answer.error!.errorMessage}${answer.requestId ? ` (request ${answer.requestId})` : ''}\n`);
    return;
  }
  if (json) {
    const out: Record<string, unknown> = { ok: answer.ok, requestId: answer.requestId, durationMs: answer.durationMs };
    if (!answer.ok) out.error = answer.error;
    else if (isJson) out.result = parseOr(answer.body);
    else out.resultBase64 = answer.body.toString('base64');
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (answer.ok) {
    // Bytes as they came (a Buffer result is binary); JSON with a newline after it.
    process.stdout.write(answer.body);
    if (isJson && !answer.body.toString('utf8').endsWith('\n')) process.stdout.write('\n');
    return;
  }
  const e = answer.error!;
  const lines = [`${e.errorType}: ${e.errorMessage}`, ...e.stackTrace.map((line) => `    ${line}`)];
  if (answer.requestId) lines.push(`(request ${answer.requestId})`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

function parseOr(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}
