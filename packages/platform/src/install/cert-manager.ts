/**
 * The serving certificates from cert-manager, when the cluster runs it.
 *
 * Install then makes no serving key of its own. It applies a chain of
 * cert-manager objects in the services' namespace: a self-signed Issuer, a CA
 * Certificate from it (ten years), a CA Issuer on that CA, and one
 * Certificate per serving Secret the Deployments mount (the same Secret
 * names and DNS names install would issue itself). It waits until each is
 * Ready and reads the CA from the CA Certificate's Secret: that PEM is the
 * caBundle of the webhook configurations, the APIService and whatever a
 * service's objects call (a trigger, say), as with install's own CA. cert-manager renews the serving
 * certificates by itself; the webhook configurations and the APIService also
 * carry cert-manager's `inject-ca-from` annotation, so its CA injector keeps
 * their caBundle current if the CA is ever re-issued.
 *
 * The Secrets cert-manager writes carry install's label (secretTemplate), so
 * they count as install's own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServingSecret } from '@cnpaas/service-kit';
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { PlatformError } from '../errors.js';
import type { Cluster } from './cluster.js';
import { INSTALLED_BY, INSTALLED_BY_LABEL } from './names.js';

export const CERT_MANAGER_API = 'cert-manager.io/v1';
/** cert-manager's CA injector fills caBundle from the named Certificate's CA. */
export const INJECT_CA_FROM = 'cert-manager.io/inject-ca-from';

export const PKI_MODES = ['auto', 'self', 'cert-manager'] as const;
export type PkiMode = (typeof PKI_MODES)[number];

const SELF_SIGNED_ISSUER = 'cnpaas-selfsigned';
const CA_ISSUER = 'cnpaas-ca';
export const CA_CERTIFICATE = 'cnpaas-ca';
const CA_SECRET = 'cnpaas-cert-manager-ca';

/** The DNS names of a Service's serving certificate (localhost: a component run beside a local control plane). */
export function servingDnsNames({ service, namespace }: { service: string; namespace: string }): string[] {
  return [
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
    `${service}.${namespace}`,
    service,
    'localhost',
  ];
}

/** Whether the cluster serves cert-manager's Certificate and Issuer kinds. */
export async function servesCertManager(cluster: Cluster): Promise<boolean> {
  const kinds = await cluster.resourcesOf(CERT_MANAGER_API);
  return kinds?.has('Certificate') === true && kinds.has('Issuer');
}

/** Decides between install's own CA and cert-manager; an explicit cert-manager on a cluster without it is an error. */
export async function choosePki(cluster: Cluster, mode: PkiMode): Promise<'self' | 'cert-manager'> {
  if (mode === 'self') return 'self';
  const served = await servesCertManager(cluster);
  if (served) return 'cert-manager';
  if (mode === 'cert-manager') {
    throw new PlatformError(
      'CNPAAS_PLATFORM_INSTALL',
      `--pki cert-manager, but the cluster does not serve ${CERT_MANAGER_API} Certificates and Issuers`,
      {
        hint: 'install cert-manager first (https://cert-manager.io/docs/installation/), or pass --pki self to let cnpaas install make its own CA',
      },
    );
  }
  return 'self';
}

/** The Issuers and Certificates, in the order they depend on each other, in the install's `namespace`. */
export function certManagerObjects(serving: readonly ServingSecret[], namespace: string): ManifestObject[] {
  const object = (kind: string, name: string, spec: object): ManifestObject => ({
    apiVersion: CERT_MANAGER_API,
    kind,
    metadata: { name, namespace },
    spec,
  });
  const secretTemplate = { labels: { [INSTALLED_BY_LABEL]: INSTALLED_BY } };
  return [
    object('Issuer', SELF_SIGNED_ISSUER, { selfSigned: {} }),
    object('Certificate', CA_CERTIFICATE, {
      isCA: true,
      commonName: 'cnpaas install CA (cert-manager)',
      secretName: CA_SECRET,
      secretTemplate,
      // The caBundles install writes name this CA: keep it long-lived (the injector covers a re-issue).
      duration: '87600h',
      privateKey: { algorithm: 'ECDSA', size: 256 },
      issuerRef: { kind: 'Issuer', name: SELF_SIGNED_ISSUER },
    }),
    object('Issuer', CA_ISSUER, { ca: { secretName: CA_SECRET } }),
    ...serving.map(({ secret, service }) =>
      object('Certificate', secret, {
        commonName: service,
        dnsNames: servingDnsNames({ service, namespace }),
        secretName: secret,
        secretTemplate,
        usages: ['server auth', 'digital signature', 'key encipherment'],
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { kind: 'Issuer', name: CA_ISSUER },
      }),
    ),
  ];
}

type CertificateStatus = { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } };

/**
 * Waits until every Certificate is Ready, saying which ones it waits for, then returns the CA's PEM.
 * A Certificate that cert-manager marks failed (Ready=False with a reason other than in-progress)
 * keeps being waited for until the deadline: cert-manager retries on its own.
 */
export async function awaitCertificates(options: {
  cluster: Cluster;
  namespace: string;
  names: readonly string[];
  timeoutMs: number;
  say: (line: string) => void;
}): Promise<string> {
  const { cluster, namespace, names, say } = options;
  const deadline = Date.now() + options.timeoutMs;
  say(
    `… waiting for cert-manager to issue ${names.length} certificates (up to ${Math.round(options.timeoutMs / 1000)}s)`,
  );
  let pending = [...names];
  let last = '';
  while (pending.length > 0) {
    const still: string[] = [];
    for (const name of pending) {
      const cert = await cluster.get<CertificateStatus>(
        `/apis/${CERT_MANAGER_API}/namespaces/${namespace}/certificates/${name}`,
      );
      const ready = cert?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') {
        still.push(name);
        if (ready?.message) last = `${name}: ${ready.message}`;
      }
    }
    pending = still;
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_INSTALL',
        `cert-manager did not issue ${pending.join(', ')} in time${last ? ` (last: ${last})` : ''}`,
        {
          hint: `look at kubectl -n ${namespace} describe certificate ${pending[0]} and cert-manager's logs; run cnpaas install again once fixed, or pass --pki self`,
        },
      );
    }
    await sleep(500);
  }
  const secret = await cluster.read<{ data?: Record<string, string> }>(
    `/api/v1/namespaces/${namespace}/secrets/${CA_SECRET}`,
  );
  const pem = Buffer.from(secret.data?.['ca.crt'] ?? secret.data?.['tls.crt'] ?? '', 'base64').toString('utf8');
  if (!pem.includes('BEGIN CERTIFICATE')) {
    throw new PlatformError(
      'CNPAAS_PLATFORM_INSTALL',
      `cert-manager's CA Secret ${namespace}/${CA_SECRET} holds no certificate`,
      {
        hint: `look at kubectl -n ${namespace} describe certificate ${CA_CERTIFICATE}; run cnpaas install again once fixed`,
      },
    );
  }
  say(`✓ cert-manager issued the serving certificates`);
  return pem;
}

/** The webhook configurations and the APIService name the Certificate their CA comes from, for cert-manager's injector. */
export function annotateInjection(objects: ManifestObject[], namespace: string): ManifestObject[] {
  const injected = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService']);
  return objects.map((o) => {
    if (!injected.has(o.kind)) return o;
    const metadata = o.metadata as ManifestObject['metadata'] & { annotations?: Record<string, string> };
    return {
      ...o,
      metadata: {
        ...metadata,
        annotations: { ...metadata.annotations, [INJECT_CA_FROM]: `${namespace}/${CA_CERTIFICATE}` },
      },
    };
  });
}
