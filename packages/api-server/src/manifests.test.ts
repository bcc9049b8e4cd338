import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_GROUP, API_VERSION, APISERVICE_NAME, REGISTRATIONS, SERVICE_NAME, SYSTEM_NAMESPACE } from './api-group.js';
import { API_SERVER_CLIENT_NAME, REGISTRANT_CLUSTER_ROLE } from './component.js';
import { MANIFEST_FILES, encodeCaBundle, manifestPath, readManifest, renderLocalApiService } from './manifests.js';
import { parseManifests, type ManifestObject } from '@cnpaas/service-kit/manifests';
import { VERIFICATION_KEY_SECRET } from '@cnpaas/webshop-api';
import { testPki } from './test-support/pki.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

function rules(objects: ManifestObject[], name: string): Rule[] {
  const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === name);
  expect(role, `ClusterRole ${name}`).toBeDefined();
  return role!['rules'] as Rule[];
}

describe('manifests', () => {
  it('are the cluster form: no {{placeholder}}, and the APIService names Service cnpaas-api on 443 with no CA bundle', () => {
    for (const file of Object.values(MANIFEST_FILES)) {
      expect(readFileSync(manifestPath(file), 'utf8'), file).not.toMatch(/\{\{[A-Z_]+\}\}/);
    }
    const [apiService] = readManifest(MANIFEST_FILES.apiService);
    expect(apiService!['spec']).toMatchObject({
      service: { name: SERVICE_NAME, namespace: SYSTEM_NAMESPACE, port: 443 },
    });
    expect(apiService!['spec']).not.toHaveProperty('caBundle');
  });

  it('render the local APIService the aggregator accepts: integer port, base64 PEM caBundle, priorities in range', async () => {
    const pki = await testPki();
    const [apiService, ...rest] = parseManifests(
      renderLocalApiService({ port: 18443, servingCaPem: pki.servingCa.cert }),
      'rendered',
    );
    expect(rest).toEqual([]);
    expect(apiService).toMatchObject({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: APISERVICE_NAME },
      spec: {
        group: API_GROUP,
        version: API_VERSION,
        service: { name: SERVICE_NAME, namespace: SYSTEM_NAMESPACE, port: 18443 },
      },
    });
    const spec = apiService!['spec'] as Record<string, unknown>;
    expect(APISERVICE_NAME).toBe(`${API_VERSION}.${API_GROUP}`);
    expect(Buffer.from(spec['caBundle'] as string, 'base64').toString('utf8')).toBe(pki.servingCa.cert);
    expect(spec['groupPriorityMinimum']).toBeGreaterThanOrEqual(1);
    expect(spec['groupPriorityMinimum']).toBeLessThanOrEqual(20000);
    expect(spec['versionPriority']).toBeGreaterThanOrEqual(1);
    expect(spec['versionPriority']).toBeLessThanOrEqual(1000);
    expect(spec).not.toHaveProperty('insecureSkipTLSVerify');
  });

  it('refuse to render with a port that is not one, or a CA bundle that is not PEM', async () => {
    const pki = await testPki();
    expect(() => encodeCaBundle('not a certificate')).toThrow(/no PEM certificate/);
    expect(() => renderLocalApiService({ port: 70000, servingCaPem: pki.servingCa.cert })).toThrow(/not a TCP port/);
    expect(() => renderLocalApiService({ port: 8443, servingCaPem: 'nope' })).toThrow(/no PEM certificate/);
  });

  it('make the Service an ExternalName to localhost in cnpaas-system', () => {
    expect(readManifest(MANIFEST_FILES.service)).toEqual([
      expect.objectContaining({
        kind: 'Service',
        metadata: expect.objectContaining({ name: SERVICE_NAME, namespace: SYSTEM_NAMESPACE }),
        spec: { type: 'ExternalName', externalName: 'localhost' },
      }),
    ]);
  });

  it('grant cnpaas-api-server exactly what the flow uses: create/get/watch RRs, create SARs, list Users, the verification key by name; no impersonate, no delete', () => {
    const objects = readManifest(MANIFEST_FILES.rbac);
    expect(rules(objects, 'cnpaas-api-server')).toEqual([
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['registrationrequests'], verbs: ['create', 'get', 'watch'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      { apiGroups: ['webshop.cnpaas.dev'], resources: ['users'], verbs: ['list'] },
    ]);
    // The one Secret it reads cluster-side, by name, in cnpaas-system only.
    const keyRole = objects.find(
      (o) => o.kind === 'Role' && o.metadata.namespace === VERIFICATION_KEY_SECRET.namespace,
    );
    expect(keyRole?.['rules']).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: [VERIFICATION_KEY_SECRET.name], verbs: ['get'] },
    ]);
    expect(objects.find((o) => o.kind === 'RoleBinding')).toMatchObject({
      roleRef: { kind: 'Role', name: keyRole?.metadata.name },
      subjects: [{ kind: 'User', name: API_SERVER_CLIENT_NAME }],
    });
    const binding = objects.find((o) => o.kind === 'ClusterRoleBinding');
    expect(binding).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'cnpaas-api-server' },
      subjects: [{ kind: 'User', name: API_SERVER_CLIENT_NAME, apiGroup: 'rbac.authorization.k8s.io' }],
    });
    expect(JSON.stringify(objects)).not.toMatch(/impersonate|"\*"/);
  });

  it('ship cnpaas-registrant: create on registrations, no binding', () => {
    const objects = readManifest(MANIFEST_FILES.registrantClusterRole);
    expect(objects.map((o) => o.kind)).toEqual(['ClusterRole']);
    expect(rules(objects, REGISTRANT_CLUSTER_ROLE)).toEqual([
      { apiGroups: [API_GROUP], resources: [REGISTRATIONS.plural], verbs: ['create'] },
    ]);
  });
});
