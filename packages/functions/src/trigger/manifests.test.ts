/**
 * The trigger's manifests as files: they parse, name the right things, every
 * schema property is described, printer columns point at fields, RBAC is
 * least-privilege, and the demo trigger is a valid plan once the platform
 * fills its placeholders. Whether kube-apiserver accepts the CRD (CEL rules,
 * structural schema) and RBAC suffices needs a live apiserver: the live
 * suites in e2e/ and packages/platform/test/.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { undescribedProperties } from '@cnpaas/kube/testing';
import { describe, expect, it } from 'vitest';
import { TRIGGER_MANIFESTS, emailTriggerVars, manifestPath } from '../component.js';
import { planTrigger } from './spec.js';
import { targetPolicy } from './target-policy.js';
import type { HTTPTrigger } from './types.js';

type Doc = Record<string, any>;

function load(file: string, text = readFileSync(manifestPath(file), 'utf8')): Doc[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS() as Doc;
  });
}

/** The properties a schema node declares, sorted. */
const propertyNames = (node: Doc): string[] => Object.keys(node['properties']).sort();

/** The schema node at a dotted path of properties (`spec.delivery`), or undefined where one is missing. */
const nodeAt = (schema: Doc, path: string): Doc | undefined =>
  path.split('.').reduce<Doc | undefined>((node, name) => node?.['properties']?.[name], schema);

describe('CRD httptriggers.platform.cnpaas.dev', () => {
  const [crd] = load(TRIGGER_MANIFESTS.crd) as [Doc];
  const version = crd['spec']['versions'][0];
  const schema = version['schema']['openAPIV3Schema'];

  it('is namespaced HTTPTrigger in platform.cnpaas.dev/v1 with a status subresource', () => {
    expect(crd['metadata']['name']).toBe('httptriggers.platform.cnpaas.dev');
    expect(crd['spec']).toMatchObject({
      group: 'platform.cnpaas.dev',
      scope: 'Namespaced',
      names: { kind: 'HTTPTrigger', plural: 'httptriggers' },
    });
    expect(crd['spec']['versions'].map((v: Doc) => [v['name'], v['served'], v['storage']])).toEqual([
      ['v1', true, true],
    ]);
    expect(version['subresources']).toEqual({ status: {} });
  });

  it('describes every property (kubectl explain)', () => {
    expect(undescribedProperties(schema, 'HTTPTrigger')).toEqual([]);
  });

  it('has the spec and status fields the trigger reads and writes', () => {
    // Each object the trigger reads or writes, with its properties, sorted.
    const properties = {
      spec: 'body delivery eventTypes fieldSelector headers labelSelector method namespaces resource sendInitialEvents service tls url',
      'spec.delivery': 'backoff coalesce concurrency retries timeoutSeconds',
      status:
        'conditions deliveredCount failedCount lastDeliveredResourceVersion lastError lastErrorTime namespaceResourceVersions observedGeneration watchFingerprint',
    };
    for (const [path, names] of Object.entries(properties))
      expect(propertyNames(nodeAt(schema, path)!), path).toEqual(names.split(' '));
    expect(nodeAt(schema, 'spec.eventTypes')!['items']['enum']).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    const status = nodeAt(schema, 'status')!;
    expect(status['properties']['conditions']['items']['required']).toEqual([
      'type',
      'status',
      'reason',
      'message',
      'lastTransitionTime',
    ]);
    expect(schema['properties']['spec']['x-kubernetes-validations'][0]['rule']).toBe(
      'has(self.url) != has(self.service)',
    );
  });

  it('has printer columns that point at declared fields', () => {
    const columns: Doc[] = version['additionalPrinterColumns'];
    expect(columns.map((c) => c['name'])).toEqual([
      'Resource',
      'Ready',
      'Delivered',
      'Failed',
      'Last-RV',
      'Last-Error',
      'Age',
    ]);
    for (const c of columns) {
      if (c['jsonPath'].startsWith('.metadata')) continue;
      // `.status.conditions[?(@.type=="Ready")].status` is declared if `status.conditions` is.
      expect(nodeAt(schema, c['jsonPath'].replace(/\[\?.*$/, '').slice(1)), c['jsonPath']).toBeDefined();
    }
  });
});

describe('trigger RBAC', () => {
  const docs = load(TRIGGER_MANIFESTS.rbac);
  const byName = (kind: string, name: string) =>
    docs.find((d) => d['kind'] === kind && d['metadata']['name'] === name)!;

  it('binds every role to User cnpaas-trigger', () => {
    const bindings = docs.filter((d) => d['kind'].endsWith('Binding'));
    expect(bindings).toHaveLength(3);
    for (const b of bindings)
      expect(b['subjects']).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cnpaas-trigger' }]);
    for (const b of bindings)
      expect(
        docs.some((r) => r['kind'] === b['roleRef']['kind'] && r['metadata']['name'] === b['roleRef']['name']),
      ).toBe(true);
  });

  it('grants exactly what the trigger uses', () => {
    expect(byName('ClusterRole', 'cnpaas-trigger')['rules']).toEqual([
      { apiGroups: ['platform.cnpaas.dev'], resources: ['httptriggers'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['platform.cnpaas.dev'], resources: ['httptriggers/status'], verbs: ['patch'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
    ]);
    const lease = byName('Role', 'cnpaas-trigger');
    expect(lease['metadata']['namespace']).toBe('cnpaas-system');
    expect(lease['rules']).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['cnpaas-trigger'],
        verbs: ['get', 'update'],
      },
      // The demo HTTPTrigger's delivery certificate, by name: no other Secret.
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['email-trigger-delivery'], verbs: ['get'] },
    ]);
    expect(byName('ClusterRole', 'cnpaas-trigger-emails')['rules']).toEqual([
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['emails'], verbs: ['list', 'watch'] },
    ]);
    const all = JSON.stringify(docs);
    expect(all).not.toMatch(/"\*"/);
    expect(all).not.toMatch(/escalate|bind"|impersonate/);
    expect(all.match(/secrets/g)).toHaveLength(1);
  });
});

