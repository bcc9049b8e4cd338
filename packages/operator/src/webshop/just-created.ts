/**
 * Children a reconcile has just created, so that their first event does not
 * wake that reconciler again.
 *
 * The Tenant controller creates the Namespace and then, in the same pass, its
 * RoleBinding and the Tenant's status. The Namespace's ADDED event arrives
 * while that pass runs, and the work queue then runs the Tenant once more:
 * a pass that finds everything made, reads the RoleBinding (not watched) and,
 * when the cache does not show the first pass's status yet, writes the same
 * status again. Our own create tells us nothing we do not know, so its event
 * is let through without a wake-up.
 *
 * Only an event showing the object alive is swallowed, once per create: a
 * delete or a Namespace going away always wakes (a Tenant re-creates its
 * Namespace). An entry whose event came before the create's answer (so it
 * was never taken) expires after `ttlMs`, so a later change is not lost to it.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { realClock, type Clock } from '@cnpaas/kube';

export interface JustCreatedOptions {
  clock?: Clock;
  /** How long a create is remembered when its event does not come (or came first). Default 30 s. */
  ttlMs?: number;
  /** At most this many remembered creates; the oldest go first. Default 10 000. */
  max?: number;
}

export class JustCreated {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  /** uid → when it stops counting. Insertion order is expiry order (one TTL for all). */
  readonly #until = new Map<string, number>();

  constructor(options: JustCreatedOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#max = options.max ?? 10_000;
  }

  /** The object a create answered with. */
  record(obj: KubernetesObject): void {
    const uid = obj.metadata?.uid;
    if (!uid) return;
    this.#expire();
    this.#until.set(uid, this.#clock.now() + this.#ttlMs);
    if (this.#until.size > this.#max) this.#until.delete(this.#until.keys().next().value!);
  }

  /** True, once, for an event of a recorded object that shows it alive: that event needs no wake-up. */
  take(obj: KubernetesObject): boolean {
    const uid = obj.metadata?.uid;
    if (!uid || obj.metadata?.deletionTimestamp) return false;
    const until = this.#until.get(uid);
    if (until === undefined) return false;
    this.#until.delete(uid);
    return until > this.#clock.now();
  }

  get size(): number {
    return this.#until.size;
  }

  #expire(): void {
    const now = this.#clock.now();
    for (const [uid, until] of this.#until) {
      if (until > now) break;
      this.#until.delete(uid);
    }
  }
}
