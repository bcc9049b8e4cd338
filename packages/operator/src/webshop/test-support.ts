/**
 * An in-memory apiserver for the webshop tests that inject faults (not
 * exported, not built): one request failing before or after its write
 * (`failNext`), another writer acting at an exact moment. Everything else is
 * proven on a real kube-apiserver, as the operator, in the *.live.test.ts
 * files. This fake reproduces the API behaviour the controllers depend on,
 * and nothing more:
 *
 * - create: 409 when the name is taken, 404 in a missing namespace, 403 in
 *   a terminating one; uid, creationTimestamp, generation, resourceVersion;
 * - the status subresource: writes to the main resource keep status, /status
 *   writes keep everything else; generation moves only when spec changes;
 * - replace with a stale resourceVersion, a failed JSON Patch `test`, a
 *   delete whose preconditions do not hold: 409 / 422 / 409;
 * - finalizers: delete sets deletionTimestamp; the object goes when the last
 *   finalizer is removed;
 * - informers: `listerWatcher` serves MemoryCollections filtered by the
 *   informer's namespace and label selector.
 *
 * It has no RBAC, no admission, no CRD schema and no kube-controller-manager
 * (garbage collection, namespace deletion): what depends on those is tested
 * live only.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ApiException, type KubernetesObject } from '@kubernetes/client-node';
import {
  apiVersionOf,
  type FakeClock,
  type InformerScope,
  type JsonPatchOp,
  keyOf,
  type ListerWatcher,
  type NamespacedName,
  objectKey,
  resourceId,
  type ResourceRef,
} from '@cnpaas/kube';
import { MemoryCollection } from '@cnpaas/kube/testing';
import type { DeleteOptions, ListSelector, ObjectApi, WebshopApi } from './kube-api.js';
import { REGISTRATION_UID_LABEL } from './names.js';
import * as R from './resources.js';
import type { RegistrationRequest } from './types.js';

type Obj = KubernetesObject & Record<string, unknown>;

function fail(code: number, message: string): ApiException<string> {
  return new ApiException(code, message, JSON.stringify({ kind: 'Status', code, message }), {});
}

export function matchesSelector(obj: KubernetesObject, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = obj.metadata?.labels ?? {};
  return selector.split(',').every((term) => {
    const eq = term.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, term.trim());
    return labels[term.slice(0, eq).trim()] === term.slice(eq + 1).trim();
  });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function applyJsonPatch(doc: Obj, ops: readonly JsonPatchOp[]): Obj {
  const out = structuredClone(doc);
  for (const op of ops) {
    const parts = op.path.split('/').slice(1).map(unescape);
    const last = parts.pop()!;
    let parent: unknown = out;
    for (const p of parts) {
      parent = (parent as Record<string, unknown> | undefined)?.[p];
      if (parent === undefined) throw fail(422, `path ${op.path} does not exist`);
    }
    const list = Array.isArray(parent) ? (parent as unknown[]) : undefined;
    const record = parent as Record<string, unknown>;
    const current = list ? list[Number(last)] : record[last];
    switch (op.op) {
      case 'test':
        if (JSON.stringify(current) !== JSON.stringify(op.value)) throw fail(422, `test failed at ${op.path}`);
        break;
      case 'add':
        if (list) {
          if (last === '-') list.push(op.value);
          else list.splice(Number(last), 0, op.value);
        } else record[last] = structuredClone(op.value);
        break;
      case 'replace':
        if (current === undefined) throw fail(422, `path ${op.path} does not exist`);
        if (list) list[Number(last)] = op.value;
        else record[last] = structuredClone(op.value);
        break;
      case 'remove':
        if (current === undefined) throw fail(422, `path ${op.path} does not exist`);
        if (list) list.splice(Number(last), 1);
        else delete record[last];
        break;
      default:
        throw fail(422, `op ${op.op} not supported by the fake`);
    }
  }
  return out;
}

interface Injected {
  verb: string;
  plural: string;
  times: number;
  code: number;
  /** The write happens, then the caller gets the error: a response lost to a crash or a cut connection. */
  afterWrite: boolean;
}

