// Hostile input on the pull wires (issue 14): the quick run of bench/stress/hostile-pull.mjs on
// FunctionGraph, Lambda and FC, then one test for each bug it found, against the real bootstrap
// and a crafted runtime API (bench/stress/lib): request ids that did not come back in the answer's
// path as they were sent, dot-segment and ambiguous ids, an id handed out twice at once,
// deadlines that overflowed Node's timers, FC invoke types that were no type at all, and a body
// that stalls, which held its slot for ever.
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { isFinished, report, run } from '../bench/stress/hostile-pull.mjs';
import { CraftedApi } from '../bench/stress/lib/pull-api.mjs';
import { invocation } from '../bench/stress/lib/pull-cases.mjs';
import { prng } from '../bench/stress/lib/prng.mjs';
import { PullRuntime } from '../bench/stress/lib/pull-runtime.mjs';
import { readAnswerPath, TIMEOUT_MS } from '../bench/stress/lib/pull-wires.mjs';

let ids = 0;
const freshId = (label) => Buffer.from(`${label}-${++ids}-${process.pid}`);

// The two longest tests, side by side: the stalled body waits 10 s, mostly idle.
describe('hostile input', { concurrency: true }, () => {
  test('quick run: every pull wire survives every kind of hostile input', async () => {
    const result = await run({ quick: true });
    assert.deepEqual(result.failures, [], report(result));
  });

  test('classic Lambda: a body that stalls midway, connection open, is given up after 10 s (Runtime.InvalidRequest); the runtime serves on', async () => {
    const r = prng(11);
    const api = await CraftedApi.start();
    // No AWS_LAMBDA_MAX_CONCURRENCY: one poll, one invocation at a time; a stalled body held it for ever.
    const runtime = await PullRuntime.start('lambda', api.address, { timeoutMs: TIMEOUT_MS });
    try {
      const stalled = freshId('stalled');
      const next = freshId('next');
      api.hand(
        invocation('lambda', r, { id: stalled, body: Buffer.alloc(1000, 0x61), delivery: 'stall', breakAfter: 10 }).reply,
        invocation('lambda', r, { id: next }).reply,
      );
      const handedOut = [stalled, next];
      const both = await api.waitForPosts((posts) => handedOut.every((id) => posts.some((p) => readAnswerPath('lambda', p.url)?.id.equals(id))), 16_000);
      assert.ok(both, `answered: ${api.posts.map((p) => p.url).join(', ') || 'nothing'}`);
      const [first, second] = handedOut.map((id) => api.posts.find((p) => readAnswerPath('lambda', p.url).id.equals(id)));
      const error = JSON.parse(first.body.toString('utf8'));
      assert.equal(error.errorType, 'Runtime.InvalidRequest');
      assert.match(error.errorMessage, /could not be read: UND_ERR_BODY_TIMEOUT/);
      assert.equal(readAnswerPath('lambda', second.url).ok, true);
    } finally {
      await runtime.stop();
      await api.close();
    }
  });
});

/** The answer paths of each platform, written out: the id segment exactly as the test expects it. */
const ANSWER_PATH = {
  functiongraph: (segment, ok) => `/v1/runtime/invocation/${ok ? 'response' : 'error'}/${segment}`,
  lambda: (segment, ok) => `/2018-06-01/runtime/invocation/${segment}/${ok ? 'response' : 'error'}`,
  fc: (segment, ok) => `/2020-11-11/runtime/invocation/${segment}/${ok ? 'response' : 'error'}`,
};
const DEADLINE_HEADER = { lambda: 'Lambda-Runtime-Deadline-Ms', fc: 'x-fc-function-deadline' };
/** Long polls the runtime keeps open (Lambda: Managed Instances'): enough for an id handed out twice at once. */
const CONCURRENCY = 4;

