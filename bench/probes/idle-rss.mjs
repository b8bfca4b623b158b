#!/usr/bin/env node
// Idle RSS of fnpool (the real bootstrap, 2 threads, FunctionGraph) 2.5 s after its first answer,
// split by what the memory is, from /proc/<pid>/smaps: file-backed (node's binary, shared
// libraries), glibc's malloc arenas of the threads (anonymous mappings at 64 MB boundaries), the
// main heap (brk), and the rest of the anonymous memory (V8's heaps, thread stacks).
//   node bench/probes/idle-rss.mjs [starts, default 6] ['{"ENV":"value"}' for the runtime]
// e.g. node bench/probes/idle-rss.mjs 6 '{"GLIBC_TUNABLES":"glibc.malloc.check=0"}'   (bootstrap then leaves glibc's malloc as it is)
import { readFileSync } from 'node:fs';
import { Target } from '../lib/targets.mjs';

const starts = Number(process.argv[2] ?? 6);
const env = JSON.parse(process.argv[3] ?? '{}');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ARENA_ALIGN = 64n << 20n;

for (let i = 0; i < starts; i++) {
  const target = await Target.start({ kind: 'fnpool', env });
  try {
    await sleep(2500);
    const kb = { file: 0, arenas: 0, brk: 0, 'other anonymous': 0 };
    let kind = 'file';
    for (const line of readFileSync(`/proc/${target.pid}/smaps`, 'utf8').split('\n')) {
      const mapping = line.match(/^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/);
      if (mapping) {
        const name = mapping[2];
        kind = name.includes('/') ? 'file' : name === '[heap]' ? 'brk' : name !== '' ? 'other anonymous'
          : BigInt(`0x${mapping[1]}`) % ARENA_ALIGN === 0n ? 'arenas' : 'other anonymous';
      } else if (line.startsWith('Rss:')) {
        kb[kind] += Number(line.split(/\s+/)[1]);
      }
    }
    const parts = Object.entries(kb).map(([what, size]) => `${what} ${(size / 1024).toFixed(1)}`).join(', ');
    console.log(`start ${i + 1}: RSS ${target.rssMB().toFixed(1)} MB (${parts})`);
  } finally {
    await target.stop();
  }
}
