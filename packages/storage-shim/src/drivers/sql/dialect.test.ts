import { describe, expect, it } from 'vitest';
import { type Dialect, bind, compile } from './dialect.js';
import { mysqlDialect } from './mysql-dialect.js';
import { postgresDialect } from './postgres-dialect.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { BackendStatements } from './statements.js';

const styled = (placeholders: Dialect['placeholders']): Dialect => ({ ...sqliteDialect, placeholders });
const template = (p: (n: string) => string) => `a = ${p('x')} AND b = ${p('y')} AND c = ${p('x')}`;

describe('compile', () => {
  it('writes named placeholders for SQLite and binds the values object as is', () => {
    const c = compile(sqliteDialect, template);
    expect(c.text).toBe('a = @x AND b = @y AND c = @x');
    const values = { x: 1, y: 2 };
    expect(bind(c, sqliteDialect, values)).toBe(values);
  });

  it('numbers each distinct name once ($1, $2), as PostgreSQL binds them', () => {
    const d = styled('numbered');
    const c = compile(d, template);
    expect(c.text).toBe('a = $1 AND b = $2 AND c = $1');
    expect(bind(c, d, { y: 'Y', x: 'X' })).toEqual(['X', 'Y']);
  });

  it('writes one ? per occurrence, as MySQL binds them', () => {
    const d = styled('question');
    const c = compile(d, template);
    expect(c.text).toBe('a = ? AND b = ? AND c = ?');
    expect(bind(c, d, { x: 'X', y: 'Y' })).toEqual(['X', 'Y', 'X']);
    expect(() => bind(c, d, { x: 'X' })).toThrow('parameter "y" has no value');
  });

  it('binds a ? in the order of the text even when a fragment is written once and used twice', () => {
    const d = styled('question');
    const c = compile(d, (p) => {
      const where = `k = ${p('k')}`;
      return `SELECT ${p('a')} WHERE ${where} UNION SELECT ${p('b')} WHERE ${where}`;
    });
    expect(c.text).toBe('SELECT ? WHERE k = ? UNION SELECT ? WHERE k = ?');
    expect(c.names).toEqual(['a', 'k', 'b', 'k']);
  });
});

describe('BackendStatements', () => {
  it("keeps SQLite's statements in SQLite's spelling", () => {
    const sql = new BackendStatements(sqliteDialect);
    expect(sql.upsert.text).toContain('ON CONFLICT (key) DO UPDATE SET create_revision = excluded.create_revision');
    expect(sql.range('between', true, true).text).toContain("x'' AS value");
    expect(sql.range('between', true, true).text).toContain('key >= @start AND key < @end');
    expect(sql.compact.text).toContain('LIMIT @batch');
    // One compiled statement per shape: the driver's prepared-statement cache is keyed by it.
    expect(sql.count('from', false)).toBe(sql.count('from', false));
  });

  it('numbers a historical range once per distinct parameter for a $n dialect', () => {
    const sql = new BackendStatements(styled('numbered'));
    const range = sql.range('between', true, false);
    expect(range.names).toEqual(['start', 'end', 'rev', 'limit']);
    expect(range.text).not.toContain('@');
  });
});

describe('the schema of kv and history', () => {
  const columns = /CREATE TABLE (?:IF NOT EXISTS )?(kv|history) \(\n([^;]*?)\n {2}\)/g;
  const tables = (dialect: Dialect) =>
    Object.fromEntries([...dialect.migrations[0]!.matchAll(columns)].map((m) => [m[1], m[2]!.trim().split(/,\n\s*/)]));

  it.each([
    {
      name: 'SQLite',
      dialect: sqliteDialect,
      id: 'id INTEGER PRIMARY KEY',
      key: 'key BLOB NOT NULL',
      int64: 'INTEGER',
      value: 'value BLOB NOT NULL',
    },
    {
      name: 'PostgreSQL',
      dialect: postgresDialect,
      id: 'id BIGSERIAL PRIMARY KEY',
      key: 'key BYTEA NOT NULL',
      int64: 'BIGINT',
      value: 'value BYTEA NOT NULL',
    },
    {
      name: 'MySQL',
      dialect: mysqlDialect,
      id: 'id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY',
      key: '`key` VARBINARY(3000) NOT NULL',
      int64: 'BIGINT',
      value: 'value LONGBLOB NOT NULL',
    },
  ])('$name has the same columns as the others, with its own types', ({ dialect, id, key, int64, value }) => {
    const revision = [id, key, ...['create_revision', 'mod_revision'].map((c) => `${c} ${int64} NOT NULL`)];
    const rest = ['sub INTEGER NOT NULL', `version ${int64} NOT NULL`, `lease ${int64} NOT NULL`, value];
    const { kv, history } = tables(dialect);
    // kv's key is unique: inline in SQLite and PostgreSQL, as an index of its own in MySQL.
    expect(kv!.slice(0, 8).map((c: string) => c.replace(' UNIQUE', ''))).toEqual([...revision, ...rest]);
    expect(history!.slice(0, 10)).toEqual([
      ...revision,
      ...rest,
      'deleted INTEGER NOT NULL',
      `superseded ${int64} NOT NULL`,
    ]);
  });
});
