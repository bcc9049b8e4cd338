/**
 * Helpers for tests that run the real parts: certificates for real TLS
 * (CAs and leaves, generated per run) and a log destination whose lines the
 * test reads back. Its own entry point, `@cnpaas/service-kit/testing`, for
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
  const altNames = [...(options.dnsNames ?? ['localhost']).map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }];
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
