import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { parseClientUrl } from '../config/listen-policy.js';
import { StoreError } from '../errors.js';
import type { WatchHub } from '../mvcc/watch-hub.js';
import { clusterService } from './cluster.js';
import { type ServiceContext, WIRE_SIZE } from './context.js';
import { kvService } from './kv.js';
import { leaseService } from './lease.js';
import { maintenanceService } from './maintenance.js';
import { loadEtcdProtos } from './proto.js';
import { type GrpcImpl, attachLeanPaths, leanMethods } from './lean/lean-paths.js';
import { clearStaleSocket, withOwnerOnlyUmask } from './unix-socket.js';
import { type WatchLimits, WatchSessions } from './watch.js';
import { HeaderCodec, ResponseCodec } from './wire/etcd-messages.js';
import { kvDefinition, watchDefinition } from './wire/service-definitions.js';

export interface TlsFiles {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  trustedCaFile?: string | undefined;
  clientCertAuth?: boolean | undefined;
}

export interface GrpcServerOptions {
  ctx: ServiceContext;
  hub: WatchHub;
  listenUrls: string[];
  tls: TlsFiles;
  progressIntervalMs: number;
  watchLimits: WatchLimits;
  /** How long close() lets calls finish before it cuts the connections (default 5 s). */
  shutdownGraceMs?: number;
  /** Who serves KV and Watch: the lean path on node:http2 (default) or grpc-js like every other service. */
  impl?: GrpcImpl;
}

/** How long a graceful stop waits for calls to finish (etcd: its request timeout, 7 s by default). */
const SHUTDOWN_GRACE_MS = 5000;

/** grpc's own framing allowance on top of the request cap, as etcd adds it. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

/** Records each request's encoded size, so the request cap applies to bytes on the wire. */
function withWireSize(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    const decode = method.requestDeserialize;
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        const msg = decode(buf) as Record<symbol, unknown>;
        msg[WIRE_SIZE] = buf.length;
        return msg;
      },
    };
  }
  return out;
}

export interface RunningGrpcServer {
  server: grpc.Server;
  sessions: WatchSessions;
  /** The URLs actually bound (ports resolved). */
  urls: string[];
  close(): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { ctx, hub } = options;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': ctx.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    'grpc.max_send_message_length': -1,
    'grpc.keepalive_permit_without_calls': 1,
  });
  const pkg = loadEtcdProtos().etcdserverpb;
  const sessions = new WatchSessions(ctx, hub, options.progressIntervalMs, options.watchLimits);
  const codec = new ResponseCodec(new HeaderCodec(BigInt(ctx.headers.clusterId), BigInt(ctx.headers.memberId)));
  const kv = { definition: kvDefinition(codec), implementation: kvService(ctx) };
  const watch = { definition: watchDefinition(pkg.Watch.service, codec), implementation: sessions.service() };
  server.addService(kv.definition, kv.implementation);
  server.addService(watch.definition, watch.implementation);
  server.addService(withWireSize(pkg.Lease.service), leaseService(ctx));
  server.addService(pkg.Maintenance.service, maintenanceService(ctx));
  server.addService(pkg.Cluster.service, clusterService(ctx));

  const urls: string[] = [];
  for (const url of options.listenUrls) urls.push(await bind(server, url, options.tls));
  if ((options.impl ?? 'lean') === 'lean') {
    const methods = [kv, watch].flatMap((s) => leanMethods(s.definition, s.implementation));
    try {
      attachLeanPaths(server, methods, { maxReceiveBytes: ctx.maxRequestBytes + GRPC_OVERHEAD_BYTES });
    } catch (err) {
      server.forceShutdown();
      sessions.close();
      throw err;
    }
  }
  ctx.clientUrls.splice(0, ctx.clientUrls.length, ...urls);
  return {
    server,
    sessions,
    urls,
    close: () =>
      new Promise((resolve) => {
        sessions.close();
        let done = false;
        // tryShutdown calls back only when every connection has closed. It never
        // does if a client's connection was torn down but its 'close' was still
        // pending when it ran (grpc-js checks session.closed, not .destroyed;
        // grpc-node#1458), which is common when clients disconnect right at
        // SIGTERM; forceShutdown does not call it either. So: done when no
        // connection is left serving, and after the grace period cut the rest.
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          clearInterval(poll);
          server.forceShutdown();
          resolve();
        };
        const timer = setTimeout(finish, options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
        const poll = setInterval(() => {
          if (openSessions(server) === 0) finish();
        }, 20);
        server.tryShutdown(finish);
      }),
  };
}

/**
 * HTTP/2 connections grpc-js still serves (not torn down), from its internals;
 * undefined if they changed shape, and then tryShutdown's callback or the
 * grace period ends a stop.
 */
function openSessions(server: grpc.Server): number | undefined {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return undefined;
  let n = 0;
  for (const entry of servers.values()) {
    const sessions = (entry as { sessions?: unknown }).sessions;
    if (!(sessions instanceof Set)) return undefined;
    for (const session of sessions) if (!(session as { destroyed?: boolean }).destroyed) n++;
  }
  return n;
}

async function bind(server: grpc.Server, url: string, tls: TlsFiles): Promise<string> {
  const listener = parseClientUrl(url);
  const creds = listener.secure ? serverCredentials(tls, url) : grpc.ServerCredentials.createInsecure();
  const isUnix = listener.host === undefined;
  if (isUnix) await clearStaleSocket(listener.address);
  const bindTo = () =>
    new Promise<number>((resolve, reject) =>
      server.bindAsync(isUnix ? `unix:${listener.address}` : listener.address, creds, (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  const port = await (isUnix ? withOwnerOnlyUmask(bindTo) : bindTo()).catch((err: Error) => {
    throw new StoreError(
      'CNPAAS_STORE_LISTEN',
      `cannot listen on ${url}: ${err.message}`,
      'pick a free port or a writable socket path, or stop the process using it',
    );
  });
  if (isUnix) return url;
  return `${listener.scheme}://${listener.address.replace(/:\d+$/, `:${port}`)}`;
}

function serverCredentials(tls: TlsFiles, url: string): grpc.ServerCredentials {
  if (!tls.certFile || !tls.keyFile) {
    throw new StoreError(
      'CNPAAS_STORE_TLS',
      `${url} needs TLS but --cert-file or --key-file is missing`,
      'pass --cert-file and --key-file, or listen on http:// or unix://',
    );
  }
  if (tls.clientCertAuth && !tls.trustedCaFile) {
    throw new StoreError(
      'CNPAAS_STORE_TLS',
      '--client-cert-auth needs --trusted-ca-file',
      'pass the CA that signs client certificates',
    );
  }
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new StoreError(
        'CNPAAS_STORE_TLS',
        `${flag} ${file} cannot be read: ${(err as Error).message}`,
        `check the path given to ${flag}`,
      );
    }
  };
  const ca = tls.trustedCaFile ? read(tls.trustedCaFile, '--trusted-ca-file') : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: read(tls.certFile, '--cert-file'), private_key: read(tls.keyFile, '--key-file') }],
    !!tls.clientCertAuth,
  );
}
