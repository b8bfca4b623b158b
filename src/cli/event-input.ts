// The event a command sends (`fnpool invoke`, `fnpool bench`): inline JSON, a file, or standard
// input, read as bytes and checked to be JSON, with a message that says where a bad one came from.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';

export type EventSource = { inline: string } | { file: string } | { stdin: true };

/** The event's bytes ({} when there is none, or it is blank), or a UsageError naming what is wrong. */
export async function readEvent(command: string, source: EventSource | undefined): Promise<Buffer> {
  let bytes: Buffer;
  let where: string;
  if (source === undefined) return Buffer.from('{}');
  if ('stdin' in source) {
    bytes = await readStdin(command);
    where = 'the event on standard input';
  } else if ('file' in source) {
    try {
      bytes = readFileSync(source.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'ENOENT' ? `--event ${source.file}: no such file`
        : code === 'EISDIR' ? `--event ${source.file} is a folder, not a file`
        : `--event ${source.file}: ${(err as Error).message}`);
    }
    where = source.file;
  } else {
    bytes = Buffer.from(source.inline, 'utf8');
    where = 'the event';
  }
  if (bytes.toString('utf8').trim() === '') return Buffer.from('{}');
  try {
    JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new UsageError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  return bytes;
}

async function readStdin(command: string): Promise<Buffer> {
  if (process.stdin.isTTY) process.stderr.write(`fnpool ${command}: reading the event from standard input (Ctrl-D to end)\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
