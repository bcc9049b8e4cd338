import type * as grpc from '@grpc/grpc-js';

/**
 * The client connection (HTTP/2 session) a call arrived on, as an identity
 * for per-connection limits. grpc-js has no public handle for it, so this
 * reads its internals (the server call's http2 stream); if they change
 * shape, the call itself stands in and a limit becomes per stream, which
 * still bounds what one stream can hold.
 */
export function connectionOf(call: grpc.ServerDuplexStream<unknown, unknown>): object {
  const inner = (call as unknown as { call?: { stream?: { session?: unknown } } }).call;
  const session = inner?.stream?.session;
  return typeof session === 'object' && session !== null ? session : call;
}
