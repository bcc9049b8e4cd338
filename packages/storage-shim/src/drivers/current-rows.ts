import type { KeyValue } from '../types.js';

/** A key's current version as a batch knows it, with the sub-revision it was written in. */
export interface KnownRow {
  kv: KeyValue;
  sub: number;
}

/**
 * How many keys, and how many bytes of keys and values, the rows of recent
 * batches may hold: enough for the objects a cluster keeps rewriting (node
 * and leader-election Leases, status updates) to be known when they come
 * again, at a memory cost this bounds.
 */
export const CURRENT_ROWS_LIMIT = { keys: 16_384, bytes: 32 * 1024 * 1024 };

/** A value larger than this is not kept: the next write of its key reads it under the lock. */
const LARGEST_KEPT = 256 * 1024;

/**
 * The current rows of the keys recent batches of this process read or
 * wrote (null: the key has none), all as of one revision, `at`: what an
 * optimistic batch reads instead of asking the database
 * (network-sql-driver.ts `speculate`). Each entry is only a guess the
 * batch's guard checks under the lock, so forgetting one costs at most a
 * refused guard, never a wrong answer.
 *
 * Bounded in keys and bytes, the least recently used going first. Keys and
 * values are copied in: a row read ahead is a view of the whole page it
 * came in, which must not stay alive for one key.
 */
export class CurrentRows {
  readonly #rows = new Map<string, KnownRow | null>();
  #bytes = 0;
  /** The revision the rows are current at; -1: none yet. */
  at = -1;

  get size(): number {
    return this.#rows.size;
  }

  /** The row (null: none), or undefined for a key not kept. A hit becomes the most recently used. */
  get(k: string): KnownRow | null | undefined {
    const row = this.#rows.get(k);
    if (row === undefined) return undefined;
    this.#rows.delete(k);
    this.#rows.set(k, row);
    return row;
  }

  /** What a committed batch knew, current as of `revision`; `carryOver`: the rows kept so far are still current too. */
  learn(rows: ReadonlyMap<string, KnownRow | null>, revision: number, carryOver: boolean): void {
    if (!carryOver) this.clear();
    this.at = revision;
    for (const [k, row] of rows) {
      this.#drop(k);
      if (row && row.kv.value.length > LARGEST_KEPT) continue;
      const kept = row && {
        kv: { ...row.kv, key: Buffer.from(row.kv.key), value: Buffer.from(row.kv.value) },
        sub: row.sub,
      };
      this.#rows.set(k, kept);
      this.#bytes += sizeOf(k, kept);
    }
    for (const [k] of this.#rows) {
      if (this.#rows.size <= CURRENT_ROWS_LIMIT.keys && this.#bytes <= CURRENT_ROWS_LIMIT.bytes) break;
      this.#drop(k);
    }
  }

  clear(): void {
    this.#rows.clear();
    this.#bytes = 0;
    this.at = -1;
  }

  #drop(k: string): void {
    const row = this.#rows.get(k);
    if (row === undefined) return;
    this.#rows.delete(k);
    this.#bytes -= sizeOf(k, row);
  }
}

function sizeOf(k: string, row: KnownRow | null): number {
  return k.length + (row ? row.kv.value.length : 0);
}
