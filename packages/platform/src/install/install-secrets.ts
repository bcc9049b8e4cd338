/**
 * The per-install values `cnpaas install` makes: a CA of its own and the
 * serving certificates it signs for each Service, the trigger's delivery CA
 * and client certificate, the demo SMTP server's password, the web console's
 * token, the key that signs verification links, and copies of the
 * two CAs the cluster owns (the front proxy's, for the aggregated API, and the
 * one that signs kube-apiserver's webhook client certificate).
 *
 * Everything lives in the cluster, as Secrets and ConfigMaps in cnpaas-system,
 * so running install again reuses it: a certificate is re-issued only when it
 * is missing, near expiry or names other hosts, and a password never changes.
 * The CA's key is handled in a private temporary directory that is removed
 * before this returns (the CA class works on files).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeCaBundle, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';
import { CertificateAuthority, type CertificateSpec } from '../pki.js';
import { servingDnsNames, type ServingSecret } from './cert-manager.js';
import type { Cluster } from './cluster.js';
import { SYSTEM_NAMESPACE } from './names.js';
import { VERIFICATION_KEY_SECRET } from '@cnpaas/webshop-api';
import { newVerificationKey, verificationKeySecret } from '@cnpaas/webshop';

/** The Services that serve TLS, each with the Secret its pods mount (deploy/base). */
export const SERVING: readonly ServingSecret[] = [
  { secret: 'cnpaas-webhooks-serving', service: 'cnpaas-webhooks' },
  { secret: 'cnpaas-api-serving', service: 'cnpaas-api' },
  { secret: 'cnpaas-email-function-serving', service: 'cnpaas-email-function' },
  { secret: 'cnpaas-smtp-serving', service: 'cnpaas-smtp' },
];

export const SMTP_USER = 'cnpaas';
const SMTP_PORT = 2525;

export interface InstallSecrets {
  /** Secrets and ConfigMaps to apply before the Deployments. */
  objects: ManifestObject[];
  /** PEM of the CA that signed every serving certificate: the caBundle of webhooks, APIService and trigger. */
  servingCaPem: string;
  /** Names the aggregator's front-proxy certificate may carry; empty: the API server's default. */
  frontProxyAllowedNames: string[];
  /** The demo trigger's delivery identity (its Secret email-trigger-delivery), as PEM. */
  delivery: { caPem: string; certPem: string; keyPem: string };
}

export interface InstallSecretsOptions {
  cluster: Cluster;
  /** PEM of the CA that signs kube-apiserver's webhook client certificate. */
  webhookClientCaPem: string;
  /** cert-manager issues the serving certificates (cert-manager.ts): its CA's PEM; install then makes none. */
  servingCaPem?: string | undefined;
}

type SecretObject = { data?: Record<string, string> };
type ConfigMapObject = { data?: Record<string, string> };

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');

/** A random value kept in a Secret: the one already installed, else a new one (so a re-install changes nothing). */
async function reuseOrMake(cluster: Cluster, secretName: string, key: string): Promise<string> {
  const existing = await cluster.get<SecretObject>(`/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets/${secretName}`);
  return unb64(existing?.data?.[key]) ?? randomBytes(24).toString('base64url');
}

function secret(name: string, data: Record<string, string>, type = 'Opaque'): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: SYSTEM_NAMESPACE },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

function configMap(name: string, data: Record<string, string>): ManifestObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: SYSTEM_NAMESPACE }, data };
}

/** `pem` as given, once every certificate in it parses (the kit's caBundle check), else an error naming `what`. */
function checkPem(pem: string, what: string): string {
  encodeCaBundle(
    pem,
    (_kind, message, options) =>
      new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        `${what} is not a PEM CA certificate: ${message}`,
        'pass the CA certificate file (-----BEGIN CERTIFICATE-----...)',
        { cause: options.cause },
      ),
  );
  return pem;
}

/** Writes an existing key pair from a Secret into `dir` as `<name>.{crt,key}`, so the CA class reuses it. */
async function restore(cluster: Cluster, dir: string, secretName: string, name: string): Promise<void> {
  const found = await cluster.get<SecretObject>(`/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets/${secretName}`);
  const cert = unb64(found?.data?.['tls.crt']);
  const key = unb64(found?.data?.['tls.key']);
  if (cert && key) {
    writeFileSync(path.join(dir, `${name}.crt`), cert);
    writeFileSync(path.join(dir, `${name}.key`), key, { mode: 0o600 });
  }
}

async function issue(options: {
  ca: CertificateAuthority;
  cluster: Cluster;
  dir: string;
  secretName: string;
  spec: CertificateSpec;
}): Promise<{ certPem: string; keyPem: string }> {
  await restore(options.cluster, options.dir, options.secretName, options.spec.name);
  const files = await options.ca.issue(options.dir, options.spec);
  return { certPem: readFileSync(files.cert, 'utf8'), keyPem: readFileSync(files.key, 'utf8') };
}

