// `fnpool init [dir]`: writes a minimal function to start from — a handler (index.js, or index.ts
// with --ts), the sample event.json that `fnpool start` suggests and `fnpool bench` sends, and a
// package.json ("type": "module", npm scripts for the other commands, the "fnpool" settings) —
// then says what to run next. It never replaces a file unless told to (--force). In a project
// that has a package.json already (`npm init -y`, then fnpool installed into it), that one is
// kept as it is, and the JavaScript handler is index.mjs unless the package says "type": "module",
// so that it loads as ESM whatever the package's type.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, shownPath, UsageError } from './args.js';

export const HELP = `Usage: fnpool init [dir] [options]

Writes a minimal function into dir (default: the current folder; created if missing):

  index.js        the handler: export const handler = async (event, context) => …
  event.json      a sample event: fnpool start suggests it, fnpool bench sends it
  package.json    "type": "module", the folder's name, npm scripts (start, invoke, bench,
                  package) and the function's settings under "fnpool"

In a folder that has a package.json already, that one is kept as it is (--force replaces it),
and the JavaScript handler is index.mjs unless the package says "type": "module".

With --ts the handler is index.ts, typed with import type { Handler } from 'fnpool' and run as it
is (fnpool strips the types when it loads it: no build step), and a tsconfig.json lets your editor
and tsc check the types (noEmit: it builds nothing).

A file that exists is never replaced: fnpool init names it and writes nothing. --force replaces it.

Options:
  --ts                 a TypeScript handler (index.ts and tsconfig.json)
  -f, --force          replace files that exist
  -h, --help           this help

Examples:
  fnpool init my-function && fnpool start my-function
  fnpool init my-function --ts
  mkdir api && cd api && fnpool init
`;

interface File {
  name: string;
  /** What it is, for the summary. */
  what: string;
  text: string;
}

export async function init(argv: string[]): Promise<void> {
  const { values, positionals } = parse('init', argv, {
    ts: { type: 'boolean' },
    force: { type: 'boolean', short: 'f' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.join(' ')}`);
  const dirArg = positionals[0] ?? '.';
  const dir = path.resolve(dirArg);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dirArg} is not a folder`);
  const ts = values.ts === true;
  const packagePath = path.join(dir, 'package.json');
  const keptPackage = values.force !== true && existsSync(packagePath) ? packageType(packagePath) : undefined;
  const files = functionFiles(packageName(path.basename(dir)), ts, keptPackage);

  // Everything is checked before anything is written: a refusal leaves the folder as it was.
  const existing = files.filter((f) => existsSync(path.join(dir, f.name)));
  if (existing.length > 0 && values.force !== true) {
    const names = existing.map((f) => shownPath(path.join(dir, f.name)));
    throw new UsageError(`${names.join(', ')} ${names.length === 1 ? 'exists' : 'exist'}: fnpool init replaces no file (--force replaces ${names.length === 1 ? 'it' : 'them'})`);
  }
  if (ts) {
    // index.handler is looked up as .js, .mjs and .cjs before .ts: one of those would run instead.
    const shadow = ['index.js', 'index.mjs', 'index.cjs'].find((name) => existsSync(path.join(dir, name)));
    if (shadow) throw new UsageError(`${shownPath(path.join(dir, shadow))} would be loaded instead of index.ts (the handler index.handler is looked for as .js, .mjs and .cjs first): remove it, or init another folder`);
  }

  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f.name), f.text);

  const shown = shownPath(dir);
  const width = Math.max(...files.map((f) => shownPath(path.join(dir, f.name)).length)) + 2;
  const where = shellWord(shown);
  const next: Array<[command: string, what: string]> = [
    [`fnpool start ${where}`, 'a local platform for it, and what to try; Ctrl-C stops it'],
    [`fnpool invoke --dir ${where} --event ${shellWord(shownPath(path.join(dir, 'event.json')))}`, 'one invocation, on a platform of its own'],
    [`fnpool bench ${where}`, 'how fast it runs here'],
    [`fnpool package ${where} -o function.zip`, 'a zip to upload'],
  ];
  const commandWidth = Math.max(...next.map(([command]) => command.length)) + 2;
  process.stdout.write([
    `fnpool init: a ${ts ? 'TypeScript' : 'JavaScript'} function in ${shown}`,
    ...files.map((f) => `  ${shownPath(path.join(dir, f.name)).padEnd(width)}${f.what}${existing.includes(f) ? ' (replaced)' : ''}`),
    '',
    'Next:',
    ...next.map(([command, what]) => `  ${command.padEnd(commandWidth)}${what}`),
    keptPackage === undefined
      ? `Or, in ${shown === '.' ? 'this folder' : shown}, with fnpool installed there or on your PATH: npm start, npm run invoke, npm run bench, npm run package.`
      : `${shownPath(packagePath)} was kept as it is; fnpool start, invoke --dir, bench and package read the function's settings from its "fnpool" key (handler, timeout, memory, cpus).`,
    '',
  ].join('\n'));
}

