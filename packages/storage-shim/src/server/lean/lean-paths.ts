import type * as grpc from '@grpc/grpc-js';
import type * as http2 from 'node:http2';
import { StoreError } from '../../errors.js';
import { type CallError, type LeanCodec, LeanDuplexCall, serveUnary } from './lean-call.js';

/**
 * The lean gRPC path: the hot methods (KV and Watch) served straight on
 * node:http2, beside grpc-js on the same listeners.
 *
 * grpc-js still creates and binds every listener, so TLS and client
 * certificates, unix sockets, sessions, keepalive, graceful shutdown and
 * every other method stay exactly its own. Each bound HTTP/2 server gets one
 * 'stream' listener in place of grpc-js's: a call to a lean method goes to
 * lean-call.ts, any other stream to grpc-js's own listener, unchanged. A call
 * that asks for a message encoding (compression) also goes to grpc-js, which
 * implements them.
 *
 * The methods come from the same service definitions and handlers grpc-js
 * is given, so both paths decode, check, meter and answer alike.
 */

export type GrpcImpl = 'grpc-js' | 'lean';

interface LeanMethod extends LeanCodec {
  kind: 'unary' | 'bidi';
  handler: (...args: never[]) => void;
}

/** A service's unary and bidirectional methods for the lean path; other shapes stay with grpc-js. */
export function leanMethods(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): LeanMethod[] {
  const out: LeanMethod[] = [];
  for (const [name, method] of Object.entries(definition)) {
    const handler = implementation[name];
    if (!handler || method.requestStream !== method.responseStream) continue;
    out.push({
      path: method.path,
      kind: method.requestStream ? 'bidi' : 'unary',
      decode: method.requestDeserialize,
      encode: method.responseSerialize as (response: unknown) => Buffer,
      handler: handler as LeanMethod['handler'],
    });
  }
  return out;
}

type StreamListener = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  flags: number,
  rawHeaders: string[],
) => void;

function cannotAttach(reason: string): StoreError {
  return new StoreError(
    'CNPAAS_STORE_GRPC_IMPL',
    `the lean gRPC path cannot attach to grpc-js's listeners: ${reason}`,
    'start the store with --grpc-impl=grpc-js, or install the grpc-js version the store pins',
  );
}

/** True when the lean path may serve the call: a gRPC content type and no message encoding to undo. */
function plainGrpc(headers: http2.IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (typeof type !== 'string' || !type.startsWith('application/grpc')) return false;
  const encoding = headers['grpc-encoding'];
  return encoding === undefined || encoding === 'identity';
}

/**
 * Routes the lean methods of every HTTP/2 server `server` has bound to the
 * lean path. grpc-js keeps its servers in a private map (it has no public
 * way to share an HTTP/2 server); if that changes shape, start-up stops
 * with an error pointing at --grpc-impl=grpc-js rather than serving slower
 * without saying so.
 */
export function attachLeanPaths(
  server: grpc.Server,
  methods: LeanMethod[],
  options: { maxReceiveBytes: number },
): void {
  const table = new Map(methods.map((m) => [m.path, m]));
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) throw cannotAttach('its server map is missing');
  for (const h2 of servers.keys() as Iterable<http2.Http2Server>) {
    const listeners = h2.listeners('stream') as StreamListener[];
    if (listeners.length !== 1) throw cannotAttach(`a server has ${listeners.length} stream listeners, not 1`);
    const fallback = listeners[0]!;
    h2.removeListener('stream', fallback);
    h2.on('stream', (stream: http2.ServerHttp2Stream, headers, flags: number, rawHeaders: string[]) => {
      const method = table.get(headers[':path'] ?? '');
      if (!method || !plainGrpc(headers)) return fallback.call(h2, stream, headers, flags, rawHeaders);
      if (method.kind === 'unary') {
        serveUnary(stream, headers, {
          codec: method,
          maxReceiveBytes: options.maxReceiveBytes,
          handler: method.handler as Parameters<typeof serveUnary>[2]['handler'],
        });
        return;
      }
      const call = new LeanDuplexCall(stream, headers, { codec: method, maxReceiveBytes: options.maxReceiveBytes });
      try {
        (method.handler as (call: LeanDuplexCall) => void)(call);
      } catch (err) {
        call.destroy(err as CallError);
        return;
      }
      call.start();
    });
  }
}
