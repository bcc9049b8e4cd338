/**
 * A small dynamic client for one resource type, speaking raw JSON over the
 * kubeconfig's connection settings (TLS, client certificates, tokens, exec
 * plugins: all applied by `KubeConfig.applyToHTTPSOptions`).
 *
 * Why not the generated APIs or client-node's `Watch` / `ListWatch`:
 * - the generated APIs deserialize into model classes, which drop fields the
 *   1.4.0 models do not know and turn timestamps into Dates, while watch
 *   events arrive as plain JSON; a cache must hold one shape, and an update
 *   built from it must not lose fields;
 * - 1.4.0's `Watch` cannot be aborted before the response headers arrive and
 *   has no idle timeout, so a half-open connection stalls an informer
 *   silently; here every request has a socket idle timeout and aborts at once;
 * - errors carry the apiserver's `Status` message (`ApiException.body` is
 *   the raw body, as the generated APIs do it).
 *
 * It implements `ListerWatcher`, so an `Informer` can run on it directly.
 */
import http from 'node:http';
import https from 'node:https';
import {
  ApiException,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { KubeError } from './errors.js';
import type { NamespacedName } from './keys.js';
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
  readonly #kc: KubeConfig;
  readonly resource: ResourceRef;
  readonly #options: ResourceClientOptions;

  constructor(kc: KubeConfig, resource: ResourceRef, options: ResourceClientOptions = {}) {
    this.#kc = kc;
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
    const controller = new AbortController();
    const query = {
      watch: 'true',
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: this.#options.labelSelector,
      fieldSelector: this.#options.fieldSelector,
    };
    const path = resourcePath(this.resource, { namespace: this.#options.namespace });
    const idleMs = (options.timeoutSeconds ?? 300) * 1000 + WATCH_IDLE_GRACE_MS;
    const done = this.#open({ method: 'GET', path, query, signal: controller.signal }, idleMs).then(
      (res) =>
        new Promise<void>((resolve, reject) => {
          let buffered = '';
          let failed = false;
          const fail = (err: unknown): void => {
            failed = true;
            res.destroy();
            reject(err);
          };
          const onLine = (line: string): void => {
            if (line.trim() === '') return;
            let event: { type?: string; object?: unknown };
            try {
              event = JSON.parse(line) as typeof event;
            } catch {
              return fail(new KubeError('CNPAAS_KUBE_BAD_RESPONSE', `watch of ${path} sent a line that is not JSON`));
            }
            if (event.type === 'ERROR') return fail(statusError(event.object, `watch ${path}`));
            if (
              event.type !== 'ADDED' &&
              event.type !== 'MODIFIED' &&
              event.type !== 'DELETED' &&
              event.type !== 'BOOKMARK'
            ) {
              return fail(
                new KubeError('CNPAAS_KUBE_BAD_RESPONSE', `watch of ${path} sent event type ${String(event.type)}`),
              );
            }
            onEvent({ type: event.type, object: this.#typed(event.object as T) });
          };
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let nl: number;
            while (!failed && (nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              onLine(line);
            }
          });
          res.on('end', () => {
            if (!failed && buffered) onLine(buffered);
            if (!failed) resolve();
          });
          res.on('error', (err) => (controller.signal.aborted ? resolve() : fail(err)));
          res.on('close', () => {
            // An aborted or idle-timed-out stream closes without 'end'.
            if (failed) return;
            if (controller.signal.aborted) resolve();
            else if (!res.complete) fail(new Error(`watch ${path}: connection closed mid-stream`));
          });
        }),
      (err) => {
        if (controller.signal.aborted) return;
        throw err;
      },
    );
    return { done, abort: () => controller.abort() };
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
        query: { fieldManager: options.fieldManager },
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

  async #request(spec: RequestSpec): Promise<unknown> {
    const res = await this.#open(spec, this.#options.requestTimeoutMs ?? 60_000);
    const text = await readBody(res);
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      throw new KubeError(
        'CNPAAS_KUBE_BAD_RESPONSE',
        `${spec.method} ${spec.path} answered ${res.statusCode} with a body that is not JSON`,
      );
    }
  }

  /** Sends the request; resolves with a 2xx response, rejects with `ApiException` otherwise. */
  async #open(spec: RequestSpec, idleTimeoutMs: number): Promise<http.IncomingMessage> {
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) {
      throw new KubeError('CNPAAS_KUBE_NO_CLUSTER', 'the kubeconfig has no current cluster', {
        hint: 'set current-context in the kubeconfig, or pass one with a cluster',
      });
    }
    const url = new URL(cluster.server.replace(/\/+$/, '') + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
    const opts: https.RequestOptions = {
      method: spec.method,
      headers: {
        Accept: 'application/json',
        ...(payload
          ? { 'Content-Type': spec.contentType ?? 'application/json', 'Content-Length': payload.length }
          : {}),
      },
    };
    await this.#kc.applyToHTTPSOptions(opts);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { ...opts, signal: spec.signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        readBody(res).then(
          (text) =>
            reject(apiException({ status, body: text, what: `${spec.method} ${spec.path}`, headers: res.headers })),
          reject,
        );
      });
      req.setTimeout(idleTimeoutMs, () =>
        req.destroy(new Error(`${spec.method} ${spec.path}: no data for ${idleTimeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

/** An `ApiException` like the generated APIs throw, with the Status message in the error message. */
function apiException({
  status,
  body,
  what,
  headers,
}: {
  status: number;
  body: string;
  what: string;
  headers: http.IncomingHttpHeaders;
}): ApiException<string> {
  let reason = http.STATUS_CODES[status] ?? 'error';
  try {
    const parsed = JSON.parse(body) as { message?: string };
    if (parsed.message) reason = parsed.message;
  } catch {
    // Not a Status body (a proxy's HTML page, say): keep the HTTP reason phrase.
  }
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return new ApiException(status, `${what}: HTTP ${status}: ${reason}`, body, flat);
}

/** A watch ERROR event's Status as an `ApiException` (code 410 means: relist). */
function statusError(status: unknown, what: string): ApiException<string> {
  const s = (status ?? {}) as { code?: number; message?: string };
  return new ApiException(s.code ?? 500, `${what}: ${s.message ?? 'watch error'}`, JSON.stringify(status ?? null), {});
}
