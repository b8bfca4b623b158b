// The function the hostile-input run (bench/stress/hostile-pull.mjs) drives: it reads every part of
// its context that a hostile header could reach (credentials, client context, identity, invoke
// type, deadline), logs the credentials it was given (the runtime must scrub them from the log),
// and answers with a short description of the event, never the event itself (a 5 MB or 100k-deep
// event would make a result over the limit or one JSON cannot write).
import { setTimeout as sleep } from 'node:timers/promises';

export const handler = async (event, context) => {
  const credentials = [
    context.getAccessKey(), context.getSecretKey(), context.getToken(),
    context.getSecurityAccessKey(), context.getSecuritySecretKey(), context.getSecurityToken(),
  ].filter((value) => value !== '');
  if (credentials.length > 0) console.log('credentials seen:', ...credentials);
  if (typeof event?.sleepMs === 'number') await sleep(event.sleepMs);
  return {
    requestId: context.getRequestID(),
    event: describeEvent(event),
    polluted: ({}).polluted !== undefined || Object.prototype.polluted !== undefined,
    invokeType: context.getInvokeType(),
    clientContext: typeof context.clientContext,
    identity: typeof context.identity,
    remainingMs: context.getRemainingTimeInMillis(),
    credentials: credentials.length,
  };
};

/** The event's type, size and, for nested JSON, how deep its first branch goes. */
function describeEvent(event) {
  if (Buffer.isBuffer(event)) return { type: 'buffer', bytes: event.length };
  if (typeof event === 'string') return { type: 'string', length: event.length };
  if (typeof event !== 'object' || event === null) return { type: typeof event };
  let depth = 0;
  for (let node = event; typeof node === 'object' && node !== null; depth++) {
    node = Array.isArray(node) ? node[0] : node[Object.keys(node)[0]];
  }
  return { type: Array.isArray(event) ? 'array' : 'object', keys: Object.keys(event).slice(0, 5), depth };
}
