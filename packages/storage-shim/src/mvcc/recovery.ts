import type { Logger } from 'pino';
import type { BackendDriver, LoggedChange, MaybePromise, MetaBackend } from './backend.js';

/**
 * Start-up half of cross-file atomicity: meta.db's revision log is committed
 * before any backend file of a batch that spans files, so a file that missed
 * its commit (a crash in between) gets the logged revisions it lacks. Each
 * file knows the newest revision it holds, so nothing is applied twice.
 * Returns a promise only if a driver's commit did (see backend.ts); the log is
 * cleared once every commit has landed.
 */
export function recoverLoggedRevisions(
  meta: MetaBackend,
  drivers: ReadonlyMap<string, BackendDriver>,
  log: Logger,
): Promise<void> | undefined {
  const logged = meta.logged();
  if (logged.length === 0) return undefined;
  const work: Array<{ revision: number; backend: string; driver: BackendDriver; changes: LoggedChange[] }> = [];
  for (const entry of logged) {
    for (const [backend, changes] of changesByBackend(entry.changes)) {
      const driver = drivers.get(backend);
      if (driver) work.push({ revision: entry.revision, backend, driver, changes });
    }
  }
  // One revision after another, each committed before the next is read:
  // a synchronous driver runs the whole loop in this call.
  const from = (i: number): Promise<void> | undefined => {
    for (; i < work.length; i++) {
      const committed = reapply(work[i]!, log);
      if (committed instanceof Promise) return committed.then(() => from(i + 1));
    }
    meta.clearLog();
    return undefined;
  };
  return from(0);
}

function reapply(
  w: { revision: number; backend: string; driver: BackendDriver; changes: LoggedChange[] },
  log: Logger,
): MaybePromise<void> {
  const d = w.driver;
  if (d.lastRevision() >= w.revision) return undefined;
  log.warn({ backend: w.backend, revision: w.revision }, 're-applying a logged revision the backend lacks');
  applyLogged(d, w.revision, w.changes);
  return d.commit(w.revision);
}

/** A logged revision's changes by the backend they go to, each backend's in their logged order. */
export function changesByBackend(changes: readonly LoggedChange[]): Map<string, LoggedChange[]> {
  const out = new Map<string, LoggedChange[]>();
  for (const c of changes) {
    const list = out.get(c.backend);
    if (list) list.push(c);
    else out.set(c.backend, [c]);
  }
  return out;
}

/** Writes one logged revision's changes to a backend's open batch (opening it), as the commit path wrote them. */
export function applyLogged(d: BackendDriver, revision: number, changes: readonly LoggedChange[]): void {
  d.begin();
  for (const c of changes) {
    const prev = d.get(c.key);
    if (c.type === 'put') {
      d.put(
        {
          key: c.key,
          value: c.value,
          lease: c.lease,
          modRevision: revision,
          createRevision: c.createRevision,
          version: c.version,
        },
        c.sub,
        prev,
      );
    } else if (prev) {
      d.delete(c.key, revision, c.sub);
    }
  }
}
