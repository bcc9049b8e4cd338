import type { Logger } from 'pino';
import type { LoggedChange, MetaStore } from '../drivers/meta-store.js';
import type { SqliteDriver } from '../drivers/sqlite-driver.js';

/**
 * Start-up half of cross-file atomicity: meta.db's revision log is committed
 * before any backend file of a batch that spans files, so a file that missed
 * its commit (a crash in between) gets the logged revisions it lacks. Each
 * file knows the newest revision it holds, so nothing is applied twice.
 */
export function recoverLoggedRevisions(meta: MetaStore, drivers: ReadonlyMap<string, SqliteDriver>, log: Logger): void {
  const logged = meta.logged();
  for (const entry of logged) {
    const byBackend = new Map<string, LoggedChange[]>();
    for (const c of entry.changes) byBackend.set(c.backend, [...(byBackend.get(c.backend) ?? []), c]);
    for (const [name, list] of byBackend) {
      const d = drivers.get(name);
      if (!d || d.lastRevision() >= entry.revision) continue;
      log.warn({ backend: name, revision: entry.revision }, 're-applying a logged revision the backend lacks');
      d.begin();
      for (const c of list) {
        const prev = d.get(c.key);
        if (c.type === 'put') {
          d.put(
            {
              key: c.key,
              value: c.value,
              lease: c.lease,
              modRevision: entry.revision,
              createRevision: c.createRevision,
              version: c.version,
            },
            c.sub,
            prev,
          );
        } else if (prev) {
          d.delete(c.key, entry.revision, c.sub);
        }
      }
      d.commit(entry.revision);
    }
  }
  if (logged.length > 0) meta.clearLog();
}
