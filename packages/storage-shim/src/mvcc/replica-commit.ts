import type { BackendDriver, LoggedRevision, MetaBackend, RevisionSequencer } from './backend.js';
import { crashPoint } from './crash-point.js';

export interface ReplicaCommit {
  /** The main backend, whose open batch holds the revision lock. */
  main: BackendDriver;
  /** The other backends the batch wrote (each its own database). */
  routed: readonly BackendDriver[];
  meta: MetaBackend;
  sequencer: RevisionSequencer;
  revisions: LoggedRevision[];
  /** The batch's newest revision, recorded by every database with its rows. */
  lastRevision: number;
}

/**
 * Commits a replica's batch over several databases (docs/replicas.md,
 * "Routed backends"), all while the main database's `last_revision` row is
 * locked by the batch:
 *
 * 1. the revision log, in the main database on a connection of its own
 *    (only if a routed database is written): from here on the batch can be
 *    completed by whoever takes the lock next;
 * 2. each routed database;
 * 3. the main database's rows, `last_revision` and the log's removal, in one
 *    COMMIT that also releases the lock.
 *
 * Other replicas read up to `last_revision` only, so they see the batch only
 * once every database holds it. A batch that writes the main backend alone
 * is one COMMIT, as before.
 */
export async function commitInOrder(c: ReplicaCommit): Promise<void> {
  const logged = c.routed.length > 0 && c.revisions.length > 0;
  if (logged) {
    c.meta.log(c.revisions, c.revisions[0]!.revision - 1);
    crashPoint('after-log');
  }
  // Every routed COMMIT is waited for, also when one fails: a COMMIT still in flight must not
  // overlap the next batch (or a completion) that reads what this database holds.
  // An async function turns a commit that throws as it starts into a rejection, so the others are still awaited.
  const settled = await Promise.allSettled(
    c.routed.map(async (d) => {
      await d.commit(c.lastRevision);
    }),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (logged) {
    crashPoint('between-commits');
    c.sequencer.forgetLogged(c.lastRevision);
  }
  await c.main.commit(c.lastRevision);
  // The batch is in: what the meta kept to redo should it roll back (its keep-alives) is dropped.
  c.meta.commit();
}