/** A word for a POSIX shell: as it is when it is plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An npm package name from a folder's name: lower case, URL-safe, at most 214 characters. */
function packageName(folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^[._-]+/, '').replace(/-+$/, '').slice(0, 214);
  return name === '' ? 'my-function' : name;
}

/** The "type" of the package.json kept: "module", or "commonjs" (its default). */
function packageType(file: string): 'module' | 'commonjs' {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${shownPath(file)} is not valid JSON (${(err as Error).message}): fix it, or --force replaces it`);
  }
  return (manifest as { type?: unknown } | null)?.type === 'module' ? 'module' : 'commonjs';
}

/** The files to write; keptPackage: the type of a package.json that stays (none is written then). */
function functionFiles(name: string, ts: boolean, keptPackage?: 'module' | 'commonjs'): File[] {
  const pkg = {
    name,
    version: '1.0.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'fnpool start .',
      invoke: 'fnpool invoke --dir . --event event.json',
      bench: 'fnpool bench .',
      package: 'fnpool package . -o function.zip',
    },
    // Read by fnpool start, invoke --dir and bench (on the platform, its console sets them).
    fnpool: { handler: 'index.handler', timeout: 3, memory: 256 },
  };
  return [
    ts
      ? { name: 'index.ts', what: 'the handler (types stripped at load: no build step)', text: TS_HANDLER }
      : { name: keptPackage === 'commonjs' ? 'index.mjs' : 'index.js', what: 'the handler', text: JS_HANDLER },
    { name: 'event.json', what: 'a sample event (fnpool start suggests it, fnpool bench sends it)', text: `${JSON.stringify({ name: 'fnpool' })}\n` },
    ...(keptPackage === undefined ? [{ name: 'package.json', what: 'npm scripts, and the settings under "fnpool"', text: `${JSON.stringify(pkg, null, 2)}\n` }] : []),
    ...(ts ? [{ name: 'tsconfig.json', what: 'for your editor and tsc (a type check: noEmit)', text: TSCONFIG }] : []),
  ];
}

const JS_HANDLER = `// The function's handler: fnpool calls it once per invocation, many at once on every core.
// event: the request body, parsed as JSON. context: this invocation — its request id, the time
// left before the deadline, a logger, and context.signal, which aborts at the deadline (pass it
// to fetch() and timers).
export const handler = async (event, context) => {
  const name = typeof event?.name === 'string' ? event.name : 'world';
  context.getLogger().info(\`greeting \${name}\`); // a log record that carries the request id
  return {
    message: \`Hello, \${name}!\`,
    requestId: context.getRequestID(),
    remainingMs: context.getRemainingTimeInMilliSeconds(),
  };
};
`;

const TS_HANDLER = `// The function's handler: fnpool calls it once per invocation, many at once on every core.
// fnpool loads this file as it is, stripping the types: there is no build step. The types come
// from fnpool (\`import type\` is erased, so nothing is loaded at run time).
import type { Handler } from 'fnpool';

/** The request body, parsed as JSON. */
interface Greeting {
  name?: string;
}

interface Answer {
  message: string;
  requestId: string;
  remainingMs: number;
}

// context: this invocation — its request id, the time left before the deadline, a logger, and
// context.signal, which aborts at the deadline (pass it to fetch() and timers).
export const handler: Handler<Greeting, Answer> = async (event, context) => {
  const name = typeof event?.name === 'string' ? event.name : 'world';
  context.getLogger().info(\`greeting \${name}\`); // a log record that carries the request id
  return {
    message: \`Hello, \${name}!\`,
    requestId: context.getRequestID(),
    remainingMs: context.getRemainingTimeInMilliSeconds(),
  };
};
`;

const TSCONFIG = `{
  // For your editor and \`npx tsc\`, which only checks the types: fnpool runs the .ts files as they
  // are, and reads no tsconfig. The types of 'fnpool' come from fnpool installed where node finds
  // it (node_modules/fnpool here or in a folder above).
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    // Types are stripped, not compiled: an import used only as a type must say \`import type\`.
    "verbatimModuleSyntax": true,
    "skipLibCheck": true
  }
}
`;
