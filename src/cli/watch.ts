// Watches a function's folder for `fnpool start --watch`: one non-recursive fs.watch (inotify) per
// folder, skipping node_modules, .git and other dot-folders. Node 20's `recursive: true` works on
// Linux but puts a watch on every folder of node_modules (thousands, against the inotify limit) and
// cannot be told to skip any, so the walk is done here. Folders created later are watched as they
// appear. Changes are reported once the folder has been quiet for `quietMs`.
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

const SKIPPED_DIRS = new Set(['node_modules', 'fnpool-runtime']);

/** Editor droppings and hidden files: saving a file must restart once, not three times. */
function ignoredFile(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || name.endsWith('.swp') || name.endsWith('.swx') ||
    /^\d+$/.test(name) /* vim's 4913 probe */ || name.startsWith('#');
}

function skippedDir(name: string): boolean {
  return name.startsWith('.') || SKIPPED_DIRS.has(name);
}

/** Whether a folder holds a file (a new empty folder changes no code). */
function hasFiles(dir: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => (e.isDirectory() ? !skippedDir(e.name) && hasFiles(path.join(dir, e.name)) : !ignoredFile(e.name)));
}

export interface TreeWatcher {
  close(): void;
}

/** Calls onChange('index.js', or 'lib/a.js (and 2 more)') once a burst of changes under root has settled. */
export function watchTree(root: string, onChange: (relativePath: string) => void, quietMs = 200): TreeWatcher {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Paths changed in the current burst, in order; reported are those that still exist, if any. */
  const burst = new Set<string>();
  const changed = (file: string): void => {
    if (closed) return;
    burst.add(file);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const all = [...burst];
      burst.clear();
      // An editor's or sed's temporary file comes and goes within the burst: name a lasting one.
      const lasting = all.filter((f) => existsSync(f));
      const named = lasting[0] ?? all[0]!;
      const more = (lasting.length > 0 ? lasting.length : all.length) - 1;
      onChange(`${path.relative(root, named) || '.'}${more > 0 ? ` (and ${more} more)` : ''}`);
    }, quietMs);
  };

  const unwatch = (dir: string): void => {
    for (const [watched, watcher] of watchers) {
      if (watched === dir || watched.startsWith(dir + path.sep)) {
        watcher.close();
        watchers.delete(watched);
      }
    }
  };

  const add = (dir: string): void => {
    if (closed || watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: true }, (_event, name) => {
        if (name === null) return changed(dir);
        const base = String(name);
        const full = path.join(dir, base);
        let isDir = false;
        try {
          isDir = statSync(full).isDirectory();
        } catch {
          // removed: if it was a watched folder, its watchers go
          if (watchers.has(full)) {
            unwatch(full);
            return changed(full);
          }
        }
        if (isDir) {
          if (skippedDir(base)) return;
          if (!watchers.has(full)) {
            add(full);
            // Files copied in with it may have landed before its watcher: a non-empty folder counts.
            if (hasFiles(full)) changed(full);
          }
          return; // a watched folder's own entries report its changes
        }
        if (!ignoredFile(base)) changed(full);
      });
    } catch {
      return; // gone, or not readable: nothing to watch
    }
    watcher.on('error', () => unwatch(dir));
    watchers.set(dir, watcher);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !skippedDir(entry.name)) add(path.join(dir, entry.name));
    }
  };

  add(root);
  return {
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
