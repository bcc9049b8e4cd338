/**
 * A small dynamic client for one resource type, speaking raw JSON through
 * `KubeClient` (the kubeconfig's TLS and credentials, one shared keep-alive
 * connection pool per identity; why not client-node's generated APIs or
 * `Watch`: README.md, "Where it bypasses @kubernetes/client-node").
 *
 * It implements `ListerWatcher`, so an `Informer` can run on it directly.
 */
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, KubeError } from './errors.js';
import type { NamespacedName } from './keys.js';
import { KubeClient } from './kube-client.js';
import type { ListOptions, ListerWatcher, WatchEvent, WatchHandle, WatchOptions } from './list-watch.js';
import { apiVersionOf, resourcePath, type ResourceRef } from './resource.js';

/** One RFC 6902 JSON Patch operation. */
export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export interface ResourceClientOptions {
  /** Restrict list/watch to one namespace (namespaced resources only). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page. Default 500 (client-go's pager default). */
  pageSize?: number;
  /** Socket idle timeout of ordinary requests. Default 60 s. */
  requestTimeoutMs?: number;
}

export interface WriteOptions {
  /** 'status' writes the /status subresource. */
  subresource?: 'status';
  fieldManager?: string;
  /** A server-side dry run (`dryRun=All`): admission runs, nothing is stored. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** Seconds of silence tolerated on a watch beyond its server-side timeout. */
const WATCH_IDLE_GRACE_MS = 30_000;

export class ResourceClient<T extends KubernetesObject = KubernetesObject> implements ListerWatcher<T> {
  readonly client: KubeClient;
  readonly resource: ResourceRef;
  readonly #options: ResourceClientOptions;

  /** From a kubeconfig, or a `KubeClient` to share its settings (timeouts, clock). */
  constructor(kc: KubeConfig | KubeClient, resource: ResourceRef, options: ResourceClientOptions = {}) {
    this.client =
      kc instanceof KubeClient
        ? kc
        : new KubeClient(
            kc,
            options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {},
          );
    this.resource = resource;
    this.#options = options;
  }

  /** Lists every page; list items get apiVersion/kind filled in (the apiserver omits them for built-in types). */
  async list(options: ListOptions = {}): Promise<KubernetesListObject<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let list: KubernetesListObject<T>;
    do {
      list = (await this.#request({
        method: 'GET',
        path: resourcePath(this.resource, { namespace: this.#options.namespace }),
        query: {
          labelSelector: this.#options.labelSelector,
          fieldSelector: this.#options.fieldSelector,
          limit: this.#options.pageSize ?? 500,
          continue: cont,
        },
        signal: options.signal,
      })) as KubernetesListObject<T>;
      if (!list || !Array.isArray(list.items)) {
        throw new KubeError('CNPAAS_KUBE_BAD_RESPONSE', `list of ${this.resource.plural} returned no items array`);
      }
      for (const item of list.items) items.push(this.#typed(item));
      // Raw JSON: the field is `continue` (client-node's model class renames it `_continue`).
      cont = (list.metadata as { continue?: string } | undefined)?.continue;
    } while (cont);
    return { ...list, items };
  }

