import type { Database, Statement } from 'better-sqlite3';
import type { KeyRange } from '../keys.js';

/** How many directory levels of a key are counted: `/registry/<group>/<resource>/<namespace>/` is the deepest list. */
export const COUNTED_LEVELS = 4;
const SLASH = 0x2f;

/**
 * The number of live keys under each directory prefix of a SQLite backend
 * (`/registry/`, `/registry/pods/`, `/registry/pods/default/`, ...), kept in
 * the `counts` table in the same transaction as every create and delete.
 *
 * Why: etcd's Range returns `count`, every key in the range, also when
 * `limit` cuts the page, and kube-apiserver turns it into a list's
 * `remainingItemCount`. Counting the rest of a 10k-key range took longer than
 * reading the 500-key page. A range that is exactly one counted prefix (a
 * list's first page, a count-only Range) now reads one row instead.
 *
 * At a past revision the row still answers when nothing under the prefix was
 * created or deleted since (`changed`, the newest revision that did, is at or
 * below it); otherwise, and for any other range, the caller counts rows.
 * Updates leave counts alone, so a list pinned at its first page's revision
 * keeps the fast count while objects change, until one is created or deleted.
 *
 * A group commit's creates and deletes are summed per prefix in memory and
 * written once per prefix (`flush`), before the transaction commits, before
 * any count is read and before a savepoint: 64 creates in one namespace cost
 * three upserts, not 192, and a request undone to its savepoint
 * (`discard`) takes only its own deltas with it.
 */
export class PrefixCounts {
  readonly #db: Database;
  readonly #add: Statement;
  readonly #get: Statement;
  /** Deltas not yet written, by prefix (latin1): the sum, and the newest revision that changed it. */
  readonly #pending = new Map<string, { delta: number; revision: number }>();

  constructor(db: Database) {
    this.#db = db;
    this.#add = db.prepare(`INSERT INTO counts (prefix, n, changed) VALUES (@prefix, @delta, @revision)
      ON CONFLICT (prefix) DO UPDATE SET n = n + excluded.n, changed = excluded.changed`);
    this.#get = db.prepare('SELECT n, changed FROM counts WHERE prefix = @prefix');
  }

  /** A key came to life at `revision` (a create, not an update). */
  created(key: Buffer, revision: number): void {
    this.#note(key, 1, revision);
  }

  deleted(key: Buffer, revision: number): void {
    this.#note(key, -1, revision);
  }

  /**
   * Writes the pending deltas into the open transaction. A prefix whose
   * deltas cancel out is written too: its `changed` revision still moves,
   * since a count at a revision in between would differ.
   */
  flush(): void {
    if (this.#pending.size === 0) return;
    for (const [k, { delta, revision }] of this.#pending)
      this.#add.run({ prefix: Buffer.from(k, 'latin1'), delta, revision });
    this.#pending.clear();
  }

  /** Drops the pending deltas: their transaction, or the savepoint they came after, was rolled back. */
  discard(): void {
    this.#pending.clear();
  }

  /** The count of `range` at `revision` (null: now) if a row knows it; undefined: count the rows. */
  count(range: KeyRange, revision: number | null): number | undefined {
    const prefix = countedPrefixOf(range);
    if (!prefix) return undefined;
    // Inside a batch a read sees the batch's own creates and deletes.
    this.flush();
    const row = this.#get.get({ prefix }) as { n: number; changed: number } | undefined;
    if (!row || (revision !== null && revision < row.changed)) return undefined;
    return row.n;
  }

  #note(key: Buffer, delta: number, revision: number): void {
    for (const prefix of countedPrefixesOf(key.toString('latin1'))) {
      const entry = this.#pending.get(prefix);
      if (entry) {
        entry.delta += delta;
        entry.revision = revision;
      } else this.#pending.set(prefix, { delta, revision });
    }
  }

  /** Builds the table from the live keys (a file written before it existed); `revision` is the file's newest. */
  rebuild(revision: number): void {
    const totals = new Map<string, number>();
    for (const key of this.#db.prepare('SELECT key FROM kv').pluck().iterate() as Iterable<Buffer>) {
      for (const prefix of countedPrefixes(key)) {
        const k = prefix.toString('latin1');
        totals.set(k, (totals.get(k) ?? 0) + 1);
      }
    }
    this.#db.transaction(() => {
      this.#db.exec('DELETE FROM counts');
      for (const [k, n] of totals) this.#add.run({ prefix: Buffer.from(k, 'latin1'), delta: n, revision });
    })();
  }
}

/** Every prefix of `key` that ends in a slash, after the first byte, at most COUNTED_LEVELS of them. */
export function countedPrefixes(key: Buffer): Buffer[] {
  return countedPrefixesOf(key.toString('latin1')).map((p) => Buffer.from(p, 'latin1'));
}

/** countedPrefixes on a key as a latin1 string (one byte, one character): the map keys of the pending deltas. */
function countedPrefixesOf(key: string): string[] {
  const out: string[] = [];
  for (let i = key.indexOf('/', 1); i >= 0 && out.length < COUNTED_LEVELS; i = key.indexOf('/', i + 1)) {
    out.push(key.slice(0, i + 1));
  }
  return out;
}

/** The prefix a range covers exactly, if it is one that could be counted: [P, P with its last byte + 1), P = `.../`. */
function countedPrefixOf(range: KeyRange): Buffer | undefined {
  const { start, end } = range;
  if (end === null || end.length !== start.length || start.length < 2 || start[start.length - 1] !== SLASH)
    return undefined;
  if (end[end.length - 1] !== SLASH + 1 || start.compare(end, 0, end.length - 1, 0, start.length - 1) !== 0)
    return undefined;
  const prefix = start;
  return countedPrefixes(prefix).at(-1)?.length === prefix.length ? prefix : undefined;
}
