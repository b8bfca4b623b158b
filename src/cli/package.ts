// `fnpool package [dir] -o function.zip`: a zip ready to upload as a custom runtime; with
// `--platform http`, a folder to build a container image from (container.ts).
//
//   bootstrap                 fnpool's, mode 0755, LF endings
//   index.js, …               the user's files, at the root (RUNTIME_CODE_ROOT points here)
//   node_modules/             the user's production dependencies
//   fnpool-runtime/           dist/, package.json and fnpool's production node_modules/
//
// Dependencies are copied from what is installed on this machine (dependencies.ts), for the user's
// package and fnpool's alike: no network, no install step, the very files that ran locally. That
// also works when fnpool is itself an installed package (its dependencies hoisted beside it), where
// `npm ci` would have no lockfile to follow.
import {
  chmodSync, copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZipFile } from 'yazl';
import { parse, shownPath, UsageError } from './args.js';
import { productionDependencies, readManifest, type PlacedPackage } from './dependencies.js';
import { CONTEXT_DIR, DOCKERIGNORE, dockerfile, knativeService } from './container.js';
import { PLATFORM_NAMES } from '../platforms/platform.js';

export const HELP = `Usage: fnpool package [dir] [options]

Writes a zip of the function in dir (default: the current folder) ready to upload to FunctionGraph
as a function with the Custom runtime:

  bootstrap          fnpool's bootstrap, mode 0755, LF line endings
  <your files>       at the root, where RUNTIME_CODE_ROOT points: index.handler resolves as locally
  node_modules/      your production dependencies (package.json "dependencies", as installed here)
  fnpool-runtime/    the runtime: dist/, package.json and its own production node_modules/

Left out: .git (and .hg, .svn), .DS_Store, your node_modules (replaced by the production
dependencies; without a package.json it is copied whole), an fnpool-runtime/ or bootstrap already
in dir (replaced by fnpool's), and the output zip itself. Symlinks are followed.

Dependencies are copied from node_modules as installed on this machine, with no network: run
npm install (or npm ci) first. Native addons are shipped as built here: package on Linux, on the
architecture of the function.

The same zip runs on FunctionGraph, AWS Lambda and Function Compute (runtime API or custom
runtime). With --platform http it writes instead a folder to build a container image from (FC
custom container, Knative, Cloud Run):

  Dockerfile             node:<major>-bookworm-slim, the function in /code, user node, CMD bootstrap
  .dockerignore
  knative-service.yaml   a Knative Service for the image (containerConcurrency = FNPOOL_CONCURRENCY)
  function/              the zip's files, as above

Options:
  -o, --output PATH    the zip to write, or the folder  (default: function.zip; with --platform
                       http: function-image)
      --platform NAME  http for a container build context; any other platform: the zip
  -h, --help           this help

Examples:
  fnpool package examples/hello -o hello.zip
  npm ci && fnpool package . -o dist/function.zip
  fnpool package examples/hello --platform http -o hello-image && docker build -t hello hello-image
`;

const VCS_DIRS = new Set(['.git', '.hg', '.svn']);
/** The Knative manifest's defaults: fnpool's own with 2 CPUs (threads × 8), and a 30 s timeout. */
const KNATIVE_CONCURRENCY = 16;
const KNATIVE_TIMEOUT_S = 30;
const RUNTIME_DIR = 'fnpool-runtime';

/** One file of the zip: from disk or from memory, with the mode it gets. */
interface Entry {
  source: string | Buffer;
  mode: number;
  mtime: Date;
}

