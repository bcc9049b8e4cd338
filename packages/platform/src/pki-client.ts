/**
 * A @cnpaas/kube client as one identity of a state dir's PKI: the
 * certificate `cnpaas up` wrote to `<pkiDir>/<identity>.crt` (the admin's by
 * default). Tests, the e2e demo and the benchmarks use it where kubectl (one
 * process per call) is too slow, or where a request must be made as someone
 * else.
 */
import path from 'node:path';
import { KubeClient } from '@cnpaas/kube';

export interface PkiClientOptions {
  /** https://host:port of kube-apiserver. */
  server: string;
  /** The state dir's pki/ (ca.crt, <identity>.crt, <identity>.key). */
  pkiDir: string;
  /** Default admin. */
  identity?: string;
  /** Socket idle timeout of a request that names none; default 15 s. */
  requestTimeoutMs?: number;
}

export function kubeClientFromPki(options: PkiClientOptions): KubeClient {
  const file = (name: string): string => path.join(options.pkiDir, name);
  const identity = options.identity ?? 'admin';
  return KubeClient.fromFiles(
    {
      server: options.server,
      caFile: file('ca.crt'),
      client: { certFile: file(`${identity}.crt`), keyFile: file(`${identity}.key`) },
    },
    { requestTimeoutMs: options.requestTimeoutMs ?? 15_000 },
  );
}
