import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubeError } from './errors.js';
import { controllerOf, controllerRef, isControlledBy, withControllerRef } from './owner-references.js';

const tenant: KubernetesObject = {
  apiVersion: 'example.dev/v1',
  kind: 'Tenant',
  metadata: { name: 't-abc', uid: 'uid-t' },
};
const user: KubernetesObject = {
  apiVersion: 'example.dev/v1',
  kind: 'User',
  metadata: { name: 'u', namespace: 't-abc', uid: 'uid-u' },
};

describe('owner references', () => {
  it('builds a controller reference', () => {
    // The owner's own apiVersion, kind, name and uid, marked as the one controller that blocks deletion.
    expect(controllerRef(tenant)).toEqual({
      apiVersion: tenant.apiVersion,
      kind: tenant.kind,
      name: 't-abc',
      uid: 'uid-t',
      controller: true,
      blockOwnerDeletion: true,
    });
  });

  it('refuses an owner without uid', () => {
    expect(() => controllerRef({ ...tenant, metadata: { name: 'x' } })).toThrow(KubeError);
  });

  it('sets, finds and checks the controller, keeping other owners', () => {
    const ns: KubernetesObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 't-abc', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'other' }] },
    };
    const owned = withControllerRef(ns, tenant);
    expect(owned.metadata?.ownerReferences).toHaveLength(2);
    expect(controllerOf(owned)?.uid).toBe('uid-t');
    expect(isControlledBy(owned, tenant)).toBe(true);
    expect(isControlledBy(owned, user)).toBe(false);
    expect(ns.metadata?.ownerReferences).toHaveLength(1); // input untouched
    expect(withControllerRef(owned, tenant).metadata?.ownerReferences).toHaveLength(2); // idempotent
  });

  it('refuses to take over an object another owner controls', () => {
    const owned = withControllerRef({ kind: 'Namespace', metadata: { name: 'n' } }, tenant);
    const other = { ...tenant, metadata: { name: 't-other', uid: 'uid-other' } };
    expect(() => withControllerRef(owned, other)).toThrow(/already controlled/);
  });

  it('refuses a namespaced owner for a cluster-scoped or other-namespace object', () => {
    expect(() => withControllerRef({ kind: 'ClusterRole', metadata: { name: 'r' } }, user)).toThrow(/cannot own/);
    expect(() => withControllerRef({ kind: 'Secret', metadata: { name: 's', namespace: 'elsewhere' } }, user)).toThrow(
      /cannot own/,
    );
    const secret: KubernetesObject = { kind: 'Secret', metadata: { name: 's', namespace: 't-abc' } };
    expect(withControllerRef(secret, user).metadata?.ownerReferences?.[0]?.uid).toBe('uid-u');
  });
});
