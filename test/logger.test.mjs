// The main thread's batched logger (src/logging/logger.ts): its records are held and written in
// batches, and none may be lost or reordered — not at idle (flushLogs), not at a clean end
// (endLogs), not when the process exits without either. Each case is a real child process whose
// stdout is read here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOGGER = fileURLToPath(new URL('../dist/logging/logger.js', import.meta.url));

/**
 * Runs `body` in a child that has `log` (a batched info logger), `writeLine`, `flushLogs` and
 * `endLogs`; resolves with its stdout lines once it exits 0 or is killed (SIGKILL).
 */
function child(body) {
  const code = `import { createLogger, writeLine, flushLogs, endLogs } from ${JSON.stringify(LOGGER)};
    const log = createLogger({ level: 'info', format: 'json', batched: true });
    ${body}`;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk) => { out += chunk; });
    proc.stderr.setEncoding('utf8').on('data', (chunk) => { err += chunk; });
    proc.on('error', reject);
    proc.on('close', (status, signal) => {
      if (status !== 0 && signal !== 'SIGKILL') reject(new Error(`child exited ${status}: ${err}`));
      else resolve(out.split('\n').filter((line) => line !== ''));
    });
  });
}

/** The record numbers in order, with the plain lines written between them as `L<n>`. */
function sequence(lines) {
  return lines.map((line) => (line.startsWith('{') ? JSON.parse(line).n : line));
}

test('records and plain lines come out whole and in order across many batches (endLogs)', async () => {
  const lines = await child(`
    for (let n = 0; n < 3000; n++) {
      log.info({ n }, 'record ' + 'x'.repeat(n % 97));
      if (n % 500 === 0) writeLine('L' + n);
    }
    await endLogs();`);
  const expected = [];
  for (let n = 0; n < 3000; n++) {
    expected.push(n);
    if (n % 500 === 0) expected.push(`L${n}`);
  }
  assert.deepEqual(sequence(lines), expected);
});

test('a few records are written at flushLogs, without waiting for a batch to fill', async () => {
  const lines = await child(`
    log.info({ n: 1 }, 'one');
    writeLine('L1');
    flushLogs();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Killed: no exit hook runs, so only what flushLogs wrote is out.
    process.kill(process.pid, 'SIGKILL');`);
  assert.deepEqual(sequence(lines), [1, 'L1']);
});

test('records still held when the process exits without endLogs are written out', async () => {
  const lines = await child(`
    for (let n = 0; n < 50; n++) log.info({ n }, 'held');
    writeLine('L50');
    process.exit(0);`);
  assert.deepEqual(sequence(lines), [...Array.from({ length: 50 }, (_, n) => n), 'L50']);
});