export class FakeCluster {
  readonly clock: FakeClock;
  /** Every write, as "verb plural key", in order. */
  readonly writes: string[] = [];
  readonly #collections = new Map<string, MemoryCollection>();
  readonly #injected: Injected[] = [];

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  collection(resource: ResourceRef): MemoryCollection {
    let c = this.#collections.get(resourceId(resource));
    if (!c) {
      c = new MemoryCollection();
      this.#collections.set(resourceId(resource), c);
    }
    return c;
  }

  /** The stored objects of a resource (copies). */
  objects<T extends KubernetesObject = Obj>(resource: ResourceRef): T[] {
    return [...this.collection(resource).objects.values()].map((o) => structuredClone(o) as T);
  }

  find<T extends KubernetesObject = Obj>(resource: ResourceRef, target: NamespacedName): T | undefined {
    const o = this.collection(resource).objects.get(objectKey(target));
    return o ? (structuredClone(o) as T) : undefined;
  }

  /** The next `times` calls of `verb` on `plural` fail with `code` (a crash or an apiserver error at that step). */
  failNext(
    verb: 'get' | 'create' | 'replace' | 'patch' | 'delete' | 'list',
    plural: string,
    options: { times?: number; code?: number; afterWrite?: boolean } = {},
  ): void {
    this.#injected.push({
      verb,
      plural,
      times: options.times ?? 1,
      code: options.code ?? 500,
      afterWrite: options.afterWrite ?? false,
    });
  }

  #check(verb: string, resource: ResourceRef, afterWrite = false): void {
    const hit = this.#injected.find(
      (i) => i.verb === verb && i.plural === resource.plural && i.times > 0 && i.afterWrite === afterWrite,
    );
    if (hit) {
      hit.times--;
      throw fail(hit.code, `injected failure: ${verb} ${resource.plural}${afterWrite ? ' (after the write)' : ''}`);
    }
  }

  /** Runs a write, then lets an `afterWrite` injection throw as if the response was lost. */
  async #write<T>(verb: string, resource: ResourceRef, fn: () => T): Promise<T> {
    this.#check(verb, resource);
    const result = fn();
    this.#check(verb, resource, true);
    return result;
  }

  /** Seeds an object as if created through the API (uid, timestamps), without admission or namespace checks. */
  seed<T extends KubernetesObject>(resource: ResourceRef, obj: T): T {
    const stored = this.#fresh(resource, obj as unknown as Obj);
    return structuredClone(this.collection(resource).put(stored)) as T;
  }

  #fresh(resource: ResourceRef, obj: Obj): Obj {
    const stored = structuredClone(obj);
    stored.apiVersion = apiVersionOf(resource);
    stored.kind = resource.kind;
    stored.metadata = {
      ...stored.metadata,
      uid: stored.metadata?.uid ?? randomUUID(),
      creationTimestamp: new Date(this.clock.now()).toISOString() as unknown as Date,
      generation: 1,
    };
    if (resource.plural === 'namespaces') {
      // kube-apiserver labels every Namespace with its own name.
      stored.metadata.labels = { ...stored.metadata.labels, 'kubernetes.io/metadata.name': stored.metadata.name ?? '' };
      stored['status'] = { phase: 'Active' };
    } else if (!stored.metadata.namespace && resource.namespaced) throw fail(400, 'namespace required');
    return stored;
  }

  api<T extends KubernetesObject>(resource: ResourceRef): ObjectApi<T> {
    const c = this.collection(resource);
    const key = (t: NamespacedName): string =>
      objectKey({ namespace: resource.namespaced ? t.namespace : undefined, name: t.name });
    const read = (t: NamespacedName): Obj => {
      const o = c.objects.get(key(t));
      if (!o) throw fail(404, `${resource.plural} "${t.name}" not found`);
      return structuredClone(o) as Obj;
    };
    const out = (o: KubernetesObject): T => structuredClone(o) as T;
    /** Stores an update of `old` to `next` with the apiserver's rules for metadata, spec and status. */
    const update = (old: Obj, next: Obj, subresource?: 'status'): T => {
      let merged: Obj;
      if (subresource === 'status') {
        merged = { ...old, status: next['status'] };
      } else {
        merged = { ...next, status: old['status'] };
        merged.metadata = {
          ...next.metadata,
          uid: old.metadata?.uid,
          creationTimestamp: old.metadata?.creationTimestamp,
          generation: old.metadata?.generation,
          deletionTimestamp: old.metadata?.deletionTimestamp,
        };
        if (JSON.stringify(next['spec']) !== JSON.stringify(old['spec']))
          merged.metadata.generation = (old.metadata?.generation ?? 1) + 1;
      }
      merged.apiVersion = old.apiVersion;
      merged.kind = old.kind;
      const k = keyOf(merged);
      this.writes.push(`${subresource ? 'status' : 'update'} ${resource.plural} ${k}`);
      if (
        merged.metadata?.deletionTimestamp &&
        (merged.metadata.finalizers ?? []).length === 0 &&
        resource.plural !== 'namespaces'
      ) {
        c.remove(k);
        return out(merged);
      }
      return out(c.put(merged));
    };
    return {
      resource,
      get: async (t) => {
        this.#check('get', resource);
        return out(read(t));
      },
      create: (obj) =>
        this.#write('create', resource, () => {
          const o = obj as unknown as Obj;
          const ns = o.metadata?.namespace;
          if (resource.namespaced) {
            const namespace = this.collection(R.NAMESPACES).objects.get(ns ?? '');
            if (!namespace) throw fail(404, `namespaces "${ns ?? ''}" not found`);
            if (namespace.metadata?.deletionTimestamp) throw fail(403, `namespace ${ns ?? ''} is being terminated`);
          }
          const k = key({ namespace: ns, name: o.metadata?.name ?? '' });
          if (c.objects.has(k)) throw fail(409, `${resource.plural} "${o.metadata?.name ?? ''}" already exists`);
          const stored = this.#fresh(resource, o);
          if (resource.plural !== 'namespaces') delete stored['status'];
          this.writes.push(`create ${resource.plural} ${k}`);
          return out(c.put(stored));
        }),
      replace: (obj) =>
        this.#write('replace', resource, () => {
          const o = obj as unknown as Obj;
          const old = read({ namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' });
          const rv = o.metadata?.resourceVersion;
          if (rv !== undefined && rv !== old.metadata?.resourceVersion) throw fail(409, 'the object has been modified');
          return update(old, o);
        }),
      jsonPatch: (t, ops) =>
        this.#write('patch', resource, () => {
          const old = read(t);
          return update(old, applyJsonPatch(old, ops));
        }),
      mergePatch: (t, patch, options = {}) =>
        this.#write('patch', resource, () => {
          const old = read(t);
          return update(old, mergePatch(old, patch) as Obj, options.subresource);
        }),
      delete: (t, options: DeleteOptions = {}) =>
        this.#write('delete', resource, () => {
          const old = read(t);
          const pre = options.preconditions;
          if (pre?.uid !== undefined && pre.uid !== old.metadata?.uid) throw fail(409, 'precondition failed: uid');
          if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata?.resourceVersion)
            throw fail(409, 'precondition failed: resourceVersion');
          const k = key(t);
          this.writes.push(`delete ${resource.plural} ${k}`);
          if (old.metadata?.deletionTimestamp) return;
          if ((old.metadata?.finalizers ?? []).length > 0 || resource.plural === 'namespaces') {
            old.metadata = {
              ...old.metadata,
              deletionTimestamp: new Date(this.clock.now()).toISOString() as unknown as Date,
            };
            if (resource.plural === 'namespaces') old['status'] = { phase: 'Terminating' };
            c.put(old);
            return;
          }
          c.remove(k);
        }),
      list: async (selector: ListSelector = {}) => {
        this.#check('list', resource);
        const items = [...c.objects.values()]
          .filter((o) => selector.namespace === undefined || o.metadata?.namespace === selector.namespace)
          .filter((o) => matchesSelector(o, selector.labelSelector))
          .map(out);
        return { metadata: { resourceVersion: String(c.rv) }, items };
      },
    };
  }

  webshopApi(): WebshopApi {
    return {
      registrationRequests: this.api(R.REGISTRATION_REQUESTS),
      tenants: this.api(R.TENANTS),
      users: this.api(R.USERS),
      emails: this.api(R.EMAILS),
      emailTemplates: this.api(R.EMAIL_TEMPLATES),
      namespaces: this.api(R.NAMESPACES),
      serviceAccounts: this.api(R.SERVICE_ACCOUNTS),
      secrets: this.api(R.SECRETS),
      configMaps: this.api(R.CONFIG_MAPS),
      roles: this.api(R.ROLES),
      roleBindings: this.api(R.ROLE_BINDINGS),
      clusterRoles: this.api(R.CLUSTER_ROLES),
      clusterRoleBindings: this.api(R.CLUSTER_ROLE_BINDINGS),
    };
  }

  /** For `new Manager({ listerWatcher })`: the collection, filtered by the informer's scope. */
  readonly listerWatcher = (resource: ResourceRef, scope: InformerScope): ListerWatcher<KubernetesObject> => {
    const c = this.collection(resource);
    const inScope = (o: KubernetesObject): boolean =>
      (scope.namespace === undefined || o.metadata?.namespace === scope.namespace) &&
      matchesSelector(o, scope.labelSelector);
    return {
      list: async (options) => {
        const list = await c.list();
        void options;
        return { ...list, items: list.items.filter(inScope) };
      },
      watch: (options, onEvent) =>
        c.watch(options, (e) => (e.type === 'BOOKMARK' || inScope(e.object) ? onEvent(e) : undefined)),
    };
  };
}

