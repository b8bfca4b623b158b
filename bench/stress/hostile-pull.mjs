#!/usr/bin/env node
// Stress run of issue 14, "hostile input, per wire", for the pull platforms (FunctionGraph, Lambda,
// FC's runtime API): does the runtime survive whatever its runtime API hands it? The real bootstrap
// runs against a crafted runtime API (lib/pull-api.mjs) that answers its polls with the hostile
// replies of lib/pull-cases.mjs — bodies that are random, not UTF-8, 100k levels deep, over the
// limit, cut short or stalled; ids with path characters, unicode, binary bytes, repeated or missing; huge,
// binary or forbidden header values; malformed deadlines, contexts and invoke types; replies that
// are not HTTP — each followed by a well-formed invocation. After each case it checks that:
//   - the runtime is alive and still serves (the well-formed invocation is answered);
//   - every invocation with a usable id got exactly one POST, to a path whose id segment
//     percent-decodes to the id's bytes (never a dot-segment, never a different path);
//   - a POSTed error has a non-empty errorType and errorMessage, and the type expected;
//   - a reply with no usable id got no POST and exactly one warning record;
//   - nothing reached stderr, every stdout line is a log record, and no credential value (each
//     carries a unique marker) appears anywhere in the runtime's output.
// What is right for an id, as the runtime does it (src/platforms/pull/wire-values.ts): its bytes
// percent-encoded as one path segment, so `../x` posts to …/..%2Fx…; refused (skipped) when no
// segment can carry it (`.` and `..`, which path normalization resolves away even encoded), when
// the header came twice with different values, or when the same id is already in flight.
//
//   node bench/stress/hostile-pull.mjs [--quick] [--seed N] [--cases N] [--platform NAME]
//
// --quick tries the fixed sample of every kind (seed 1) but the slow one (a body that stalls: the
// runtime gives it up after 10 s); a full run tries that one too, and adds --cases random variants
// per platform (default 300) from a seeded PRNG: the seed is printed, and --seed N replays a run.
// Exits 1 when a check failed.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { table } from '../lib/report.mjs';
import { CraftedApi } from './lib/pull-api.mjs';
import { casesFor, followUp, idText } from './lib/pull-cases.mjs';
import { prng } from './lib/prng.mjs';
import { PullRuntime } from './lib/pull-runtime.mjs';
import { PLATFORMS, readAnswerPath, TIMEOUT_MS, WIRES } from './lib/pull-wires.mjs';

const RANDOM_CASES = 300;
/** Long polls the runtime keeps open: enough for an id to be handed out twice at once. */
const CONCURRENCY = 4;
/** How long the well-formed invocation after a case may take to be answered (a 32 MiB body before it, on a loaded machine). */
const CASE_TIMEOUT_MS = 30_000;
/** How long, after that, the case's own invocations may still take: their deadline, and some slack. */
const ANSWER_SLACK_MS = TIMEOUT_MS + 2000;
/** How long a skipped reply's warning may lag behind the next invocation's answer. */
const WARNING_WAIT_MS = 3000;
/** How long after the last case a late, second POST would still be caught. */
const LATE_POST_WAIT_MS = 500;
/** How long the runtime may take to have every poll open again (after backoffs of up to 2 s). */
const IDLE_WAIT_MS = 10_000;

/**
 * Runs every case on each platform.
 * @returns {Promise<{ name: string, seed: number, rows: { platform: string, kind: string, tried: number, outcome: string, ok: boolean }[], failures: string[] }>}
 */
export async function run({ quick = false, log = () => {}, seed = quick ? 1 : randomSeed(), cases = RANDOM_CASES, platforms = PLATFORMS } = {}) {
  log(`hostile input, pull wires: seed ${seed}`);
  const rows = [];
  const failures = [];
  for (const [index, platform] of platforms.entries()) {
    const result = await runPlatform(platform, { quick, seed: seed + index, extra: quick ? 0 : cases, log });
    rows.push(...result.rows);
    failures.push(...result.failures.map((f) => `${platform}: ${f} (seed ${seed})`));
  }
  return { name: 'hostile input, pull wires', seed, rows, failures };
}

