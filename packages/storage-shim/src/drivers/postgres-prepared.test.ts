import { describe, expect, it } from 'vitest';
import { PreparedStatements, parameterCount } from './postgres-prepared.js';

const BEGIN = { text: 'BEGIN', params: [] };
const COMMIT = { text: 'COMMIT', params: [] };
const put = (key: string, rev: number) => ({
  text: 'INSERT INTO kv (key, mod_revision) VALUES ($1, $2)',
  params: [Buffer.from(key), rev],
});

/** A server that records each message and refuses what `refuse` says, with a SQLSTATE. */
function server(refuse: (text: string) => string | undefined = () => undefined) {
  const sent: string[] = [];
  const send = (text: string) => {
    sent.push(text);
    const code = refuse(text);
    return code === undefined ? Promise.resolve() : Promise.reject(Object.assign(new Error('refused'), { code }));
  };
  return { sent, send };
}

describe('PreparedStatements', () => {
  it('writes a script out in full, one message, until a statement recurs', () => {
    const set = new PreparedStatements();
    expect(set.render([BEGIN, put('a', 2), COMMIT])).toBe(
      "BEGIN;\nINSERT INTO kv (key, mod_revision) VALUES ( E'\\\\x61', '2');\nCOMMIT",
    );
    expect(set.size).toBe(0);
  });

  it('prepares a recurring statement before the next script that opens a transaction, then EXECUTEs it', async () => {
    const set = new PreparedStatements();
    const { sent, send } = server();
    set.render([BEGIN, put('a', 2), COMMIT]);
    set.render([BEGIN, put('b', 3), COMMIT]);
    // A script inside an open transaction never prepares: a refused PREPARE would abort the transaction.
    await set.prepareBefore([put('c', 4), COMMIT], send);
    expect(sent).toEqual([]);
    await set.prepareBefore([BEGIN, put('c', 4), COMMIT], send);
    expect(sent).toEqual(['PREPARE cnpaas_1 AS INSERT INTO kv (key, mod_revision) VALUES ($1, $2)']);
    expect(set.render([BEGIN, put('c', 4), COMMIT])).toBe("BEGIN;\nEXECUTE cnpaas_1( E'\\\\x63', '4');\nCOMMIT");
    // Prepared once: the next script sends nothing first.
    await set.prepareBefore([BEGIN, put('d', 5), COMMIT], send);
    expect(sent).toHaveLength(1);
  });

  it('keeps a statement the server will not prepare written out, and prepares the others', async () => {
    const set = new PreparedStatements();
    const odd = { text: 'SELECT $1 IS NULL', params: ['x'] };
    // 42P18: indeterminate_datatype, as PostgreSQL answers `PREPARE p AS SELECT $1 IS NULL`.
    const { sent, send } = server((text) => (text.includes('$1 IS NULL') ? '42P18' : undefined));
    for (let i = 0; i < 2; i++) set.render([BEGIN, odd, put('a', i), COMMIT]);
    await set.prepareBefore([BEGIN], send);
    // One message for both, refused whole; then one each.
    expect(sent).toHaveLength(3);
    expect(set.render([odd, put('b', 9)])).toBe("SELECT 'x' IS NULL;\nEXECUTE cnpaas_2( E'\\\\x62', '9')");
    set.render([odd]);
    await set.prepareBefore([BEGIN], send);
    expect(sent).toHaveLength(3);
  });

  it('stops preparing on a connection whose server has no PREPARE', async () => {
    const set = new PreparedStatements();
    const { sent, send } = server(() => '0A000');
    const other = { text: 'DELETE FROM kv WHERE key = $1', params: [Buffer.from('k')] };
    for (let i = 0; i < 2; i++) set.render([put('a', i), other]);
    await set.prepareBefore([BEGIN], send);
    expect(sent).toHaveLength(2);
    for (let i = 0; i < 2; i++) set.render([put('a', i), other, { text: 'UPDATE kv SET lease = $1', params: [1] }]);
    await set.prepareBefore([BEGIN], send);
    expect(sent).toHaveLength(2);
    expect(set.size).toBe(0);
  });

  it('passes a lost connection on, with nothing marked prepared', async () => {
    const set = new PreparedStatements();
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), {});
    for (let i = 0; i < 2; i++) set.render([put('a', i)]);
    await expect(set.prepareBefore([BEGIN], () => Promise.reject(lost))).rejects.toBe(lost);
    expect(set.render([put('b', 1)])).toContain('INSERT INTO kv');
  });

  it('never prepares statements it cannot (BEGIN, NOTIFY, DDL), nor more than its limit', async () => {
    const set = new PreparedStatements(1);
    const { sent, send } = server();
    const notify = { text: "NOTIFY c, '1'", params: [] };
    const other = { text: 'DELETE FROM kv WHERE key = $1', params: [Buffer.from('k')] };
    for (let i = 0; i < 3; i++)
      set.render([BEGIN, notify, { text: 'CREATE TABLE t (a int)', params: [] }, put('a', i), other, COMMIT]);
    await set.prepareBefore([BEGIN], send);
    expect(sent).toEqual(['PREPARE cnpaas_1 AS INSERT INTO kv (key, mod_revision) VALUES ($1, $2)']);
    expect(set.render([other])).toBe("DELETE FROM kv WHERE key =  E'\\\\x6b'");
  });

  it('passes as many values as the statement has parameters', () => {
    expect(parameterCount('SELECT 1')).toBe(0);
    expect(parameterCount('SELECT $2, $10, $1')).toBe(10);
  });
});