// Fixtures shared by the webshop tests.

export const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
/** A hash in the format made before argon2id, at its floor: still accepted. */
export const SCRYPT_HASH = '$scrypt$ln=15,r=8,p=3$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
export const RR_UID = '0123abcd-4567-89ef-0123-456789abcdef';
export const CHILD = 't-0123abcd4567';

export function registrationRequest(
  overrides: { uid?: string; name?: string; email?: string } = {},
): RegistrationRequest {
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'RegistrationRequest',
    metadata: { name: overrides.name ?? 'ann-lee', uid: overrides.uid ?? RR_UID },
    spec: {
      user: { firstName: 'Ann', lastName: 'Lee', email: overrides.email ?? 'ann@example.com' },
      password: HASH,
      tenant: { companyName: 'Lee & Co', country: 'DE', city: 'Berlin', address: 'Hauptstr. 1', postalCode: '10115' },
    },
  };
}

export function seedSystem(cluster: FakeCluster, options: { template?: boolean } = {}): void {
  cluster.seed(R.NAMESPACES, { metadata: { name: 'cnpaas-system' } });
  if (options.template !== false) cluster.seed(R.EMAIL_TEMPLATES, registrationTemplate());
}

export function registrationTemplate(
  body = 'Hello {{ .spec.firstName }} {{ .spec.lastName }}, welcome to {{ .tenant.companyName }}!',
): KubernetesObject {
  return {
    metadata: { name: 'registration', namespace: 'cnpaas-system' },
    spec: {
      displayName: 'Welcome',
      fromName: 'Webshop',
      fromAddress: 'shop@example.com',
      subject: 'Welcome, {{ .spec.firstName }}',
      body,
    },
  } as KubernetesObject;
}

export function claimConfigMap(options: {
  name: string;
  ownerUid: string;
  claimedAt: string;
  email?: string;
  claimedBy?: string;
  kind?: 'registration' | 'user';
}): KubernetesObject {
  const kind = options.kind ?? 'registration';
  return {
    metadata: {
      name: options.name,
      namespace: 'cnpaas-system',
      labels: {
        'webshop.cnpaas.dev/email-claim': 'true',
        [kind === 'registration' ? REGISTRATION_UID_LABEL : 'webshop.cnpaas.dev/user-uid']: options.ownerUid,
      },
    },
    data: {
      emailSha256: emailDigest(options.email ?? 'ann@example.com'),
      ownerUid: options.ownerUid,
      ownerUidKind: kind,
      claimedBy: options.claimedBy ?? 'RegistrationRequest/ann-lee',
      claimedAt: options.claimedAt,
    },
  } as KubernetesObject;
}

function emailDigest(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}
