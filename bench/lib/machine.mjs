// What every benchmark report says about where it ran: cores, CPU model, memory, kernel, Node,
// fnpool's version and the commit measured (with a mark when src/ had uncommitted changes).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import path from 'node:path';
import { ROOT } from './targets.mjs';

export function describeMachine() {
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGB: +(totalmem() / 2 ** 30).toFixed(1),
    kernel: release(),
    node: process.version,
    fnpool: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    commit: commit(),
  };
}

function cpuModel() {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model;
  }
}

function commit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return undefined;
  }
}
