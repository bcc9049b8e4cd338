import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { addFinalizerPatch, finalizer, removeFinalizerPatch, type FinalizerPatcher } from './finalizers.js';
import type { JsonPatchOp } from './resource-client.js';

const F = 'example.dev/cleanup';

function obj(meta: Partial<NonNullable<KubernetesObject['metadata']>>): KubernetesObject {
  return {
    apiVersion: 'example.dev/v1',
    kind: 'User',
    metadata: { name: 'u', namespace: 't-1', resourceVersion: '41', ...meta },
  };
}

describe('finalizer patches', () => {
  it('adds the whole array, guarded by resourceVersion, when there are no finalizers', () => {
    expect(addFinalizerPatch(obj({}), F)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '41' },
      { op: 'add', path: '/metadata/finalizers', value: [F] },
    ]);
  });

  it('appends, guarded by resourceVersion, when others exist (also an empty array)', () => {
    expect(addFinalizerPatch(obj({ finalizers: ['other'] }), F)).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '41' },
      { op: 'add', path: '/metadata/finalizers/-', value: F },
    ]);
    expect(addFinalizerPatch(obj({ finalizers: [] }), F)?.[1]).toEqual({
      op: 'add',
      path: '/metadata/finalizers/-',
      value: F,
    });
  });

  it('adds nothing when present', () => {
    expect(addFinalizerPatch(obj({ finalizers: ['x', F] }), F)).toBeUndefined();
  });

  it('removes by index, testing that the index still holds our finalizer', () => {
    expect(removeFinalizerPatch(obj({ finalizers: ['a', 'b', F, 'c'] }), F)).toEqual([
      { op: 'test', path: '/metadata/finalizers/2', value: F },
      { op: 'remove', path: '/metadata/finalizers/2' },
    ]);
    expect(removeFinalizerPatch(obj({ finalizers: ['a'] }), F)).toBeUndefined();
    expect(removeFinalizerPatch(obj({}), F)).toBeUndefined();
  });
});

/** Applies JSON patches to an in-memory object the way the apiserver would (enough ops for these tests). */
function memoryPatcher(current: {
  obj: KubernetesObject;
}): FinalizerPatcher<KubernetesObject> & { patches: JsonPatchOp[][] } {
  const patches: JsonPatchOp[][] = [];
  return {
    patches,
    async jsonPatch(_target, ops) {
      patches.push([...ops]);
      const next = structuredClone(current.obj);
      const meta = next.metadata!;
      for (const op of ops) {
        if (op.op === 'test') {
          const actual =
            op.path === '/metadata/resourceVersion'
              ? meta.resourceVersion
              : meta.finalizers?.[Number(op.path.split('/').pop())];
          if (actual !== op.value) throw Object.assign(new Error('test failed'), { statusCode: 422 });
        } else if (op.op === 'add' && op.path === '/metadata/finalizers') meta.finalizers = op.value as string[];
        else if (op.op === 'add' && op.path === '/metadata/finalizers/-')
          meta.finalizers = [...(meta.finalizers ?? []), op.value as string];
        else if (op.op === 'remove') meta.finalizers?.splice(Number(op.path.split('/').pop()), 1);
      }
      meta.resourceVersion = String(Number(meta.resourceVersion) + 1);
      current.obj = next;
      return next;
    },
  };
}

describe('finalizer()', () => {
  it('adds the finalizer before apply, and apply sees the patched object', async () => {
    const state = { obj: obj({}) };
    const client = memoryPatcher(state);
    const seen: KubernetesObject[] = [];
    const r = await finalizer(state.obj, {
      name: F,
      client,
      apply: async (o) => {
        seen.push(o);
        return 'applied';
      },
      cleanup: async () => 'cleaned',
    });
    expect(r).toBe('applied');
    expect(client.patches).toHaveLength(1);
    expect(seen[0]?.metadata?.finalizers).toEqual([F]);
    expect(seen[0]?.metadata?.resourceVersion).toBe('42');
  });

  it('does not apply when adding the finalizer fails (a concurrent write changed the resourceVersion)', async () => {
    const state = { obj: obj({}) };
    const client = memoryPatcher(state);
    const stale = obj({ resourceVersion: '40' });
    let applied = false;
    await expect(
      finalizer(stale, { name: F, client, apply: async () => void (applied = true), cleanup: async () => undefined }),
    ).rejects.toThrow('test failed');
    expect(applied).toBe(false);
  });

  it('on deletion runs cleanup, then removes only our finalizer', async () => {
    const state = { obj: obj({ finalizers: ['other', F], deletionTimestamp: new Date('2025-01-01T00:00:00Z') }) };
    const client = memoryPatcher(state);
    const order: string[] = [];
    const r = await finalizer(state.obj, {
      name: F,
      client: { jsonPatch: async (t, ops) => (order.push('patch'), client.jsonPatch(t, ops)) },
      apply: async () => 'applied',
      cleanup: async () => (order.push('cleanup'), 'cleaned'),
    });
    expect(r).toBe('cleaned');
    expect(order).toEqual(['cleanup', 'patch']);
    expect(state.obj.metadata?.finalizers).toEqual(['other']);
  });

  it('keeps the finalizer when cleanup fails', async () => {
    const state = { obj: obj({ finalizers: [F], deletionTimestamp: new Date() }) };
    const client = memoryPatcher(state);
    await expect(
      finalizer(state.obj, {
        name: F,
        client,
        apply: async () => undefined,
        cleanup: async () => {
          throw new Error('cannot clean up yet');
        },
      }),
    ).rejects.toThrow('cannot clean up yet');
    expect(client.patches).toHaveLength(0);
    expect(state.obj.metadata?.finalizers).toEqual([F]);
  });

  it('does nothing for an object being deleted that no longer has our finalizer', async () => {
    const state = { obj: obj({ finalizers: ['other'], deletionTimestamp: new Date() }) };
    const client = memoryPatcher(state);
    const r = await finalizer(state.obj, { name: F, client, apply: async () => 'a', cleanup: async () => 'c' });
    expect(r).toBeUndefined();
    expect(client.patches).toHaveLength(0);
  });
});
