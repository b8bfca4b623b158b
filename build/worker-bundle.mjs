// `npm run build`'s last step: the worker thread's entry, dist/worker/main.js, and every module it
// imports (fnpool's worker code, pino, sonic-boom, the platforms' context parts) bundled into one
// ES module, dist/worker/main.bundle.js, which each worker thread of the pool loads
// (src/executor/worker-pool.ts). One file instead of ~60 saves each thread the module loader's
// resolving, reading and linking: a thread started 56 ms of CPU after the first two instead of
// 87 ms on this 2-core machine, which every thread the pool adds or replaces (a crash, a timeout,
// a heap exhaustion) pays while invocations run. The unbundled files stay: the types, the
// TypeScript loader hooks (registered from their own file), and a build without this step.
//
// esbuild is a devDependency only: the published package carries the bundle.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['dist/worker/main.js'],
  outfile: 'dist/worker/main.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.18',
  // Loaded with require() from dist/worker at run time only when a TypeScript handler needs it.
  external: ['sucrase'],
  // Bundled CommonJS (pino and its helpers) calls require() for Node's builtins.
  banner: { js: "import { createRequire as __fnpoolRequire } from 'node:module'; const require = __fnpoolRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
