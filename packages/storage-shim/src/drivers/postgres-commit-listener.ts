import pg from 'pg';
import { type CommitNotifier, POLL_MS } from './shared-meta.js';

/** The channel a replica's commit notifies and every replica listens on. */
export const COMMIT_CHANNEL = 'cnpaas_store_commit';

/**
 * PostgreSQL's LISTEN/NOTIFY as replicas' wake-up (docs/replicas.md): each
 * batch sends `NOTIFY` with its replica's member ID before its COMMIT (it is
 * delivered only if the COMMIT is), and every replica LISTENs on a
 * connection of its own, ignoring its own commits. It only wakes: what
 * changed is read from the tables, so a lost notification costs latency
 * (the poll finds it), never an event.
 */
export function postgresCommitListener(config: pg.ClientConfig): CommitNotifier {
  return {
    notice: (self) => `NOTIFY ${COMMIT_CHANNEL}, '${self}'`,
    listen({ self, wake, log }) {
      const client = new pg.Client(config);
      client.on('notification', (n) => {
        if (n.payload !== self) wake();
      });
      client.on('error', (err) => {
        log.warn({ err: err.message }, `replica commit notifications stopped; polling every ${POLL_MS} ms`);
      });
      client
        .connect()
        .then(() => client.query(`LISTEN ${COMMIT_CHANNEL}`))
        .catch((err: unknown) => {
          log.warn({ err: (err as Error).message }, `cannot listen for replica commits; polling every ${POLL_MS} ms`);
        });
      return () => void client.end().catch(() => undefined);
    },
  };
}
