/** The most batches a replica takes under the lock after a refused optimistic one, before it tries again. */
export const MOST_SKIPPED = 64;

/**
 * When a replica sends its next batch optimistically (store.ts, docs/replicas.md
 * "A lone write"). While they commit, every batch that can be one is. A
 * refusal costs a round trip to no effect, and says that another replica
 * is writing, or that the batch's keys were not as this one knew them: the
 * next 1, 2, 4 … MOST_SKIPPED batches take the lock instead, and the first
 * optimistic batch to commit again ends the pause.
 */
export class Optimism {
  #skip = 0;
  #pause = 0;

  /** Whether the next batch may be optimistic; counts it as skipped if not. */
  ready(): boolean {
    if (this.#skip === 0) return true;
    this.#skip--;
    return false;
  }

  committed(): void {
    this.#pause = 0;
  }

  refused(): void {
    this.#pause = Math.min(MOST_SKIPPED, Math.max(1, this.#pause * 2));
    this.#skip = this.#pause;
  }
}
