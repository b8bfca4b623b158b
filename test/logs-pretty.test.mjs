// The runtime's log format through the real CLI (`fnpool start`, `invoke --dir`, `bench`):
// `--log-format text` (or FNPOOL_LOG_FORMAT=text, the default on a terminal) shows the runtime's
// records as lines for people — time, level, request id, message, fields as key=value, a message's
// further lines and an error's stack indented below it — while piped output stays one JSON object
// per line, and --log-format wins over the variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertUsageError, post, run, startCli } from './fixtures/cli-helpers/cli.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-logs-pretty-'));
writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
writeFileSync(path.join(dir, 'index.js'), `
export const handler = async (event) => {
  if (event.action === 'stray') {
    // Thrown after the invocation has answered: logged with its stack, as an error of its request.
    setTimeout(() => { throw new Error('stray failure'); }, 30);
    return 'later';
  }
  console.log('first line\\nsecond line');
  return { ok: true };
};
`);

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;

/** The runtime's lines on stdout, after the banner (which ends with "Ctrl-C to stop"). */
const runtimeLines = (platform) => platform.stdout().split('Ctrl-C to stop\n')[1]?.split('\n').filter((l) => l !== '') ?? [];

/** Starts fnpool start on the fixture, sends one plain invocation as req-1, and waits for its record. */
async function startAndInvoke(args, env, finished) {
  const platform = await startCli([dir, '--port', '0', ...args], { env });
  const answer = await post(platform.url, { action: 'log' }, { 'x-cff-request-id': 'req-1' });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  await platform.waitFor(finished);
  return platform;
}

test('--log-format text: lines for people, with fields as key=value and further lines indented', async () => {
  // The helpers set FNPOOL_LOG_FORMAT=json: the flag wins over it.
  const platform = await startAndInvoke(['--log-format', 'text'], {}, /req-1 invocation finished/);
  try {
    const stray = await post(platform.url, { action: 'stray' }, { 'x-cff-request-id': 'req-2' });
    assert.equal(stray.body, 'later');
    await platform.waitFor(/stray failure[^\n]*\n(?: {4}at [^\n]*\n)+/);
    const lines = runtimeLines(platform);
    assert.equal(lines.filter((l) => l.startsWith('{')).length, 0, `no JSON records: ${platform.stdout()}`);
    const text = lines.join('\n');
    assert.match(text, new RegExp(`^${TIME} INFO  - fnpool serving platform=functiongraph threads=1 .*handler=index\\.handler`, 'm'));
    // The handler's console.log: its second line below the first, indented.
    assert.match(text, new RegExp(`^${TIME} INFO  req-1 first line\\n {4}second line$`, 'm'));
    assert.match(text, new RegExp(`^${TIME} INFO  req-1 invocation finished outcome=success durationMs=[\\d.]+ billedDurationMs=\\d+ `, 'm'));
    // An error's stack: one indented line per frame, pointing at the handler's file.
    assert.match(text, new RegExp(`^${TIME} ERROR req-2 Error: stray failure errorType=Runtime\\.UncaughtException\\n {4}at .*index\\.js:\\d+:\\d+`, 'm'));
  } finally {
    assert.equal((await platform.stop('SIGINT')).code, 0);
  }
});

