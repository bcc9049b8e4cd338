/**
 * The last state the console saw of each RegistrationRequest, and when it
 * saw it deleted. An RR lives about a second, and its conditions are the
 * best record of each step's time (timeline.ts); once it is deleted only a
 * watcher that was there kept them. Fed by the data fabric's changes, so it
 * costs no request of its own. Bounded: the oldest are forgotten first.
 */
import { realClock, type Clock } from '@cnpaas/kube';
import { REGISTRATION_REQUEST_RESOURCE, type RegistrationRequest } from '@cnpaas/webshop-api';
import { resourceKey, type Fabric, type FabricChange } from './fabric.js';
import type { SeenRegistration } from './timeline.js';

const RR_RESOURCE = resourceKey(REGISTRATION_REQUEST_RESOURCE);

/** Enough for a workshop's or a load test's worth of registrations; each entry is one small object. */
const DEFAULT_LIMIT = 2000;

export class RegistrationHistory {
  /** uid → what was seen; Map keeps insertion order, which is the eviction order. */
  readonly #seen = new Map<string, SeenRegistration>();
  readonly #limit: number;
  readonly #clock: Clock;
  #unsubscribe: () => void = () => undefined;

  constructor(options: { limit?: number; clock?: Clock } = {}) {
    this.#limit = options.limit ?? DEFAULT_LIMIT;
    this.#clock = options.clock ?? realClock;
  }

  /** Takes the fabric's current RRs, then follows its changes. */
  follow(fabric: Fabric): void {
    for (const o of fabric.snapshot().objects) {
      if (o.resource === RR_RESOURCE) this.#remember(o.object);
    }
    this.#unsubscribe = fabric.subscribe((change) => this.observe(change));
  }

  observe(change: FabricChange): void {
    if (change.type === 'upsert' && change.object.resource === RR_RESOURCE) {
      this.#remember(change.object.object);
    } else if (change.type === 'delete' && change.resource === RR_RESOURCE) {
      const seen = this.#seen.get(change.uid);
      if (seen && !seen.deletedAt) seen.deletedAt = new Date(this.#clock.now()).toISOString();
    } else if (change.type === 'reset' && change.resource === RR_RESOURCE) {
      // A relist after a gap: the ones still there are current; the ones missing went while we were away
      // (their deletion time is unknown, so none is written).
      for (const o of change.objects) this.#remember(o.object);
    }
  }

  get(uid: string): SeenRegistration | undefined {
    return this.#seen.get(uid);
  }

  get size(): number {
    return this.#seen.size;
  }

  close(): void {
    this.#unsubscribe();
  }

  #remember(rr: RegistrationRequest): void {
    const uid = rr.metadata?.uid;
    if (!uid) return;
    this.#seen.delete(uid);
    this.#seen.set(uid, { object: rr });
    while (this.#seen.size > this.#limit) this.#seen.delete(this.#seen.keys().next().value!);
  }
}
