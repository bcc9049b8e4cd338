import type * as grpc from '@grpc/grpc-js';
import { WIRE_SIZE } from '../context.js';
import {
  type ResponseCodec,
  type WatchResponse,
  decodeCompaction,
  decodeDeleteRangeRequest,
  decodePutRequest,
  decodeRangeRequest,
  decodeTxnRequest,
} from './etcd-messages.js';
import { Reader } from './protobuf.js';

/**
 * grpc-js service definitions whose (de)serializers are the hand-written
 * codecs. Handlers receive and return the store's own types.
 */
function unaryMethod<Req extends object, Res>(
  path: string,
  decode: (r: Reader) => Req,
  encode: (res: Res) => Buffer,
): grpc.MethodDefinition<Req, Res> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestDeserialize: (buf: Buffer) => {
      const msg = decode(new Reader(buf)) as Req & { [WIRE_SIZE]?: number };
      msg[WIRE_SIZE] = buf.length;
      return msg;
    },
    responseSerialize: encode,
    // Only a client calls these; the server never does.
    requestSerialize: () => {
      throw new Error(`${path}: server-side definition cannot serialize requests`);
    },
    responseDeserialize: () => {
      throw new Error(`${path}: server-side definition cannot deserialize responses`);
    },
  };
}

export function kvDefinition(codec: ResponseCodec): grpc.ServiceDefinition {
  return {
    Range: unaryMethod('/etcdserverpb.KV/Range', decodeRangeRequest, codec.range.bind(codec)),
    Put: unaryMethod('/etcdserverpb.KV/Put', decodePutRequest, codec.put.bind(codec)),
    DeleteRange: unaryMethod('/etcdserverpb.KV/DeleteRange', decodeDeleteRangeRequest, codec.deleteRange.bind(codec)),
    Txn: unaryMethod('/etcdserverpb.KV/Txn', decodeTxnRequest, codec.txn.bind(codec)),
    Compact: unaryMethod('/etcdserverpb.KV/Compact', decodeCompaction, (r: { revision: number }) =>
      codec.headerOnly(r.revision),
    ),
  };
}

/** Watch requests keep proto-loader's decoder (they are rare); responses use the codec. */
export function watchDefinition(base: grpc.ServiceDefinition, codec: ResponseCodec): grpc.ServiceDefinition {
  const watch = base.Watch!;
  return { Watch: { ...watch, responseSerialize: (r: WatchResponse) => codec.watch(r) } };
}
