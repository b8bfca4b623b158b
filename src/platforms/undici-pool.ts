// undici's Pool without the rest of undici. `import { Pool } from 'undici'` loads fetch,
// WebSocket, the cache and more: 78 ms of the cold start on this machine, against 28 ms for the
// pool and the request API alone (bench/probes/imports.mjs). undici's own index does exactly this
// mix-in (Object.assign(Dispatcher.prototype, api)); undici 7 publishes no "exports" map, so these
// paths are reachable, and the version is pinned to 7.x in package.json.
import { createRequire } from 'node:module';
import type { Pool as PoolType } from 'undici';

const require = createRequire(import.meta.url);

const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
const api = require('undici/lib/api/index.js') as object;
if (!('request' in Dispatcher.prototype)) Object.assign(Dispatcher.prototype, api);

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof PoolType;
export type Pool = PoolType;
