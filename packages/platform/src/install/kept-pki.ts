/**
 * Key pairs `cnpaas install` keeps in the cluster: a CA or a certificate is
 * read back from its kubernetes.io/tls Secret into a private directory, so
 * the CA class reuses it while it is good (present, not near expiry, the
 * same names) and issues a new one otherwise. The caller removes the
 * directory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { CertificateAuthority, type CertificateSpec } from '../pki.js';
import type { Cluster } from './cluster.js';

type SecretObject = { data?: Record<string, string> };

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');

/** An installed Secret: `name` in the install's `namespace`. */
export interface SecretRef {
  namespace: string;
  name: string;
}

async function readSecret(cluster: Cluster, ref: SecretRef): Promise<SecretObject | undefined> {
  return cluster.get<SecretObject>(`/api/v1/namespaces/${ref.namespace}/secrets/${ref.name}`);
}

/** Key `key` of an installed Secret, decoded; undefined when there is none. */
export async function installedValue(cluster: Cluster, ref: SecretRef, key: string): Promise<string | undefined> {
  return unb64((await readSecret(cluster, ref))?.data?.[key]);
}

export function secret(ref: SecretRef, data: Record<string, string>, type = 'Opaque'): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ref.namespace },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

/** Writes an existing key pair from a Secret into `dir` as `<name>.{crt,key}`, so the CA class reuses it. */
async function restore(options: {
  cluster: Cluster | undefined;
  dir: string;
  secret: SecretRef;
  name: string;
}): Promise<void> {
  const { cluster, dir, name } = options;
  if (!cluster) return;
  const found = await readSecret(cluster, options.secret);
  const cert = unb64(found?.data?.['tls.crt']);
  const key = unb64(found?.data?.['tls.key']);
  if (cert && key) {
    writeFileSync(path.join(dir, `${name}.crt`), cert);
    writeFileSync(path.join(dir, `${name}.key`), key, { mode: 0o600 });
  }
}

/** A certificate from `ca`, reused from Secret `secretName` while good. Without a cluster, always a new one. */
export async function keptCertificate(options: {
  ca: CertificateAuthority;
  cluster: Cluster | undefined;
  dir: string;
  secret: SecretRef;
  spec: CertificateSpec;
}): Promise<{ certPem: string; keyPem: string }> {
  await restore({ cluster: options.cluster, dir: options.dir, secret: options.secret, name: options.spec.name });
  const files = await options.ca.issue(options.dir, options.spec);
  return { certPem: readFileSync(files.cert, 'utf8'), keyPem: readFileSync(files.key, 'utf8') };
}

/** A CA kept in the kubernetes.io/tls Secret `secretName`, and that Secret. Without a cluster, a new one. */
export async function keptCa(options: {
  cluster: Cluster | undefined;
  dir: string;
  secret: SecretRef;
  commonName: string;
}): Promise<{ ca: CertificateAuthority; object: ManifestObject; certPem: string }> {
  const { cluster, dir, commonName } = options;
  const { name } = options.secret;
  await restore({ cluster, dir, secret: options.secret, name });
  const ca = await CertificateAuthority.loadOrCreate(dir, name, commonName);
  const certPem = readFileSync(ca.files.cert, 'utf8');
  const keyPem = readFileSync(ca.files.key, 'utf8');
  return {
    ca,
    object: secret(options.secret, { 'tls.crt': certPem, 'tls.key': keyPem }, 'kubernetes.io/tls'),
    certPem,
  };
}