async function loadCa(cluster: Cluster, dir: string, secretName: string, commonName: string) {
  await restore(cluster, dir, secretName, secretName);
  const ca = await CertificateAuthority.loadOrCreate(dir, secretName, commonName);
  const certPem = readFileSync(ca.files.cert, 'utf8');
  const keyPem = readFileSync(ca.files.key, 'utf8');
  return { ca, object: secret(secretName, { 'tls.crt': certPem, 'tls.key': keyPem }, 'kubernetes.io/tls'), certPem };
}

/** Install's own serving CA and a certificate per Service, as Secrets into `objects`; returns the CA's PEM. */
async function issueServing(options: { cluster: Cluster; dir: string; objects: ManifestObject[] }): Promise<string> {
  const { cluster, dir, objects } = options;
  const serving = await loadCa(cluster, dir, 'cnpaas-install-ca', 'cnpaas install CA');
  objects.push(serving.object);
  for (const { secret: secretName, service } of SERVING) {
    const pair = await issue({
      ca: serving.ca,
      cluster,
      dir,
      secretName,
      // Also localhost (in servingDnsNames): a component's command run outside its pod, beside a local
      // control plane (the in-cluster test), is reached by that name. Only this install's CA vouches for it.
      spec: { name: secretName, commonName: service, dnsNames: servingDnsNames(service), usage: 'server' },
    });
    objects.push(secret(secretName, { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem }, 'kubernetes.io/tls'));
  }
  return serving.certPem;
}

export async function installSecrets(options: InstallSecretsOptions): Promise<InstallSecrets> {
  const { cluster } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'cnpaas-install-'));
  try {
    const objects: ManifestObject[] = [];
    const servingCaPem = options.servingCaPem ?? (await issueServing({ cluster, dir, objects }));
    // The trigger's delivery identity comes from a CA only the email function trusts.
    const deliveryCa = await loadCa(cluster, dir, 'cnpaas-trigger-delivery-ca', 'cnpaas trigger delivery CA');
    objects.push(deliveryCa.object, configMap('cnpaas-trigger-delivery-ca', { 'ca.crt': deliveryCa.certPem }));
    const delivery = await issue({
      ca: deliveryCa.ca,
      cluster,
      dir,
      secretName: 'email-trigger-delivery',
      spec: { name: 'email-trigger-delivery', commonName: 'cnpaas-trigger', usage: 'client' },
    });

    const password = await reuseOrMake(cluster, 'cnpaas-smtp-auth', 'password');
    objects.push(
      secret('cnpaas-smtp-auth', { password }),
      secret('cnpaas-email-function-smtp', {
        'smtp-host': `cnpaas-smtp.${SYSTEM_NAMESPACE}.svc`,
        'smtp-port': String(SMTP_PORT),
        'smtp-username': SMTP_USER,
        'smtp-password': password,
        'smtp-tls': 'starttls',
      }),
      configMap('cnpaas-smtp-ca', { 'ca.crt': servingCaPem }),
      // Off loopback the console serves its API only to callers with this token (its Deployment reads it).
      secret('cnpaas-console-token', { token: await reuseOrMake(cluster, 'cnpaas-console-token', 'token') }),
      // Kept when present: links already mailed must stay valid across re-installs.
      verificationKeySecret(
        unb64(
          (
            await cluster.get<SecretObject>(
              `/api/v1/namespaces/${VERIFICATION_KEY_SECRET.namespace}/secrets/${VERIFICATION_KEY_SECRET.name}`,
            )
          )?.data?.[VERIFICATION_KEY_SECRET.key],
        ) ?? newVerificationKey(),
      ),
      configMap('cnpaas-apiserver-webhook-client-ca', {
        'ca.crt': checkPem(options.webhookClientCaPem, '--webhook-client-ca'),
      }),
    );

    const auth = await cluster.get<ConfigMapObject>(
      '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication',
    );
    const frontProxyCa = auth?.data?.['requestheader-client-ca-file'];
    if (!frontProxyCa) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        'the cluster has no front-proxy CA (kube-system/extension-apiserver-authentication has no requestheader-client-ca-file), so no aggregated API can authenticate the apiserver',
        'start kube-apiserver with --requestheader-client-ca-file and --proxy-client-cert-file (kubeadm and kind do)',
      );
    }
    objects.push(configMap('cnpaas-front-proxy-ca', { 'ca.crt': frontProxyCa }));
    const names = auth?.data?.['requestheader-allowed-names'];
    const frontProxyAllowedNames = names ? (JSON.parse(names) as string[]) : [];

    return {
      objects,
      servingCaPem,
      frontProxyAllowedNames,
      delivery: { caPem: deliveryCa.certPem, ...delivery },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