async function runPlatform(platform, { quick, seed, extra, log }) {
  const r = prng(seed);
  const cases = casesFor(platform, r, { quick, extra });
  const credentials = environmentCredentials(platform, r);
  const api = await CraftedApi.start();
  const start = () => PullRuntime.start(platform, api.address, { timeoutMs: TIMEOUT_MS, concurrency: CONCURRENCY, env: credentials.env });
  let runtime = await start();
  const tally = new Map();
  const failures = [];
  const expected = new Map();
  const secrets = [...credentials.secrets];
  try {
    for (const [n, c] of cases.entries()) {
      if (n % 25 === 0) log(`${platform}: case ${n + 1} of ${cases.length}`);
      const follow = followUp(platform, r, n);
      secrets.push(...c.secrets, ...follow.secrets);
      for (const answer of [...c.answers, follow.answer]) {
        const key = answer.id.toString('hex');
        expected.set(key, { id: answer.id, times: (expected.get(key)?.times ?? 0) + 1 });
      }
      const { problems, outcomes } = await runCase(platform, api, runtime, c, follow, credentials.secrets);
      secrets.push(...await closeStreak(platform, api, runtime, r, n));
      count(tally, c.kind, outcomes, problems.length === 0);
      if (problems.length > 0) failures.push(`case ${n + 1}, ${c.kind}, ${c.tried}: ${problems.join('; ')}`);
      if (!runtime.alive) {
        await runtime.stop();
        runtime = await start();
      }
    }
    failures.push(...await finalChecks(platform, api, runtime, expected, secrets));
  } finally {
    await runtime.stop();
    await api.close();
  }
  const rows = [...tally].map(([kind, t]) => ({ platform, kind, tried: t.tried, outcome: summary(t.outcomes), ok: t.failed === 0 }));
  return { rows, failures };
}

/** Hands out one case and the well-formed invocation after it; what went wrong, and what came of each reply. */
async function runCase(platform, api, runtime, c, follow, envSecrets) {
  // From an idle runtime, every poll open: the replies of a case are taken at once, side by side.
  await until(() => api.waitingPolls >= CONCURRENCY, IDLE_WAIT_MS);
  const mark = runtime.mark;
  const firstPost = api.posts.length;
  const answers = [...c.answers, follow.answer];
  api.hand(...c.replies, follow.reply);
  const windowPosts = () => api.posts.slice(firstPost);
  const answered = (a) => windowPosts().some((p) => readAnswerPath(platform, p.url)?.id.equals(a.id));
  await api.waitForPosts(() => answered(follow.answer), CASE_TIMEOUT_MS);
  await api.waitForPosts(() => answers.every(answered), c.answerWithinMs ?? ANSWER_SLACK_MS);
  // The runtime's records are written in order: once the follow-up's is out, so is every record before it.
  await runtime.waitForRecord((rec) => isFinished(rec) && rec.requestId === idText(follow.answer.id), 5000, mark.records);
  const warnings = () => runtime.records.slice(mark.records).filter(isWarning);
  if (c.skipped > 0) await until(() => warnings().length >= c.skipped, WARNING_WAIT_MS);
  // Every reply taken and done with (a skipped one's slot polls again after its backoff).
  await until(() => api.waitingPolls >= CONCURRENCY, IDLE_WAIT_MS);

  const problems = [];
  const outcomes = [];
  const posts = windowPosts();
  for (const answer of answers) {
    const mine = posts.filter((p) => readAnswerPath(platform, p.url)?.id.equals(answer.id));
    const outcome = mine.length === 1 ? answerOutcome(platform, mine[0]) : `${mine.length} POSTs`;
    if (answer !== follow.answer) outcomes.push(outcome);
    problems.push(...checkAnswer(platform, answer, mine, answer === follow.answer ? 'the next well-formed invocation' : 'the invocation'));
  }
  let unexpected = 0;
  for (const post of posts) {
    const read = readAnswerPath(platform, post.url);
    if (read !== undefined && answers.some((a) => a.id.equals(read.id))) continue;
    unexpected++;
    problems.push(read === undefined ? `a POST to a path that is not an answer path: ${shorten(post.url)}`
      : `a POST for an id that must not be answered: ${shorten(post.url)}`);
  }
  const warned = warnings();
  for (let i = 0; i < c.skipped; i++) outcomes.push(i < unexpected ? 'posted, not skipped' : 'skipped');
  if (warned.length !== c.skipped) {
    problems.push(`${warned.length} warning records, expected ${c.skipped}${warned.length > 0 ? `: ${warned.map((w) => shorten(w.msg)).join(' | ')}` : ''}`);
  }
  problems.push(...checkOutput(runtime, mark, [...c.secrets, ...follow.secrets, ...envSecrets]));
  if (!runtime.alive) problems.push(`the runtime exited: ${JSON.stringify(runtime.child.exitCode ?? runtime.child.signalCode)}`);
  return { problems, outcomes };
}

