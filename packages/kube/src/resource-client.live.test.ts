/**
 * ResourceClient, an Informer on it and the Lease lock against a real
 * kube-apiserver on cnpaas-store (@cnpaas/platform/testing): paged lists of
 * a built-in kind (whose items come without apiVersion/kind), NotFound and a
 * failed JSON Patch `test`, the status subresource of a CRD, an Informer that
 * lists, syncs and follows changes, and a Lease replaced only at the
 * resourceVersion it was read at. How a watch stream is framed and cut off
 * (events split across chunks, an ERROR event on a stream left open, a
 * stream that never sends) stays in resource-client.test.ts on a loopback
 * server that does it on cue.
 *
 * One control plane for the file; every test has its own namespace.
 */
import { ApiException, type KubernetesObject } from '@kubernetes/client-node';
import { startControlPlane, type TestControlPlane, widgetCrd } from '@cnpaas/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, isNotFound } from './errors.js';
import { Informer } from './informer.js';
import { kubeLeaseLock } from './lease-lock.js';
import { ResourceClient } from './resource-client.js';
import { silentLog, TEST_KINDS } from './testing.js';
import { storedNames } from './testing/memory-informer.js';

const { widgets: WIDGETS, namespaces: NAMESPACES, configMaps: CONFIGMAPS } = TEST_KINDS;

const WIDGET_CRD = widgetCrd();

type Widget = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ crds: [WIDGET_CRD] });
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

async function namespace(name: string): Promise<void> {
  await new ResourceClient(cp.kubeConfig, NAMESPACES).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

function widget(namespace: string, name: string, spec: Record<string, unknown> = {}): Widget {
  return { apiVersion: 'example.dev/v1', kind: 'Widget', metadata: { namespace, name }, spec };
}

describe('ResourceClient on a real apiserver', () => {
  it('lists every page, with the selector, and fills in apiVersion/kind on the items', async () => {
    await namespace('t-pages');
    const configMaps = new ResourceClient(cp.kubeConfig, CONFIGMAPS);
    for (const name of ['a', 'b', 'c']) {
      await configMaps.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { namespace: 't-pages', name, labels: { app: name === 'c' ? 'y' : 'x' } },
      });
    }
    const client = new ResourceClient(cp.kubeConfig, CONFIGMAPS, {
      namespace: 't-pages',
      labelSelector: 'app=x',
      pageSize: 1,
    });
    const list = await client.list();
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    // The apiserver's own ConfigMap (kube-root-ca.crt) has no label: only ours match.
    expect(list.items.map((i) => [i.metadata?.name, i.apiVersion, i.kind])).toEqual([
      ['a', 'v1', 'ConfigMap'],
      ['b', 'v1', 'ConfigMap'],
    ]);
  });

  it('throws ApiException with the Status message for NotFound, and for a JSON Patch test that fails', async () => {
    const err = await new ResourceClient(cp.kubeConfig, NAMESPACES).get({ name: 'missing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect(isNotFound(err)).toBe(true);
    expect((err as Error).message).toMatch(/namespaces "missing" not found/);

    await namespace('t-patch');
    const widgets = new ResourceClient<Widget>(cp.kubeConfig, WIDGETS);
    const created = await widgets.create(widget('t-patch', 'a'));
    await widgets.mergePatch({ namespace: 't-patch', name: 'a' }, { spec: { x: 1 } });
    const stale = await widgets
      .jsonPatch({ namespace: 't-patch', name: 'a' }, [
        { op: 'test', path: '/metadata/resourceVersion', value: created.metadata!.resourceVersion },
      ])
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiException);
    // The apiserver answers a failed `test` as 422 Unprocessable Entity, not as a 409 Conflict.
    expect(httpStatusOf(stale)).toBe(422);
  });

  it('merge-patches the status subresource, leaving the spec alone', async () => {
    await namespace('t-status');
    const widgets = new ResourceClient<Widget>(cp.kubeConfig, WIDGETS);
    await widgets.create(widget('t-status', 'a', { x: 1 }));
    const out = await widgets.mergePatch(
      { namespace: 't-status', name: 'a' },
      { status: { ready: true }, spec: { x: 2 } },
      { subresource: 'status' },
    );
    expect(out.status).toEqual({ ready: true });
    // A /status write ignores the spec.
    expect(out.spec).toEqual({ x: 1 });
  });

  it('an Informer on it lists, syncs and applies watch events', async () => {
    await namespace('t-informer');
    const widgets = new ResourceClient<Widget>(cp.kubeConfig, WIDGETS);
    await widgets.create(widget('t-informer', 'a'));
    await widgets.create(widget('t-informer', 'b'));
    const informer = new Informer({
      resource: WIDGETS,
      listerWatcher: new ResourceClient(cp.kubeConfig, WIDGETS, { namespace: 't-informer' }),
      log: silentLog,
      resyncPeriodMs: 0,
    });
    informer.start();
    try {
      expect(await informer.waitForSync()).toBe(true);
      expect(storedNames(informer.store)).toEqual(['a', 'b']);
      await widgets.create(widget('t-informer', 'c'));
      const modified = await widgets.mergePatch({ namespace: 't-informer', name: 'a' }, { spec: { x: 1 } });
      await widgets.delete({ namespace: 't-informer', name: 'b' });
      await expect.poll(() => storedNames(informer.store)).toEqual(['a', 'c']);
      await expect
        .poll(() => informer.store.get('t-informer/a')?.metadata?.resourceVersion)
        .toBe(modified.metadata?.resourceVersion);
    } finally {
      await informer.stop();
    }
  });
});

