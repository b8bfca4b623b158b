// Raw gRPC over node:http2, for the hostile-input stress run: calls of runtime.Runtime/Handle
// whose bytes are written here — the 5-byte length prefix and the protobuf Message by hand, so that
// they can be wrong on purpose (random bytes, wrong wire types, truncated varints, a length prefix
// that lies, a compressed flag with no encoding) — and streams cancelled, left without data, or
// opened by the hundred on one connection. Each call resolves with what came back: the HTTP
// status, grpc-status and grpc-message (from the headers of a trailers-only answer or the
// trailers), the reply's bytes, or how the stream ended.
import http2 from 'node:http2';

export const HANDLE_PATH = '/runtime.Runtime/Handle';
export const Status = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, ALREADY_EXISTS: 6, RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9, INTERNAL: 13, UNIMPLEMENTED: 12, UNAVAILABLE: 14,
};
export const statusName = (code) => Object.keys(Status).find((name) => Status[name] === code) ?? String(code);

/** An HTTP/2 session to host:port; close it with session.close(). */
export function connect(address) {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => {});
  return session;
}

/**
 * One call on session. body: the bytes of the DATA frames (usually frame(message)); undefined: no
 * DATA frame at all. headers replace the gRPC ones where given (a bad content-type, another path).
 * cancelAfterMs: RST_STREAM(CANCEL) after that long. endStream false: the request never ends.
 */
export function call(session, body, { headers = {}, cancelAfterMs, endStream = true, timeoutMs = 8_000 } = {}) {
  return new Promise((resolve) => {
    const out = { httpStatus: undefined, grpcStatus: undefined, grpcMessage: undefined, metadata: {}, data: Buffer.alloc(0), rstCode: undefined, error: undefined };
    let stream;
    try {
      stream = session.request({
        ':method': 'POST', ':path': HANDLE_PATH, 'content-type': 'application/grpc', te: 'trailers', ...headers,
      }, { endStream: body === undefined && endStream });
    } catch (err) {
      resolve({ ...out, error: err.code ?? err.message });
      return;
    }
    const chunks = [];
    let done = false;
    const finish = (why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(canceller);
      out.data = Buffer.concat(chunks);
      out.rstCode ??= stream.rstCode;
      if (why !== undefined) out.error ??= why;
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      resolve(out);
    };
    const timer = setTimeout(() => finish('timed out'), timeoutMs);
    const canceller = cancelAfterMs === undefined ? undefined
      : setTimeout(() => { stream.close(http2.constants.NGHTTP2_CANCEL); finish('cancelled by the client'); }, cancelAfterMs);
    stream.on('response', (h) => {
      out.httpStatus = h[':status'];
      readStatus(out, h);
    });
    stream.on('trailers', (t) => readStatus(out, t));
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('error', (err) => { out.error ??= err.code ?? err.message; });
    stream.on('close', () => finish());
    if (body !== undefined) {
      if (endStream) stream.end(body);
      else stream.write(body);
    }
  });
}

function readStatus(out, headers) {
  if (headers['grpc-status'] !== undefined) out.grpcStatus = Number(headers['grpc-status']);
  if (headers['grpc-message'] !== undefined) out.grpcMessage = percentDecoded(String(headers['grpc-message']));
  for (const [key, value] of Object.entries(headers)) if (key.startsWith('fnpool-')) out.metadata[key] = value;
}

/** grpc-message is percent-encoded; one that is not validly so is shown as it came. */
function percentDecoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** gRPC's length-prefixed message: flag byte, 4-byte big-endian length (declared may lie), the bytes. */
export function frame(message, { compressed = false, declaredLength } = {}) {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(declaredLength ?? message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Protobuf wire pieces, to write a Message (or a broken one) by hand. */
export function varint(value) {
  const bytes = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

export const tag = (field, wireType) => varint((field << 3) | wireType);
export const lengthDelimited = (field, bytes) => Buffer.concat([tag(field, 2), varint(bytes.length), bytes]);

/** A well-formed runtime.Message. */
export function message({ qos = 0, topic = 't', payload = Buffer.alloc(0), functionName = 'f', invokeId = '' } = {}) {
  const parts = [];
  if (qos !== 0) parts.push(tag(1, 0), varint(qos));
  if (topic !== '') parts.push(lengthDelimited(2, Buffer.from(topic)));
  if (payload.length > 0) parts.push(lengthDelimited(3, Buffer.isBuffer(payload) ? payload : Buffer.from(payload)));
  if (functionName !== '') parts.push(lengthDelimited(11, Buffer.from(functionName)));
  if (invokeId !== '') parts.push(lengthDelimited(12, Buffer.from(invokeId)));
  return Buffer.concat(parts);
}

/** The fields of a reply Message (as far as they parse), for checking an echo. */
export function readMessage(bytes) {
  const out = {};
  let at = 0;
  const readVarint = () => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wireType = key & 7;
    if (wireType === 0) out[field] = Number(readVarint());
    else if (wireType === 2) {
      const length = Number(readVarint());
      out[field] = bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`wire type ${wireType}`);
  }
  return { qos: out[1] ?? 0, topic: out[2]?.toString() ?? '', payload: out[3] ?? Buffer.alloc(0), functionName: out[11]?.toString() ?? '', invokeId: out[12]?.toString() ?? '' };
}

/** The one message of a successful unary answer's DATA, or undefined. */
export function replyOf(result) {
  if (result.grpcStatus !== Status.OK || result.data.length < 5) return undefined;
  const length = result.data.readUInt32BE(1);
  return readMessage(result.data.subarray(5, 5 + length));
}