export async function packageFunction(argv: string[]): Promise<void> {
  const { values, positionals } = parse('package', argv, {
    output: { type: 'string', short: 'o' },
    platform: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.join(' ')}`);
  const dirArg = positionals[0] ?? '.';
  const dir = path.resolve(dirArg);
  if (!existsSync(dir)) throw new UsageError(`no such folder: ${dirArg}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dirArg} is not a folder`);
  const platform = values.platform;
  if (platform !== undefined && !(PLATFORM_NAMES as readonly string[]).includes(platform)) {
    throw new UsageError(`--platform ${platform}: expected one of ${PLATFORM_NAMES.join(', ')}`);
  }
  const image = platform === 'http';
  const output = path.resolve(values.output ?? (image ? 'function-image' : 'function.zip'));
  if (image) {
    if (existsSync(output) && (!statSync(output).isDirectory() || readdirSync(output).length > 0)) {
      throw new UsageError(`--output ${values.output ?? output} exists and is not an empty folder`);
    }
  } else if (existsSync(output) && statSync(output).isDirectory()) {
    throw new UsageError(`--output ${values.output ?? output} is a folder`);
  }
  if (!existsSync(path.dirname(output))) throw new UsageError(`--output ${values.output}: no such folder ${path.dirname(output)}`);
  // bootstrap runs dist/cli/main.js beside itself first (a checkout of fnpool); a user's own would win.
  if (existsSync(path.join(dir, 'dist', 'cli', 'main.js'))) {
    throw new UsageError(`${path.join(dirArg, 'dist', 'cli', 'main.js')} would be run by bootstrap instead of fnpool: rename that folder`);
  }

  const entries = new Map<string, Entry>();
  const warnings: string[] = [];
  const outputReal = existsSync(output) ? realpathSync(output) : output;

  // The user's files.
  let userFiles = 0;
  for (const file of walk(dir, (rel, isDir) => {
    const top = !rel.includes('/');
    if (isDir && VCS_DIRS.has(path.basename(rel))) return false;
    if (top && (rel === 'node_modules' || rel === RUNTIME_DIR)) {
      if (rel === RUNTIME_DIR) warnings.push(`${RUNTIME_DIR}/ in ${dirArg} is left out: the zip has fnpool's own`);
      return false;
    }
    if (top && rel === 'bootstrap' && !isDir) {
      warnings.push(`bootstrap in ${dirArg} is replaced by fnpool's`);
      return false;
    }
    return true;
  })) {
    if (file.real === outputReal || path.basename(file.rel) === '.DS_Store') continue;
    entries.set(file.rel, fileEntry(file.abs, file.mode, file.mtime));
    userFiles++;
  }

  // The user's production dependencies.
  let userDeps: PlacedPackage[] = [];
  let copiedNodeModules = false;
  if (existsSync(path.join(dir, 'package.json'))) {
    // fnpool itself, if the function lists it, is the runtime in fnpool-runtime/ (its types are erased).
    userDeps = productionDependencies(dir, new Set(['fnpool']));
    addPackages(entries, userDeps, '');
  } else if (existsSync(path.join(dir, 'node_modules'))) {
    for (const file of walk(path.join(dir, 'node_modules'), () => true)) {
      entries.set(`node_modules/${file.rel}`, fileEntry(file.abs, file.mode, file.mtime));
    }
    copiedNodeModules = true;
  }

  // The bootstrap and the runtime.
  const root = fnpoolRoot();
  const bootstrapFile = path.join(root, 'bootstrap');
  const bootstrapText = readFileSync(bootstrapFile, 'utf8').replace(/\r\n?/g, '\n');
  entries.set('bootstrap', { source: Buffer.from(bootstrapText), mode: 0o100755, mtime: statSync(bootstrapFile).mtime });
  entries.set(`${RUNTIME_DIR}/package.json`, fileEntry(path.join(root, 'package.json'), 0o644, statSync(path.join(root, 'package.json')).mtime));
  for (const file of walk(path.join(root, 'dist'), () => true)) {
    entries.set(`${RUNTIME_DIR}/dist/${file.rel}`, fileEntry(file.abs, file.mode, file.mtime));
  }
  const runtimeDeps = productionDependencies(root);
  addPackages(entries, runtimeDeps, `${RUNTIME_DIR}/`);
  // `import { ErrorType } from 'fnpool'` in the function must resolve in the zip too: a small
  // package that re-exports the runtime's public module (fnpool itself is not copied twice).
  const mtime = statSync(path.join(root, 'package.json')).mtime;
  entries.set('node_modules/fnpool/package.json', {
    source: Buffer.from(`${JSON.stringify({ name: 'fnpool', version: readManifest(root).version, type: 'module', main: 'index.js', types: 'index.d.ts' }, null, 2)}\n`),
    mode: 0o100644, mtime,
  });
  entries.set('node_modules/fnpool/index.js', { source: Buffer.from(`export * from '../../${RUNTIME_DIR}/dist/index.js';\n`), mode: 0o100644, mtime });
  entries.set('node_modules/fnpool/index.d.ts', { source: Buffer.from(`export * from '../../${RUNTIME_DIR}/dist/index.js';\n`), mode: 0o100644, mtime });

  const handler = readHandlerHint(dir);
  if (image) {
    writeBuildContext(entries, output, functionName(dir));
    for (const warning of warnings) process.stderr.write(`fnpool package: ${warning}\n`);
    process.stdout.write([
      `fnpool: wrote ${shownPath(output)}/ (${entries.size} files in ${CONTEXT_DIR}/, Dockerfile, .dockerignore, knative-service.yaml)`,
      `Build the image: docker build -t my-function ${shownPath(output)}`,
      `It listens on $PORT (Knative, Cloud Run) or 9000 (FC custom container); the handler is ${handler} (FNPOOL_HANDLER).`,
      '',
    ].join('\n'));
    return;
  }
  const bytes = await writeZip(entries, output);
  for (const warning of warnings) process.stderr.write(`fnpool package: ${warning}\n`);
  process.stdout.write([
    `fnpool: wrote ${shownPath(output)} (${megabytes(bytes)}, ${entries.size} files)`,
    `  your code:     ${userFiles} file${userFiles === 1 ? '' : 's'} from ${shownPath(dir)}`,
    `  dependencies:  ${copiedNodeModules ? 'node_modules/ as it is (no package.json)' : `${userDeps.length} package${userDeps.length === 1 ? '' : 's'}`}`,
    '  bootstrap:     mode 0755',
    `  runtime:       fnpool ${readManifest(root).version ?? ''} in ${RUNTIME_DIR}/ with ${runtimeDeps.length} packages`,
    ...uploadHint(platform, handler),
    '',
  ].join('\n'));
}

