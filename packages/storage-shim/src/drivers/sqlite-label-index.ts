import type { Database, Statement } from 'better-sqlite3';
import { type KeyRange, mergeByKey } from '../keys.js';
import type { LabelLookup } from '../mvcc/backend.js';
import type { KeyValue } from '../types.js';
import { UNREADABLE, labelRowsOf, mostSelective } from '../selectors/label-index.js';
import type { Compiled } from './sql/dialect.js';
import { LABEL_OPEN, LabelIndexStatements } from './sql/label-index-statements.js';
import { boundOf } from './sql/statements.js';
import { sqliteDialect } from './sql/sqlite-dialect.js';

const SQL = new LabelIndexStatements(sqliteDialect);

/** How many versions the build reads per statement: bounded memory however large the file. */
const BUILD_BATCH = 1000;

/**
 * A SQLite backend's label index (selectors/label-index.ts says what it
 * holds): rows written and closed inside the driver's batch transaction, with
 * the version they describe, so the index is never ahead of or behind the data.
 */
export class SqliteLabelIndex {
  readonly #db: Database;
  readonly #insert: Statement;
  readonly #close: Statement;
  readonly #compact: Statement;
  readonly #lookups = new Map<Compiled, Statement>();

  constructor(db: Database) {
    this.#db = db;
    this.#insert = db.prepare(SQL.insert.text);
    this.#close = db.prepare(SQL.close.text);
    this.#compact = db.prepare(SQL.compact.text);
  }

  /** The rows of the version of `key` written at `revision`; call `closed` first for the version it replaces. */
  written(key: Buffer, revision: number, value: Buffer): void {
    for (const [name, label] of labelRowsOf(value))
      this.#insert.run({ name, value: label, key, revision, superseded: LABEL_OPEN });
  }

  /**
   * The key's current version `version` stops being visible at `revision`
   * (superseded or deleted). Its rows are found by their labels, read from
   * its value, so the open rows need no index of their own.
   */
  closed(version: KeyValue, revision: number): void {
    for (const [name, label] of labelRowsOf(version.value))
      this.#close.run({ name, value: label, key: version.key, revision: version.modRevision, rev: revision });
  }

  /** Removes at most `batch` rows of versions compacted at `revision`; returns how many. */
  compact(revision: number, batch: number): number {
    return this.#compact.run({ rev: revision, batch }).changes;
  }

  /**
   * The raw version rows in `range` at `revision` (null: now) that the most
   * selective of `lookups` selects, plus the unreadable ones, in key order.
   */
  lookup<Row extends { key: Buffer }>(
    range: KeyRange,
    revision: number | null,
    lookups: readonly LabelLookup[],
  ): Row[] {
    const bound = boundOf(range);
    const historical = revision !== null;
    const params: Record<string, unknown> = { start: range.start, open: LABEL_OPEN };
    if (range.end !== null && range.end.length > 0) params.end = range.end;
    if (historical) params.rev = revision;
    const label = (name: string, value: string | null) => ({ ...params, name, ...(value !== null ? { value } : {}) });
    const values = (l: LabelLookup) => l.values ?? [null];
    const count = (l: LabelLookup, cap: number) => {
      let n = 0;
      for (const value of values(l)) {
        if (n >= cap) break;
        const row = this.#statement(SQL.estimate(bound, historical, value !== null)).get({
          ...label(l.name, value),
          cap: cap - n,
        }) as { n: number };
        n += row.n;
      }
      return n;
    };
    const run = (name: string, value: string | null) =>
      this.#statement(SQL.lookup(bound, historical, value !== null)).all(label(name, value)) as Row[];
    const chosen = mostSelective(lookups, count);
    const lists = [run(UNREADABLE[0], UNREADABLE[1]), ...values(chosen).map((value) => run(chosen.name, value))];
    // A version has one value per label and a marker only when it has no readable labels: the lists are disjoint.
    return mergeByKey(lists, -1);
  }

  /** Removes every row (the store runs without the index now), in the caller's transaction. */
  clear(): void {
    this.#db.prepare('DELETE FROM label_index').run();
  }

  /**
   * Fills the index from every stored version, current and past (a file the
   * store wrote before it had the index), in the caller's transaction.
   */
  build(): void {
    const current = this.#db.prepare(SQL.currentVersions.text);
    const past = this.#db.prepare(SQL.pastVersions.text);
    type Version = { id: number; key: Buffer; mod_revision: number; superseded?: number; value: Buffer };
    for (const stmt of [current, past]) {
      for (let after = 0; ;) {
        const rows = stmt.all({ after, limit: BUILD_BATCH }) as Version[];
        if (rows.length === 0) break;
        for (const row of rows) {
          for (const [name, label] of labelRowsOf(row.value))
            this.#insert.run({
              name,
              value: label,
              key: row.key,
              revision: row.mod_revision,
              superseded: row.superseded ?? LABEL_OPEN,
            });
        }
        after = rows.at(-1)!.id;
      }
    }
  }

  #statement(sql: Compiled): Statement {
    let stmt = this.#lookups.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare(sql.text);
      this.#lookups.set(sql, stmt);
    }
    return stmt;
  }
}
