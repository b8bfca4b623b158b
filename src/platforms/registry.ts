// The platforms fnpool knows, in the order detection tries them, and the one choice made at start:
// FNPOOL_PLATFORM when set, else the first platform whose variable is in the environment.
import { ConfigError, type Env, pick } from '../config/env.js';
import { PLATFORM_NAMES, type PlatformModule, type PlatformName } from './platform.js';
import { functiongraph } from './functiongraph/index.js';
import { lambda } from './lambda/index.js';
import { fc } from './fc/index.js';
import { http } from './http/index.js';
import { openedge } from './openedge/index.js';
import { configArgument } from './openedge/config.js';

const MODULES: Partial<Record<PlatformName, PlatformModule>> = { functiongraph, lambda, fc, http, openedge };

/** Platforms of the contract that this version cannot serve yet: how each would be detected. */
const PLANNED: Partial<Record<PlatformName, { title: string; detectedBy: readonly string[] }>> = {};

/** Detection order: OpenEdge's -c argument, then Lambda, FC's runtime API, FunctionGraph, HTTP. */
const ORDER: readonly PlatformName[] = ['openedge', 'lambda', 'fc', 'functiongraph', 'http'];

export function platformModule(name: PlatformName): PlatformModule {
  const module = MODULES[name];
  if (module === undefined) {
    throw new ConfigError(`platform ${name} (${PLANNED[name]?.title ?? name}) is not supported by this version yet; ` +
      `supported: ${Object.keys(MODULES).join(', ')}`);
  }
  return module;
}

export function selectPlatform(env: Env, argv: readonly string[] = []): PlatformName {
  const forced = pick(env, 'FNPOOL_PLATFORM');
  if (forced) {
    const name = forced.value.toLowerCase() as PlatformName;
    if (!PLATFORM_NAMES.includes(name)) {
      throw new ConfigError(`FNPOOL_PLATFORM=${JSON.stringify(forced.value)} must be one of ${PLATFORM_NAMES.join(', ')}`);
    }
    return name;
  }
  for (const name of ORDER) {
    if (name === 'openedge') {
      if (configArgument(argv) !== undefined) return name;
      continue;
    }
    const detectedBy = MODULES[name]?.detectedBy ?? PLANNED[name]?.detectedBy ?? [];
    if (pick(env, ...detectedBy)) return name;
  }
  const looked = ORDER.map((name) => {
    const m = MODULES[name] ?? PLANNED[name]!;
    return `${m.detectedBy.join(' or ')} (${m.title})`;
  });
  throw new ConfigError(`no platform found: set ${looked.join(', ')}, or FNPOOL_PLATFORM`);
}
