/**
 * The data fabric: every webshop object, each in the store backend that
 * holds it, kept current by one @cnpaas/kube `watcher()` per kind (list,
 * then watch; relist after 410; retry with backoff). Subscribers (the
 * browsers' event streams) get a snapshot when they join and every change
 * after, already sanitized: nothing leaves here with a password or a hash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { watcher, type Logger, type ResourceRef } from '@cnpaas/kube';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ConsoleKube } from './console-kube.js';
import { errorMessage } from './errors.js';
import { SHOWN_RESOURCES, storageKey, type ShownResource } from './resources.js';
import { sanitizeObject } from './sanitize.js';
import type { BackendKeys } from './store-keys.js';
import type { BackendMap } from './topology.js';

/** One object as the browser gets it (which reads `O` of it: by default, all). */
export interface FabricObject<O = KubernetesObject> {
  /** e.g. webshop.cnpaas.dev/tenants: groups objects under their kind. */
  resource: string;
  kind: string;
  namespace?: string;
  name: string;
  uid: string;
  backend: string;
  /** The etcd key kube-apiserver stores it under. */
  key: string;
  object: O;
}

export type FabricChange<O = KubernetesObject> =
  | { type: 'upsert'; object: FabricObject<O> }
  /** The store's live key count per backend changed. */
  | { type: 'keys'; keys: BackendKeys }
  | { type: 'delete'; resource: string; uid: string }
  /** A kind was relisted: its objects are now exactly these. */
  | { type: 'reset'; resource: string; objects: FabricObject<O>[] };

export interface FabricSnapshot<O = KubernetesObject> {
  backends: readonly string[];
  /** Live keys per backend as the store reports them; absent without --store-metrics-url or when it does not answer. */
  keys?: BackendKeys;
  resources: { id: string; kind: string; title: string }[];
  objects: FabricObject<O>[];
}

export interface FabricOptions {
  kube: ConsoleKube;
  backends: BackendMap;
  log: Logger;
  resources?: readonly ShownResource[];
  /** Reads the store's key count per backend; polled while the fabric runs. */
  storeKeys?: () => Promise<BackendKeys | undefined>;
  /** Between two reads of storeKeys; default 2 s. */
  keysIntervalMs?: number;
}

export function resourceKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.plural}`;
}

export class Fabric {
  readonly #options: FabricOptions;
  readonly #resources: readonly ShownResource[];
  /** resource → uid → object. */
  readonly #objects = new Map<string, Map<string, FabricObject>>();
  readonly #subscribers = new Set<(change: FabricChange) => void>();
  readonly #stop = new AbortController();
  #runs: Promise<void>[] = [];
  #keys: BackendKeys | undefined;

  constructor(options: FabricOptions) {
    this.#options = options;
    this.#resources = options.resources ?? SHOWN_RESOURCES;
    for (const r of this.#resources) this.#objects.set(resourceKey(r.ref), new Map());
  }

  start(): void {
    this.#runs = this.#resources.map((r) => this.#run(r));
    if (this.#options.storeKeys) this.#runs.push(this.#pollKeys(this.#options.storeKeys));
  }

  snapshot(): FabricSnapshot {
    return {
      backends: this.#options.backends.names,
      ...(this.#keys ? { keys: this.#keys } : {}),
      resources: this.#resources.map((r) => ({ id: resourceKey(r.ref), kind: r.ref.kind, title: r.title })),
      objects: [...this.#objects.values()].flatMap((m) => [...m.values()]),
    };
  }

  /** Returns the unsubscribe function. */
  subscribe(onChange: (change: FabricChange) => void): () => void {
    this.#subscribers.add(onChange);
    return () => this.#subscribers.delete(onChange);
  }

  get subscribers(): number {
    return this.#subscribers.size;
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#runs);
  }

  async #run(shown: ShownResource): Promise<void> {
    const id = resourceKey(shown.ref);
    const objects = this.#objects.get(id)!;
    try {
      for await (const event of watcher(this.#options.kube.listerWatcher(shown.ref), {
        signal: this.#stop.signal,
        log: this.#options.log,
      })) {
        if (event.type === 'Restarted') {
          objects.clear();
          for (const o of event.objects) {
            const shownObject = this.#toFabric(shown.ref, o);
            if (shownObject) objects.set(shownObject.uid, shownObject);
          }
          this.#emit({ type: 'reset', resource: id, objects: [...objects.values()] });
        } else if (event.type === 'DELETED') {
          const uid = event.object.metadata?.uid;
          if (uid && objects.delete(uid)) this.#emit({ type: 'delete', resource: id, uid });
        } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
          const shownObject = this.#toFabric(shown.ref, event.object);
          if (!shownObject) continue;
          objects.set(shownObject.uid, shownObject);
          this.#emit({ type: 'upsert', object: shownObject });
        }
      }
    } catch (err) {
      // watcher() retries everything by default; reaching here is a bug worth a line, not a crash.
      this.#options.log.error({ resource: id, err: errorMessage(err) }, 'data fabric watch ended');
    }
  }

  async #pollKeys(read: () => Promise<BackendKeys | undefined>): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const keys = await read();
      if (signal.aborted) break;
      if (keys && JSON.stringify(keys) !== JSON.stringify(this.#keys)) {
        this.#keys = keys;
        this.#emit({ type: 'keys', keys });
      }
      // Ends at once on close (the rejection is the abort).
      await sleep(this.#options.keysIntervalMs ?? 2000, undefined, { signal }).catch(() => undefined);
    }
  }

  #toFabric(ref: ResourceRef, object: KubernetesObject): FabricObject | undefined {
    const meta = object.metadata;
    if (!meta?.name || !meta.uid) return undefined;
    const key = storageKey(ref, { namespace: meta.namespace, name: meta.name });
    return {
      resource: resourceKey(ref),
      kind: ref.kind,
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      name: meta.name,
      uid: meta.uid,
      backend: this.#options.backends.backendFor(key),
      key,
      object: sanitizeObject({ apiVersion: `${ref.group}/${ref.version}`, kind: ref.kind, ...object }),
    };
  }

  #emit(change: FabricChange): void {
    for (const s of this.#subscribers) {
      try {
        s(change);
      } catch (err) {
        this.#options.log.warn({ err: errorMessage(err) }, 'a data fabric subscriber failed');
      }
    }
  }
}
