import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebhooksError } from './errors.js';
import { parseManifests } from '@cnpaas/service-kit/manifests';
import { MANIFEST_FILES, manifestPath, rbacManifests, renderWebhookConfigurations } from './manifests.js';
import { WEBHOOKS } from './routes.js';
import { testPki } from './test-support.js';

interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  reinvocationPolicy?: string;
  clientConfig: { url: string; caBundle: string };
  rules: Array<{
    apiGroups: string[];
    apiVersions: string[];
    resources: string[];
    operations: string[];
    scope: string;
  }>;
}

let caPem: string;
beforeAll(async () => {
  caPem = (await testPki()).ca.cert;
});

function webhooksOf(
  objects: ReturnType<typeof renderWebhookConfigurations>['objects'],
): Map<string, Webhook & { configKind: string }> {
  const all = new Map<string, Webhook & { configKind: string }>();
  for (const o of objects) for (const w of o['webhooks'] as Webhook[]) all.set(w.name, { ...w, configKind: o.kind });
  return all;
}

describe('webhook configurations', () => {
  it('render with the URL and CA bundle, one webhook per route, on the same paths', () => {
    const { objects, yaml } = renderWebhookConfigurations({ baseUrl: 'https://127.0.0.1:9443/', caBundle: caPem });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'MutatingWebhookConfiguration/cnpaas-webhooks',
      'ValidatingWebhookConfiguration/cnpaas-webhooks',
    ]);
    const webhooks = webhooksOf(objects);
    expect([...webhooks.keys()].sort()).toEqual(
      Object.values(WEBHOOKS)
        .map((w) => w.webhook)
        .sort(),
    );
    for (const route of Object.values(WEBHOOKS)) {
      const w = webhooks.get(route.webhook)!;
      expect(w.configKind).toBe(
        route.type === 'mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration',
      );
      expect(w.clientConfig.url).toBe(`https://127.0.0.1:9443${route.path}`);
      expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).toBe(caPem);
      expect(w.admissionReviewVersions).toEqual(['v1']);
      expect(w.failurePolicy).toBe('Fail');
      // Hashing queues under bursts, so the mutating webhook gets the maximum; checks stay short.
      expect(w.timeoutSeconds).toBe(w.configKind === 'MutatingWebhookConfiguration' ? 30 : 10);
      // apiserver rule: a webhook name is a DNS subdomain with at least three segments.
      expect(w.name.split('.').length).toBeGreaterThanOrEqual(3);
    }
    expect(yaml).not.toContain('{{CA_BUNDLE}}"');
    expect(yaml.split('\n---\n')).toHaveLength(2);
  });

  it('declare side effects: claims only on the claim webhooks, and none on dry runs', () => {
    const webhooks = webhooksOf(
      renderWebhookConfigurations({ baseUrl: 'https://127.0.0.1:9443', caBundle: caPem }).objects,
    );
    expect(webhooks.get('mutate-registrationrequests.webshop.cnpaas.dev')).toMatchObject({
      sideEffects: 'None',
      reinvocationPolicy: 'IfNeeded',
    });
    expect(webhooks.get('validate-registrationrequests.webshop.cnpaas.dev')?.sideEffects).toBe('NoneOnDryRun');
    expect(webhooks.get('validate-users.webshop.cnpaas.dev')?.sideEffects).toBe('NoneOnDryRun');
    expect(webhooks.get('validate-tenants.webshop.cnpaas.dev')?.sideEffects).toBe('None');
  });

  it.each([
    ['mutate-registrationrequests.webshop.cnpaas.dev', 'registrationrequests', ['CREATE'], 'Cluster'],
    ['validate-registrationrequests.webshop.cnpaas.dev', 'registrationrequests', ['CREATE', 'UPDATE'], 'Cluster'],
    ['validate-users.webshop.cnpaas.dev', 'users', ['CREATE', 'UPDATE'], 'Namespaced'],
    ['validate-tenants.webshop.cnpaas.dev', 'tenants', ['CREATE', 'UPDATE'], 'Cluster'],
  ])('%s has one rule, exactly for %s on %j (never status, never DELETE)', (name, resource, operations, scope) => {
    const webhooks = webhooksOf(
      renderWebhookConfigurations({ baseUrl: 'https://127.0.0.1:9443', caBundle: caPem }).objects,
    );
    expect(webhooks.get(name)!.rules).toEqual([
      { apiGroups: ['webshop.cnpaas.dev'], apiVersions: ['v1'], resources: [resource], operations, scope },
    ]);
  });

  it.each([
    ['http://127.0.0.1:9443', 'must use https'],
    ['https://user:pw@127.0.0.1:9443', 'must not contain user info'],
    ['https://127.0.0.1:9443?x=1', 'must not have a query'],
    ['https://127.0.0.1:9443#f', 'must not have a fragment'],
    ['127.0.0.1:9443', 'is not a URL'],
    ['not a url', 'is not a URL'],
  ])('refuses base URL %s: %s', (baseUrl, why) => {
    expect(() => renderWebhookConfigurations({ baseUrl, caBundle: caPem })).toThrow(why);
  });

  it('refuses a CA bundle that is not PEM certificates', () => {
    expect(() => renderWebhookConfigurations({ baseUrl: 'https://127.0.0.1:9443', caBundle: 'not pem' })).toThrow(
      WebhooksError,
    );
    expect(() =>
      renderWebhookConfigurations({
        baseUrl: 'https://127.0.0.1:9443',
        caBundle: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      }),
    ).toThrow('does not parse');
  });

  it('keep the cluster form in the committed files: each webhook names Service cnpaas-webhooks on 443 at its path', () => {
    for (const file of [MANIFEST_FILES.mutatingWebhookConfiguration, MANIFEST_FILES.validatingWebhookConfiguration]) {
      const text = readFileSync(manifestPath(file), 'utf8');
      expect(text, file).not.toMatch(/\{\{[A-Z_]+\}\}/);
      for (const o of parseManifests(text, file)) {
        for (const w of o['webhooks'] as Array<{ name: string; clientConfig: Record<string, unknown> }>) {
          const route = Object.values(WEBHOOKS).find((r) => r.webhook === w.name)!;
          expect(w.clientConfig, w.name).toEqual({
            service: { name: 'cnpaas-webhooks', namespace: 'cnpaas-system', port: 443, path: route.path },
          });
        }
      }
    }
  });
});

describe('RBAC', () => {
  it('grants create/get on configmaps in cnpaas-system and list/watch on users, to cnpaas-webhooks only', () => {
    const objects = rbacManifests();
    expect(objects.map((o) => o.kind)).toEqual(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
    expect(objects[0]).toMatchObject({
      metadata: { namespace: 'cnpaas-system' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get'] }],
    });
    expect(objects[2]).toMatchObject({
      rules: [{ apiGroups: ['webshop.cnpaas.dev'], resources: ['users'], verbs: ['list', 'watch'] }],
    });
    for (const binding of [objects[1]!, objects[3]!]) {
      expect(binding['subjects']).toEqual([
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cnpaas-webhooks' },
      ]);
    }
  });
});
