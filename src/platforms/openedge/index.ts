// OpenEdge (BAETYL), Baidu's edge computing framework (push, gRPC): it starts the runtime as
// `bootstrap -c '<config>'` (config.ts reads it), and its function module calls Runtime.Handle for
// each MQTT message (server.ts serves it). What the config says maps onto fnpool's settings:
// instance.max is how many calls run at once (like Lambda's concurrency, a bound of the platform's:
// FNPOOL_CONCURRENCY may only lower it), instance.timeout the deadline of each, server.timeout how
// long a stop lets calls finish, message.length.max the size limit both ways, function.env the
// function's environment. Threads come from FNPOOL_THREADS, else the cores (at most instance.max).
// FNPOOL_GRPC_KEEPALIVE_MS: how often the server pings each connection (server.ts).
import { ConfigError, type Env, number } from '../../config/env.js';
import type { PlatformModule, PlatformSettings } from '../platform.js';
import { configArgument, readOpenEdgeConfig } from './config.js';

const MAX_TIMEOUT_MS = 43_200_000;
const MAX_SHUTDOWN_MS = 3_600_000;
/** How often the server pings each connection, by default. */
const KEEPALIVE_MS = 20_000;
/**
 * FNPOOL_GRPC_KEEPALIVE_MS as settings() read it (and checked it, at start), for the adapter: the
 * settings the configuration carries for every platform have no field for it.
 */
let keepaliveMs = KEEPALIVE_MS;

export const openedge: PlatformModule = {
  name: 'openedge',
  title: 'OpenEdge gRPC',
  detectedBy: ['-c CONFIG'],
  settings(env: Env, argv: readonly string[]): PlatformSettings {
    keepaliveMs = number(env, ['FNPOOL_GRPC_KEEPALIVE_MS'], KEEPALIVE_MS, { min: 0, max: 3_600_000, integer: true, unit: 'ms' });
    const arg = configArgument(argv);
    if (arg === undefined) throw new ConfigError('OpenEdge mode needs -c CONFIG (inline JSON, or a JSON or YAML file), as OpenEdge starts a runtime');
    const config = readOpenEdgeConfig(arg);
    // Timers past 2^31 ms fire at once: fnpool's own bounds (those of FNPOOL_TIMEOUT and FNPOOL_SHUTDOWN_TIMEOUT_MS) apply.
    if (config.function.instance.timeoutMs > MAX_TIMEOUT_MS) throw new ConfigError(`function.instance.timeout must be at most 12h (got ${config.function.instance.timeoutMs / 1000} s)`);
    if (config.server.timeoutMs > MAX_SHUTDOWN_MS) throw new ConfigError(`server.timeout must be at most 1h (got ${config.server.timeoutMs / 1000} s)`);
    const maxBytes = { bytes: config.server.maxMessageBytes, from: 'server.message.length.max' };
    return {
      codeRoot: config.function.codeDir,
      handler: config.function.handler,
      timeoutSeconds: config.function.instance.timeoutMs / 1000,
      maxConcurrency: config.function.instance.max,
      maxRequestBytes: maxBytes,
      maxResponseBytes: maxBytes,
      function: { name: config.function.name, attrs: { configName: config.name, ...(config.function.id ? { functionId: config.function.id } : {}) } },
      server: { host: config.server.host, port: config.server.port },
      shutdownTimeoutMs: config.server.timeoutMs,
      functionEnv: config.function.env,
      payloadCodec: 'message',
    };
  },
  async pushAdapter(config, executor, log) {
    const { GrpcAdapter } = await import('./server.js');
    return new GrpcAdapter(config, executor, log, { keepaliveMs });
  },
};
