/**
 * install's preflight against a real kube-apiserver: an API the cluster does
 * not serve is named, with the cluster's version, before anything is written.
 * (The other refusals, and install itself, are proved end to end in
 * e2e/tests/install.live.test.ts.)
 */
import type { ManifestObject } from '@cnpaas/service-kit/manifests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import { startControlPlane, type TestControlPlane } from '../testing/control-plane.js';
import { Cluster } from './cluster.js';
import { checkApisAndAccess, checkReachable } from './preflight.js';

let stack: TestControlPlane;
let cluster: Cluster;

beforeAll(async () => {
  stack = await startControlPlane();
  cluster = new Cluster({ kubeconfig: stack.kubeconfig, kubectl: stack.kubectl });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const object = (apiVersion: string, kind: string, namespace?: string): ManifestObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', ...(namespace ? { namespace } : {}) },
});

describe('install preflight', () => {
  it('names every kind the cluster does not serve, as an older Kubernetes would lack it', async () => {
    const version = await checkReachable(cluster);
    expect(version).toMatch(/^v1\.\d+\.\d+/);
    const err = await checkApisAndAccess({
      cluster,
      objects: [
        object('v1', 'ConfigMap', 'default'),
        // What a cluster before 1.30 answers for: no v1 ValidatingAdmissionPolicy.
        object('admissionregistration.k8s.io/v1alpha9', 'ValidatingAdmissionPolicy'),
        object('example.dev/v1', 'Widget', 'default'),
      ],
      version,
      namespace: 'default',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).code).toBe('CNPAAS_PLATFORM_CLUSTER_TOO_OLD');
    expect((err as PlatformError).message).toBe(
      `the cluster (Kubernetes ${version}) does not serve ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1alpha9), Widget (example.dev/v1)`,
    );
  });

  it('takes the kinds of CRDs in the same set as served', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.dev' },
      spec: {
        group: 'example.dev',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: [{ name: 'v1' }],
      },
    } as unknown as ManifestObject;
    await expect(
      checkApisAndAccess({
        cluster,
        objects: [crd, object('example.dev/v1', 'Widget', 'default')],
        version: 'v1',
        namespace: 'default',
      }),
    ).resolves.toBeUndefined();
  });
});
