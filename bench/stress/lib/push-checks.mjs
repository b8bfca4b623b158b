// What the hostile-input stress run checks, and how it keeps count. A Kind is one kind of hostile
// input tried against one runtime: it counts what was tried and what came back (outcomes, shown
// as "400×12 · closed×3"), and collects problems. After each kind, afterKind() checks the runtime
// itself: still alive; a normal request still answered; nothing new on stderr (a Node stack, an
// uncaught exception, a warning); no error record of the runtime's own (an internal error) and no
// invocation that crashed its worker; the handler run at most once per request id, never for an
// id nobody sent (a request hidden in another's bytes). At the end, credentialsLeaked() looks
// for every credential value sent in everything the runtime wrote.
import { settled } from './push-runtime.mjs';

/** Invocation errors that mean the input brought something down (the echo handler never throws). */
const CRASH_TYPES = new Set(['Runtime.WorkerExited', 'Runtime.UncaughtException', 'Runtime.UnhandledPromiseRejection',
  'Runtime.NeighbourFailed', 'Runtime.OutOfMemory', 'Runtime.SerializationError']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The prefix of every request id hidden inside another request's bytes: one that runs was smuggled. */
export const SMUGGLED = 'smuggled-';
/** The prefix of every request id of a request that must be refused: one that runs got past a check. */
export const REFUSED = 'refused-';

/** What one runtime has been sent so far, across its kinds: request ids, credential values, and where its output was checked up to. */
export class Target {
  constructor(platform, rt) {
    this.platform = platform;
    this.rt = rt;
    this.sentIds = new Set();
    this.secrets = new Set();
    this.stderrAt = 0;
    this.recordsAt = 0;
    this.reportedIds = new Set();
    this.nextId = 0;
  }
}

export class Kind {
  /** target: the Target; name: the kind; rng: the run's generator; quick: the run's mode. */
  constructor(target, name, { rng, quick, log }) {
    this.target = target;
    this.rt = target.rt;
    this.name = name;
    this.rng = rng;
    this.quick = quick;
    this.log = log;
    this.tried = 0;
    this.outcomes = new Map();
    this.problems = [];
  }

  /** How many to try: quick's number, or the full run's. */
  count(quick, full) {
    return this.quick ? quick : full;
  }

  /** A fresh request id with this prefix, remembered as sent (its handler may run once). */
  id(prefix) {
    const id = `${prefix}-${++this.target.nextId}`;
    this.target.sentIds.add(id);
    return id;
  }

  /** An id for a request hidden in another's bytes: it must never run. */
  smuggledId() {
    return `${SMUGGLED}${++this.target.nextId}`;
  }

  /** An id for a request that must be refused (or cut): it must never run. */
  refusedId() {
    return `${REFUSED}${++this.target.nextId}`;
  }

  /** Counts one outcome (and, by default, one input tried). */
  note(outcome, { tried = 1 } = {}) {
    this.tried += tried;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  problem(message) {
    if (this.problems.length < 20) this.problems.push(message);
  }


  /** "400×12 · closed×3", most frequent first. */
  outcomeText() {
    return [...this.outcomes].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what}×${n}`).join(' · ');
  }

  row() {
    return { platform: this.target.platform, kind: this.name, tried: this.tried, outcome: this.outcomeText(), ok: this.problems.length === 0 };
  }
}

/**
 * The checks after a kind: alive, a normal request answered (canary() resolves with a problem or
 * undefined), nothing on stderr, no internal error or crash in the records, the handler's runs.
 */
export async function afterKind(kind, canary) {
  const { target, rt } = kind;
  if (!rt.alive()) {
    kind.problem(`the runtime exited (${rt.exit.signal ?? rt.exit.code}): ${rt.stderr.slice(-500)}`);
    return;
  }
  const canaryProblem = await canary();
  if (canaryProblem !== undefined) kind.problem(`a normal request after it: ${canaryProblem}`);
  // The runtime writes its own records within 20 ms: what the kind caused is all out once they stop coming.
  await settled(rt, 80);
  const stderr = rt.stderr.slice(target.stderrAt);
  target.stderrAt = rt.stderr.length;
  if (stderr.trim() !== '') kind.problem(`the runtime wrote to stderr: ${stderr.trim().slice(0, 300)}`);
  for (const record of rt.records.slice(target.recordsAt)) recordProblem(kind, record);
  target.recordsAt = rt.records.length;
  for (const [id, times] of rt.ran) {
    if (target.reportedIds.has(id)) continue;
    const shown = JSON.stringify(id.slice(0, 60));
    let problem;
    if (id.startsWith(SMUGGLED)) problem = `a request hidden in another's bytes ran (${shown})`;
    else if (id.startsWith(REFUSED)) problem = `a request that had to be refused ran (${shown})`;
    else if (times > 1) problem = `the handler ran ${times} times for request ${shown}`;
    else if (!target.sentIds.has(id) && !UUID.test(id)) problem = `the handler ran for a request id never sent: ${shown}`;
    if (problem === undefined) continue;
    target.reportedIds.add(id);
    kind.problem(problem);
  }
}

function recordProblem(kind, record) {
  const level = record.level;
  const isError = level === 'error' || level === 'fatal' || (typeof level === 'number' && level >= 50);
  if (record.msg === 'invocation finished') {
    if (CRASH_TYPES.has(record.errorType)) kind.problem(`invocation ${JSON.stringify(String(record.requestId).slice(0, 60))} ended ${record.errorType}`);
    return;
  }
  if (isError && record.requestId === undefined) {
    kind.problem(`the runtime logged an error: ${String(record.msg).slice(0, 120)}${record.err ? ` (${record.err.type}: ${String(record.err.message).slice(0, 120)})` : ''}`);
  }
}

/** Runs task(item) for every item, at most `width` at a time; resolves with their results in order. */
export async function atOnce(items, width, task) {
  const results = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

/** The credential values sent that appear in what the runtime wrote (stdout and stderr). */
export function credentialsLeaked(target) {
  const written = target.rt.stdout + target.rt.stderr;
  return [...target.secrets].filter((secret) => written.includes(secret));
}

/** Fresh credential headers (FC's), their values remembered to look for in the logs. */
export function credentialHeaders(kind) {
  const { rng } = kind;
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const values = [`LTAI${rng.text(20, alnum)}`, rng.text(30, `${alnum}/+`), `CAIS${rng.text(60, `${alnum}/+=`)}`];
  for (const value of values) kind.target.secrets.add(value);
  return [['x-fc-access-key-id', values[0]], ['x-fc-access-key-secret', values[1]], ['x-fc-security-token', values[2]]];
}
