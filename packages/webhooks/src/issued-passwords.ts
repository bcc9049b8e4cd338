/**
 * The `spec.password` values this process's mutating webhook wrote
 * (hashes, dry-run placeholders), remembered for a few minutes.
 *
 * A registration must carry the plain password: a hash sent by the client
 * would skip the password policy (anyone can compute a strong argon2id hash of
 * "a"). But the mutating webhook is `reinvocationPolicy: IfNeeded`, so
 * kube-apiserver may call it again for the same request, now carrying the
 * hash it made itself; the webhook must recognise that one and leave it
 * alone. Remembering exactly what it issued tells the two apart without a
 * marker a client could copy: a remembered value was made from a password
 * that passed the policy, whoever sends it again.
 *
 * Reinvocation happens within one admission chain (seconds; the webhook
 * timeout is 10 s), so a short memory suffices. With several replicas a
 * reinvocation that reaches another replica is refused with the
 * hash-not-accepted message and the client retries; cnpaas runs one.
 */

export interface IssuedPasswordsOptions {
  /** How long a value is remembered; default 5 minutes. */
  ttlMs?: number;
  /** At most this many values; the oldest go first. Default 10 000 (about 1 MiB). */
  maxEntries?: number;
  /** Milliseconds, for tests. */
  now?: () => number;
}

export class IssuedPasswords {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  /** value → expiry; a Map keeps insertion order, so the first entries are the oldest. */
  readonly #issued = new Map<string, number>();

  constructor(options: IssuedPasswordsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  remember(value: string): void {
    this.#prune();
    this.#issued.delete(value);
    this.#issued.set(value, this.#now() + this.#ttlMs);
    while (this.#issued.size > this.#max) this.#issued.delete(this.#issued.keys().next().value!);
  }

  has(value: string): boolean {
    const expiry = this.#issued.get(value);
    return expiry !== undefined && expiry > this.#now();
  }

  get size(): number {
    return this.#issued.size;
  }

  #prune(): void {
    const now = this.#now();
    for (const [value, expiry] of this.#issued) {
      if (expiry > now) break;
      this.#issued.delete(value);
    }
  }
}
