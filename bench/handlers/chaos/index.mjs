// Benchmark handler of bench/chaos.mjs: one behaviour per invocation, chosen by event.kind. The
// well-behaved ones (echo, await) first write a line "<event.id> <Date.now()>" to the file that
// CHAOS_STARTS_FILE names, so that the benchmark can tell a well-behaved invocation that failed
// before its handler ran from one that failed after. One O_APPEND write(2) per invocation, on a
// descriptor each worker opens once: the line is the kernel's as soon as writeSync returns, so it
// survives the worker being terminated (the descriptor of a replaced worker stays open until the
// runtime exits) and lines from concurrent threads never interleave.
import { openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const startsFile = process.env.CHAOS_STARTS_FILE;
const starts = startsFile ? openSync(startsFile, 'a') : undefined;

class ChaosError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ChaosError';
  }
}

/** Heap exhaustion: 800 KB arrays of doubles, all kept, until the worker's heap limit is hit. */
function exhaustHeap() {
  const kept = [];
  for (;;) kept.push(new Array(100_000).fill(Math.random()));
}

export const handler = async (event) => {
  switch (event.kind) {
    case 'echo':
      recordStart(event.id);
      return event;
    case 'await':
      recordStart(event.id);
      await sleep(5);
      return { id: event.id };
    case 'throw':
      throw new ChaosError('thrown on purpose');
    case 'stray':
      setTimeout(() => { throw new Error('stray'); }, 1);
      await sleep(20);
      return 'the stray exception went unnoticed';
    case 'loop':
      for (;;) { /* keep the thread busy */ }
    case 'exit':
      process.exit(3);
      break;
    case 'oom':
      return exhaustHeap();
    default:
      throw new Error(`unknown kind ${JSON.stringify(event.kind)}`);
  }
};

function recordStart(id) {
  if (starts !== undefined && id !== undefined) writeSync(starts, `${id} ${Date.now()}\n`);
}
