/** The objects several services bring, each once: identical copies merged, differing ones refused. */
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { describe, expect, it } from 'vitest';
import { uniqueObjects } from './unique-objects.js';

const crd = (description: string): ManifestObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'httptriggers.platform.cnpaas.dev', labels: { 'app.kubernetes.io/part-of': 'cnpaas' } },
  spec: { group: 'platform.cnpaas.dev', description },
});
const configMap = (namespace: string, name: string): ManifestObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { 'ca.crt': 'PEM' },
});

describe('uniqueObjects', () => {
  it('keeps the first of identical copies, in order, whatever the order of their keys', () => {
    const reordered: ManifestObject = {
      spec: { description: 'd', group: 'platform.cnpaas.dev' },
      metadata: { labels: { 'app.kubernetes.io/part-of': 'cnpaas' }, name: 'httptriggers.platform.cnpaas.dev' },
      kind: 'CustomResourceDefinition',
      apiVersion: 'apiextensions.k8s.io/v1',
    };
    const a = configMap('cnpaas-system', 'a');
    expect(uniqueObjects([crd('d'), a, reordered])).toEqual([crd('d'), a]);
  });

  it('tells objects apart by group, kind, namespace and name', () => {
    const objects = [
      configMap('cnpaas-system', 'a'),
      configMap('other', 'a'),
      configMap('cnpaas-system', 'b'),
      { ...configMap('cnpaas-system', 'a'), kind: 'Secret' },
    ];
    expect(uniqueObjects(objects)).toEqual(objects);
  });

  it('refuses two different copies, naming the object and the fix', () => {
    expect(() => uniqueObjects([crd('one'), crd('two')])).toThrow(
      expect.objectContaining({
        code: 'CNPAAS_PLATFORM_INSTALL',
        message: expect.stringContaining(
          'bring CustomResourceDefinition httptriggers.platform.cnpaas.dev, and the two copies differ',
        ),
      }),
    );
  });
});
