import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { EtcdError, StoreError, type StoreErrorCode } from '../errors.js';
import {
  type RoutingFingerprint,
  decodeFingerprint,
  encodeFingerprint,
  fingerprintDigest,
  routingDifferences,
} from '../routing/routing-fingerprint.js';
import type { ConnectedEndpoint } from './connection-settings.js';
import type { Param, SharedMetaSql } from './sql/dialect.js';

/** The main database's `meta` rows that record the replicas' topology: the canonical text, and its digest. */
export const TOPOLOGY_ROW = 'topology';
export const TOPOLOGY_DIGEST_ROW = 'topology_digest';

/** What the shared meta lends this check: statements in the main database's dialect, outside any batch. */
export interface MetaStatements {
  readonly shared: SharedMetaSql;
  run(
    name: string,
    template: (p: Param) => string,
    values: Record<string, unknown>,
  ): { rows: Array<Record<string, unknown>> };
}

/** The main endpoint as store-server.ts hands it over: with the topology its replicas must share. */
export interface SharedMainEndpoint extends ConnectedEndpoint {
  topology?: SharedTopology;
}

const CODE: StoreErrorCode = 'CNPAAS_STORE_REPLICA_TOPOLOGY_MISMATCH';
const PROCEDURE =
  'to change the topology of the replicas, stop every replica, change every file, and start one with --replace-topology (docs/replicas.md, "Changing the topology")';

/**
 * The one topology every replica of a main database routes by (docs/replicas.md,
 * "One topology for all replicas"), checked in two steps:
 *
 * 1. `compare`, when the shared meta opens, before any routed database is
 *    opened: a replica whose topology differs from the recorded one is refused
 *    and has written nothing.
 * 2. `record`, once every backend opened and before the replica listens: the
 *    first replica records its topology (one statement, so of two replicas
 *    starting at once with different ones, one records and the other is
 *    refused); `--replace-topology` replaces the recorded one instead. A start
 *    that fails on the way, e.g. on a routed database that cannot be reached,
 *    records nothing.
 *
 * From then on every batch reads the recorded digest behind the revision lock,
 * and every look for other replicas' commits reads it with the newest revision:
 * a replica whose topology is no longer the recorded one takes no more
 * requests and stops (store-server.ts), so a replica forgotten on the old
 * topology cannot put keys where the others no longer look for them.
 */
export class SharedTopology {
  readonly fingerprint: RoutingFingerprint;
  readonly digest: string;
  readonly #text: string;
  /** How this replica's topology is named in messages: its file. */
  readonly source: string;
  readonly #replace: boolean;
  #sql: MetaStatements | undefined;
  #location = 'the main database';
  #log: Logger | undefined;
  /** Set by `record`: only from then on does a different recorded topology stop this replica. */
  #recorded = false;
  #recordedDigest: string | undefined;
  #stale: StoreError | undefined;
  readonly #listeners = new Set<(err: StoreError) => void>();

