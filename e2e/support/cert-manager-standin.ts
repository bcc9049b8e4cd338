/**
 * A stand-in for cert-manager, for the one test of `cnpaas install --pki
 * cert-manager`. cert-manager's controller cannot run here: its binaries are
 * separate Go modules (cmd/controller, cmd/cainjector) that the Go module
 * proxy this project can reach does not serve, and no image can be pulled.
 * So this does, for the objects install makes, what cert-manager's
 * controller does: it serves the Certificate and Issuer kinds (CRDs whose
 * schemas keep every field, not cert-manager's own), and issues each
 * Certificate into its Secret (tls.crt, tls.key, ca.crt, the secretTemplate's
 * labels) from a selfSigned or a ca Issuer, then sets Ready=True. Everything
 * install does with them (the order, the wait, reading the CA, the caBundles)
 * runs against a real kube-apiserver.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeClient } from '@cnpaas/kube';
import { CertificateAuthority } from '@cnpaas/platform';

const GROUP = 'cert-manager.io';

function crd(kind: string, plural: string): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

/** The two CRDs, for `kubectl apply -f -`. */
export function certManagerCrds(): string {
  return [crd('Certificate', 'certificates'), crd('Issuer', 'issuers')].map((o) => JSON.stringify(o)).join('\n');
}

interface Certificate {
  metadata: { name: string; namespace: string };
  spec: {
    isCA?: boolean;
    commonName?: string;
    dnsNames?: string[];
    secretName: string;
    secretTemplate?: { labels?: Record<string, string> };
    issuerRef: { name: string };
  };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

interface Issuer {
  spec: { selfSigned?: object; ca?: { secretName: string } };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

export class CertManagerStandIn {
  readonly issued: string[] = [];
  /** The last error of a pass (before the CRDs are served every pass fails), for a failing test to show. */
  lastError: string | undefined;
  readonly #admin: KubeClient;
  readonly #dir = mkdtempSync(path.join(tmpdir(), 'cert-manager-standin-'));
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(admin: KubeClient) {
    this.#admin = admin;
  }

  start(): void {
    this.#loop = (async () => {
      // Bounded: the test takes a minute at most.
      for (let i = 0; i < 1200 && !this.#stopped; i++) {
        await this.#pass().catch((err: unknown) => {
          this.lastError = (err as Error).message;
        });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #pass(): Promise<void> {
    const list = await this.#admin.json<{ items: Certificate[] }>({
      method: 'GET',
      path: `/apis/${GROUP}/v1/certificates`,
    });
    // Each on its own: a Certificate whose CA is not issued yet waits for a later pass, as in cert-manager.
    for (const cert of list.items) {
      if (cert.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      await this.#issue(cert).catch((err: unknown) => {
        this.lastError = (err as Error).message;
      });
    }
  }

  async #issue(cert: Certificate): Promise<void> {
    const { namespace, name } = cert.metadata;
    const issuer = await this.#admin.json<Issuer>({
      method: 'GET',
      path: `/apis/${GROUP}/v1/namespaces/${namespace}/issuers/${cert.spec.issuerRef.name}`,
    });
    const dir = mkdtempSync(path.join(this.#dir, `${name}-`));
    let data: Record<string, string>;
    if (issuer.spec.selfSigned) {
      const ca = await CertificateAuthority.loadOrCreate(dir, name, cert.spec.commonName ?? name);
      const crt = readFileSync(ca.files.cert, 'utf8');
      data = { 'tls.crt': crt, 'tls.key': readFileSync(ca.files.key, 'utf8'), 'ca.crt': crt };
    } else if (issuer.spec.ca) {
      const secret = await this.#admin.json<{ data: Record<string, string> }>({
        method: 'GET',
        path: `/api/v1/namespaces/${namespace}/secrets/${issuer.spec.ca.secretName}`,
      });
      writeFileSync(path.join(dir, 'issuer.crt'), unb64(secret.data['tls.crt']));
      writeFileSync(path.join(dir, 'issuer.key'), unb64(secret.data['tls.key']), { mode: 0o600 });
      const ca = await CertificateAuthority.loadOrCreate(dir, 'issuer', 'unused');
      const files = await ca.issue(dir, {
        name,
        commonName: cert.spec.commonName ?? name,
        dnsNames: cert.spec.dnsNames ?? [],
        usage: 'server',
      });
      data = {
        'tls.crt': readFileSync(files.cert, 'utf8'),
        'tls.key': readFileSync(files.key, 'utf8'),
        'ca.crt': unb64(secret.data['tls.crt']),
      };
    } else {
      return;
    }
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: cert.spec.secretName, namespace, labels: cert.spec.secretTemplate?.labels ?? {} },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    };
    await this.#admin.json({
      method: 'PATCH',
      path: `/api/v1/namespaces/${namespace}/secrets/${cert.spec.secretName}?fieldManager=cert-manager-standin&force=true`,
      body,
      contentType: 'application/apply-patch+yaml',
    });
    await this.#admin.json({
      method: 'PATCH',
      path: `/apis/${GROUP}/v1/namespaces/${namespace}/certificates/${name}/status`,
      body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'issued' }] } },
      contentType: 'application/merge-patch+json',
    });
    this.issued.push(`${namespace}/${name}`);
  }
}