  watch(options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const query = {
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: this.#options.labelSelector,
      fieldSelector: this.#options.fieldSelector,
    };
    const path = resourcePath(this.resource, { namespace: this.#options.namespace });
    const idleTimeoutMs = (options.timeoutSeconds ?? 300) * 1000 + WATCH_IDLE_GRACE_MS;
    return this.client.watch<T>({ path, query, idleTimeoutMs, signal: options.signal }, (event) =>
      onEvent({ type: event.type, object: this.#typed(event.object) }),
    );
  }

  /**
   * A `ListerWatcher` for one object, by name: its list is a GET (404: no
   * items, so a "relist" of a deleted object says it is gone), its watch a
   * `metadata.name` field selector. What `awaitCondition` watches.
   */
  objectListerWatcher(target: NamespacedName): ListerWatcher<T> {
    const { labelSelector: _ignored, ...options } = this.#options;
    const one = new ResourceClient<T>(this.client, this.resource, {
      ...options,
      ...(target.namespace ? { namespace: target.namespace } : {}),
      fieldSelector: `metadata.name=${target.name}`,
    });
    return {
      list: async (options = {}) => {
        try {
          const obj = await this.get(target, options);
          return { metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' }, items: [obj] };
        } catch (err) {
          if (!isNotFound(err)) throw err;
          return { metadata: { resourceVersion: '' }, items: [] };
        }
      },
      watch: (options, onEvent) => one.watch(options, onEvent),
    };
  }

  async get(target: NamespacedName, options: { signal?: AbortSignal } = {}): Promise<T> {
    return this.#typed(
      (await this.#request({ method: 'GET', path: resourcePath(this.resource, target), signal: options.signal })) as T,
    );
  }

  async create(obj: T, options: WriteOptions = {}): Promise<T> {
    const body = { apiVersion: apiVersionOf(this.resource), kind: this.resource.kind, ...obj };
    const path = resourcePath(this.resource, { namespace: obj.metadata?.namespace });
    return this.#typed(
      (await this.#request({
        method: 'POST',
        path,
        query: { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined },
        body,
        signal: options.signal,
      })) as T,
    );
  }

  /** PUT: the object's metadata.resourceVersion makes it a compare-and-swap (409 on a lost race). */
  async replace(obj: T, options: WriteOptions = {}): Promise<T> {
    const path = this.#objectPath(
      { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' },
      options.subresource,
    );
    return this.#typed(
      (await this.#request({
        method: 'PUT',
        path,
        query: { fieldManager: options.fieldManager },
        body: obj,
        signal: options.signal,
      })) as T,
    );
  }

  /** An RFC 6902 JSON Patch; put `test` ops first to make it conditional. */
  async jsonPatch(target: NamespacedName, ops: readonly JsonPatchOp[], options: WriteOptions = {}): Promise<T> {
    return this.#patch(target, { ...options, body: ops, contentType: 'application/json-patch+json' });
  }

  /** An RFC 7386 merge patch, e.g. `{ status: { conditions } }` with `subresource: 'status'`. */
  async mergePatch(target: NamespacedName, patch: object, options: WriteOptions = {}): Promise<T> {
    return this.#patch(target, { ...options, body: patch, contentType: 'application/merge-patch+json' });
  }

  /** Deletes; with `uid`/`resourceVersion` preconditions the delete only hits that exact object. */
  async delete(
    target: NamespacedName,
    options: {
      preconditions?: { uid?: string; resourceVersion?: string };
      propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
      signal?: AbortSignal;
    } = {},
  ): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: options.preconditions,
      propagationPolicy: options.propagationPolicy,
    };
    await this.#request({ method: 'DELETE', path: resourcePath(this.resource, target), body, signal: options.signal });
  }

  async #patch(target: NamespacedName, options: WriteOptions & { body: unknown; contentType: string }): Promise<T> {
    const { body, contentType } = options;
    const path = this.#objectPath(target, options.subresource);
    return this.#typed(
      (await this.#request({
        method: 'PATCH',
        path,
        query: { fieldManager: options.fieldManager },
        body,
        contentType,
        signal: options.signal,
      })) as T,
    );
  }

  #objectPath(target: NamespacedName, subresource: string | undefined): string {
    return resourcePath(this.resource, target) + (subresource ? `/${subresource}` : '');
  }

  #typed(obj: T): T {
    if (obj && typeof obj === 'object') {
      obj.apiVersion ??= apiVersionOf(this.resource);
      obj.kind ??= this.resource.kind;
    }
    return obj;
  }

  #request(spec: RequestSpec): Promise<unknown> {
    return this.client.json(spec);
  }
}
