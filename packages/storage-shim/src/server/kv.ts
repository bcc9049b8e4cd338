import type * as grpc from '@grpc/grpc-js';
import type { DeleteRangeRequest, PutRequest, RangeRequest, TxnRequest } from '../types.js';
import { type ServiceContext, checkSize, unary } from './context.js';
import { checkDelete, checkPut, checkRange, checkTxn } from './validate.js';
import { dropRangeSelectors, dropTxnSelectors } from './selector-pushdown.js';

/**
 * etcdserverpb.KV: Range, Put, DeleteRange, Txn, Compact. Requests arrive
 * decoded into the store's types and responses are encoded by the wire
 * codecs (wire/), so handlers only check and delegate.
 */
export function kvService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const { backend } = ctx;
  return {
    Range: unary(ctx, 'Range', (req: RangeRequest) => {
      if (ctx.ignoreSelectors) dropRangeSelectors(req);
      checkRange(req);
      return backend.range(req);
    }),

    Put: unary(ctx, 'Put', (req: PutRequest) => {
      checkPut(req);
      checkSize(ctx, req);
      return backend.put(req);
    }),

    DeleteRange: unary(ctx, 'DeleteRange', (req: DeleteRangeRequest) => {
      checkDelete(req);
      checkSize(ctx, req);
      return backend.deleteRange(req);
    }),

    Txn: unary(ctx, 'Txn', (req: TxnRequest) => {
      if (ctx.ignoreSelectors) dropTxnSelectors(req);
      checkTxn(req, ctx.maxTxnOps);
      checkSize(ctx, req);
      return backend.txn(req);
    }),

    Compact: unary(ctx, 'Compact', async (req: { revision: number; physical: boolean }) => {
      await backend.compact(req.revision, req.physical);
      return { revision: backend.revision };
    }),
  };
}
