import type * as grpc from '@grpc/grpc-js';

/** Where a call served by the lean path (lean/lean-call.ts) names its HTTP/2 session. */
export const CONNECTION = Symbol('connection');

/**
 * The client connection (HTTP/2 session) a call arrived on, as an identity
 * for per-connection limits. A lean call names it; grpc-js has no public
 * handle for it, so this reads its internals (the server call's http2
 * stream); if they change shape, the call itself stands in and a limit
 * becomes per stream, which still bounds what one stream can hold. Both
 * paths serve the same sessions, so a connection's watchers are counted
 * together whichever path their streams took.
 */
export function connectionOf(call: grpc.ServerDuplexStream<unknown, unknown>): object {
  const lean = (call as unknown as { [CONNECTION]?: object })[CONNECTION];
  if (lean) return lean;
  const inner = (call as unknown as { call?: { stream?: { session?: unknown } } }).call;
  const session = inner?.stream?.session;
  return typeof session === 'object' && session !== null ? session : call;
}
