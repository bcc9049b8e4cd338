/**
 * The informer's in-memory cache: the last state seen of every object,
 * indexed by namespace then name.
 *
 * Objects are shared with every reader: never mutate one. Copy it first
 * (`structuredClone`) when building an update.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { splitKey, type ObjectKey } from './keys.js';

export class Store<T extends KubernetesObject> {
  readonly #byNamespace = new Map<string, Map<string, T>>();
  #size = 0;

  /** The object stored under `key`, or undefined. */
  get(key: ObjectKey): T | undefined {
    const { namespace, name } = splitKey(key);
    return this.#byNamespace.get(namespace ?? '')?.get(name);
  }

  /** Every object, or only those in `namespace`. */
  list(namespace?: string): T[] {
    if (namespace !== undefined) return [...(this.#byNamespace.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const objects of this.#byNamespace.values()) all.push(...objects.values());
    return all;
  }

  get size(): number {
    return this.#size;
  }

  /** Stores `obj`; returns what it replaced. */
  upsert(obj: T): T | undefined {
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let objects = this.#byNamespace.get(namespace);
    if (!objects) {
      objects = new Map();
      this.#byNamespace.set(namespace, objects);
    }
    const old = objects.get(name);
    objects.set(name, obj);
    if (!old) this.#size++;
    return old;
  }

  /** Removes `key`; returns what was stored. */
  delete(key: ObjectKey): T | undefined {
    const { namespace = '', name } = splitKey(key);
    const objects = this.#byNamespace.get(namespace);
    const old = objects?.get(name);
    if (!objects || !old) return undefined;
    objects.delete(name);
    if (objects.size === 0) this.#byNamespace.delete(namespace);
    this.#size--;
    return old;
  }
}
