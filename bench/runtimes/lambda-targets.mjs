// Runtimes on the Lambda emulator that bench/lib/targets.mjs does not start itself: any command (AWS's
// runtime client aws-lambda-ric, the sequential Lambda baseline) as a Target of its own, with its own
// emulator and the environment Lambda gives a runtime, measured like fnpool's. Scenario 7 uses them.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { launchEnvironment, PullEmulator } from '../../dist/emulator/index.js';
import { BENCH, cleanEnv, handlerDir, Target } from '../lib/targets.mjs';
import { prepareAwsRic } from '../../test/helpers/aws-ric.mjs';

/** The sequential baseline speaking Lambda's Runtime API. */
export const SEQUENTIAL_LAMBDA = [process.execPath, [path.join(BENCH, 'runtimes', 'sequential-lambda.mjs')]];

/**
 * aws-lambda-ric's bootstrap, prepared (the first time: downloaded and compiled, about a minute) in
 * the cache the tests use, outside the repository. { skip } says why it cannot be had here.
 */
export async function awsRicCommand(log) {
  const ric = await prepareAwsRic({ log });
  return ric.skip ? { skip: ric.skip } : { command: [ric.bootstrap, []], builtMs: ric.built ? ric.ms : undefined };
}

/**
 * Starts `command` against a Lambda emulator of its own, as Target.start does for fnpool: 2 CPUs, a
 * 60 s timeout, 2048 MB, the handler folder under bench/handlers; `concurrency` becomes
 * AWS_LAMBDA_MAX_CONCURRENCY (Managed Instances) when given; the scenario's variables last. Ready
 * once a first invocation is answered.
 */
export async function startLambdaTarget({ name, kind, command, handler = 'noop', concurrency, env = {}, warmupEvent = {} }) {
  const emulator = await PullEmulator.start({ platform: 'lambda', port: 0, functionTimeoutMs: 60_000 });
  // A memory size too, as Lambda always gives one: without AWS_LAMBDA_FUNCTION_MEMORY_SIZE
  // aws-lambda-ric takes an invocation and never answers it.
  const settings = { dir: handlerDir(handler), handler: 'index.handler', timeout: 60, memory: 2048, cpus: 2, ...(concurrency ? { concurrency } : {}) };
  const childEnv = { ...launchEnvironment('lambda', settings, emulator.address, cleanEnv()), ...env };
  const [cmd, args] = command;
  const child = spawn(cmd, args, { cwd: settings.dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const target = new Target(name, kind, emulator, child);
  try {
    await target.ready(warmupEvent);
  } catch (err) {
    await target.stop();
    throw err;
  }
  return target;
}
