// HTTP/2 frames written by hand, for the hostile-input stress run's gRPC side: what node:http2
// would never send (frames too large, on the wrong stream, with broken HPACK, floods of PINGs,
// SETTINGS or reset streams), sent over a plain socket with exchange() (push-http-wire.mjs); and
// the frames that come back, read from the received bytes, to see a GOAWAY and its error code.

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const Type = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 };
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 };
const GOAWAY_CODES = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED',
  'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM', 'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED'];

/** One frame: 24-bit length (declaredLength may lie), type, flags, 31-bit stream id, payload. */
export function h2Frame(type, flags, streamId, payload = Buffer.alloc(0), declaredLength) {
  const head = Buffer.alloc(9);
  head.writeUIntBE(declaredLength ?? payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** A SETTINGS frame of [id, value] pairs. */
export function settings(pairs = []) {
  const payload = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value >>> 0, i * 6 + 2);
  });
  return h2Frame(Type.SETTINGS, 0, 0, payload);
}

/** HPACK: an integer with an n-bit prefix (first byte's high bits: mask). */
function hpackInt(value, bits, mask = 0) {
  const max = (1 << bits) - 1;
  if (value < max) return Buffer.from([mask | value]);
  const bytes = [mask | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** HPACK: a header block of literals without indexing, new names, no Huffman coding. */
export function headerBlock(headers) {
  const parts = [];
  for (const [name, value] of headers) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x00]), hpackInt(n.length, 7), n, hpackInt(v.length, 7), v);
  }
  return Buffer.concat(parts);
}

/** The request headers of a Runtime.Handle call. */
export const GRPC_REQUEST_HEADERS = [
  [':method', 'POST'], [':scheme', 'http'], [':path', '/runtime.Runtime/Handle'], [':authority', 'runtime'],
  ['content-type', 'application/grpc'], ['te', 'trailers'],
];

/** The frames in received bytes (after the server's own preface, which is a SETTINGS frame), as far as they are whole. */
export function framesOf(bytes) {
  const frames = [];
  for (let at = 0; at + 9 <= bytes.length;) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({ type: bytes[at + 3], flags: bytes[at + 4], streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff, payload: bytes.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return frames;
}

/** The error code of the server's GOAWAY, by name, or undefined when it sent none. */
export function goawayOf(bytes) {
  const frame = framesOf(bytes).find((f) => f.type === Type.GOAWAY);
  if (frame === undefined || frame.payload.length < 8) return undefined;
  const code = frame.payload.readUInt32BE(4);
  return GOAWAY_CODES[code] ?? `code ${code}`;
}