/**
 * The runtime warns once per streak of faults of its API (a reply it could not take), and says when
 * the API answers again; a fault after the case's last success would leave the streak open, and
 * the next case's fault unwarned. So while one is open, one more well-formed invocation closes it.
 * Returns the credentials it handed out.
 */
async function closeStreak(platform, api, runtime, r, n) {
  const opened = runtime.records.findLastIndex((rec) => isWarning(rec) && /retried with backoff/.test(rec.msg ?? ''));
  if (opened === -1) return [];
  const closed = () => runtime.records.slice(opened).some((rec) => /^the runtime API answers again/.test(rec.msg ?? ''));
  if (closed()) return [];
  const closer = followUp(platform, r, `${n}-closer`);
  api.hand(closer.reply);
  await until(closed, CASE_TIMEOUT_MS);
  return closer.secrets;
}

/** An answer must be exactly one POST: a result, or an error of the expected type with a type and a message. */
function checkAnswer(platform, answer, posts, what) {
  const shown = `${what} ${JSON.stringify(shorten(idText(answer.id)))}`;
  if (posts.length !== 1) return [`${shown} got ${posts.length} POSTs, not 1`];
  const post = posts[0];
  const read = readAnswerPath(platform, post.url);
  let body;
  try {
    body = JSON.parse(post.body.toString('utf8'));
  } catch {
    return [`${shown}: the POST's body is not JSON: ${shorten(post.body.toString('utf8'))}`];
  }
  if (!read.ok) {
    const problems = errorShape(platform, body, post).map((p) => `${shown}: ${p}`);
    if (answer.ok) problems.push(`${shown} was answered with ${body.errorType}: ${shorten(String(body.errorMessage))}`);
    else if (body.errorType !== answer.errorType) problems.push(`${shown} was answered with ${body.errorType}, not ${answer.errorType}: ${shorten(String(body.errorMessage))}`);
    else if (answer.message !== undefined && !answer.message.test(body.errorMessage)) problems.push(`${shown}: the message does not say ${answer.message}: ${shorten(body.errorMessage)}`);
    return problems;
  }
  if (!answer.ok) return [`${shown} was answered with a result, not ${answer.errorType}`];
  const wrong = answer.check?.(body);
  return wrong === undefined ? [] : [`${shown}: ${wrong}`];
}

/** The platform's error shape: errorType and errorMessage, non-empty strings; the stack an array of strings. */
function errorShape(platform, body, post) {
  const problems = [];
  const stackKey = WIRES[platform].stackKey;
  if (typeof body.errorType !== 'string' || body.errorType === '') problems.push(`the error has no errorType: ${shorten(JSON.stringify(body))}`);
  if (typeof body.errorMessage !== 'string' || body.errorMessage.trim() === '') problems.push(`the error has no errorMessage: ${shorten(JSON.stringify(body))}`);
  if (!Array.isArray(body[stackKey]) || !body[stackKey].every((line) => typeof line === 'string')) problems.push(`the error has no ${stackKey} array`);
  if (platform === 'lambda' && post.headers['lambda-runtime-function-error-type'] !== body.errorType) {
    problems.push(`Lambda-Runtime-Function-Error-Type is ${JSON.stringify(post.headers['lambda-runtime-function-error-type'])}, the body says ${body.errorType}`);
  }
  return problems;
}

/** What the runtime wrote while a case ran: nothing on stderr, log records only, no credential. */
function checkOutput(runtime, mark, secrets) {
  const problems = [];
  const { stdout, stderr } = runtime.since(mark);
  if (stderr.length > 0) problems.push(`stderr: ${shorten(stderr.toString('utf8'), 400)}`);
  for (const record of runtime.records.slice(mark.records)) {
    if (record.line !== undefined && !/^FC \w+ (Start|End) RequestId: /.test(record.line)) problems.push(`a stdout line that is not a log record: ${shorten(record.line)}`);
  }
  for (const secret of secrets) {
    for (const [name, bytes] of [['stdout', stdout], ['stderr', stderr]]) {
      const at = bytes.indexOf(secret);
      if (at !== -1) problems.push(`a credential leaked to ${name}: ${shorten(bytes.subarray(Math.max(0, at - 80), at + 40).toString('utf8'))}`);
    }
  }
  return problems;
}

