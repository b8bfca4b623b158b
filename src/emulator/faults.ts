// Faults a local platform injects on demand (5xx, resets, delays on polls and on posts), set from
// code or over HTTP (POST /_emulator/faults): the plan, its checks, and the counters it arms; and
// the plan of a restart of the runtime API (POST /_emulator/restart) with its checks.
import { EmulatorError } from './emulator-error.js';

/**
 * Faults to inject. Counted faults apply to the next N matching requests, then stop; delays apply
 * until cleared. injectFaults() sets only the fields it is given and keeps the others.
 */
export interface FaultPlan {
  /** The next `count` polls answer `status` (e.g. 500, 503) and hand out nothing. */
  pollStatus?: { status: number; count: number };
  /** The next N polls: the socket is destroyed without an answer. */
  pollReset?: number;
  /** Every handed-out invocation waits this long before it is written. */
  pollDelayMs?: number;
  /** The next `count` result/error posts answer `status` and are not recorded. */
  postStatus?: { status: number; count: number };
  /** The next N result/error posts: the socket is destroyed before the answer is recorded. */
  postReset?: number;
  /** The next N accepted answers: recorded, then the socket is destroyed (a retry gets 409). */
  postResetAfterRecord?: number;
  /** Every result/error post waits this long (after its body arrived) before it is handled. */
  postDelayMs?: number;
}

export interface ActiveFaults {
  pollStatus: number;
  pollStatusCount: number;
  pollReset: number;
  pollDelayMs: number;
  postStatus: number;
  postStatusCount: number;
  postReset: number;
  postResetAfterRecord: number;
  postDelayMs: number;
}

export const NO_FAULTS: Readonly<ActiveFaults> = Object.freeze({
  pollStatus: 0,
  pollStatusCount: 0,
  pollReset: 0,
  pollDelayMs: 0,
  postStatus: 0,
  postStatusCount: 0,
  postReset: 0,
  postResetAfterRecord: 0,
  postDelayMs: 0,
});

/** Checks a fault plan (it may come from JSON over HTTP); the message names the bad field. */
export function validateFaultPlan(plan: unknown): FaultPlan {
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) throw new TypeError('a fault plan must be a JSON object');
  const p = plan as Record<string, unknown>;
  const known = new Set(['pollStatus', 'pollReset', 'pollDelayMs', 'postStatus', 'postReset', 'postResetAfterRecord', 'postDelayMs']);
  for (const key of Object.keys(p)) if (!known.has(key)) throw new TypeError(`unknown fault ${JSON.stringify(key)}`);
  const count = (name: string): void => {
    const v = p[name];
    if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0)) {
      throw new TypeError(`${name} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
    }
  };
  const status = (name: string): void => {
    const v = p[name];
    if (v === undefined) return;
    const s = v as { status?: unknown; count?: unknown };
    if (typeof v !== 'object' || v === null || !Number.isInteger(s.status) || (s.status as number) < 100 ||
      (s.status as number) > 599 || !Number.isSafeInteger(s.count) || (s.count as number) < 0) {
      throw new TypeError(`${name} must be {status: 100..599, count: integer ≥ 0}, got ${JSON.stringify(v)}`);
    }
  };
  status('pollStatus');
  status('postStatus');
  count('pollReset');
  count('pollDelayMs');
  count('postReset');
  count('postResetAfterRecord');
  count('postDelayMs');
  return p as FaultPlan;
}

/** Arms the counters of a checked plan: only the fields it gives, the others kept. */
export function applyFaultPlan(f: ActiveFaults, plan: FaultPlan): void {
  const p = validateFaultPlan(plan);
  if (p.pollStatus) {
    f.pollStatus = p.pollStatus.status;
    f.pollStatusCount = p.pollStatus.count;
  }
  if (p.pollReset !== undefined) f.pollReset = p.pollReset;
  if (p.pollDelayMs !== undefined) f.pollDelayMs = p.pollDelayMs;
  if (p.postStatus) {
    f.postStatus = p.postStatus.status;
    f.postStatusCount = p.postStatus.count;
  }
  if (p.postReset !== undefined) f.postReset = p.postReset;
  if (p.postResetAfterRecord !== undefined) f.postResetAfterRecord = p.postResetAfterRecord;
  if (p.postDelayMs !== undefined) f.postDelayMs = p.postDelayMs;
}

/** What a restart does with answers whose body had arrived but that the API had not handled yet. */
export type PostsInFlight = 'drop' | 'record';

/** A restart of the runtime API: it goes away (every socket with it) and comes back on its port. */
export interface RestartPlan {
  /** How long the API stays away, ms: 0 (the default) comes back at once; at most MAX_DOWN_MS. */
  downMs?: number;
  /**
   * Answers caught mid-handling: 'drop' (the default) loses them with the API, as a process that
   * dies before committing them; 'record' records them and loses only the response, as one that
   * committed and died before replying (the runtime's retry then gets 409).
   */
  postsInFlight?: PostsInFlight;
}

/** The longest outage a restart may ask for: 10 minutes. */
export const MAX_DOWN_MS = 600_000;

/** Checks a restart plan (it may come from JSON over HTTP); the message names the bad field. */
export function validateRestartPlan(plan: unknown): Required<RestartPlan> {
  const refuse = (message: string): never => {
    throw new EmulatorError('INVALID_RESTART', message);
  };
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) refuse('a restart plan must be a JSON object');
  const p = plan as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (key !== 'downMs' && key !== 'postsInFlight') refuse(`unknown restart field ${JSON.stringify(key)} (known: downMs, postsInFlight)`);
  }
  const downMs = p.downMs ?? 0;
  if (!Number.isSafeInteger(downMs) || (downMs as number) < 0 || (downMs as number) > MAX_DOWN_MS) {
    refuse(`downMs must be an integer from 0 to ${MAX_DOWN_MS}, got ${JSON.stringify(p.downMs)}`);
  }
  const postsInFlight = p.postsInFlight ?? 'drop';
  if (postsInFlight !== 'drop' && postsInFlight !== 'record') {
    refuse(`postsInFlight must be "drop" or "record", got ${JSON.stringify(p.postsInFlight)}`);
  }
  return { downMs: downMs as number, postsInFlight: postsInFlight as PostsInFlight };
}
