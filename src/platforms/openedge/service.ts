// OpenEdge's Runtime service (runtime.proto, beside this file) as grpc-js takes it: the one method,
// Runtime.Handle, with the Message codec written against the protobuf wire format with
// @bufbuild/protobuf's BinaryReader/BinaryWriter. One message of five scalar fields needs no
// .proto parsing at start (what @grpc/proto-loader did, through protobufjs, whose install script
// every user's `npm install` then warned about), and decoding the payload is one subarray.
//
// Proto3 rules: a field left at its default (0, '', empty) is not written; a missing field reads
// as its default; unknown fields (and known ones of another wire type) are skipped; a repeated
// scalar field keeps its last value. A reply that is not valid protobuf throws (the client's
// side); a request that is not is read as an empty message marked `invalid` with the reason, which
// the server answers INVALID_ARGUMENT without running anything — thrown, grpc-js would answer a
// bare INTERNAL "Error deserializing request", as if the runtime were at fault.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { Message, ReceivedMessage } from './wire.js';

/** The field numbers of runtime.proto's Message. */
const Field = { QOS: 1, Topic: 2, Payload: 3, FunctionName: 11, FunctionInvokeID: 12 } as const;

export function encodeMessage(message: Message): Buffer {
  const writer = new BinaryWriter();
  if (message.QOS !== 0) writer.tag(Field.QOS, WireType.Varint).uint32(message.QOS);
  if (message.Topic !== '') writer.tag(Field.Topic, WireType.LengthDelimited).string(message.Topic);
  if (message.Payload.byteLength > 0) writer.tag(Field.Payload, WireType.LengthDelimited).bytes(message.Payload);
  if (message.FunctionName !== '') writer.tag(Field.FunctionName, WireType.LengthDelimited).string(message.FunctionName);
  if (message.FunctionInvokeID !== '') writer.tag(Field.FunctionInvokeID, WireType.LengthDelimited).string(message.FunctionInvokeID);
  const bytes = writer.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The message in bytes; its Payload is a view of them (copy it to keep it past the call). */
export function decodeMessage(bytes: Uint8Array): Message {
  const message: Message = { QOS: 0, Topic: '', Payload: EMPTY, FunctionName: '', FunctionInvokeID: '' };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === Field.QOS && wireType === WireType.Varint) message.QOS = reader.uint32();
    else if (field === Field.Topic && wireType === WireType.LengthDelimited) message.Topic = reader.string();
    else if (field === Field.Payload && wireType === WireType.LengthDelimited) message.Payload = asBuffer(reader.bytes());
    else if (field === Field.FunctionName && wireType === WireType.LengthDelimited) message.FunctionName = reader.string();
    else if (field === Field.FunctionInvokeID && wireType === WireType.LengthDelimited) message.FunctionInvokeID = reader.string();
    else reader.skip(wireType, field);
  }
  return message;
}

/** A request's message; one that is not valid protobuf is an empty message with the reason in `invalid`. */
export function decodeRequest(bytes: Uint8Array): ReceivedMessage {
  try {
    return decodeMessage(bytes);
  } catch (err) {
    const invalid: ReceivedMessage = { QOS: 0, Topic: '', Payload: EMPTY, FunctionName: '', FunctionInvokeID: '' };
    invalid.invalid = `the request is not a runtime.Message in protobuf's wire format (${bytes.byteLength} bytes): ${(err as Error).message}`;
    return invalid;
  }
}

const EMPTY = Buffer.alloc(0);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** runtime.Runtime, for grpc-js's Server.addService and makeGenericClientConstructor. */
export const RUNTIME_SERVICE = {
  Handle: {
    path: '/runtime.Runtime/Handle',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeMessage,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeMessage,
    responseDeserialize: decodeMessage,
    originalName: 'Handle',
  },
} satisfies ServiceDefinition;
