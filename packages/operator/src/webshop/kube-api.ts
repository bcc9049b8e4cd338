/**
 * The API calls the webshop controllers make, behind one small interface
 * per resource. In the process it is `ResourceClient` (raw JSON over the
 * kubeconfig); in unit tests an in-memory apiserver (test-support.ts).
 *
 * Reads go to the informer's copy first when the operator watches that kind
 * (`withCache`), as controller-runtime's client does: a copy that is there
 * is used; a miss still asks the apiserver, so absence is always a
 * consistent read. A stale copy cannot do harm: children have fixed names
 * (a second create is AlreadyExists), repairs are PUTs with the copy's
 * resourceVersion (409 if it moved), and deletes carry a UID precondition;
 * the next reconcile sees the truth. What it saves is a GET per child per
 * reconcile, most of the operator's requests.
 */
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import {
  addFinalizerPatch,
  isNotFound,
  type JsonPatchOp,
  type NamespacedName,
  keyOf,
  objectKey,
  removeFinalizerPatch,
  ResourceClient,
  type ResourceRef,
} from '@cnpaas/kube';
import { OPERATOR_NAME } from './names.js';
import * as R from './resources.js';
import type {
  ConfigMap,
  Email,
  EmailTemplate,
  Namespace,
  RegistrationRequest,
  Role,
  RoleBinding,
  Secret,
  Tenant,
  User,
} from './types.js';

