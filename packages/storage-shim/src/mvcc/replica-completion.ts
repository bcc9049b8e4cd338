import type { Logger } from 'pino';
import { StoreError } from '../errors.js';
import { DEFAULT_BACKEND } from '../routing/topology.js';
import type { BackendDriver, LoggedRevision, RevisionSequencer } from './backend.js';
import { applyLogged, changesByBackend } from './recovery.js';

export interface Completion {
  /** Entries above the main database's `last_revision`, in revision order, read holding the lock. */
  logged: readonly LoggedRevision[];
  drivers: ReadonlyMap<string, BackendDriver>;
  sequencer: RevisionSequencer;
  log: Logger;
}

/**
 * Replicas: completes the revisions a replica logged and then died before
 * the main database committed them (docs/replicas.md, "Routed backends"),
 * as a batch of its own under the lock that `logged` was read with. Each
 * routed database that lacks a revision gets it (one COMMIT per revision,
 * checked under that database's `last_revision` row lock, so nothing is
 * applied twice), then the main database gets its rows, the new
 * `last_revision` and the log's removal in one COMMIT, which releases the
 * lock. Resolves with the newest completed revision; the caller delivers
 * them to its watchers by catching up like with any other replica's commit.
 * If it fails half-way, the log stays and the next lock holder goes on.
 */
export async function completeLogged(c: Completion): Promise<number> {
  const main = c.drivers.get(DEFAULT_BACKEND)!;
  for (const entry of c.logged) {
    for (const [backend, changes] of changesByBackend(entry.changes)) {
      if (backend === DEFAULT_BACKEND) continue;
      const d = c.drivers.get(backend);
      if (!d) throw unknownBackend(backend, entry.revision);
      const held = d.lockedLastRevision ? d.lockedLastRevision() : d.lastRevision();
      if (held >= entry.revision) {
        d.rollback();
        continue;
      }
      c.log.warn({ backend, revision: entry.revision }, 'completing a revision a dead replica logged');
      applyLogged(d, entry.revision, changes);
      await d.commit(entry.revision);
    }
  }
  // The main database never has them: its COMMIT is the last step, and it records `last_revision`.
  for (const entry of c.logged) {
    const changes = entry.changes.filter((ch) => ch.backend === DEFAULT_BACKEND);
    if (changes.length > 0) applyLogged(main, entry.revision, changes);
  }
  const top = c.logged.at(-1)!.revision;
  c.sequencer.forgetLogged(top);
  await main.commit(top);
  c.log.warn({ revision: top }, 'completed the revisions of a replica that died between its commits');
  return top;
}

/** A replica logged a write to a backend this one does not route to: their topologies differ. */
function unknownBackend(backend: string, revision: number): StoreError {
  return new StoreError(
    'CNPAAS_STORE_REPLICA_TOPOLOGY',
    `revision ${revision} was logged by another replica for backend "${backend}", which this replica's topology does not have`,
    'give every replica the same --topology file',
  );
}
