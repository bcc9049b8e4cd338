/**
 * In-memory lease clocks. Leases themselves are persisted in meta.db by the
 * store; their countdowns are not, and restart at full TTL after a restart,
 * as etcd refreshes every lease when a leader takes over.
 */
export const MAX_LEASE_TTL = 9_000_000_000;
/** etcd's minimum: 1.5 election timeouts with default flags, rounded up. */
export const MIN_LEASE_TTL = 2;

export interface Lease {
  id: bigint;
  ttl: number;
  expiresAt: number;
}

/**
 * What the store needs of its leases. `Lessor` keeps them in memory (one
 * process); replicas keep them in the shared database (docs/replicas.md),
 * where `add`, `delete` and `clear` have nothing to do because the batch's
 * meta writes are the leases.
 */
export interface LeaseTable {
  readonly size: number;
  has(id: bigint): boolean;
  get(id: bigint): { ttl: number } | undefined;
  add(id: bigint, ttl: number): void;
  delete(id: bigint): void;
  /** Renews the lease; returns its TTL, or 0 if it does not exist. */
  renew(id: bigint): number;
  /** Whole seconds left, -1 if it does not exist. */
  remaining(id: bigint): number;
  ids(): bigint[];
  expired(): bigint[];
  clear(): void;
}

export class Lessor implements LeaseTable {
  readonly #leases = new Map<bigint, Lease>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#leases.size;
  }

  has(id: bigint): boolean {
    return this.#leases.has(id);
  }

  get(id: bigint): Lease | undefined {
    return this.#leases.get(id);
  }

  /** The TTL a grant is given: etcd raises anything below the minimum. */
  static effectiveTtl(ttl: number): number {
    return ttl < MIN_LEASE_TTL ? MIN_LEASE_TTL : ttl;
  }

  add(id: bigint, ttl: number): Lease {
    const lease = { id, ttl, expiresAt: this.#now() + ttl * 1000 };
    this.#leases.set(id, lease);
    return lease;
  }

  delete(id: bigint): void {
    this.#leases.delete(id);
  }

  /** Renews the lease; returns its TTL, or 0 if it does not exist. */
  renew(id: bigint): number {
    const lease = this.#leases.get(id);
    if (!lease) return 0;
    lease.expiresAt = this.#now() + lease.ttl * 1000;
    return lease.ttl;
  }

  /** Whole seconds left, like etcd's int64(Remaining().Seconds()). */
  remaining(id: bigint): number {
    const lease = this.#leases.get(id);
    if (!lease) return -1;
    return Math.max(0, Math.trunc((lease.expiresAt - this.#now()) / 1000));
  }

  ids(): bigint[] {
    return [...this.#leases.keys()];
  }

  expired(): bigint[] {
    const now = this.#now();
    return [...this.#leases.values()].filter((l) => l.expiresAt <= now).map((l) => l.id);
  }

  clear(): void {
    this.#leases.clear();
  }
}
