/**
 * Status bookkeeping shared by the controllers: collect condition changes
 * during a reconcile, then write `/status` once, and only if something
 * changed (an unchanged write still bumps the resourceVersion and wakes
 * every watcher, this controller included).
 */
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type Clock,
  type Condition,
  type ConditionStatus,
  getCondition,
  isNotFound,
  keyOf,
  setCondition,
  splitKey,
} from '@cnpaas/kube';
import { NAME_CONFLICT_CONDITION as NAME_CONFLICT } from '@cnpaas/webshop-api';
import type { ObjectApi } from './kube-api.js';

/** An object with conditions in its status: what the controllers write. */
export type WithStatus = KubernetesObject & {
  status?: { conditions?: Condition[]; observedGeneration?: number } & object;
};

/** The contract's names, under the short names the controllers use. */
export { READY_CONDITION as READY, NAME_CONFLICT_CONDITION as NAME_CONFLICT } from '@cnpaas/webshop-api';

export class StatusUpdate<T extends WithStatus> {
  readonly #obj: T;
  readonly #api: ObjectApi<T>;
  readonly #clock: Clock;
  #conditions: Condition[];
  readonly #fields: Record<string, unknown> = {};
  #changed = false;

  /** `api`: where the object's status is written. */
  constructor(obj: T, options: { api: ObjectApi<T>; clock: Clock }) {
    this.#obj = obj;
    this.#api = options.api;
    this.#clock = options.clock;
    this.#conditions = [...(obj.status?.conditions ?? [])];
    if (obj.status?.observedGeneration !== obj.metadata?.generation) this.#changed = true;
  }

  /** Sets one condition, stamped with the object's generation. */
  condition(type: string, status: ConditionStatus, reason: string, message: string): this {
    const update = setCondition(
      this.#conditions,
      { type, status, reason, message, observedGeneration: this.#obj.metadata?.generation },
      { now: new Date(this.#clock.now()) },
    );
    this.#conditions = update.conditions;
    if (update.changed) this.#changed = true;
    return this;
  }

  /** NameConflict=False once a conflict went away; nothing when there never was one. */
  clearConflict(): this {
    if (getCondition(this.#conditions, NAME_CONFLICT)?.status === 'True')
      this.condition(NAME_CONFLICT, 'False', 'Resolved', 'no object is in the way');
    return this;
  }

  /** Sets a top-level status field (e.g. `namespace`). */
  field(name: string, value: unknown): this {
    const current = (this.#obj.status as Record<string, unknown> | undefined)?.[name];
    // As data, not text: the apiserver may answer an object's keys in another order than we wrote them.
    if (!isDeepStrictEqual(current, value)) this.#changed = true;
    this.#fields[name] = value;
    return this;
  }

  /** The object whose status this is. */
  get object(): T {
    return this.#obj;
  }

  get changed(): boolean {
    return this.#changed;
  }

  /** Merge-patches /status when something changed. Returns false when the object is gone (nothing left to report on). */
  async write(): Promise<boolean> {
    if (!this.#changed) return true;
    const status = {
      ...this.#fields,
      conditions: this.#conditions,
      observedGeneration: this.#obj.metadata?.generation,
    };
    try {
      await this.#api.mergePatch(splitKey(keyOf(this.#obj)), { status }, { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    this.#changed = false;
    return true;
  }
}
