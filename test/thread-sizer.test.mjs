// How the pool learns co-residency (README "What fnpool guarantees to neighbours"): the rule in
// thread-sizer.ts, checked on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadSizer } from '../dist/executor/thread-sizer.js';

const sizer = () => new ThreadSizer(2, 16, 8);
const run = (s, invocations, heavyEvery = 0) => {
  for (let i = 1; i <= invocations; i++) {
    if (heavyEvery > 0 && i % heavyEvery === 0) s.heldSlice();
    s.completed();
  }
};

test('a function that only awaits keeps many invocations per thread and its base threads', () => {
  const s = sizer();
  run(s, 1000);
  assert.equal(s.coResidency, 8);
  assert.equal(s.wanted(16, 0), 2);
});

test('1% of invocations holding their thread: one per thread, as many threads as invocations in flight', () => {
  const s = sizer();
  run(s, 1000, 100);
  assert.ok(Math.abs(s.heavyFraction - 0.01) < 0.003, String(s.heavyFraction));
  assert.equal(s.coResidency, 1);
  assert.equal(s.wanted(16, 0), 16);
  assert.equal(s.wanted(5, 0), 5, 'threads for what is in flight, not for the concurrency');
});

test('rarer long slices allow more per thread: at most 1 + 0.005 / f', () => {
  const s = sizer();
  run(s, 1000);
  s.heldSlice();
  run(s, 300);
  assert.equal(s.coResidency, Math.floor(1 + 0.005 / s.heavyFraction));
  assert.ok(s.coResidency >= 3 && s.coResidency <= 7, String(s.coResidency));
});

test('one long slice counts from the first invocations, and is forgotten as the function behaves', () => {
  const s = sizer();
  run(s, 20);
  s.heldSlice();
  assert.equal(s.coResidency, 1);
  assert.equal(s.wanted(16, 0), 2, 'no threads added on the evidence of 20 invocations');
  run(s, 60);
  assert.equal(s.wanted(16, 0), 16, 'after some 64 invocations (decayed), the lesson holds');
  run(s, 200);
  const after200 = s.heavyFraction;
  run(s, 2000);
  assert.ok(s.heavyFraction < after200 / 100, `${after200} → ${s.heavyFraction}`);
  assert.equal(s.coResidency, 8);
});

test('a CPU-bound function (most invocations hold their thread) gets no threads beyond the base', () => {
  const s = sizer();
  run(s, 50, 1);
  assert.equal(s.growsForCoResidency, false);
  assert.equal(s.wanted(16, 0), 2);
  assert.equal(s.wanted(16, 1), 3, 'a stuck thread still gets a stand-in');
});

test('never more than FNPOOL_MAX_THREADS', () => {
  const s = new ThreadSizer(2, 6, 8);
  run(s, 100, 10);
  assert.equal(s.wanted(16, 3), 6);
});

test('a function that computes before it awaits is CPU-bound even when its slices look long only because they queue', () => {
  const s = sizer();
  // 5 ms of hashing per invocation, 8 queued per thread: the heartbeats see a held thread every
  // ~8 invocations, which alone would make one invocation per thread and 16 threads.
  for (let i = 1; i <= 1000; i++) {
    if (i % 8 === 0) s.heldSlice();
    s.completed(5);
  }
  assert.equal(s.coResidency, 1);
  assert.ok(s.computingFraction > 0.99, String(s.computingFraction));
  assert.equal(s.growsForCoResidency, false);
  assert.equal(s.wanted(16, 0), 2, 'no threads past the base for a CPU-bound function');
  // An awaiting function (its first slice returns in µs) with the same long slices still grows.
  const a = sizer();
  for (let i = 1; i <= 1000; i++) {
    if (i % 100 === 0) a.heldSlice();
    a.completed(0.05);
  }
  assert.equal(a.growsForCoResidency, true);
  assert.equal(a.wanted(16, 0), 16);
});

test('threads lost with their invocations bound how many may share one: at most 1 + 0.005 / l, none bound without losses', () => {
  const s = sizer();
  run(s, 1000, 50);
  assert.equal(s.isolationLimit, 8, 'long slices that end kill no neighbour: they do not bind');
  for (let i = 1; i <= 1000; i++) {
    if (i % 100 === 0) s.threadLost();
    s.completed();
  }
  assert.ok(Math.abs(s.lossFraction - 0.01) < 0.003, String(s.lossFraction));
  assert.equal(s.isolationLimit, 1);
  run(s, 2000);
  assert.equal(s.isolationLimit, 8, 'forgotten as the function stops losing threads');
});
