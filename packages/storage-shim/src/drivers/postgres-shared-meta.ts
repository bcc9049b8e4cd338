import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { LoggedRevision, MetaBackend, RevisionSequencer } from '../mvcc/backend.js';
import type { LeaseTable } from '../mvcc/lessor.js';
import type { NetworkSqlDriver } from './network-sql-driver.js';

/** Milliseconds on the database's clock: every replica reads the same one, so skew between hosts cannot expire a lease early. */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
/** The channel a commit notifies and every replica listens on. */
export const COMMIT_CHANNEL = 'cnpaas_store_commit';
/** Serializes the set-up of replicas that start together against a fresh database. */
const SETUP_LOCK = 0x636e_7061_7374_6f72n;
/** How often a replica looks for others' commits when no notification woke it. */
const POLL_MS = 250;

/**
 * The store meta of replicas (docs/replicas.md): it lives in the main
 * backend's PostgreSQL database, beside `kv` and `history`, so that one
 * transaction there covers a batch's rows, its leases and its revision.
 *
 * - The main backend's `meta` row `last_revision` is the sequencing lock: a
 *   batch locks it (`SELECT ... FOR UPDATE`) before it reads anything or
 *   takes a revision, and writes it in the same COMMIT.
 * - `compact_revision` and `cluster_id` are rows of the same `meta` table.
 * - Leases are rows of `store_leases` with an expiry on the database's clock.
 * - There is no revision log: a batch touches one database, so its COMMIT
 *   is atomic by itself. Replicas refuse routed backends (store.ts).
 */
export class PostgresSharedMeta implements MetaBackend {
  readonly location: string;
  readonly localFiles: readonly string[] = [];
  readonly sequencer: RevisionSequencer;
  readonly leaseTable: LeaseTable;
  readonly #main: NetworkSqlDriver;
  /** The member ID of this process: replicas share the cluster ID, each has its own member ID. */
  readonly #memberId = BigInt.asUintN(63, randomBytes(8).readBigUInt64BE()).toString();

  constructor(main: NetworkSqlDriver, listen: pg.ClientConfig, log: Logger) {
    this.#main = main;
    this.location = main.location;
    main.setup([
      `SELECT pg_advisory_xact_lock(${SETUP_LOCK})`,
      `CREATE TABLE IF NOT EXISTS store_leases (id BIGINT PRIMARY KEY, ttl BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `INSERT INTO meta (name, value) VALUES ('last_revision', '0') ON CONFLICT (name) DO NOTHING`,
      `INSERT INTO meta (name, value) VALUES ('cluster_id', '${BigInt.asUintN(63, randomBytes(8).readBigUInt64BE())}') ON CONFLICT (name) DO NOTHING`,
    ]);
    // A replica that loses PostgreSQL while it holds the lock must not hold it
    // forever (a partition), and a batch must not wait forever for a lock.
    main.setup(["SET SESSION idle_in_transaction_session_timeout = '15s'", "SET SESSION lock_timeout = '20s'"]);
    // The payload names the committing replica, so that it does not wake itself.
    main.commitNotice = `NOTIFY ${COMMIT_CHANNEL}, '${this.#memberId}'`;
    this.sequencer = new Sequencer({ main, listen, log, self: this.#memberId });
    this.leaseTable = new SharedLeases(main);
  }

  identity(name: 'member_id' | 'cluster_id'): string {
    if (name === 'member_id') return this.#memberId;
    return String(this.#get('cluster_id'));
  }

  compactRevision(): number {
    const v = this.#get('compact_revision');
    return v === undefined ? -1 : Number(v);
  }

  /** The main backend's `last_revision` is the floor; the meta adds nothing to it. */
  revisionFloor(): number {
    return 0;
  }

  /** Never lowers it: replicas that compact at once leave the highest revision. */
  setCompactRevision(revision: number): void {
    this.#main.statement(
      `INSERT INTO meta (name, value) VALUES ('compact_revision', $1) ON CONFLICT (name)
       DO UPDATE SET value = greatest(meta.value::bigint, excluded.value::bigint)::text`,
      [String(revision)],
    );
  }

  leases(): Array<{ id: bigint; ttl: number }> {
    return this.#main
      .statement('SELECT id::text AS id, ttl FROM store_leases')
      .rows.map((r) => ({ id: BigInt(r.id as string), ttl: Number(r.ttl) }));
  }

  putLease(id: bigint, ttl: number): void {
    this.#main.batchStatement(
      `INSERT INTO store_leases (id, ttl, expires_at) VALUES ($1, $2, ${NOW_MS} + $2::bigint * 1000)`,
      [id.toString(), ttl],
    );
  }

  deleteLease(id: bigint): void {
    this.#main.batchStatement('DELETE FROM store_leases WHERE id = $1', [id.toString()]);
  }

  log(): void {
    throw new Error('replicas keep every write in one database and need no revision log');
  }

  logged(): LoggedRevision[] {
    return [];
  }

  clearLog(): void {}

  /** Its writes are the main backend's batch: that driver opens, commits and rolls it back. */
  get inTransaction(): boolean {
    return false;
  }

  savepoint(): void {}
  releaseSavepoint(): void {}
  rollbackToSavepoint(): void {}
  commit(): void {}
  rollback(): void {}
  defragment(): void {}

  settings(): Record<string, unknown> {
    return { shared: true };
  }

  close(): void {
    (this.sequencer as Sequencer).close();
  }

  #get(name: string): string | undefined {
    return this.#main.statement('SELECT value FROM meta WHERE name = $1', [name]).rows[0]?.value as string | undefined;
  }
}

const LOCK = `SELECT value FROM meta WHERE name = 'last_revision' FOR UPDATE`;
const LATEST = `SELECT value FROM meta WHERE name = 'last_revision'`;

interface SequencerOptions {
  main: NetworkSqlDriver;
  /** What the LISTEN connection connects with. */
  listen: pg.ClientConfig;
  log: Logger;
  /** This replica's member ID: its own commits' notifications are ignored. */
  self: string;
}

class Sequencer implements RevisionSequencer {
  readonly #main: NetworkSqlDriver;
  readonly #options: SequencerOptions;
  #listener: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SequencerOptions) {
    this.#main = options.main;
    this.#options = options;
  }

  async lock(): Promise<number> {
    return revisionOf((await this.#main.beginLocked(LOCK)).rows[0]);
  }

  async latest(): Promise<number> {
    return revisionOf((await this.#main.readAsync(LATEST)).rows[0]);
  }

  latestNow(): number {
    return revisionOf(this.#main.statement(LATEST).rows[0]);
  }

  /**
   * LISTEN on a connection of its own wakes the replica as soon as another
   * commits; a slow poll covers a notification that never came (the listening
   * connection dropped, or the database restarted).
   */
  subscribe(wake: () => void): () => void {
    this.#timer = setInterval(wake, POLL_MS);
    this.#timer.unref();
    const { listen, log, self } = this.#options;
    const client = new pg.Client(listen);
    this.#listener = client;
    client.on('notification', (n) => {
      if (n.payload !== self) wake();
    });
    client.on('error', (err) => {
      log.warn({ err: err.message }, 'replica commit notifications stopped; polling every 250 ms');
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${COMMIT_CHANNEL}`))
      .catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'cannot listen for replica commits; polling every 250 ms');
      });
    return () => this.close();
  }

  close(): void {
    clearInterval(this.#timer);
    void this.#listener?.end().catch(() => undefined);
    this.#listener = undefined;
  }
}

