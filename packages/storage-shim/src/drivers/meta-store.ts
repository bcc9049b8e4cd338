import type { Statement } from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { LoggedRevision, MetaBackend, OpenOptions } from '../mvcc/backend.js';
import { dirname } from 'node:path';
import { lockDataDir } from './data-dir-lock.js';
import { decodeChanges, encodeChanges } from './revision-log-codec.js';
import { SqliteFile } from './sqlite-file.js';

/** The `meta` row with the routing of the topology the store last started with (routing-fingerprint.ts). */
const ROUTING_ROW = 'routing';

const META_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
  CREATE TABLE leases (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL);
  CREATE TABLE txlog (revision INTEGER PRIMARY KEY, changes BLOB NOT NULL);
  `,
];

/**
 * meta.db: what belongs to the store as a whole rather than to one backend —
 * the compact revision, leases, the member identity, and the revision log that
 * makes a write spanning several backends atomic. Always a SQLite file in the
 * data dir (unless replicas share a main backend in a network database:
 * shared-meta.ts), and owned by one process: opening it locks the
 * data dir (data-dir-lock.ts).
 */
export class MetaStore extends SqliteFile implements MetaBackend {
  readonly #putLease: Statement;
  readonly #deleteLease: Statement;
  readonly #log: Statement;
  readonly #trim: Statement;
  readonly #lock: { release(): void };

  constructor(path: string, options: OpenOptions) {
    // Before the file is opened: a second process must not touch it at all.
    const lock = lockDataDir(dirname(path));
    try {
      super({ path, ...options, migrations: META_MIGRATIONS });
    } catch (err) {
      lock.release();
      throw err;
    }
    this.#lock = lock;
    this.#putLease = this.db.prepare('INSERT INTO leases (id, ttl) VALUES (?, ?)');
    this.#deleteLease = this.db.prepare('DELETE FROM leases WHERE id = ?');
    this.#log = this.db.prepare('INSERT INTO txlog (revision, changes) VALUES (?, ?)');
    this.#trim = this.db.prepare('DELETE FROM txlog WHERE revision <= ?');
  }

  /** A random, persistent 64-bit ID (as decimal text), created on first use. */
  identity(name: 'member_id' | 'cluster_id'): string {
    let id = this.getMeta(name) as string | undefined;
    if (!id) {
      id = BigInt.asUintN(63, randomBytes(8).readBigUInt64BE()).toString();
      this.setMeta(name, id);
    }
    return id;
  }

  recordedRouting(): string | undefined {
    return (this.getMeta(ROUTING_ROW) as string | null | undefined) ?? undefined;
  }

  recordRouting(encoded: string): void {
    this.setMeta(ROUTING_ROW, encoded);
  }

  compactRevision(): number {
    const v = this.getMeta('compact_revision');
    return v === undefined || v === null ? -1 : Number(v);
  }

  /** The highest revision this file has seen (logged writes, compactions). */
  revisionFloor(): number {
    return Number(this.getMeta('revision_floor') ?? 0);
  }

  // A transaction of its own, synced by its COMMIT: the store opens and commits meta.db's batch within one turn of
  // the event loop (RevisionStore.#runBatch), so no batch is open here for it to join as a savepoint. The floor is
  // only raised: a batch spanning files logged its revisions here, above `committed`, before its backends commit.
  setCompactRevision(revision: number, committed: number): void {
    this.db.transaction(() => {
      this.setMeta('compact_revision', revision);
      this.setMeta('revision_floor', Math.max(this.revisionFloor(), committed));
    })();
  }

  leases(): Array<{ id: bigint; ttl: number }> {
    return this.db
      .prepare('SELECT CAST(id AS TEXT) AS id, ttl FROM leases')
      .all()
      .map((r) => {
        const row = r as { id: string; ttl: number };
        return { id: BigInt(row.id), ttl: row.ttl };
      });
  }

  putLease(id: bigint, ttl: number): void {
    this.begin();
    this.#putLease.run(id, ttl);
  }

  deleteLease(id: bigint): void {
    this.begin();
    this.#deleteLease.run(id);
  }

  /** Logs revisions that span backend files; committing this file is their durability point. */
  log(revisions: LoggedRevision[], trimUpTo: number): void {
    this.begin();
    this.#trim.run(trimUpTo);
    for (const r of revisions) this.#log.run(r.revision, encodeChanges(r.changes));
    this.setMeta('revision_floor', revisions.at(-1)!.revision);
  }

  logged(): LoggedRevision[] {
    const rows = this.db.prepare('SELECT revision, changes FROM txlog ORDER BY revision').all() as Array<{
      revision: number;
      changes: Buffer;
    }>;
    return rows.map((r) => ({
      revision: r.revision,
      changes: decodeChanges(r.changes),
    }));
  }

  /**
   * Commits the batch's part in meta.db, durable on return (FULL: the fsync is inside COMMIT): the revision log of a
   * write spanning files must be on disk before any backend file commits it.
   */
  commit(): void {
    this.commitTransaction();
  }

  clearLog(): void {
    this.db.prepare('DELETE FROM txlog').run();
  }

  override close(): void {
    super.close();
    this.#lock.release();
  }
}