/** What to do with the zip on the platform it was made for (the zip is the same for all). */
function uploadHint(platform: string | undefined, handler: string): string[] {
  switch (platform) {
    case 'lambda':
      return [`Upload it to a Lambda function on the provided.al2023 runtime (add node/ if the image has none); handler ${handler}.`];
    case 'fc':
      return [`Upload it to a Function Compute function with a custom runtime, startup command /code/bootstrap${handler === 'index.handler' ? '' : `, and set FNPOOL_HANDLER=${handler}`}.`];
    case 'openedge':
      return [`Unpack it where OpenEdge's runtime module runs; its entry is bootstrap, which OpenEdge starts with -c '<config>'`,
        `naming function.handler (${handler}) and function.codedir (the unpacked folder).`];
    default:
      return [`Upload it to a FunctionGraph function with the Custom runtime; set the handler (${handler}), timeout,`,
        'memory and CPUs in the console as usual.'];
  }
}

/** fnpool's own folder: the checkout, or node_modules/fnpool when installed. */
function fnpoolRoot(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  for (const needed of ['bootstrap', 'package.json', path.join('dist', 'cli', 'main.js')]) {
    if (!existsSync(path.join(root, needed))) throw new UsageError(`fnpool's own ${needed} is missing in ${root} (run npm run build)`);
  }
  return root;
}

function readHandlerHint(dir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { fnpool?: { handler?: unknown } };
    if (typeof pkg.fnpool?.handler === 'string') return pkg.fnpool.handler;
  } catch {
    // no package.json, or not ours to judge here
  }
  return 'index.handler';
}

function addPackages(entries: Map<string, Entry>, packages: PlacedPackage[], prefix: string): void {
  for (const pkg of packages) {
    // Its own node_modules holds its dependencies, which are placed on their own.
    for (const file of walk(pkg.from, (rel, isDir) => !(isDir && rel === 'node_modules'))) {
      entries.set(`${prefix}${pkg.to}/${file.rel}`, fileEntry(file.abs, file.mode, file.mtime));
    }
  }
}