describe('the demo trigger (email-trigger.yaml) and its delivery Secret', () => {
  const raw = readFileSync(manifestPath(TRIGGER_MANIFESTS.emailTrigger), 'utf8');
  const rawSecret = readFileSync(manifestPath(TRIGGER_MANIFESTS.deliverySecret), 'utf8');
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const keyPem = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
  const vars = emailTriggerVars({
    functionBaseUrl: 'https://127.0.0.1:8443/',
    caPem: pem,
    delivery: { certPem: pem, keyPem },
  });
  const fill = (text: string): string => text.replace(/\{\{([A-Z_]+)\}\}/g, (_, n: keyof typeof vars) => vars[n]);

  it('use exactly the placeholders the platform fills', () => {
    const names = new Set([...`${raw}${rawSecret}`.matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1]));
    expect([...names].sort()).toEqual(['CA_BUNDLE', 'DELIVERY_TLS_CRT', 'DELIVERY_TLS_KEY', 'EMAIL_FUNCTION_URL']);
    expect(vars.EMAIL_FUNCTION_URL).toBe('https://127.0.0.1:8443/email');
    expect(Object.keys(vars).sort()).toEqual([...names].sort());
  });

  it("is a valid plan once filled, with the function on the allow-list: all namespaces, ADDED+MODIFIED, coalesced, the function's CA, the delivery Secret", () => {
    const [trigger] = load(TRIGGER_MANIFESTS.emailTrigger, fill(raw)) as [HTTPTrigger];
    expect(trigger).toMatchObject({
      apiVersion: 'platform.cnpaas.dev/v1',
      kind: 'HTTPTrigger',
      metadata: { name: 'email', namespace: 'cnpaas-system' },
    });
    const planned = planTrigger(
      { ...trigger, metadata: { ...trigger.metadata, uid: 'u', generation: 1 } },
      { clusterTriggerNamespaces: ['cnpaas-system'], targets: targetPolicy({ allow: ['127.0.0.1:8443'] }) },
    );
    if (!planned.ok) throw new Error(planned.message);
    const p = planned.plan;
    expect(p.namespaces).toBeUndefined();
    expect(p.resource).toMatchObject({ group: 'webshop.cnpaas.dev', version: 'v1', plural: 'emails', kind: 'Email' });
    expect([...p.eventTypes]).toEqual(['ADDED', 'MODIFIED']);
    expect(p.url).toBe('https://127.0.0.1:8443/email');
    expect(p.ca.pem).toBe(pem);
    const [secret] = load(TRIGGER_MANIFESTS.deliverySecret, fill(rawSecret)) as [
      { kind: string; type: string; metadata: { name: string; namespace: string }; data: Record<string, string> },
    ];
    expect(secret).toMatchObject({
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'email-trigger-delivery', namespace: 'cnpaas-system' },
    });
    expect(Buffer.from(secret.data['tls.key']!, 'base64').toString()).toBe(keyPem);
    expect(p.clientSecret).toEqual({ namespace: 'cnpaas-system', name: secret.metadata.name });
    // Longer than the function's 8 s send deadline, and coalesced (see the manifest's comment).
    expect(p.delivery).toMatchObject({ timeoutMs: 15_000, coalesce: true });
    expect(p.delivery.timeoutMs).toBeGreaterThan(8_000);
    expect(p.template).toBeDefined();
  });
});