export interface DeleteOptions {
  /** Delete only this exact object (a re-created namesake gets a new UID). */
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

export interface ListSelector {
  namespace?: string;
  labelSelector?: string;
}

/** Where a read may be answered without a request: an informer's store. */
export interface ObjectCache<T extends KubernetesObject> {
  /** A private copy of the cached object, or undefined (which proves nothing: ask the apiserver). */
  get(target: NamespacedName): T | undefined;
  /**
   * True when the informer has synced, would hold `obj` (its selector matches) and does not: then
   * the object most likely does not exist, and a create is worth trying before a GET (a wrong guess
   * costs one AlreadyExists, after which the caller reads the live object).
   */
  likelyAbsent(obj: T): boolean;
}

export interface ObjectApi<T extends KubernetesObject> {
  readonly resource: ResourceRef;
  /** Set by `withCache` for the kinds the operator watches. */
  readonly cache?: ObjectCache<T>;
  get(target: NamespacedName): Promise<T>;
  create(obj: T): Promise<T>;
  /** PUT with the object's resourceVersion: 409 on a lost race. */
  replace(obj: T): Promise<T>;
  jsonPatch(target: NamespacedName, ops: readonly JsonPatchOp[]): Promise<T>;
  mergePatch(target: NamespacedName, patch: object, options?: { subresource?: 'status' }): Promise<T>;
  delete(target: NamespacedName, options?: DeleteOptions): Promise<void>;
  /** A consistent LIST (no resourceVersion: served from storage, never a cache). */
  list(selector?: ListSelector): Promise<KubernetesListObject<T>>;
}

export interface WebshopApi {
  registrationRequests: ObjectApi<RegistrationRequest>;
  tenants: ObjectApi<Tenant>;
  users: ObjectApi<User>;
  emails: ObjectApi<Email>;
  emailTemplates: ObjectApi<EmailTemplate>;
  namespaces: ObjectApi<Namespace>;
  serviceAccounts: ObjectApi<KubernetesObject>;
  secrets: ObjectApi<Secret>;
  configMaps: ObjectApi<ConfigMap>;
  roles: ObjectApi<Role>;
  roleBindings: ObjectApi<RoleBinding>;
  clusterRoles: ObjectApi<Role>;
  clusterRoleBindings: ObjectApi<RoleBinding>;
}

/** The object (the cached copy when there is one), or undefined on 404. */
export async function getOrUndefined<T extends KubernetesObject>(
  api: ObjectApi<T>,
  target: NamespacedName,
): Promise<T | undefined> {
  const cached = api.cache?.get(target);
  if (cached) return cached;
  try {
    return await api.get(target);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Deletes; "already gone" (404) counts as success. Returns false when it was gone. */
export async function deleteIfPresent(
  api: ObjectApi<KubernetesObject>,
  target: NamespacedName,
  options?: DeleteOptions,
): Promise<boolean> {
  try {
    await api.delete(target, options);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * The object with `finalizer` on it: patched (the JSON Patch tests the resourceVersion it read, so a
 * concurrent change is a 409 and a retry) unless it has it already. `also` are further operations on
 * the same object that go in the same patch, one request for both; with neither there is no request.
 */
export async function withFinalizer<T extends KubernetesObject>(
  api: ObjectApi<T>,
  obj: T,
  finalizer: string,
  also: readonly JsonPatchOp[] = [],
): Promise<T> {
  const ops = [...(addFinalizerPatch(obj, finalizer) ?? []), ...also];
  return ops.length > 0 ? api.jsonPatch(targetOf(obj), ops) : obj;
}

/** Takes `finalizer` off the object when it is on: the last step of a finalize. */
export async function dropFinalizer<T extends KubernetesObject>(
  api: ObjectApi<T>,
  obj: T,
  finalizer: string,
): Promise<void> {
  const remove = removeFinalizerPatch(obj, finalizer);
  if (remove) await api.jsonPatch(targetOf(obj), remove);
}

function targetOf(obj: KubernetesObject): NamespacedName {
  return { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
}

/** The same API, reading through an informer's store first (see the top of this file). */
export function withCache<T extends KubernetesObject>(
  api: ObjectApi<T>,
  informer: {
    store: { get(key: string): T | undefined };
    hasSynced(): boolean;
  },
  /** The informer's label selector as a predicate; default: it watches every object of the kind. */
  selects: (obj: T) => boolean = () => true,
): ObjectApi<T> {
  const { store } = informer;
  return {
    ...api,
    cache: {
      // A copy: reconcilers build patches from what they read, and must never edit the shared cache.
      get: (target) => structuredClone(store.get(objectKey(target))),
      likelyAbsent: (obj) => informer.hasSynced() && selects(obj) && store.get(keyOf(obj)) === undefined,
    },
  };
}

/** `ObjectApi` over `ResourceClient`; every write names the operator as field manager. */
export function kubeObjectApi<T extends KubernetesObject>(kc: KubeConfig, resource: ResourceRef): ObjectApi<T> {
  const client = new ResourceClient<T>(kc, resource);
  const write = { fieldManager: OPERATOR_NAME };
  return {
    resource,
    get: (target) => client.get(target),
    create: (obj) => client.create(obj, write),
    replace: (obj) => client.replace(obj, write),
    jsonPatch: (target, ops) => client.jsonPatch(target, ops, write),
    mergePatch: (target, patch, options = {}) => client.mergePatch(target, patch, { ...write, ...options }),
    delete: (target, options = {}) => client.delete(target, options),
    list: (selector = {}) => {
      // Selectors are per client in ResourceClient; a LIST with a selector gets its own (cheap) client.
      const scoped = new ResourceClient<T>(kc, resource, {
        ...(selector.namespace ? { namespace: selector.namespace } : {}),
        ...(selector.labelSelector ? { labelSelector: selector.labelSelector } : {}),
      });
      return scoped.list();
    },
  };
}

export function kubeWebshopApi(kc: KubeConfig): WebshopApi {
  return {
    registrationRequests: kubeObjectApi(kc, R.REGISTRATION_REQUESTS),
    tenants: kubeObjectApi(kc, R.TENANTS),
    users: kubeObjectApi(kc, R.USERS),
    emails: kubeObjectApi(kc, R.EMAILS),
    emailTemplates: kubeObjectApi(kc, R.EMAIL_TEMPLATES),
    namespaces: kubeObjectApi(kc, R.NAMESPACES),
    serviceAccounts: kubeObjectApi(kc, R.SERVICE_ACCOUNTS),
    secrets: kubeObjectApi(kc, R.SECRETS),
    configMaps: kubeObjectApi(kc, R.CONFIG_MAPS),
    roles: kubeObjectApi(kc, R.ROLES),
    roleBindings: kubeObjectApi(kc, R.ROLE_BINDINGS),
    clusterRoles: kubeObjectApi(kc, R.CLUSTER_ROLES),
    clusterRoleBindings: kubeObjectApi(kc, R.CLUSTER_ROLE_BINDINGS),
  };
}
