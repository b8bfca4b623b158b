// Handler of the hostile-input stress run (bench/stress/hostile-push.mjs): answers with a short
// description of what it was given and logs one line per run ("hostile-echo ran", carrying the
// request id), so that the run can count how often the handler ran for each request. An event
// (or an HTTP trigger's query) with sleepMs makes it wait that long first, at most 5 s.
import { setTimeout as sleep } from 'node:timers/promises';

const MAX_SLEEP_MS = 5_000;
/** Events up to this size (as JSON) are echoed whole. */
const ECHO_CHARS = 2_048;

export const handler = async (event, context) => {
  console.log('hostile-echo ran');
  const requestId = context.requestId;
  if (isHttpTrigger(event)) {
    await sleep(Math.min(Number(event.queryParameters?.sleepMs) || 0, MAX_SLEEP_MS));
    const body = event.body ?? '';
    return {
      requestId, method: event.httpMethod, path: event.path,
      bodyBytes: Buffer.byteLength(body, event.isBase64Encoded ? 'base64' : 'utf8'),
      headerCount: Object.keys(event.headers ?? {}).length,
      queryKeys: Object.keys(event.queryParameters ?? {}),
    };
  }
  if (isPlainObject(event) && typeof event.sleepMs === 'number') await sleep(Math.min(event.sleepMs, MAX_SLEEP_MS));
  return { requestId, ...describe(event) };
};

function isHttpTrigger(event) {
  return isPlainObject(event) && typeof event.httpMethod === 'string' && isPlainObject(event.requestContext);
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !Array.isArray(value);
}

/** The event's type and size; the event itself when it is small (and can be written as JSON at all). */
function describe(event) {
  if (Buffer.isBuffer(event)) return { type: 'buffer', bytes: event.length };
  let json;
  try {
    json = JSON.stringify(event);
  } catch (err) {
    return { type: typeof event, unserializable: err.name };
  }
  return { type: Array.isArray(event) ? 'array' : typeof event, bytes: Buffer.byteLength(json), ...(json.length <= ECHO_CHARS ? { echo: event } : {}) };
}
