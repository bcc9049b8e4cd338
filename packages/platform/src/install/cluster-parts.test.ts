/**
 * Install's side of the services' cluster parts, without a cluster: the
 * webshop's part as install previews it before the first write, the context's
 * refusals, and a service without a cluster part refused before the cluster
 * is asked anything.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { service as webshop } from '@cnpaas/webshop';
import type { ServiceClusterPart } from '@cnpaas/service-kit';
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { describe, expect, it } from 'vitest';
import { writeServicePackage } from '../test-support/service-package.js';
import { useTempDir } from '../test-support/temp-dir.js';
import { clusterPartObjects } from './cluster-context.js';
import { install } from './install.js';

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
const data = (o: ManifestObject | undefined): Record<string, string> => (o?.['data'] ?? {}) as Record<string, string>;

describe("the services' cluster parts, as install uses them", () => {
  const tmp = useTempDir('cnpaas-parts-');

  /** install with a cluster that does not exist: any refusal must come before it is asked anything. */
  function installWithoutCluster(services: string[]): ReturnType<typeof install> {
    const ca = path.join(tmp.dir, 'ca.crt');
    writeFileSync(ca, 'not read before the services are');
    return install({
      kubeconfig: path.join(tmp.dir, 'no-such.kubeconfig'),
      kubectl: '/nonexistent/kubectl',
      overlay: 'cluster',
      services,
      webhookClientCaFile: ca,
    });
  }

  it("makes the webshop's per-install objects: its delivery CA first, the demo trigger filled in", async () => {
    const part = webshop.cluster!;
    expect(part.serving.map((s) => s.service)).toEqual([
      'cnpaas-webhooks',
      'cnpaas-api',
      'cnpaas-email-function',
      'cnpaas-smtp',
    ]);
    const objects = await clusterPartObjects({
      parts: [part],
      namespace: part.namespace,
      cluster: undefined,
      dir: tmp.dir,
      servingCaPem: 'SERVING-CA',
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'Secret/cnpaas-system/cnpaas-trigger-delivery-ca',
      'ConfigMap/cnpaas-system/cnpaas-trigger-delivery-ca',
      'Secret/cnpaas-system/cnpaas-smtp-auth',
      'Secret/cnpaas-system/cnpaas-email-function-smtp',
      'ConfigMap/cnpaas-system/cnpaas-smtp-ca',
      'Secret/cnpaas-system/cnpaas-console-token',
      'Secret/cnpaas-system/cnpaas-verification-key',
      'Secret/cnpaas-system/email-trigger-delivery',
      'HTTPTrigger/cnpaas-system/email',
    ]);
    const byName = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    // The delivery client certificate is signed by the CA whose Secret and ConfigMap go with it.
    const caPem = decode(data(byName('Secret', 'cnpaas-trigger-delivery-ca'))['tls.crt']!);
    expect(data(byName('ConfigMap', 'cnpaas-trigger-delivery-ca'))['ca.crt']).toBe(caPem);
    const client = new X509Certificate(decode(data(byName('Secret', 'email-trigger-delivery'))['tls.crt']!));
    expect(client.subject).toBe('CN=cnpaas-trigger');
    expect(client.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    // The serving CA install chose is the trigger's caBundle and the function's SMTP CA.
    const trigger = byName('HTTPTrigger', 'email') as unknown as { spec: { url: string; tls: { caBundle: string } } };
    expect(decode(trigger.spec.tls.caBundle)).toBe('SERVING-CA');
    expect(trigger.spec.url).toBe('https://cnpaas-email-function.cnpaas-system.svc/email');
    expect(data(byName('ConfigMap', 'cnpaas-smtp-ca'))['ca.crt']).toBe('SERVING-CA');
    // The function's SMTP password is the sink's.
    const password = decode(data(byName('Secret', 'cnpaas-smtp-auth'))['password']!);
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(decode(data(byName('Secret', 'cnpaas-email-function-smtp'))['smtp-password']!)).toBe(password);
    // What install suggests next comes from the part too, with the caller's kubeconfig.
    expect(part.nextSteps?.({ kubeconfig: '/k', namespace: 'cnpaas-system' })).toEqual([
      'kubectl --kubeconfig /k create -f examples/registration.yaml   # a registration, answered by the cluster',
      'kubectl --kubeconfig /k -n cnpaas-system port-forward svc/cnpaas-console 8090   # the web console at http://127.0.0.1:8090/',
      "kubectl --kubeconfig /k -n cnpaas-system get secret cnpaas-console-token -o jsonpath='{.data.token}' | base64 -d   # its token",
    ]);
  });

  it('refuses a certificate from a CA the part did not make with ownCa', async () => {
    const part: ServiceClusterPart = {
      deployDir: tmp.dir,
      namespace: 'x-system',
      serving: [],
      objects: async (ctx) => {
        await ctx.issue({ secret: 'x', commonName: 'x', usage: 'client', ca: { secret: 'nobody', certPem: '' } });
        return [];
      },
    };
    await expect(
      clusterPartObjects({
        parts: [part],
        namespace: part.namespace,
        cluster: undefined,
        dir: tmp.dir,
        servingCaPem: '',
      }),
    ).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: expect.stringContaining('CA nobody, which ctx.ownCa did not make') as string,
    });
  });

  it('refuses a service without a cluster part before it asks the cluster anything', async () => {
    const pkg = writeServicePackage(
      tmp.dir,
      'local-only',
      "export const service = { name: 'local-only', ports: {}, components: async () => [] };",
    );
    await expect(installWithoutCluster([pkg])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message: `${pkg} (service local-only) has no cluster part, so cnpaas install cannot put it into a cluster`,
    });
  });

  it('refuses services in two namespaces before it asks the cluster anything', async () => {
    const pkg = writeServicePackage(
      tmp.dir,
      'elsewhere',
      `export const service = { name: 'elsewhere', ports: {}, components: async () => [], cluster: { deployDir: ${JSON.stringify(tmp.dir)}, namespace: 'elsewhere', serving: [], objects: async () => [] } };`,
    );
    await expect(installWithoutCluster(['@cnpaas/webshop', pkg])).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_SERVICE',
      message:
        'the services to install name 2 namespaces (cnpaas-system, elsewhere), and one install puts its services into one',
    });
  });
});
