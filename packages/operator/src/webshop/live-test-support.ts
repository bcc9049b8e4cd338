/**
 * What the operator's live tests share (not exported, not built): a real
 * kube-apiserver on cnpaas-store (@cnpaas/platform/testing) with the
 * operator's system namespace, RBAC and confinement policy applied, the
 * admin's view for the tests' own reads and writes, and the operator's own
 * view (a client certificate with CN cnpaas-operator), so every write a
 * reconciler makes passes the RBAC and admission the operator runs under.
 */
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, keyOf, type NamespacedName, type ReconcileContext, type Reconciler } from '@cnpaas/kube';
import { silentLog } from '@cnpaas/kube/testing';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { crdManifests as webshopCrds } from '@cnpaas/webshop-api';
import { afterAll, beforeAll } from 'vitest';
import { MANIFEST_FILES, manifestPath } from '../manifests.js';
import { kubeWebshopApi, type ObjectApi, type WebshopApi } from './kube-api.js';
import { OPERATOR_NAME } from './names.js';

export interface OperatorControlPlane {
  cp: TestControlPlane;
  /** The admin (`system:masters`): seeds objects and reads what the operator wrote. */
  admin: WebshopApi;
  /** The operator's identity, under its RBAC and confinement policy. */
  operatorKc: KubeConfig;
  operator: WebshopApi;
}

export function kubeConfigFrom(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** The control plane with the webshop CRDs, cnpaas-system, the operator's RBAC and its confinement policy. */
export async function startOperatorControlPlane(
  options: { controllerManager?: boolean } = {},
): Promise<OperatorControlPlane> {
  const cp = await startControlPlane({ crds: webshopCrds(), controllerManager: options.controllerManager ?? false });
  await cp.apply([
    manifestPath(MANIFEST_FILES.namespace),
    manifestPath(MANIFEST_FILES.rbac),
    manifestPath(MANIFEST_FILES.confinement),
  ]);
  const operatorKc = kubeConfigFrom(await cp.kubeconfigFor(OPERATOR_NAME));
  return { cp, admin: kubeWebshopApi(cp.kubeConfig), operatorKc, operator: kubeWebshopApi(operatorKc) };
}

/**
 * One operator control plane for the calling test file: started in
 * beforeAll, stopped in afterAll. The returned object is filled in when
 * beforeAll has run, so tests (not the file's top level) read it.
 */
export function useOperatorControlPlane(options: { controllerManager?: boolean } = {}): OperatorControlPlane {
  const env = {} as OperatorControlPlane;
  beforeAll(async () => {
    Object.assign(env, await startOperatorControlPlane(options));
  }, 180_000);
  afterAll(async () => {
    await env.cp?.stop();
  });
  return env;
}

/** The object, or undefined on 404. */
export async function readOrUndefined<T extends KubernetesObject>(
  api: ObjectApi<T>,
  target: NamespacedName,
): Promise<T | undefined> {
  try {
    return await api.get(target);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * One reconcile of the object the apiserver holds under `target` (read by `reader`, the admin), as
 * the controller would run it with a fresh cache; a missing object reconciles as a deleted one.
 */
export async function reconcileOnce<T extends KubernetesObject>(
  reconciler: Reconciler<T>,
  reader: ObjectApi<T>,
  target: NamespacedName,
) {
  const object = await readOrUndefined(reader, target);
  const ctx: ReconcileContext<T> = {
    key: object ? keyOf(object) : target.name,
    object,
    signal: new AbortController().signal,
    log: silentLog,
    retries: 0,
  };
  return reconciler.reconcile(ctx.key, ctx);
}

/**
 * The same API, noting each write that succeeded as "verb plural [namespace/]name" (verbs: create,
 * update, patch, status, delete), so a test can say which requests a reconcile made and in which
 * order; and in `requests`, every call as it is made, reads and failed writes included ("get",
 * "list" too), so a test can count what a reconcile cost. Every call still goes to the apiserver.
 */
export function recorded(api: WebshopApi): { api: WebshopApi; writes: string[]; requests: string[] } {
  const writes: string[] = [];
  const requests: string[] = [];
  const wrap = <T extends KubernetesObject>(o: ObjectApi<T>): ObjectApi<T> => {
    const named = (verb: string, target: { namespace?: string; name?: string }): string =>
      `${verb} ${o.resource.plural} ${target.namespace ? `${target.namespace}/` : ''}${target.name ?? ''}`;
    const note = (verb: string, target: { namespace?: string; name?: string }): void => {
      writes.push(named(verb, target));
    };
    const ask = (verb: string, target: { namespace?: string; name?: string }): void => {
      requests.push(named(verb, target));
    };
    return {
      ...o,
      get: (target) => {
        ask('get', target);
        return o.get(target);
      },
      list: (selector) => {
        requests.push(`list ${o.resource.plural}`);
        return o.list(selector);
      },
      create: async (obj) => {
        ask('create', obj.metadata ?? {});
        const out = await o.create(obj);
        note('create', obj.metadata ?? {});
        return out;
      },
      replace: async (obj) => {
        ask('update', obj.metadata ?? {});
        const out = await o.replace(obj);
        note('update', obj.metadata ?? {});
        return out;
      },
      jsonPatch: async (target, ops) => {
        ask('patch', target);
        const out = await o.jsonPatch(target, ops);
        note('patch', target);
        return out;
      },
      mergePatch: async (target, patch, options) => {
        const verb = options?.subresource === 'status' ? 'status' : 'patch';
        ask(verb, target);
        const out = await o.mergePatch(target, patch, options);
        note(verb, target);
        return out;
      },
      delete: async (target, options) => {
        ask('delete', target);
        await o.delete(target, options);
        note('delete', target);
      },
    };
  };
  const out = Object.fromEntries(
    Object.entries(api).map(([name, objectApi]) => [name, wrap(objectApi as ObjectApi<KubernetesObject>)]),
  ) as unknown as WebshopApi;
  return { api: out, writes, requests };
}

export const conditionOf = (
  obj:
    | { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }
    | undefined,
  type: string,
) => obj?.status?.conditions?.find((c) => c.type === type);

/** True when `read` answers 404; any other failure is thrown. */
export const absent = async (read: () => Promise<unknown>): Promise<boolean> =>
  read().then(
    () => false,
    (err: unknown) => {
      if (isNotFound(err)) return true;
      throw err;
    },
  );
