// The production dependencies of a package, as installed on this machine, laid out afresh for a zip:
// `fnpool package` ships the user's and fnpool's own this way. Starting from the package.json's
// dependencies (and optional and peer ones that are installed), each is found with node's own
// lookup (node_modules folders from the requiring package's real folder up), so a hoisted npm tree,
// a nested one, an installed fnpool (node_modules/fnpool beside its dependencies) and pnpm's
// symlinked store all work. devDependencies are never reached. The copy is placed where node will
// find it from its dependent: at the top node_modules/ when that name is free there, else nested
// under its dependent, as npm would. Type declarations (@types/*, which protobufjs, under
// grpc-js, lists as a dependency) are never needed at run time and are left out.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './args.js';

export interface PlacedPackage {
  name: string;
  version: string;
  /** Real folder of the installed package. */
  from: string;
  /** Where it goes, relative to the folder that receives the tree: node_modules/a[/node_modules/b]. */
  to: string;
}

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'package.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`);
  }
}

/** The dependencies a package needs at run time: name → required (false for optional and peer). */
function runtimeDependencies(m: Manifest): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const name of Object.keys(m.peerDependencies ?? {})) out.set(name, false);
  for (const name of Object.keys(m.optionalDependencies ?? {})) out.set(name, false);
  for (const name of Object.keys(m.dependencies ?? {})) if (!m.optionalDependencies?.[name]) out.set(name, true);
  return out;
}

/** Node's lookup of a package folder: <dir>/node_modules/<name> from `from` up to the root. */
function findInstalled(from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The folders a package placed at `to` looks in, nearest first: to/node_modules, …, node_modules. */
function lookupChain(to: string): string[] {
  const chain: string[] = [];
  let dir = to;
  for (;;) {
    chain.push(dir === '' ? 'node_modules' : `${dir}/node_modules`);
    if (dir === '') return chain;
    // node_modules/a/node_modules/b → node_modules/a; node_modules/@s/n → ''
    const i = dir.lastIndexOf('node_modules/');
    const up = dir.slice(0, Math.max(0, i - 1));
    dir = i <= 0 ? '' : up;
  }
}

/**
 * The production dependency tree of the package in `root`. Throws a UsageError naming the first
 * required dependency that is not installed. `skip` names packages left out (with their own deps).
 */
export function productionDependencies(root: string, skip: ReadonlySet<string> = new Set()): PlacedPackage[] {
  const rootReal = realpathSync(root);
  /** placement (node_modules/…/name) → real folder */
  const placed = new Map<string, string>();
  const result: PlacedPackage[] = [];
  const queue: { real: string; to: string; manifest: Manifest; label: string }[] = [
    { real: rootReal, to: '', manifest: readManifest(rootReal), label: root },
  ];
  while (queue.length > 0) {
    const pkg = queue.shift()!;
    for (const [name, required] of runtimeDependencies(pkg.manifest)) {
      if (skip.has(name) || name.startsWith('@types/')) continue;
      const real = findInstalled(pkg.real, name);
      if (real === undefined) {
        if (!required) continue;
        throw new UsageError(`${name}, a dependency of ${pkg.label}, is not installed: run npm install (or npm ci) in ${root} first`);
      }
      if (real === rootReal) continue; // a dependency back on the root package itself
      let target: string | undefined;
      let satisfied = false;
      for (const folder of lookupChain(pkg.to)) {
        const at = `${folder}/${name}`;
        const there = placed.get(at);
        if (there === undefined) continue;
        // The nearest copy is what node will load: the right one, or one that must be shadowed.
        if (there === real) satisfied = true;
        else target = `${pkg.to === '' ? 'node_modules' : `${pkg.to}/node_modules`}/${name}`;
        break;
      }
      if (satisfied) continue;
      target ??= `node_modules/${name}`;
      if (placed.has(target)) {
        throw new UsageError(`cannot lay out ${name} for ${pkg.label}: two different copies want ${target}`);
      }
      placed.set(target, real);
      const manifest = readManifest(real);
      result.push({ name, version: manifest.version ?? '', from: real, to: target });
      queue.push({ real, to: target, manifest, label: `${name}@${manifest.version ?? '?'}` });
    }
  }
  return result.sort((a, b) => a.to.localeCompare(b.to));
}
