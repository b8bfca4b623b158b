// The values of a pull platform's invocation headers that a hostile or broken runtime API could
// turn against the runtime: the request id, which goes back into the answer's URL path, and the
// deadline, which becomes a timer.
//
// A request id is the bytes of its header (undici gives a header value as latin1, one character
// per byte). Its answer path holds those bytes percent-encoded as one path segment, so that any
// id — `a/b`, `?`, `%2F`, unicode, binary — reaches the platform exactly as it was sent and never
// names another path. AWS's own clients put the id in the path as it is, which only works for the
// UUIDs Lambda sends. An id no path segment can carry is refused: `.` and `..` (a server or proxy
// that normalizes the path resolves them away, encoded or not), as is a header that came twice
// with different values (which one to answer?). Logs and the handler see the id as text: its
// UTF-8 when the bytes are UTF-8, else one character per byte.
import { ErrorType, runtimeError, type WireError } from '../../errors.js';

/** A request id as it came (latin1: one character per byte) and as text, for logs and the handler. */
export interface RequestId {
  wire: string;
  text: string;
}

/** The request id of an invocation's header, or why no answer can be addressed with it. */
export function readRequestId(value: string | string[] | undefined, headerName: string): RequestId | { problem: string } {
  const given = Array.isArray(value) ? value : value === undefined ? [] : [value];
  // Without trailing spaces and tabs, which are not part of a field value (undici keeps them).
  const values = [...new Set(given.map((v) => v.replace(/[ \t]+$/, '')))];
  if (values.length > 1) return { problem: `${headerName} came ${given.length} times, with ${values.length} different ids: ${values.map(shown).join(', ')}` };
  const wire = values[0];
  if (wire === undefined || wire === '') return { problem: `no ${headerName} header` };
  if (wire === '.' || wire === '..') return { problem: `the request id ${shown(wire)} cannot be put in a URL path (a dot-segment)` };
  return { wire, text: requestIdText(wire) };
}

const ASCII = /^[\x00-\x7f]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The id as text: the UTF-8 its bytes spell, else one character per byte. */
export function requestIdText(wire: string): string {
  if (ASCII.test(wire)) return wire;
  try {
    return utf8.decode(Buffer.from(wire, 'latin1'));
  } catch {
    return wire;
  }
}

/** Characters a path segment carries as they are (encodeURIComponent's unreserved set). */
const UNRESERVED = /^[A-Za-z0-9\-_.!~*'()]*$/;

/** The id's bytes as one URL path segment: every byte outside the unreserved set percent-encoded. */
export function requestIdSegment(wire: string): string {
  if (UNRESERVED.test(wire)) return wire;
  let out = '';
  for (const byte of Buffer.from(wire, 'latin1')) {
    const c = String.fromCharCode(byte);
    out += UNRESERVED.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An id for a log line: JSON-quoted, and cut when long (a hostile id may be kilobytes). */
export function shown(id: string): string {
  const text = JSON.stringify(requestIdText(id));
  return text.length <= 120 ? text : `${text.slice(0, 100)}…" (${id.length} bytes)`;
}

/**
 * How far ahead a platform's deadline is believed: the longest function timeout fnpool takes
 * (43 200 s, as RUNTIME_TIMEOUT). A deadline beyond it is not a platform's (Lambda's longest
 * timeout is 15 minutes); as a timer it would overflow Node's 24.8 days and fire at once.
 */
export const MAX_DEADLINE_AHEAD_MS = 43_200_000;

/** The invocation's deadline from an epoch-ms header value, or undefined when it is not one the runtime can believe. */
export function epochDeadline(value: string | undefined, arrivedAtMs: number): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
  const deadline = Number(value);
  return deadline > 0 && deadline <= arrivedAtMs + MAX_DEADLINE_AHEAD_MS ? deadline : undefined;
}

/** A timeout in seconds from a header value, or undefined when it is not a positive decimal the runtime can believe. */
export function timeoutSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}(\.\d{1,9})?$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds > 0 && seconds * 1000 <= MAX_DEADLINE_AHEAD_MS ? seconds : undefined;
}

/** The error an invocation whose deadline had passed when it arrived is answered with, never run. */
export function deadlinePassed(header: string, deadlineMs: number, arrivedAtMs: number): WireError {
  return runtimeError(ErrorType.Timeout, `the deadline the platform sent (${header}: ${deadlineMs}, ` +
    `${new Date(deadlineMs).toISOString()}) had passed ${arrivedAtMs - deadlineMs} ms before the invocation arrived`);
}
