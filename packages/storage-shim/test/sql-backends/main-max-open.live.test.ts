import Pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import { type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';

/**
 * `--main-max-open` bounds the connections of the --main-endpoint backend as
 * a topology's `connectionPool.maxOpen` bounds a routed one's. Two stores on
 * one PostgreSQL, each on its own database, take the same burst of
 * concurrent Ranges; PostgreSQL counts the connections each holds: the
 * default pool opens what the burst needs, the bounded one never more than
 * its writer, its reader, the one pooled connection left and the replica's
 * listening connection.
 */
const k = (s: string) => Buffer.from(s);

const missing = postgresMissing();
if (missing) console.warn(`skipping the --main-max-open test: ${missing}`);

describe.skipIf(missing !== undefined)('--main-max-open', () => {
  let pg: PostgresHandle;
  let bounded: ServerHandle;
  let unbounded: ServerHandle;
  let cb: EtcdClient;
  let cu: EtcdClient;

  beforeAll(async () => {
    pg = await startPostgres();
    await pg.createDatabase('bounded');
    await pg.createDatabase('unbounded');
    bounded = await startStore({ extraArgs: [`--main-endpoint=${pg.url('bounded')}`, '--main-max-open=3'] });
    unbounded = await startStore({ extraArgs: [`--main-endpoint=${pg.url('unbounded')}`] });
    cb = connect(bounded.target);
    cu = connect(unbounded.target);
  }, 90_000);

  afterAll(() => shutDown(cb, cu, bounded, unbounded, pg));

  /** Connections PostgreSQL has open to `database` (the test's own client is on another database). */
  async function connections(database: string): Promise<number> {
    const client = new Pg.Client({ connectionString: pg.url('postgres') });
    await client.connect();
    try {
      const r = await client.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [database]);
      return Number((r.rows[0] as { n: string }).n);
    } finally {
      await client.end();
    }
  }

  async function burst(client: EtcdClient): Promise<void> {
    for (let i = 0; i < 20; i++) await call(client.kv, 'Put', { key: k(`/burst/k${i}`), value: k('v') });
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 64 }, () => call(client.kv, 'Range', { key: k('/burst/'), range_end: k('/burst0') })),
      );
    }
  }

  it('keeps the main backend within it, where the default pool opens what the load needs', async () => {
    await Promise.all([burst(cb), burst(cu)]);
    // Writer, reader, one pooled connection (on the main thread) and the commit listener.
    expect(await connections('bounded')).toBeLessThanOrEqual(4);
    expect(await connections('unbounded')).toBeGreaterThan(4);
  }, 60_000);
});
