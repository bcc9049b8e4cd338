import { describe, expect, it } from 'vitest';
import {
  encodeCaBundle,
  localApiService,
  localWebhookConfiguration,
  manifestsYaml,
  packageManifests,
  parseManifests,
  type ManifestObject,
} from './manifests.js';
import { TestError, caught, testError as error } from './test-support.js';
import { testCa } from './testing.js';

const CONFIG = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: demo }
webhooks:
  - name: a.example.dev
    clientConfig:
      service: { name: demo, namespace: demo-system, port: 443, path: /validate/a }
  - name: b.example.dev
    clientConfig:
      service: { name: demo, namespace: demo-system, port: 443, path: /validate/b }
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1.api.example.dev }
spec:
  group: api.example.dev
  version: v1
  service: { name: demo-api, namespace: demo-system, port: 443 }
`;

describe('manifests', () => {
  it("find a package's manifests/ from a module in src/ or dist/", () => {
    const manifests = packageManifests(new URL('../src/manifests.ts', import.meta.url).href);
    expect(manifests.path('rbac.yaml')).toBe(new URL('../manifests/rbac.yaml', import.meta.url).pathname);
    expect(() => manifests.read('none.yaml')).toThrow(/ENOENT.*manifests\/none\.yaml/);
  });

  it('parse every document, and name the source of a YAML error', () => {
    expect(parseManifests(CONFIG, 'demo.yaml').map((o) => o.kind)).toEqual([
      'ValidatingWebhookConfiguration',
      'APIService',
    ]);
    expect(() => parseManifests('a: [', 'broken.yaml')).toThrow(/^broken\.yaml: /);
  });

  it('render a webhook configuration for loopback: each service becomes base URL + its path, with the CA bundle', () => {
    const [config] = parseManifests(CONFIG, 'demo.yaml') as [ManifestObject];
    const local = localWebhookConfiguration(config, { baseUrl: 'https://127.0.0.1:9443/', caBundle: 'Q0E=' });
    expect(local['webhooks']).toEqual([
      { name: 'a.example.dev', clientConfig: { url: 'https://127.0.0.1:9443/validate/a', caBundle: 'Q0E=' } },
      { name: 'b.example.dev', clientConfig: { url: 'https://127.0.0.1:9443/validate/b', caBundle: 'Q0E=' } },
    ]);
    // The cluster form it came from is untouched.
    expect((config['webhooks'] as Array<{ clientConfig: object }>)[0]!.clientConfig).toHaveProperty('service');
  });

  it('refuse a webhook with no service to render', () => {
    const config = parseManifests(
      CONFIG.replace(
        'service: { name: demo, namespace: demo-system, port: 443, path: /validate/b }',
        'url: https://x/',
      ),
      'x',
    )[0]!;
    expect(() => localWebhookConfiguration(config, { baseUrl: 'https://127.0.0.1:1', caBundle: '' })).toThrow(
      /webhook b\.example\.dev has no service/,
    );
  });

  it('render an APIService for loopback: the local port and the CA bundle, and round-trip through YAML', () => {
    const apiService = parseManifests(CONFIG, 'demo.yaml')[1]!;
    const local = localApiService(apiService, { port: 18443, caBundle: 'Q0E=' });
    expect(local['spec']).toMatchObject({ service: { port: 18443 }, caBundle: 'Q0E=' });
    expect(parseManifests(manifestsYaml([local]), 'rendered')).toEqual([local]);
  });

  it('encode a CA bundle only when every certificate in it parses', async () => {
    const ca = await testCa('manifests-test-ca');
    expect(Buffer.from(encodeCaBundle(ca.cert, error), 'base64').toString()).toBe(ca.cert);
    const none = await caught(() => encodeCaBundle('not pem', error));
    expect(none).toBeInstanceOf(TestError);
    expect(none.code).toBe('TEST_TLS');
    expect(none.message).toMatch(/no PEM certificate/);
    const broken = await caught(() =>
      encodeCaBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', error),
    );
    expect(broken.message).toMatch(/does not parse/);
  });
});
