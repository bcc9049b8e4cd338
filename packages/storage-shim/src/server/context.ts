import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { EtcdError, Errors } from '../errors.js';
import type { Backend } from '../backend.js';
import type { HeaderFactory } from './header.js';
import type { StoreMetrics } from '../metrics.js';

/** What every RPC family needs: the backend below, headers, limits, logs, metrics. */
export interface ServiceContext {
  backend: Backend;
  headers: HeaderFactory;
  maxTxnOps: number;
  maxRequestBytes: number;
  clientUrls: string[];
  log: Logger;
  metrics: StoreMetrics;
  /** --selector-pushdown=off: Range and Watch ignore the selector fields, as etcd does. */
  ignoreSelectors?: boolean;
}

/** The encoded size of a request, attached by the deserializer (see grpc-server.ts). */
export const WIRE_SIZE = Symbol('wire size');

export function checkSize(ctx: ServiceContext, request: unknown): void {
  const size = (request as { [WIRE_SIZE]?: number })[WIRE_SIZE] ?? 0;
  if (size > ctx.maxRequestBytes) throw Errors.requestTooLarge();
}

/** Adapts a (possibly async) handler to grpc-js, mapping errors to etcd's status codes and messages. */
export function unary<Request>(
  ctx: ServiceContext,
  method: string,
  handler: (request: Request) => unknown,
): grpc.handleUnaryCall<Request, unknown> {
  return (call, callback) => {
    const end = ctx.metrics.requestStarted(method);
    let result: unknown;
    try {
      result = handler(call.request);
    } catch (err) {
      end(err);
      callback(toServiceError(ctx, method, err));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => {
          end();
          callback(null, res);
        },
        (err: unknown) => {
          end(err);
          callback(toServiceError(ctx, method, err));
        },
      );
    } else {
      end();
      callback(null, result);
    }
  };
}

export function toServiceError(ctx: ServiceContext, method: string, err: unknown): Partial<grpc.ServiceError> {
  if (err instanceof EtcdError) return { code: err.code, details: err.message, message: err.message };
  ctx.log.error({ err, method }, 'request failed');
  return { code: grpc.status.INTERNAL, details: `cnpaas-store: ${(err as Error).message}` };
}

export function unimplemented(what: string, hint: string): grpc.handleUnaryCall<unknown, unknown> {
  return (_call, callback) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: `cnpaas-store: ${what} is not supported: ${hint}` });
}
