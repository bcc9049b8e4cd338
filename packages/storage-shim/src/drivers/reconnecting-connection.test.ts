import { describe, expect, it } from 'vitest';
import { type Connector, RECONNECT_PAUSE_MS, ReconnectingConnection } from './reconnecting-connection.js';

/** A stand-in database client: each connection is a number; `drop` ends the current one as a server restart would. */
function fakeServer() {
  let next = 0;
  let up = true;
  let current: { id: number; lost: (err: Error) => void; alive: boolean } | undefined;
  const ran: string[] = [];
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
      ran.push(`${c}:${text}`);
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
    end: () => Promise.resolve(),
  };
  return {
    connector,
    ran,
    get connections() {
      return next;
    },
    drop() {
      const c = current!;
      c.alive = false;
      c.lost(new Error('terminating connection due to administrator command'));
    },
    set up(value: boolean) {
      up = value;
    },
  };
}

describe('ReconnectingConnection', () => {
  it('opens a new connection after the old one ended between transactions', async () => {
    const server = fakeServer();
    const conn = new ReconnectingConnection(server.connector);
    await conn.query('SELECT 1', []);
    server.drop();
    await conn.query('SELECT 2', []);
    expect(server.ran).toEqual(['1:SELECT 1', '2:SELECT 2']);
  });

  it('never runs the rest of a transaction on a new connection: statements fail until the ROLLBACK', async () => {
    const server = fakeServer();
    const conn = new ReconnectingConnection(server.connector);
    await conn.query('BEGIN', []);
    await conn.query('INSERT a', []);
    server.drop();
    await expect(conn.query('INSERT b', [])).rejects.toMatchObject({
      code: 'CONNECTION_LOST',
      message: expect.stringMatching(/lost inside a transaction, which the server rolled back/),
    });
    await expect(conn.query('COMMIT', [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    // A savepoint rollback stays inside the lost transaction and fails too.
    await expect(conn.query('ROLLBACK TO SAVEPOINT request', [])).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    await conn.query('ROLLBACK', []);
    await conn.query('BEGIN', []);
    await conn.query('INSERT c', []);
    await conn.query('COMMIT', []);
    expect(server.ran).toEqual(['1:BEGIN', '1:INSERT a', '2:BEGIN', '2:INSERT c', '2:COMMIT']);
  });

  it('fails at once while the server stays away, and connects again after the pause', async () => {
    const server = fakeServer();
    const conn = new ReconnectingConnection(server.connector);
    await conn.query('SELECT 1', []);
    server.up = false;
    server.drop();
    await expect(conn.query('SELECT 2', [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    server.up = true;
    // Within the pause the last failure is answered without another attempt.
    await expect(conn.query('SELECT 3', [])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.connections).toBe(1);
    await new Promise((r) => setTimeout(r, RECONNECT_PAUSE_MS + 50));
    await conn.query('SELECT 4', []);
    expect(server.ran).toEqual(['1:SELECT 1', '2:SELECT 4']);
  });

  it('sets the session settings again on a connection opened after the old one ended', async () => {
    const server = fakeServer();
    const conn = new ReconnectingConnection(server.connector);
    await conn.setSession("SET lock_timeout = '20s'");
    await conn.query('SELECT 1', []);
    server.drop();
    await conn.query('SELECT 2', []);
    expect(server.ran).toEqual([
      "1:SET lock_timeout = '20s'",
      '1:SELECT 1',
      "2:SET lock_timeout = '20s'",
      '2:SELECT 2',
    ]);
  });
});
