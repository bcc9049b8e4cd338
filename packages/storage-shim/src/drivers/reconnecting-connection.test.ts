import { describe, expect, it } from 'vitest';
import { type Connector, RECONNECT_PAUSE_MS, ReconnectingConnection } from './reconnecting-connection.js';

/** A stand-in database client: each connection is a number; `drop` ends the current one as a server restart would. */
function fakeServer() {
  let next = 0;
  let up = true;
  let current: { id: number; lost: (err: Error) => void; alive: boolean } | undefined;
  let dropOn: string | undefined;
  const ran: string[] = [];
  const drop = () => {
    const c = current!;
    c.alive = false;
    c.lost(new Error('terminating connection due to administrator command'));
  };
  const connector: Connector<number> = {
    connect(lost) {
      if (!up) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      current = { id: ++next, lost, alive: true };
      return Promise.resolve(current.id);
    },
    query(c, text) {
      if (!current?.alive || current.id !== c) {
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      if (dropOn === text) {
        // The server ends the connection while this statement runs: the client hears the end, then the error.
        dropOn = undefined;
        drop();
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      ran.push(`${c}:${text}`);
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
    // One message for several statements: recorded as one entry, so the tests see what travelled together.
    many(c, statements) {
      if (!current?.alive || current.id !== c) {
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      ran.push(`${c}:${statements.map((s) => s.text).join('; ')}`);
      return Promise.resolve(statements.map(() => ({ rows: [], rowCount: 0 })));
    },
    end: () => Promise.resolve(),
  };
  return {
    connector,
    ran,
    get connections() {
      return next;
    },
    drop,
    /** Ends the connection while `text` runs, instead of answering it. */
    dropOn(text: string) {
      dropOn = text;
    },
    set up(value: boolean) {
      up = value;
    },
  };
}

/** A connection to a fresh fake server, and `run`, which sends each statement in turn, without parameters. */
function connection() {
  const server = fakeServer();
  const conn = new ReconnectingConnection(server.connector);
  const run = async (...texts: string[]) => {
    for (const text of texts) await conn.query(text, []);
  };
  return { server, conn, run };
}

/** What `server.ran` records of `texts` run in turn on connection `n`. */
const on = (n: number, ...texts: string[]) => texts.map((text) => `${n}:${text}`);

describe('ReconnectingConnection', () => {
  it('opens a new connection after the old one ended between transactions', async () => {
    const { server, run } = connection();
    await run('SELECT 1');
    server.drop();
    await run('SELECT 2');
    expect(server.ran).toEqual(['1:SELECT 1', '2:SELECT 2']);
  });

  it('never runs the rest of a transaction on a new connection: statements fail until the ROLLBACK', async () => {
    const { server, conn, run } = connection();
    await run('BEGIN', 'INSERT a');
    server.drop();
    await expect(conn.query('INSERT b', [])).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
      message: expect.stringMatching(/lost inside a transaction, which the server rolled back/),
    });
    // A savepoint rollback stays inside the lost transaction and fails too.
    await expect(conn.query('ROLLBACK TO SAVEPOINT request', [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await run('ROLLBACK', 'BEGIN', 'INSERT c', 'COMMIT');
    expect(server.ran).toEqual(['1:BEGIN', '1:INSERT a', '2:BEGIN', '2:INSERT c', '2:COMMIT']);
  });

  it('fails at once while the server stays away, and connects again after the pause', async () => {
    const { server, conn, run } = connection();
    await run('SELECT 1');
    server.up = false;
    server.drop();
    await expect(conn.query('SELECT 2', [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    server.up = true;
    // Within the pause the last failure is answered without another attempt.
    await expect(conn.query('SELECT 3', [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.connections).toBe(1);
    await new Promise((r) => setTimeout(r, RECONNECT_PAUSE_MS + 50));
    await run('SELECT 4');
    expect(server.ran).toEqual(['1:SELECT 1', '2:SELECT 4']);
  });

  it('sets the session settings again on a connection opened after the old one ended', async () => {
    const { server, conn, run } = connection();
    await conn.setSession("SET lock_timeout = '20s'");
    await run('SELECT 1');
    server.drop();
    await run('SELECT 2');
    expect(server.ran).toEqual([
      ...on(1, "SET lock_timeout = '20s'", 'SELECT 1'),
      ...on(2, "SET lock_timeout = '20s'", 'SELECT 2'),
    ]);
  });

  // The replica restart stall: after the server's restart a replica's writer refused every BEGIN for good,
  // because the driver sends no ROLLBACK after a failed COMMIT or BEGIN, and only a ROLLBACK cleared the state.
  it('a COMMIT refused after the loss ends the lost transaction: the next BEGIN runs on a new connection', async () => {
    const { server, conn, run } = connection();
    await run('BEGIN', 'SELECT lock FOR UPDATE');
    server.drop();
    await expect(conn.query("NOTIFY c, 'me'", [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await expect(conn.query('COMMIT', [])).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
      message: expect.stringMatching(/lost inside a transaction, which the server rolled back/),
    });
    await run('BEGIN', 'SELECT lock FOR UPDATE', 'COMMIT');
    expect(server.ran).toEqual([
      ...on(1, 'BEGIN', 'SELECT lock FOR UPDATE'),
      ...on(2, 'BEGIN', 'SELECT lock FOR UPDATE', 'COMMIT'),
    ]);
  });

  it('a COMMIT whose connection ends while it runs leaves nothing to refuse', async () => {
    const { server, conn, run } = connection();
    await run('BEGIN', 'INSERT a');
    server.dropOn('COMMIT');
    await expect(conn.query('COMMIT', [])).rejects.toThrow(/Connection terminated/);
    // A ROLLBACK behind it has nothing to roll back, and is answered even while the server stays away.
    server.up = false;
    await run('ROLLBACK');
    server.up = true;
    await run('SELECT 1', 'BEGIN', 'COMMIT');
    expect(server.ran).toEqual(['1:BEGIN', '1:INSERT a', '2:SELECT 1', '2:BEGIN', '2:COMMIT']);
  });

  it('a BEGIN whose connection ends while it runs: what follows it fails, and the next BEGIN runs', async () => {
    const { server, conn, run } = connection();
    await run('SELECT 1');
    server.dropOn('BEGIN');
    await expect(conn.query('BEGIN', [])).rejects.toThrow(/Connection terminated/);
    // A statement sent behind the failed BEGIN must not run outside a transaction on a new connection.
    await expect(conn.query('INSERT a', [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await run('BEGIN', 'INSERT b', 'COMMIT');
    expect(server.ran).toEqual(['1:SELECT 1', '2:BEGIN', '2:INSERT b', '2:COMMIT']);
  });

  it('sends a script as one message, and counts it as the transaction its first and last statements open and end', async () => {
    const { server, conn } = connection();
    const script = (...texts: string[]) => texts.map((text) => ({ text, params: [] }));
    expect(await conn.script(script('BEGIN', 'SELECT lock FOR UPDATE', 'SELECT log'))).toHaveLength(3);
    // The script left a transaction open: a connection lost now takes it, and what follows is refused.
    server.drop();
    await expect(conn.script(script('INSERT a', 'COMMIT'))).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
      message: expect.stringMatching(/lost inside a transaction/),
    });
    // That script ended the lost transaction (its last statement is a COMMIT): the next one runs.
    await conn.script(script('BEGIN', 'INSERT b', 'COMMIT'));
    // A single statement needs no script message.
    await conn.script(script('SELECT 1'));
    expect(server.ran).toEqual([
      '1:BEGIN; SELECT lock FOR UPDATE; SELECT log',
      '2:BEGIN; INSERT b; COMMIT',
      '2:SELECT 1',
    ]);
  });

  it('a ROLLBACK not waited for does not end the transaction a BEGIN queued behind it opens', async () => {
    const { server, conn, run } = connection();
    await run('BEGIN', 'INSERT a');
    // Sent together, as the driver's rollback and the next batch's BEGIN are: the BEGIN's transaction is open.
    await Promise.all([conn.query('ROLLBACK', []), conn.query('BEGIN', [])]);
    server.drop();
    await expect(conn.query('INSERT b', [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    expect(server.ran).toEqual(['1:BEGIN', '1:INSERT a', '1:ROLLBACK', '1:BEGIN']);
  });

  it('hands the client one statement at a time, in the order they arrived', async () => {
    let running = 0;
    let most = 0;
    const order: string[] = [];
    const connector: Connector<number> = {
      connect: () => Promise.resolve(1),
      async query(_c, text) {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, text === 'slow' ? 20 : 1));
        order.push(text);
        running--;
        if (text === 'fails') throw new Error('syntax error');
        return { rows: [], rowCount: 0 };
      },
      end: () => Promise.resolve(),
    };
    const conn = new ReconnectingConnection(connector);
    const done = await Promise.allSettled(['slow', 'fails', 'b', 'c'].map((t) => conn.query(t, [])));
    expect(done.map((d) => d.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(order).toEqual(['slow', 'fails', 'b', 'c']);
    expect(most).toBe(1);
  });
});