/** After the last case: no late second POST, nothing on stderr, no credential anywhere, a clean exit on SIGTERM. */
async function finalChecks(platform, api, runtime, expected, secrets) {
  await sleep(LATE_POST_WAIT_MS);
  const problems = [];
  const seen = new Map();
  for (const post of api.posts) {
    const read = readAnswerPath(platform, post.url);
    if (read === undefined) continue; // reported with its case
    const key = read.id.toString('hex');
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  for (const [key, { id, times }] of expected) {
    const posted = seen.get(key) ?? 0;
    if (posted > times) problems.push(`id ${JSON.stringify(shorten(idText(id)))} got ${posted} POSTs over the whole run, for ${times} invocations`);
  }
  problems.push(...checkOutput(runtime, { records: 0, stdout: 0, stderr: 0 }, secrets).map((p) => `over the whole run, ${p}`));
  const exit = await runtime.stop();
  if (exit.code !== 0) problems.push(`the runtime did not exit cleanly on SIGTERM: ${JSON.stringify(exit)}`);
  return problems;
}

/** Lambda's credentials come in the environment: the runtime gets marked ones, which must never be logged. */
function environmentCredentials(platform, r) {
  const names = WIRES[platform].credentialVariables ?? [];
  const env = {};
  const secrets = [];
  for (const name of names) {
    const secret = `LEAK${r.int(1e11, 9e11).toString(36)}${name.length}`;
    env[name] = `${name.slice(0, 4)}-${secret}`;
    secrets.push(secret);
  }
  return { env, secrets };
}

function answerOutcome(platform, post) {
  const read = readAnswerPath(platform, post.url);
  if (read.ok) return 'result';
  try {
    return JSON.parse(post.body.toString('utf8')).errorType ?? 'error';
  } catch {
    return 'error';
  }
}

const isWarning = (record) => record.level === 'warn';
/** The runtime's record of an invocation's end (Lambda's Text lines carry its fields after the message). */
export const isFinished = (record) => /^invocation finished\b/.test(record.msg ?? '');

function count(tally, kind, outcomes, passed) {
  const t = tally.get(kind) ?? { tried: 0, failed: 0, outcomes: new Map() };
  tally.set(kind, t);
  t.tried++;
  if (!passed) t.failed++;
  for (const outcome of outcomes) t.outcomes.set(outcome, (t.outcomes.get(outcome) ?? 0) + 1);
}

function summary(outcomes) {
  return [...outcomes].sort((a, b) => b[1] - a[1]).map(([outcome, n]) => `${outcome} ×${n}`).join(', ');
}

async function until(predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await sleep(20);
}

function shorten(text, max = 160) {
  const s = String(text);
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} chars)`;
}

function randomSeed() {
  return Math.floor(Math.random() * 2 ** 31);
}

/** The run as a table, then its failures. */
export function report(result) {
  const lines = [`${result.name} (seed ${result.seed})`, ''];
  lines.push(table(['platform', 'kind', 'tried', 'outcome', 'ok'], result.rows.map((row) => [row.platform, row.kind, row.tried, row.outcome, row.ok ? 'yes' : 'NO'])));
  const tried = result.rows.reduce((sum, row) => sum + row.tried, 0);
  lines.push('', `${tried} inputs tried, ${result.failures.length} failure${result.failures.length === 1 ? '' : 's'}`);
  for (const failure of result.failures) lines.push(`  - ${failure}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, seed: { type: 'string' }, cases: { type: 'string' }, platform: { type: 'string', multiple: true } },
  });
  const result = await run({
    quick: values.quick,
    seed: values.seed === undefined ? undefined : Number(values.seed),
    cases: values.cases === undefined ? undefined : Number(values.cases),
    platforms: values.platform,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(report(result));
  process.exitCode = result.failures.length > 0 ? 1 : 0;
}
