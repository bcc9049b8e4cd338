import type * as grpc from '@grpc/grpc-js';
import * as codec from './codec.js';
import { type ServiceContext, checkSize, unary } from './context.js';
import { checkDelete, checkPut, checkRange, checkTxn } from './validate.js';
import type { TxnResponse } from '../types.js';

/** etcdserverpb.KV: Range, Put, DeleteRange, Txn, Compact. */
export function kvService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const { backend, headers } = ctx;
  return {
    Range: unary(ctx, 'Range', (m) => {
      const req = codec.rangeRequest(m);
      checkRange(req);
      const res = backend.range(req);
      return codec.rangeResponse(res, headers.header(res.revision));
    }),

    Put: unary(ctx, 'Put', async (m) => {
      const req = codec.putRequest(m);
      checkPut(req);
      checkSize(ctx, m);
      const res = await backend.put(req);
      return codec.putResponse(res, headers.header(res.revision));
    }),

    DeleteRange: unary(ctx, 'DeleteRange', async (m) => {
      const req = codec.deleteRangeRequest(m);
      checkDelete(req);
      checkSize(ctx, m);
      const res = await backend.deleteRange(req);
      return codec.deleteRangeResponse(res, headers.header(res.revision));
    }),

    Txn: unary(ctx, 'Txn', (m) => {
      const req = codec.txnRequest(m);
      checkTxn(req, ctx.maxTxnOps);
      checkSize(ctx, m);
      const answer = (res: TxnResponse) => codec.txnResponse(res, headers.header(res.revision));
      const res = backend.txn(req);
      return res instanceof Promise ? res.then(answer) : answer(res);
    }),

    Compact: unary(ctx, 'Compact', async (m) => {
      await backend.compact(Number(m.revision ?? 0), !!m.physical);
      return { header: headers.header() };
    }),
  };
}
