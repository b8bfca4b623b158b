// What the hostile-input run knows of each pull platform's runtime API, written from the platforms'
// contracts (not from fnpool's code): where the runtime polls, which header carries the request id,
// which carry credentials, what a well-formed invocation's headers are, and how an answer's path
// holds the id. Header values are latin1 strings: one character per byte on the wire.

/** Lambda and FC say the deadline with every invocation; the run gives the function this timeout. */
export const TIMEOUT_MS = 3000;

const MiB = 1024 * 1024;

export const WIRES = {
  functiongraph: {
    nextPath: '/v1/runtime/invocation/request',
    idHeader: 'X-Cff-Request-Id',
    answerPattern: /^\/v1\/runtime\/invocation\/(response|error)\/([^/?#]*)$/,
    credentialHeaders: ['X-CFF-Access-Key', 'X-CFF-Secret-Key', 'X-CFF-Auth-Token', 'X-CFF-Security-Access-Key',
      'X-CFF-Security-Secret-Key', 'X-CFF-Security-Token'],
    stackKey: 'stackTrace',
    maxRequestBytes: 6 * MiB,
    baseHeaders: () => [['X-CFF-Invoke-Type', 'sync']],
  },
  lambda: {
    nextPath: '/2018-06-01/runtime/invocation/next',
    idHeader: 'Lambda-Runtime-Aws-Request-Id',
    answerPattern: /^\/2018-06-01\/runtime\/invocation\/([^/?#]*)\/(response|error)$/,
    // Lambda gives credentials in the environment, not per invocation: the run sets these.
    credentialHeaders: [],
    credentialVariables: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
    stackKey: 'trace',
    maxRequestBytes: 6 * MiB,
    baseHeaders: () => [
      ['Lambda-Runtime-Deadline-Ms', deadlineFromNow],
      ['Lambda-Runtime-Invoked-Function-Arn', 'arn:aws:lambda:us-east-1:012345678912:function:hostile'],
      ['Lambda-Runtime-Trace-Id', 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0'],
    ],
  },
  fc: {
    nextPath: '/2020-11-11/runtime/invocation/next',
    idHeader: 'x-fc-request-id',
    answerPattern: /^\/2020-11-11\/runtime\/invocation\/([^/?#]*)\/(response|error)$/,
    credentialHeaders: ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token'],
    stackKey: 'stackTrace',
    maxRequestBytes: 32 * MiB,
    baseHeaders: () => [
      ['x-fc-function-deadline', deadlineFromNow],
      ['x-fc-function-timeout', String(TIMEOUT_MS / 1000)],
      ['x-fc-function-type', '0'],
    ],
  },
};

export const PLATFORMS = Object.keys(WIRES);

function deadlineFromNow() {
  return String(Date.now() + TIMEOUT_MS);
}

/** A header value as it is sent: a function's is read now. */
export const headerValue = (value) => (typeof value === 'function' ? value() : value);

/**
 * Reads a POST's path: whether it answers with a result or an error, and the id its path holds,
 * percent-decoded to bytes. Undefined when the path is not an answer path of the platform, or
 * when its id segment is a dot-segment (which a server normalizing the path would resolve away).
 */
export function readAnswerPath(platform, url) {
  const m = WIRES[platform].answerPattern.exec(url);
  if (m === null) return undefined;
  const [kind, segment] = platform === 'functiongraph' ? [m[1], m[2]] : [m[2], m[1]];
  if (/^(\.|%2e){1,2}$/i.test(segment)) return undefined;
  const bytes = percentDecode(segment);
  return bytes === undefined ? undefined : { ok: kind === 'response', id: bytes };
}

/** The bytes a path segment stands for; undefined when a % is not followed by two hex digits. */
function percentDecode(segment) {
  const out = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c !== '%') {
      out.push(segment.charCodeAt(i));
      continue;
    }
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/i.test(hex)) return undefined;
    out.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(out);
}