describe('kubeLeaseLock on a real apiserver', () => {
  it('creates, reads and replaces the Lease only at the resourceVersion it read, sending MicroTimes', async () => {
    await namespace('example-system');
    const lock = kubeLeaseLock(cp.kubeConfig, { namespace: 'example-system', name: 'widget-operator' });
    const leases = new ResourceClient<KubernetesObject & { spec?: Record<string, unknown> }>(cp.kubeConfig, {
      group: 'coordination.k8s.io',
      version: 'v1',
      plural: 'leases',
      kind: 'Lease',
      namespaced: true,
    });
    const target = { namespace: 'example-system', name: 'widget-operator' };
    const signal = new AbortController().signal;
    expect(await lock.get(signal)).toBeUndefined();
    const t = Date.parse('2025-01-01T00:00:00.123Z');
    const created = await lock.create(
      { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 },
      signal,
    );
    const stored = await leases.get(target);
    expect(stored.spec).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2025-01-01T00:00:00.123000Z',
      renewTime: '2025-01-01T00:00:00.123000Z',
      leaseTransitions: 0,
    });

    const read = await lock.get(signal);
    expect(read).toEqual(created);
    expect(read?.record).toMatchObject({ holderIdentity: 'a', renewTime: t });

    // Someone else renews first: our replace at the old resourceVersion is a 409 Conflict.
    await leases.mergePatch(target, { spec: { renewTime: '2025-01-01T00:00:01.000000Z' } });
    const stale = await lock
      .update({ ...created.record, renewTime: t + 2000 }, { resourceVersion: created.resourceVersion, signal })
      .catch((e: unknown) => e);
    expect(httpStatusOf(stale)).toBe(409);
    const current = (await lock.get(signal))!;
    const renewed = await lock.update(
      { ...created.record, renewTime: t + 2000 },
      { resourceVersion: current.resourceVersion, signal },
    );
    expect(Number(renewed.resourceVersion)).toBeGreaterThan(Number(current.resourceVersion));
    const after = await leases.get(target);
    expect(after.spec?.['renewTime']).toBe('2025-01-01T00:00:02.123000Z');
    // The replace kept the metadata it read (uid), as client-go's LeaseLock does.
    expect(after.metadata?.uid).toBe(stored.metadata?.uid);
  });
});
