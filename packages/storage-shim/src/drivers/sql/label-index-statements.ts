import { type Bound, boundSql } from './statements.js';
import { type Compiled, type Dialect, type Param, compile } from './dialect.js';

/**
 * `superseded` of a label row whose version is current: above every revision,
 * so "visible at rev" is one comparison (`revision <= rev < superseded`).
 */
export const LABEL_OPEN = Number.MAX_SAFE_INTEGER;

/**
 * The label index's queries (selectors/label-index.ts), written against the
 * dialect like statements.ts. Only SQLite runs them so far; PostgreSQL should
 * take them as they are (not yet run there), MySQL would need its own compaction (it refuses
 * LIMIT in an IN subquery) and upsert columns. The `label_index` table holds
 * (name, value, key, revision, superseded): one row per label of the version
 * of `key` written at `revision`, visible at [revision, superseded) exactly as
 * that version's row is. So a row visible at a revision names the version
 * visible then, and a lookup joins straight to it: the kv row (current) or
 * the history row with the same key and mod_revision.
 *
 * Parameters: name, value, key, rev, open, start, end, batch, after, limit, cap.
 */
export class LabelIndexStatements {
  /** One row of a new version; a rewrite of the same version reopens it. */
  readonly insert: Compiled;
  /** Closes one row of the version of `key` written at `revision`: it stops being visible at `rev`. */
  readonly close: Compiled;
  /** Removes at most `batch` rows that no read at or after `rev` can see (history's rule). */
  readonly compact: Compiled;
  /** Versions to build the index from (a file written before it existed), `limit` at a time. */
  readonly currentVersions: Compiled;
  readonly pastVersions: Compiled;
  readonly #dialect: Dialect;
  readonly #variants = new Map<string, Compiled>();

  constructor(dialect: Dialect) {
    this.#dialect = dialect;
    const c = (template: Parameters<typeof compile>[1]) => compile(dialect, template);
    const key = dialect.key;
    this.insert = c((p) =>
      dialect.upsert(
        'label_index',
        ['name', 'value', 'key', 'revision', 'superseded'],
        'name, value, key, revision',
        p,
      ),
    );
    this.close = c(
      (p) => `UPDATE label_index SET superseded = ${p('rev')}
        WHERE name = ${p('name')} AND value = ${p('value')} AND ${key} = ${p('key')} AND revision = ${p('revision')}`,
    );
    // The literal bound is label_index_closed's own condition, so that the database may use that partial index.
    const removable = (p: (name: string) => string) =>
      `superseded < ${LABEL_OPEN} AND superseded <= ${p('rev')} AND revision < ${p('rev')}`;
    this.compact = c(
      (p) => `DELETE FROM label_index WHERE (name, value, ${key}, revision) IN (
        SELECT name, value, ${key}, revision FROM label_index WHERE ${removable(p)} LIMIT ${p('batch')})`,
    );
    this.currentVersions = c(
      (p) => `SELECT id, ${key}, mod_revision, value FROM kv WHERE id > ${p('after')} ORDER BY id LIMIT ${p('limit')}`,
    );
    this.pastVersions = c(
      (p) => `SELECT id, ${key}, mod_revision, superseded, value FROM history
        WHERE id > ${p('after')} AND deleted = 0 ORDER BY id LIMIT ${p('limit')}`,
    );
  }

  /**
   * The versions of keys in the range visible now (`historical` false) or at
   * `rev` whose rows carry label `name` — with `value` (`byValue`) or any
   * value — in key order. The index is the outer loop: a lookup touches the
   * rows of its label, never the rest of the range. (`+l.superseded`: not an
   * index term, so the planner never prefers label_index_closed to the
   * primary key's rows of this label.)
   */
  lookup(bound: Bound, historical: boolean, byValue: boolean): Compiled {
    return this.#variant(`lookup:${bound}:${historical}:${byValue}`, (p) => {
      const key = this.#dialect.key;
      const visible = this.#visibleRows(p, { bound, historical, byValue });
      if (!historical)
        return `SELECT ${this.#columns('k')} FROM label_index l CROSS JOIN kv k
          WHERE ${visible} AND k.${key} = l.${key}
          ORDER BY l.${key}`;
      return `SELECT * FROM (
          SELECT ${this.#columns('k')} FROM label_index l CROSS JOIN kv k
          WHERE ${visible} AND k.${key} = l.${key} AND k.mod_revision = l.revision
          UNION ALL
          SELECT ${this.#columns('h')} FROM label_index l CROSS JOIN history h
          WHERE ${visible} AND h.${key} = l.${key} AND h.mod_revision = l.revision AND h.deleted = 0
        ) AS at_rev ORDER BY ${key}`;
    });
  }

  /**
   * How many label rows `lookup` would read, counted up to `cap`: the
   * estimate that picks the most selective requirement. Only the index is
   * read (a row visible at `rev` names a live version, so no join), and
   * counting stops at `cap`, so a probe of a label every object carries
   * costs no more than the best candidate found before it.
   */
  estimate(bound: Bound, historical: boolean, byValue: boolean): Compiled {
    return this.#variant(`estimate:${bound}:${historical}:${byValue}`, (p) => {
      const visible = this.#visibleRows(p, { bound, historical, byValue });
      return `SELECT count(*) AS n FROM (SELECT 1 FROM label_index l WHERE ${visible} LIMIT ${p('cap')}) AS probe`;
    });
  }

  /**
   * The condition on label_index `l` shared by `lookup` and `estimate`: rows
   * of label `name` (with `value` when `byValue`) in the range, visible now
   * or, when `historical`, at `rev`.
   */
  #visibleRows(p: Param, options: { bound: Bound; historical: boolean; byValue: boolean }): string {
    const label = `l.name = ${p('name')}${options.byValue ? ` AND l.value = ${p('value')}` : ''} AND ${boundSql(options.bound, `l.${this.#dialect.key}`, p)}`;
    return options.historical
      ? `${label} AND l.revision <= ${p('rev')} AND +l.superseded > ${p('rev')}`
      : `${label} AND +l.superseded = ${p('open')}`;
  }

  /** A version's columns as statements.ts reads them (lease as text), from table alias `t`. */
  #columns(t: string): string {
    const d = this.#dialect;
    return `${t}.${d.key} AS ${d.key}, ${t}.create_revision AS create_revision, ${t}.mod_revision AS mod_revision,
      ${t}.version AS version, CASE ${t}.lease WHEN 0 THEN NULL ELSE ${d.intAsText(`${t}.lease`)} END AS lease,
      ${t}.value AS value`;
  }

  #variant(id: string, template: Parameters<typeof compile>[1]): Compiled {
    let stmt = this.#variants.get(id);
    if (!stmt) {
      stmt = compile(this.#dialect, template);
      this.#variants.set(id, stmt);
    }
    return stmt;
  }
}