function revisionOf(row: Record<string, unknown> | undefined): number {
  return Math.max(1, Number(row?.value ?? 0));
}

/** Leases as rows of the shared database, timed by its clock (see LeaseTable). */
class SharedLeases implements LeaseTable {
  readonly #main: NetworkSqlDriver;

  constructor(main: NetworkSqlDriver) {
    this.#main = main;
  }

  get size(): number {
    return Number(this.#main.statement('SELECT count(*) AS n FROM store_leases').rows[0]!.n);
  }

  has(id: bigint): boolean {
    return this.get(id) !== undefined;
  }

  get(id: bigint): { ttl: number } | undefined {
    const row = this.#main.statement('SELECT ttl FROM store_leases WHERE id = $1', [id.toString()]).rows[0];
    return row && { ttl: Number(row.ttl) };
  }

  /** The grant's row is written by the batch (PostgresSharedMeta.putLease). */
  add(): void {}
  delete(): void {}
  clear(): void {}

  /** A lease whose time is up is not renewed: some replica is about to revoke it. */
  renew(id: bigint): number {
    const row = this.#main.statement(
      `UPDATE store_leases SET expires_at = ${NOW_MS} + ttl * 1000 WHERE id = $1 AND expires_at > ${NOW_MS} RETURNING ttl`,
      [id.toString()],
    ).rows[0];
    return row ? Number(row.ttl) : 0;
  }

  remaining(id: bigint): number {
    const row = this.#main.statement(
      `SELECT greatest(0, expires_at - ${NOW_MS}) AS left_ms FROM store_leases WHERE id = $1`,
      [id.toString()],
    ).rows[0];
    return row ? Math.trunc(Number(row.left_ms) / 1000) : -1;
  }

  ids(): bigint[] {
    return this.#main.statement('SELECT id::text AS id FROM store_leases').rows.map((r) => BigInt(r.id as string));
  }

  /** Every replica asks; the revoke is idempotent under the lock, so only one of them deletes the keys. */
  expired(): bigint[] {
    return this.#main
      .statement(`SELECT id::text AS id FROM store_leases WHERE expires_at <= ${NOW_MS}`)
      .rows.map((r) => BigInt(r.id as string));
  }
}
