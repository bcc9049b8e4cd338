import pg from 'pg';
import { type CommitNotifier, POLL_MS } from './shared-meta.js';

/** The channel a replica's commit notifies and every replica listens on. */
export const COMMIT_CHANNEL = 'cnpaas_store_commit';

/** The pause before listening again after the connection ended, doubling up to the maximum while the server is away. */
const RELISTEN_MIN_MS = 250;
const RELISTEN_MAX_MS = 4000;

/**
 * PostgreSQL's LISTEN/NOTIFY as replicas' wake-up (docs/replicas.md): each
 * batch sends `NOTIFY` with its replica's member ID before its COMMIT (it is
 * delivered only if the COMMIT is), and every replica LISTENs on a
 * connection of its own, ignoring its own commits. It only wakes: what
 * changed is read from the tables, so a lost notification costs latency
 * (the poll finds it), never an event. A listening connection that ends
 * (the server restarted) is opened again by itself.
 */
export function postgresCommitListener(config: pg.ClientConfig): CommitNotifier {
  return {
    notice: (self) => `NOTIFY ${COMMIT_CHANNEL}, '${self}'`,
    listen({ self, wake, log }) {
      let stopped = false;
      let client: pg.Client | undefined;
      let timer: NodeJS.Timeout | undefined;
      let delay = RELISTEN_MIN_MS;
      // A listening connection the server ended (a restart) is opened again, with a growing pause while
      // the server stays away; polling covers the meantime, and a wake after LISTEN catches up at once.
      const retry = (why: string, err: Error) => {
        if (stopped || timer) return;
        log.warn({ err: err.message }, `${why}; polling every ${POLL_MS} ms, listening again in ${delay} ms`);
        timer = setTimeout(() => {
          timer = undefined;
          start();
        }, delay);
        timer.unref();
        delay = Math.min(delay * 2, RELISTEN_MAX_MS);
      };
      const start = () => {
        const c = new pg.Client(config);
        client = c;
        const lost = (err: Error) => {
          if (client !== c) return;
          client = undefined;
          void c.end().catch(() => undefined);
          retry('replica commit notifications stopped', err);
        };
        c.on('notification', (n) => {
          if (n.payload !== self) wake();
        });
        c.on('error', lost);
        c.on('end', () => lost(new Error('the listening connection ended')));
        c.connect()
          .then(() => c.query(`LISTEN ${COMMIT_CHANNEL}`))
          .then(() => {
            delay = RELISTEN_MIN_MS;
            // Commits made while nobody listened sent notices no one heard.
            wake();
          })
          .catch((err: unknown) => {
            if (client !== c) return;
            client = undefined;
            void c.end().catch(() => undefined);
            retry('cannot listen for replica commits', err as Error);
          });
      };
      start();
      return () => {
        stopped = true;
        clearTimeout(timer);
        const c = client;
        client = undefined;
        void c?.end().catch(() => undefined);
      };
    },
  };
}
