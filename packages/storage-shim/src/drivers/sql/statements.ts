import type { KeyRange } from '../../keys.js';
import type { GuardConditions } from '../../mvcc/backend.js';
import type { KeyValue } from '../../types.js';
import { type Compiled, type Dialect, type Param, compile, valueRows } from './dialect.js';

/**
 * The queries of a backend, written once for every SQL database (kine's
 * `generic`): each dialect fills in only what it spells differently. A
 * backend holds `kv` (the current version of each key), `history` (every
 * superseded version and delete tombstone; a row is visible at revisions
 * [mod_revision, superseded)) and `meta` (named values such as the newest
 * revision the backend holds).
 *
 * Parameters: key, start, end, rev, limit, from, to, batch, superseded, lease,
 * name, value and the row's columns.
 */
/** The named values of the `upsert` statement: a key's new current version, written in sub-revision `sub`. */
export function upsertValues(kv: KeyValue, sub: number): Record<string, unknown> {
  return {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    sub,
    version: kv.version,
    lease: kv.lease,
    value: kv.value,
  };
}

export type Bound = 'one' | 'between' | 'from';

export function boundOf(range: KeyRange): Bound {
  if (range.end === null) return 'one';
  return range.end.length === 0 ? 'from' : 'between';
}

const KV_COLUMNS = ['key', 'create_revision', 'mod_revision', 'sub', 'version', 'lease', 'value'] as const;
const HISTORY_COLUMNS = [...KV_COLUMNS, 'deleted', 'superseded'] as const;

/** The named values of a `historyRows` row: a superseded version (`deleted` 0) or a delete's tombstone (1). */
export function historyValues(
  kv: KeyValue,
  sub: number,
  row: { deleted: boolean; superseded: number },
): Record<string, unknown> {
  return { ...upsertValues(kv, sub), deleted: row.deleted ? 1 : 0, superseded: row.superseded };
}

export class BackendStatements {
  readonly dialect: Dialect;
  readonly get: Compiled;
  readonly upsert: Compiled;
  readonly tombstone: Compiled;
  readonly deleteKv: Compiled;
  /** Moves a key's current row to history; the database copies it without a round trip. */
  readonly archive: Compiled;
  readonly prevOf: Compiled;
  readonly keysByLease: Compiled;
  readonly keyCount: Compiled;
  readonly compact: Compiled;
  readonly getMeta: Compiled;
  readonly setMeta: Compiled;
  readonly #variants = new Map<string, Compiled>();

  constructor(dialect: Dialect) {
    this.dialect = dialect;
    const c = (template: Parameters<typeof compile>[1]) => compile(dialect, template);
    const key = dialect.key;
    this.get = c((p) => `SELECT ${this.#columns(false)} FROM kv WHERE ${key} = ${p('key')}`);
    this.upsert = c((p) => dialect.upsert('kv', KV_COLUMNS, 'key', p));
    this.tombstone = c(
      (p) => `INSERT INTO history
      (${key}, create_revision, mod_revision, sub, version, lease, value, deleted, superseded)
      VALUES (${p('key')}, 0, ${p('rev')}, ${p('sub')}, 0, 0, ${dialect.emptyBlob}, 1, ${p('rev')})`,
    );
    this.deleteKv = c((p) => `DELETE FROM kv WHERE ${key} = ${p('key')}`);
    this.archive = c(
      (p) => `INSERT INTO history
      (${key}, create_revision, mod_revision, sub, version, lease, value, deleted, superseded)
      SELECT ${key}, create_revision, mod_revision, sub, version, lease, value, 0, ${p('superseded')} FROM kv WHERE ${key} = ${p('key')}`,
    );
    this.prevOf = c(
      (p) => `SELECT ${this.#columns(false)} FROM history
      WHERE ${key} = ${p('key')} AND superseded = ${p('rev')} AND mod_revision < ${p('rev')} AND deleted = 0
      ORDER BY mod_revision DESC LIMIT 1`,
    );
    this.keysByLease = c((p) => `SELECT ${key} FROM kv WHERE lease = ${p('lease')} ORDER BY ${key}`);
    this.keyCount = c(() => 'SELECT count(*) FROM kv');
    // Found through history_mod: a superseded row always has mod_revision < superseded.
    this.compact = c((p) =>
      dialect.deleteLimited('history', `mod_revision < ${p('rev')} AND superseded <= ${p('rev')}`, p('batch')),
    );
    this.getMeta = c((p) => `SELECT value FROM meta WHERE name = ${p('name')}`);
    this.setMeta = c((p) => dialect.upsert('meta', ['name', 'value'], 'name', p));
  }