test('FNPOOL_LOG_FORMAT=text chooses the same lines without the flag', async () => {
  const platform = await startAndInvoke([], { FNPOOL_LOG_FORMAT: 'text' }, /req-1 invocation finished/);
  try {
    const text = runtimeLines(platform).join('\n');
    assert.match(text, new RegExp(`^${TIME} INFO  req-1 invocation finished outcome=success `, 'm'));
    assert.doesNotMatch(text, /^\{/m);
  } finally {
    await platform.stop('SIGINT');
  }
});

test('piped, with no format asked for: one JSON object per line, as on a platform', async () => {
  const platform = await startAndInvoke([], { FNPOOL_LOG_FORMAT: undefined }, /"requestId":"req-1"[^\n]*"msg":"invocation finished"/);
  try {
    const lines = runtimeLines(platform);
    assert.ok(lines.length >= 3, platform.stdout());
    const records = lines.map((l) => JSON.parse(l));
    const logged = records.find((r) => r.requestId === 'req-1' && r.msg.startsWith('first line'));
    assert.equal(logged.msg, 'first line\nsecond line');
    assert.equal(logged.level, 'info');
    assert.equal(records.find((r) => r.msg === 'invocation finished').outcome, 'success');
  } finally {
    await platform.stop('SIGINT');
  }
});

test('--log-format json wins over FNPOOL_LOG_FORMAT=text', async () => {
  const platform = await startAndInvoke(['--log-format', 'json'], { FNPOOL_LOG_FORMAT: 'text' }, /"msg":"invocation finished"/);
  try {
    for (const line of runtimeLines(platform)) JSON.parse(line);
  } finally {
    await platform.stop('SIGINT');
  }
});

test('a log format that does not exist is a usage error, from the flag or the variable', async () => {
  assertUsageError(await run(['start', dir, '--log-format', 'pretty-please']), /--log-format pretty-please: .*text, json, tsv/, 'start');
  assertUsageError(await run(['start', dir], { env: { FNPOOL_LOG_FORMAT: 'xml' } }), /FNPOOL_LOG_FORMAT xml: .*text, json, tsv/, 'start');
});

test('fnpool invoke --dir and fnpool bench take --log-format too, and check it as start does', async () => {
  const invoked = await run(['invoke', '--dir', dir, '--log-format', 'text', '--request-id', 'req-9', '{"action":"log"}']);
  assert.equal(invoked.code, 0, invoked.stderr);
  assert.deepEqual(JSON.parse(invoked.stdout), { ok: true });
  // The runtime's logs on stderr, as lines for people (the helpers set FNPOOL_LOG_FORMAT=json: the flag wins).
  assert.equal(invoked.stderr.split('\n').filter((l) => l.startsWith('{')).length, 0, invoked.stderr);
  assert.match(invoked.stderr, new RegExp(`^${TIME} INFO  req-9 invocation finished outcome=success `, 'm'));

  const benched = await run(['bench', dir, '--count', '5', '--warmup', '0', '--logs', '--log-format', 'text']);
  assert.equal(benched.code, 0, benched.stderr);
  assert.match(benched.stderr, new RegExp(`^${TIME} INFO  \\S+ invocation finished outcome=success `, 'm'));
  assert.equal(benched.stderr.split('\n').filter((l) => l.startsWith('{"level"')).length, 0, benched.stderr);

  assertUsageError(await run(['invoke', '--dir', dir, '--log-format', 'yaml']), /--log-format yaml: .*text, json, tsv/, 'invoke');
  assertUsageError(await run(['bench', dir], { env: { FNPOOL_LOG_FORMAT: 'xml' } }), /FNPOOL_LOG_FORMAT xml: .*text, json, tsv/, 'bench');
  // A running platform's runtime was started with its own format.
  assertUsageError(await run(['invoke', '--log-format', 'text', '{}']), /--log-format chooses how a function runs: it needs --dir/, 'invoke');
});

test("Lambda's Text format (tsv): a request id with a tab or a line break cannot shift the columns or split the record", async () => {
  const { execFileSync } = await import('node:child_process');
  const logger = new URL('../dist/logging/logger.js', import.meta.url).href;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const { createLogger } = await import(${JSON.stringify(logger)});
    createLogger({ level: 'info', format: 'tsv', mixin: () => ({ requestId: 'a\\tb\\nc\\\\d' }) }).info('one\\ntwo');
  `], { encoding: 'utf8' });
  const lines = out.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, out);
  const columns = lines[0].split('\t');
  assert.equal(columns.length, 4, lines[0]);
  assert.equal(columns[1], 'a\\tb\\nc\\\\d');
  assert.equal(columns[2], 'INFO');
  assert.equal(columns[3], 'one\rtwo');
});
