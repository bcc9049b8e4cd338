/**
 * Helpers for tests that run the real parts: certificates for real TLS
 * (CAs and leaves, generated per run; `testPki` for a server that checks
 * client certificates), one HTTPS call read to the end (httpsCall), a
 * launcher run without its build (runUnbuiltLauncher) and a log destination
 * whose lines the test reads back. Its own entry point, `@cnpaas/service-kit/testing`, for
 * test code only: it needs `selfsigned`, which packages have as a
 * devDependency.
 */
import { Writable } from 'node:stream';
import { generate } from 'selfsigned';

/** A pino destination that keeps each JSON line. */
export function collectLines(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      callback();
    },
  });
  return { destination, lines };
}

export interface Pem {
  cert: string;
  key: string;
}

export async function testCa(commonName: string): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface TestLeafOptions {
  commonName: string;
  ca: Pem;
  usage: 'server' | 'client';
  /** For a server: its DNS names besides IP 127.0.0.1; default localhost. */
  dnsNames?: string[];
}

export async function testLeaf(options: TestLeafOptions): Promise<Pem> {
  const server = options.usage === 'server';
  const altNames = [
    ...(options.dnsNames ?? ['localhost']).map((value) => ({ type: 2 as const, value })),
    { type: 7 as const, ip: '127.0.0.1' },
  ];
  const pems = await generate([{ name: 'commonName', value: options.commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: options.ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      server ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(server ? [{ name: 'subjectAltName' as const, altNames }] : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface TestPkiOptions {
  /** CN of the serving certificate (127.0.0.1 and localhost). */
  server: string;
  /** CN of the client certificate the server lets in. */
  client: string;
  /** DNS names of the serving certificate; default localhost. An aggregated API's needs `<service>.<namespace>.svc`. */
  serverDnsNames?: string[];
}

/** A server that checks client certificates, and the callers a test needs to prove it. */
export interface TestPki {
  /** Signs the serving and the client certificates. */
  ca: Pem;
  server: Pem;
  /** Signed by `ca`, the CN the server allows. */
  client: Pem;
  /** Signed by `ca`, another CN. */
  otherClient: Pem;
  /** The allowed CN, signed by an unrelated CA. */
  strangerClient: Pem;
}

export async function testPki(options: TestPkiOptions): Promise<TestPki> {
  const [ca, stranger] = await Promise.all([testCa('cnpaas-test-ca'), testCa('some-other-ca')]);
  const [server, client, otherClient, strangerClient] = await Promise.all([
    testLeaf({
      commonName: options.server,
      ca,
      usage: 'server',
      ...(options.serverDnsNames ? { dnsNames: options.serverDnsNames } : {}),
    }),
    testLeaf({ commonName: options.client, ca, usage: 'client' }),
    testLeaf({ commonName: 'someone-else', ca, usage: 'client' }),
    testLeaf({ commonName: options.client, ca: stranger, usage: 'client' }),
  ]);
  return { ca, server, client, otherClient, strangerClient };
}

export { requestAudit, type AuditedRequest, type RequestAudit, type RequestAuditOptions } from './request-audit.js';
export { seededRandom } from './seeded-random.js';
export { pool, waitFor } from './testing/wait-for.js';
export { httpsCall, type HttpsCallOptions, type HttpsReply } from './https-call.js';
export { notBuiltRun, runUnbuiltLauncher, type UnbuiltRun } from './unbuilt-launcher.js';
export { thrownBy } from './testing/thrown-by.js';
export { userKubeConfig, type KubeconfigIssuer } from './testing/user-kube-config.js';
export { testMtlsComponentOptions } from './testing/mtls-component-options.js';
