/**
 * Where a trigger may resume after a restart: the resume point must never
 * pass an event that is not yet finished, while deliveries finish out of
 * order (several objects in flight at once, retries with backoff).
 *
 * Every position of one watch stream is added in stream order: each event
 * (finished when it was delivered, given up on, or superseded) and each
 * checkpoint (a BOOKMARK, a list's resourceVersion, an event no one wants:
 * finished at once). The committed resourceVersion is that of the last
 * position of the longest finished prefix. resourceVersions are opaque and
 * never compared: only stream order counts.
 *
 * Storing `committed()` as `status.lastDeliveredResourceVersion` and
 * watching from it after a restart therefore replays at most events that
 * were finished out of order (at least once), and skips nothing.
 */
export class ProgressTracker {
  /** Unfinished-prefix window: positions from `#head` on, by sequence number. */
  readonly #pending = new Map<number, { rv: string | undefined; done: boolean }>();
  #head = 0;
  #next = 0;
  #committed: string | undefined;

  /** `resumedFrom`: the resourceVersion the stream starts after (already committed). */
  constructor(resumedFrom?: string) {
    this.#committed = resumedFrom;
  }

  /**
   * Appends an event (done=false) or a checkpoint (done=true); returns its
   * sequence number. `undefined`: a position that must finish before the
   * stream moves on but names no resume point of its own (the objects of a
   * list come in no resourceVersion order, so only the list's own
   * resourceVersion, added after them, may become the resume point).
   */
  add(resourceVersion: string | undefined, done = false): number {
    const seq = this.#next++;
    this.#pending.set(seq, { rv: resourceVersion, done });
    if (done) this.#advance();
    return seq;
  }

  /** Marks the position finished. Unknown or repeated sequence numbers are ignored. */
  finish(seq: number): void {
    const entry = this.#pending.get(seq);
    if (!entry || entry.done) return;
    entry.done = true;
    this.#advance();
  }

  /** The resourceVersion everything up to which is finished; undefined before the first. */
  committed(): string | undefined {
    return this.#committed;
  }

  /** Positions added and not yet behind the committed point. */
  outstanding(): number {
    return this.#pending.size;
  }

  #advance(): void {
    for (;;) {
      const entry = this.#pending.get(this.#head);
      if (!entry || !entry.done) return;
      this.#pending.delete(this.#head);
      this.#head++;
      if (entry.rv !== undefined) this.#committed = entry.rv;
    }
  }
}