for (const platform of ['functiongraph', 'lambda', 'fc']) {
  describe(`on ${platform}`, () => {
    const r = prng(7);
    let api;
    let runtime;
    before(async () => {
      api = await CraftedApi.start();
      runtime = await PullRuntime.start(platform, api.address, { timeoutMs: TIMEOUT_MS, concurrency: CONCURRENCY });
    });
    after(async () => {
      await runtime?.stop();
      await api?.close();
    });

    /**
     * Hands out the replies, then a well-formed invocation; resolves once that one and `answers`
     * others are answered, with what was posted (but its answer) and logged meanwhile.
     */
    async function serve(answers, ...replies) {
      // Every poll open, so that the replies are taken side by side.
      for (const started = Date.now(); api.waitingPolls < CONCURRENCY && Date.now() - started < 5000;) await sleep(10);
      const mark = runtime.mark;
      const firstPost = api.posts.length;
      const last = freshId('last');
      const isLast = (p) => readAnswerPath(platform, p.url)?.id.equals(last);
      api.hand(...replies, invocation(platform, r, { id: last }).reply);
      const answered = await api.waitForPosts((all) => {
        const posts = all.slice(firstPost);
        return posts.some(isLast) && posts.length > answers;
      }, 10_000);
      assert.ok(answered, `not answered: ${api.posts.slice(firstPost).map((p) => p.url).join(', ')}; ${runtime.output()}`);
      await runtime.waitForRecord((rec) => isFinished(rec) && rec.requestId === last.toString(), 5000, mark.records);
      const posts = api.posts.slice(firstPost).filter((p) => !isLast(p));
      const skipped = runtime.records.slice(mark.records).filter((rec) => /^skipped an invocation/.test(rec.msg ?? ''));
      return { posts, skipped, stderr: runtime.since(mark).stderr.toString('utf8') };
    }

    test('an id with unicode or binary bytes comes back in the answer\'s path byte for byte; the handler sees it as text', async () => {
      const unicode = Buffer.from('héllo-✓', 'utf8');
      const binary = Buffer.from([0x69, 0x64, 0xe9, 0xff]);
      const { posts } = await serve(2, invocation(platform, r, { id: unicode }).reply, invocation(platform, r, { id: binary }).reply);
      const urls = posts.map((p) => p.url).sort();
      assert.deepEqual(urls, [ANSWER_PATH[platform]('h%C3%A9llo-%E2%9C%93', true), ANSWER_PATH[platform]('id%E9%FF', true)].sort());
      const seen = posts.map((p) => JSON.parse(p.body.toString('utf8')).requestId).sort();
      assert.deepEqual(seen, ['héllo-✓', 'idéÿ'].sort());
    });

    test('an id of "." or "..", or two different ids in one reply: skipped with one warning each, nothing posted', async () => {
      const { posts, skipped } = await serve(0,
        invocation(platform, r, { id: Buffer.from('..') }).reply,
        invocation(platform, r, { id: Buffer.from('.') }).reply,
        invocation(platform, r, { id: [freshId('one'), freshId('two')] }).reply,
      );
      assert.deepEqual(posts.map((p) => p.url), []);
      assert.equal(skipped.length, 3, JSON.stringify(skipped));
      assert.match(skipped.map((rec) => rec.msg).join('\n'), /dot-segment[\s\S]*dot-segment[\s\S]*2 different ids/);
    });

    test('an id handed out again while its first invocation runs: one answer, the first\'s; the second is skipped', async () => {
      const id = freshId('twice');
      const { posts, skipped } = await serve(1,
        invocation(platform, r, { id, body: Buffer.from('{"sleepMs":300}') }).reply,
        invocation(platform, r, { id }).reply,
      );
      // A second answer, were there one, would come within the first's 300 ms of sleep.
      await sleep(500);
      const forId = api.posts.filter((p) => readAnswerPath(platform, p.url)?.id.equals(id));
      assert.equal(forId.length, 1, `${forId.length} answers posted for the id`);
      assert.deepEqual(JSON.parse(posts[0].body.toString('utf8')).event.keys, ['sleepMs']);
      assert.equal(skipped.length, 1);
      assert.match(skipped[0].msg, /already in flight/);
    });

    if (platform === 'functiongraph') return;

    test('a deadline too far ahead to be a platform\'s: the function\'s timeout applies, and no timer overflows', async () => {
      const headers = (value) => [[DEADLINE_HEADER[platform], value]];
      const { posts, stderr } = await serve(2,
        invocation(platform, r, { id: freshId('future'), headers: headers('1e300') }).reply,
        invocation(platform, r, { id: freshId('days'), headers: headers(String(Date.now() + 30 * 86_400_000)) }).reply,
      );
      assert.equal(stderr, '');
      for (const post of posts) {
        assert.equal(readAnswerPath(platform, post.url).ok, true, post.body.toString('utf8'));
        const { remainingMs } = JSON.parse(post.body.toString('utf8'));
        assert.ok(remainingMs > 0 && remainingMs <= TIMEOUT_MS, `${remainingMs} ms left`);
      }
      assert.equal(posts.length, 2);
    });

    test('a deadline that had passed when the invocation arrived: Runtime.Timeout, saying so', async () => {
      const { posts } = await serve(1, invocation(platform, r, { id: freshId('past'), headers: [[DEADLINE_HEADER[platform], '1']] }).reply);
      assert.equal(posts.length, 1);
      const error = JSON.parse(posts[0].body.toString('utf8'));
      assert.equal(error.errorType, 'Runtime.Timeout');
      assert.match(error.errorMessage, /deadline the platform sent .*: 1, 1970-01-01T00:00:00.001Z\) had passed \d+ ms before the invocation arrived/);
    });

    if (platform === 'lambda') return;

    test('FC: an x-fc-function-timeout too long for a timer gives way to the function\'s timeout', async () => {
      const { posts, stderr } = await serve(1, invocation(platform, r, {
        id: freshId('fctimeout'), headers: [['x-fc-function-timeout', '1e12']], omit: ['x-fc-function-deadline'],
      }).reply);
      assert.equal(stderr, '');
      assert.equal(posts.length, 1);
      assert.ok(JSON.parse(posts[0].body.toString('utf8')).remainingMs <= TIMEOUT_MS);
    });

    test('FC: an x-fc-function-type that is none of 0-3 (__proto__ included), or x-fc-http-params of an array: Runtime.InvalidRequest', async () => {
      const mark = runtime.mark;
      const { posts } = await serve(4, ...['9', '__proto__', 'constructor'].map((type) =>
        invocation(platform, r, { id: freshId('type'), headers: [['x-fc-function-type', type]] }).reply),
      invocation(platform, r, { id: freshId('params'), headers: [['x-fc-http-params', Buffer.from('[1,2]').toString('base64')]] }).reply);
      const errors = posts.map((p) => JSON.parse(p.body.toString('utf8')));
      assert.deepEqual(errors.map((e) => e.errorType), Array(4).fill('Runtime.InvalidRequest'));
      assert.equal(errors.filter((e) => /^x-fc-function-type ".*" is none of 0 \(invoke\)/.test(e.errorMessage)).length, 3);
      assert.equal(errors.filter((e) => /x-fc-http-params .*not a JSON object/.test(e.errorMessage)).length, 1);
      const lines = runtime.records.slice(mark.records).filter((rec) => rec.line !== undefined).map((rec) => rec.line);
      assert.ok(lines.every((line) => /^FC Invoke (Start|End) RequestId: /.test(line)), lines.join('\n'));
    });
  });
}
