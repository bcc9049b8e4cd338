import type { KeyRange } from '../keys.js';

/** How many continuations are remembered; a list in progress needs one, so this covers many lists at once. */
export const PAGE_COUNTS_CAPACITY = 1024;

/**
 * The `count` of a paginated list's next page, learnt from the page before.
 *
 * etcd answers every Range with the exact number of keys in its range at its
 * revision, and kube-apiserver reads it on every page of a list
 * (`hasMore = len(kvs) < count`, `remainingItemCount`), so each page after
 * the first would count the rest of the range again, row by row: the page
 * starts at its continue key, where no per-prefix count applies. But a page
 * at revision R that answered the first `n` keys of `[start, end)` out of
 * `count` leaves exactly `count - n` keys in `[lastKey + "\0", end)` at R,
 * which is where the next page starts (etcd's clientv3 and kube-apiserver
 * continue from `lastKey + "\0"`, pinned at the first page's revision). The
 * keys a committed revision holds never change: compaction only makes the
 * revision unreadable, and a Range refuses a compacted revision before it
 * reads. So the remembered count is exact for as long as it can be asked for.
 *
 * Only the store's read views use it (never a batch's view, whose state is
 * not yet a revision), and only for pages read in key order without
 * revision filters or a selector, where the keys answered are exactly the
 * first keys of the range.
 */
export class PageCounts {
  readonly #counts = new Map<string, number>();
  readonly #capacity: number;

  constructor(capacity = PAGE_COUNTS_CAPACITY) {
    this.#capacity = capacity;
  }

  /** The number of keys in `range` at `revision`, if a page before it left it here. */
  get(range: KeyRange, revision: number): number | undefined {
    const id = idOf(range, revision);
    const count = this.#counts.get(id);
    if (count === undefined) return undefined;
    // Most recently used last: a page asked again (a retry) keeps its entry.
    this.#counts.delete(id);
    this.#counts.set(id, count);
    return count;
  }

  /** Records that `range` holds `count` keys at `revision`. */
  set(range: KeyRange, revision: number, count: number): void {
    const id = idOf(range, revision);
    this.#counts.delete(id);
    this.#counts.set(id, count);
    if (this.#counts.size > this.#capacity) this.#counts.delete(this.#counts.keys().next().value!);
  }

  /**
   * Forgets every count: when the store reads its state from the databases
   * again, or routes keys to more backends. Neither changes a committed
   * revision's keys; forgetting keeps the counts from depending on that.
   */
  clear(): void {
    this.#counts.clear();
  }

  get size(): number {
    return this.#counts.size;
  }
}

/** One string per (range, revision): the start's length keeps start and end apart whatever bytes they hold. */
function idOf(range: KeyRange, revision: number): string {
  const end = range.end === null ? '' : `+${range.end.toString('latin1')}`;
  return `${revision} ${range.start.length} ${range.start.toString('latin1')}${end}`;
}
