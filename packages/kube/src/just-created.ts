/**
 * Children a reconcile is creating, so that the watch event of its own
 * create does not wake that reconciler again.
 *
 * A controller that watches the objects it creates (`owns()`) is woken by
 * the ADDED event of each of them. When the pass that made the child goes on
 * to make more (the rest of its children, its status), that event arrives
 * while the pass still runs, and the work queue runs the parent once more: a
 * pass that finds everything made, re-reads what is not cached and, when the
 * cache does not show the first pass's status yet, writes it again. The
 * event of our own create tells us nothing we do not know. (kube-controller-
 * manager's "expectations" solve the same problem for ReplicaSets' pods;
 * this is the one-create-per-name form of it.)
 *
 * The event often comes before the create's answer, so a name is announced
 * before the create (`creating`) and settled after it (`settled`):
 *
 * - an event that shows a live object of an announced name is swallowed, at
 *   most one per create, and its UID kept;
 * - after the create, a swallowed event that was not of the object the create
 *   made (the create found one there, failed, or made another) must not be
 *   lost: `settled` says so and the reconciler runs again;
 * - an event of an object going away (deletionTimestamp) is never swallowed,
 *   and an announced name whose event has not come is forgotten after
 *   `ttlMs`, so a later change is not lost to it.
 *
 * Wiring: the reconciler calls `creating`/`settled` around its create, and
 * the child's watch mapping drops an event for which `take` is true.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { realClock, type Clock } from './clock.js';

export interface JustCreatedOptions {
  clock?: Clock;
  /** How long a create is remembered when its event does not come. Default 30 s. */
  ttlMs?: number;
  /** At most this many creates remembered; the oldest go first. Default 10 000. */
  max?: number;
}

interface Entry {
  until: number;
  /** The UID the create answered with, once it has. */
  uid?: string;
  /** The UID of the event swallowed before the create answered. */
  swallowed?: string;
}

export class JustCreated {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  /** By name. Insertion order is expiry order (one TTL for all). */
  readonly #entries = new Map<string, Entry>();

  constructor(options: JustCreatedOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#max = options.max ?? 10_000;
  }

  /** Before a create of `name` that may happen. */
  creating(name: string): void {
    this.#expire();
    this.#entries.delete(name);
    this.#entries.set(name, { until: this.#clock.now() + this.#ttlMs });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /**
   * After it: `created` is the object the create made, undefined when it made none (found one, or failed).
   * True when an event was swallowed that this create does not account for: the caller must run again.
   */
  settled(name: string, created: KubernetesObject | undefined): boolean {
    const entry = this.#entries.get(name);
    if (!entry) return false;
    const uid = created?.metadata?.uid;
    if (!uid) {
      this.#entries.delete(name);
      return entry.swallowed !== undefined;
    }
    if (entry.swallowed !== undefined) {
      this.#entries.delete(name);
      return entry.swallowed !== uid;
    }
    entry.uid = uid;
    return false;
  }

  /** True when this event of `obj` needs no wake-up: the ADDED event of an object being created by us. */
  take(obj: KubernetesObject): boolean {
    const name = obj.metadata?.name;
    const uid = obj.metadata?.uid;
    if (!name || !uid || obj.metadata?.deletionTimestamp) return false;
    const entry = this.#entries.get(name);
    if (!entry || entry.swallowed !== undefined || !(entry.until > this.#clock.now())) return false;
    if (entry.uid === undefined) {
      entry.swallowed = uid;
      return true;
    }
    if (entry.uid !== uid) return false;
    this.#entries.delete(name);
    return true;
  }

  get size(): number {
    return this.#entries.size;
  }

  #expire(): void {
    const now = this.#clock.now();
    for (const [name, entry] of this.#entries) {
      if (entry.until > now) break;
      this.#entries.delete(name);
    }
  }
}