  constructor(options: { fingerprint: RoutingFingerprint; file: string | null; replace: boolean }) {
    this.fingerprint = options.fingerprint;
    this.#text = encodeFingerprint(options.fingerprint);
    this.digest = fingerprintDigest(this.#text);
    this.source = options.file ? `--topology ${options.file}` : 'no --topology (every key in the main database)';
    this.#replace = options.replace;
  }

  /** Step 1, by the shared meta, which lends its statements for the rest of the replica's life. */
  compare(sql: MetaStatements, context: { location: string; log: Logger }): void {
    this.#sql = sql;
    this.#location = context.location;
    this.#log = context.log;
    const recorded = this.#read();
    this.#recordedDigest = recorded.digest;
    if (recorded.digest === undefined || recorded.digest === this.digest || this.#replace) return;
    throw this.#refusal(recorded.text);
  }

  /**
   * After `compare`: this replica is about to record a routing other than the
   * one recorded (the first replica of a database, or --replace-topology), so
   * the keys stored so far must be checked against it first.
   */
  get replacesRecorded(): boolean {
    return this.#recordedDigest !== this.digest;
  }

  /** Step 2, by store-server.ts: the replica opened everything and is about to serve. */
  record(): void {
    const sql = this.#sql!;
    const values = { text: this.#text, digest: this.digest };
    sql.run(
      'recordTopology',
      (p) => sql.shared.insertIfAbsent(`('${TOPOLOGY_ROW}', ${p('text')}), ('${TOPOLOGY_DIGEST_ROW}', ${p('digest')})`),
      values,
    );
    const recorded = this.#read();
    if (recorded.digest !== this.digest) {
      if (!this.#replace) throw this.#refusal(recorded.text);
      // Updating the `last_revision` row (to itself) takes the revision lock: a batch of another replica
      // commits wholly before the new topology is recorded, or reads it behind the lock and is refused.
      sql.run(
        'replaceTopology',
        (p) =>
          `UPDATE meta SET value = CASE name WHEN '${TOPOLOGY_ROW}' THEN ${p('text')} WHEN '${TOPOLOGY_DIGEST_ROW}' THEN ${p('digest')} ELSE value END
           WHERE name IN ('last_revision', '${TOPOLOGY_ROW}', '${TOPOLOGY_DIGEST_ROW}')`,
        values,
      );
      this.#log?.warn(
        { differences: this.#differences(recorded.text, "this replica's topology") },
        `--replace-topology: recorded ${this.source} in ${this.#location} as the topology of every replica; replicas still running with the one it replaced stop`,
      );
    }
    this.#recorded = true;
  }

  /**
   * Whether this replica may go on, given the digest read now. Before
   * `record` it serves nobody yet, and a replacement it is about to make
   * differs by design; a digest nobody recorded (the rows were deleted by
   * hand) constrains nobody, until the next replica to start records one.
   */
  agrees(recordedDigest: unknown): boolean {
    if (this.#stale !== undefined) return false;
    return !this.#recorded || recordedDigest === undefined || recordedDigest === null || recordedDigest === this.digest;
  }

  /**
   * `agrees` as an SQL condition on the recorded digest, for a guard read
   * under the lock (shared-meta.ts): null once this replica is stale, when
   * it must not write at all. The digest is hexadecimal, written in as is.
   */
  get guardCondition(): string | null {
    if (this.#stale !== undefined) return null;
    if (!this.#recorded) return '1 = 1';
    return `NOT EXISTS (SELECT 1 FROM meta WHERE name = '${TOPOLOGY_DIGEST_ROW}' AND value <> '${this.digest}')`;
  }

  /**
   * Throws once the recorded topology is no longer this replica's, and on
   * every call after: the request at hand gets UNAVAILABLE (another replica
   * may serve it), and the listeners hear once why this replica must stop.
   */
  verify(recordedDigest: unknown): void {
    if (this.agrees(recordedDigest)) return;
    if (this.#stale === undefined) {
      this.#stale = this.#staleError();
      for (const listener of this.#listeners) listener(this.#stale);
    }
    throw new EtcdError(GrpcStatus.UNAVAILABLE, `cnpaas-store: ${CODE}: ${this.#stale.message}`);
  }

  /** Called once, when another replica recorded a topology that is not this one. */
  onStale(listener: (err: StoreError) => void): void {
    this.#listeners.add(listener);
  }

  /** A SIGHUP on a replica: the file may change anything but the routing, which changes only by the procedure. */
  checkReload(next: RoutingFingerprint, file: string): void {
    const differences = routingDifferences(this.fingerprint, next, {
      was: 'the topology every replica runs with',
      is: `${file} now`,
    });
    if (differences.length === 0) return;
    throw new StoreError(
      CODE,
      `${file} now routes keys unlike the topology every replica of ${this.#location} runs with: ${differences.join('; ')}; a replica does not change its routes while it runs, since the others would keep the old ones`,
      `put the file back as it was; ${PROCEDURE}`,
    );
  }

  #refusal(recordedText: string | undefined): StoreError {
    return new StoreError(
      CODE,
      `${this.source} routes keys unlike the topology recorded in ${this.#location} by the replicas that share it: ${this.#differences(recordedText, "this replica's topology")}`,
      `start this replica with the same topology file as the running replicas; ${PROCEDURE}`,
    );
  }

  #read(): { text?: string; digest?: string } {
    const rows = this.#sql!.run(
      'recordedTopology',
      () => `SELECT name, value FROM meta WHERE name IN ('${TOPOLOGY_ROW}', '${TOPOLOGY_DIGEST_ROW}')`,
      {},
    ).rows;
    const value = (name: string) => rows.find((r) => r.name === name)?.value as string | undefined;
    return { text: value(TOPOLOGY_ROW), digest: value(TOPOLOGY_DIGEST_ROW) };
  }

  #differences(recordedText: string | undefined, ours: string): string {
    const recorded = recordedText === undefined ? undefined : decodeFingerprint(recordedText);
    if (!recorded)
      return 'the recorded topology is in a form this cnpaas-store does not read (a newer version wrote it)';
    const differences = routingDifferences(recorded, this.fingerprint, { was: 'the recorded topology', is: ours });
    // Equal routes always encode to equal text: a digest that differs anyway was written by hand.
    return differences.join('; ') || 'the recorded digest does not match the recorded topology';
  }

  #staleError(): StoreError {
    let differences: string;
    try {
      differences = this.#differences(this.#read().text, "this replica's");
    } catch {
      // The database went away just now: the digest alone already says that the topologies differ.
      differences = 'the recorded topology could not be read to say how';
    }
    return new StoreError(
      CODE,
      `another replica recorded a different topology in ${this.#location} (--replace-topology): ${differences}; this replica routes keys the old way, so it takes no more requests and stops`,
      'start it again with the topology file the other replicas now run with',
    );
  }
}