  /**
   * The current rows of `n` keys (`k0`, `k1`, …), each with the sub-revision
   * it was written in: a batch's point reads, loaded in one round trip.
   */
  getMany(n: number): Compiled {
    return this.#variant(`getMany:${n}`, (p) => {
      const keys = Array.from({ length: n }, (_, i) => p(`k${i}`)).join(', ');
      return `SELECT ${this.#columns(false)}, sub FROM kv WHERE ${this.dialect.key} IN (${keys})`;
    });
  }

  /**
   * prevOf for up to `n` keys at once: every version of those keys that a
   * change within [from, to] superseded (the caller picks each change's own
   * by key and `superseded`). Found through history_key, as prevOf is.
   */
  prevsOf(n: number): Compiled {
    return this.#variant(`prevsOf:${n}`, (p) => {
      const keys = Array.from({ length: n }, (_, i) => p(`k${i}`)).join(', ');
      return `SELECT ${this.#columns(false)}, superseded FROM history
      WHERE ${this.dialect.key} IN (${keys}) AND superseded >= ${p('from')} AND superseded <= ${p('to')}
        AND mod_revision < superseded AND deleted = 0`;
    });
  }

  /** `n` rows into history (`historyValues`, numbered as `valueRows` does): written from memory, not copied from kv. */
  historyRows(n: number): Compiled {
    return this.#variant(`historyRows:${n}`, (p) => {
      const columns = HISTORY_COLUMNS.map((c) => (c === 'key' ? this.dialect.key : c)).join(', ');
      return `INSERT INTO history (${columns}) VALUES ${valueRows(HISTORY_COLUMNS, p, n)}`;
    });
  }

  /** `n` keys' new current rows (`upsertValues`, numbered as `valueRows` does), each key once. */
  upsertRows(n: number): Compiled {
    return this.#variant(`upsertRows:${n}`, (p) => this.dialect.upsert('kv', KV_COLUMNS, 'key', p, n));
  }

  /**
   * An optimistic batch's guard (network-sql-driver.ts `commitOptimistic`):
   * it inserts nothing while every condition holds, and otherwise a `meta`
   * row whose name is NULL, which each database refuses (a primary key is
   * never NULL, and MySQL's sessions are strict): the script stops there,
   * with its COMMIT unrun. The conditions: the sequencer's `conditions`
   * (their parameters' values go with the batch's), each key `p<i>` current
   * at mod_revision `m<i>`, and no key `a<i>` current. Every condition is an
   * EXISTS or NOT EXISTS, never NULL.
   */
  guard(options: { conditions: GuardConditions; present: number; absent: number }): Compiled {
    const { conditions, present, absent } = options;
    const key = this.dialect.key;
    return compile(this.dialect, (p) => {
      const all = conditions.text(p);
      for (let i = 0; i < present; i++)
        all.push(`EXISTS (SELECT 1 FROM kv WHERE ${key} = ${p(`p${i}`)} AND mod_revision = ${p(`m${i}`)})`);
      if (absent > 0) {
        const keys = Array.from({ length: absent }, (_, i) => p(`a${i}`)).join(', ');
        all.push(`NOT EXISTS (SELECT 1 FROM kv WHERE ${key} IN (${keys}))`);
      }
      return `INSERT INTO meta (name, value) SELECT NULL, NULL FROM (SELECT 1 AS one) AS guard
      WHERE NOT (${all.length > 0 ? all.join(' AND ') : '1 = 1'})`;
    });
  }

  /** Removes the current rows of `n` keys (`k0`, `k1`, …). */
  deleteKvMany(n: number): Compiled {
    return this.#variant(`deleteKvMany:${n}`, (p) => {
      const keys = Array.from({ length: n }, (_, i) => p(`k${i}`)).join(', ');
      return `DELETE FROM kv WHERE ${this.dialect.key} IN (${keys})`;
    });
  }

  /**
   * `n` keys (`k0`, `k1`, …) at revision `rev`, each as `pointAt` reads it:
   * its kv row if that is not newer, otherwise the one history version
   * visible at `rev` (versions of a key are visible over disjoint spans, so
   * at most one row per key comes back, from one side or the other). For the
   * server databases, which answer concurrent point reads as one statement.
   */
  pointsAt(n: number): Compiled {
    return this.#variant(`pointsAt:${n}`, (p) => {
      const key = this.dialect.key;
      const columns = this.#columns(false);
      const keys = Array.from({ length: n }, (_, i) => p(`k${i}`)).join(', ');
      return `SELECT ${columns} FROM kv WHERE ${key} IN (${keys}) AND mod_revision <= ${p('rev')}
        UNION ALL
        SELECT ${columns} FROM history WHERE ${key} IN (${keys}) AND mod_revision <= ${p('rev')} AND superseded > ${p('rev')} AND deleted = 0`;
    });
  }

  /**
   * One key at revision `rev` (a pinned point read): its kv row if that is
   * not newer, and only otherwise its newest history version up to `rev`.
   * The database stops after the first part when it answers, so a key with a
   * long history costs one index lookup, not a scan of its versions. For the
   * server databases only: SQLite takes no parenthesized member in a UNION.
   */
  get pointAt(): Compiled {
    return this.#variant('pointAt', (p) => {
      const key = this.dialect.key;
      const columns = this.#columns(false);
      const newest = `SELECT ${columns} FROM history WHERE ${key} = ${p('start')} AND mod_revision <= ${p('rev')} AND superseded > ${p('rev')} AND deleted = 0
         ORDER BY mod_revision DESC LIMIT 1`;
      return `SELECT ${columns} FROM kv WHERE ${key} = ${p('start')} AND mod_revision <= ${p('rev')}
        UNION ALL
        ${this.dialect.compoundPart(newest)}
        LIMIT 1`;
    });
  }

  /**
   * Keys of a range at a revision (`historical`) or now, in key order, at
   * most `limit`. At a revision each table is read in key order and cut at
   * `limit` before the two are merged (a key is in at most one of them):
   * left to merge whole tables, PostgreSQL sorted every row of the rest of
   * the range, values and all, for each page of a paginated list.
   */
  range(bound: Bound, historical: boolean, keysOnly: boolean): Compiled {
    return this.#variant(`range:${bound}:${historical}:${keysOnly}`, (p) => {
      if (!historical) return this.#rangePart(p, bound, 'kv', keysOnly);
      const live = this.#rangePart(p, bound, 'kv', keysOnly, true);
      const past = this.#rangePart(p, bound, 'history', keysOnly);
      return `SELECT * FROM (
             SELECT * FROM (${live}) AS live
             UNION ALL
             SELECT * FROM (${past}) AS past
           ) AS at_rev ORDER BY ${this.dialect.key} LIMIT ${p('limit')}`;
    });
  }

  /**
   * The two halves of `range` at a revision, as statements of their own:
   * the keys whose current row in kv is visible at `rev`, and those whose
   * visible version is in history, each in key order up to `limit`. The
   * caller merges them. For MySQL and MariaDB, which materialize each
   * derived table of `range`, LONGBLOB values and all, into an on-disk
   * temporary table and sort the union again there.
   */
  rangeAt(bound: Bound, table: 'kv' | 'history', keysOnly: boolean): Compiled {
    return this.#variant(`rangeAt:${bound}:${table}:${keysOnly}`, (p) =>
      this.#rangePart(p, bound, table, keysOnly, true),
    );
  }

  /** One table's rows of a range (at `rev` if `historical`; history always is), in key order, at most `limit`. */
  #rangePart(p: Param, bound: Bound, table: 'kv' | 'history', keysOnly: boolean, historical = false): string {
    const key = this.dialect.key;
    let where = boundSql(bound, key, p);
    if (table === 'history') {
      where += ` AND mod_revision <= ${p('rev')} AND superseded > ${p('rev')} AND deleted = 0`;
    } else if (historical) where += ` AND mod_revision <= ${p('rev')}`;
    return `SELECT ${this.#columns(keysOnly)} FROM ${table} WHERE ${where} ORDER BY ${key} LIMIT ${p('limit')}`;
  }

  count(bound: Bound, historical: boolean): Compiled {
    return this.#variant(`count:${bound}:${historical}`, (p) => {
      const where = boundSql(bound, this.dialect.key, p);
      if (!historical) return `SELECT count(*) FROM kv WHERE ${where}`;
      return `SELECT (SELECT count(*) FROM kv WHERE ${where} AND mod_revision <= ${p('rev')})
                + (SELECT count(*) FROM history WHERE ${where} AND mod_revision <= ${p('rev')} AND superseded > ${p('rev')} AND deleted = 0)`;
    });
  }

  /** Every change to a key of the range with from <= revision <= to, in revision order. */
  changes(bound: Bound): Compiled {
    return this.#variant(`changes:${bound}`, (p) => {
      const where = `${boundSql(bound, this.dialect.key, p)} AND mod_revision >= ${p('from')} AND mod_revision <= ${p('to')}`;
      return `
      SELECT ${this.#columns(false)}, sub, 0 AS deleted FROM kv WHERE ${where}
      UNION ALL
      SELECT ${this.#columns(false)}, sub, deleted FROM history WHERE ${where}
      ORDER BY mod_revision, sub`;
    });
  }

  // Lease IDs are int64; read them as text so no bit is lost, and skip the
  // common no-lease case cheaply.
  #columns(keysOnly: boolean): string {
    const lease = `CASE lease WHEN 0 THEN NULL ELSE ${this.dialect.intAsText('lease')} END AS lease`;
    const value = keysOnly ? `${this.dialect.emptyBlob} AS value` : 'value';
    return `${this.dialect.key}, create_revision, mod_revision, version,
  ${lease}, ${value}`;
  }

  #variant(id: string, template: Parameters<typeof compile>[1]): Compiled {
    let stmt = this.#variants.get(id);
    if (!stmt) {
      stmt = compile(this.dialect, template);
      this.#variants.set(id, stmt);
    }
    return stmt;
  }
}

export function boundSql(bound: Bound, key: string, p: (name: string) => string): string {
  switch (bound) {
    case 'one':
      return `${key} = ${p('start')}`;
    case 'between':
      return `${key} >= ${p('start')} AND ${key} < ${p('end')}`;
    case 'from':
      return `${key} >= ${p('start')}`;
  }
}