/** Executable files stay executable; everything else is 0644. */
function fileEntry(abs: string, mode: number, mtime: Date): Entry {
  return { source: abs, mode: mode & 0o111 ? 0o100755 : 0o100644, mtime };
}

interface WalkedFile {
  abs: string;
  real: string;
  /** Relative to the walked folder, with '/' separators. */
  rel: string;
  mode: number;
  mtime: Date;
}

/** Every file under dir, symlinks followed (a link back into its own ancestors is skipped). */
function* walk(dir: string, keep: (rel: string, isDir: boolean) => boolean): Generator<WalkedFile> {
  const visit = function* (abs: string, rel: string, ancestors: Set<string>): Generator<WalkedFile> {
    const names = readdirSync(abs).sort();
    for (const name of names) {
      const childAbs = path.join(abs, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      let st;
      try {
        st = statSync(childAbs);
      } catch {
        continue; // a dangling symlink
      }
      if (st.isDirectory()) {
        if (!keep(childRel, true)) continue;
        const real = realpathSync(childAbs);
        if (ancestors.has(real)) continue;
        yield* visit(childAbs, childRel, new Set([...ancestors, real]));
      } else if (st.isFile()) {
        if (!keep(childRel, false)) continue;
        yield { abs: childAbs, real: realpathSync(childAbs), rel: childRel, mode: st.mode, mtime: st.mtime };
      }
    }
  };
  yield* visit(dir, '', new Set([realpathSync(dir)]));
}

/** The container build context (container.ts): the zip's files under function/, and the files around them. */
function writeBuildContext(entries: Map<string, Entry>, output: string, name: string): void {
  const temp = `${output}.${process.pid}.tmp`;
  try {
    for (const [rel, entry] of entries) {
      const target = path.join(temp, CONTEXT_DIR, rel);
      mkdirSync(path.dirname(target), { recursive: true });
      if (typeof entry.source === 'string') copyFileSync(entry.source, target);
      else writeFileSync(target, entry.source);
      chmodSync(target, entry.mode & 0o777);
    }
    writeFileSync(path.join(temp, 'Dockerfile'), dockerfile(Number(process.versions.node.split('.')[0])));
    writeFileSync(path.join(temp, '.dockerignore'), DOCKERIGNORE);
    writeFileSync(path.join(temp, 'knative-service.yaml'), knativeService(name, KNATIVE_CONCURRENCY, KNATIVE_TIMEOUT_S));
    rmSync(output, { recursive: true, force: true });
    renameSync(temp, output);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw new UsageError(`cannot write ${output}: ${(err as Error).message}`);
  }
}

/** A Kubernetes-safe name for the function: its package name, else its folder's. */
function functionName(dir: string): string {
  let name = path.basename(dir);
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof pkg.name === 'string') name = pkg.name.replace(/^@[^/]+\//, '');
  } catch {
    // no package.json: the folder's name
  }
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'function';
}

/** Writes the zip beside the output and renames it into place; resolves with its size. */
function writeZip(entries: Map<string, Entry>, output: string): Promise<number> {
  const temp = `${output}.${process.pid}.tmp`;
  const zip = new ZipFile();
  return new Promise<number>((resolve, reject) => {
    const fail = (err: Error): void => {
      rmSync(temp, { force: true });
      reject(new UsageError(`cannot write ${output}: ${err.message}`));
    };
    const out = createWriteStream(temp);
    out.on('error', fail);
    zip.on('error', fail);
    out.on('close', () => {
      try {
        renameSync(temp, output);
        resolve(statSync(output).size);
      } catch (err) {
        fail(err as Error);
      }
    });
    zip.outputStream.pipe(out);
    for (const name of [...entries.keys()].sort()) {
      const e = entries.get(name)!;
      if (typeof e.source === 'string') zip.addFile(e.source, name, { mode: e.mode, mtime: e.mtime });
      else zip.addBuffer(e.source, name, { mode: e.mode, mtime: e.mtime });
    }
    zip.end();
  });
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
