import type { ClientDuplexStream } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Registry from '../../src/drivers/registry.js';
import { bind } from '../../src/drivers/sql/dialect.js';
import { BackendStatements } from '../../src/drivers/sql/statements.js';
import { call, connect, type EtcdClient } from '../support/client.js';
import { refusedStart, type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';
import { tenantsTopology } from '../support/topology.js';

/**
 * cnpaas-store with one backend in a real network database (PostgreSQL 15,
 * MariaDB) and the rest in SQLite: etcd semantics across both, durability
 * across a restart, the endpoint's password in no log line, and a database
 * that is not the store's refused at start-up.
 */
const k = (s: string) => Buffer.from(s);

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the store-on-${kind.name} tests: ${missing}`);

  describe.skipIf(missing !== undefined)(`a backend in ${kind.name}`, () => {
    let server: SqlServerHandle;
    let store: ServerHandle;
    let client: EtcdClient;
    let topology: string;

    async function keys(database: string): Promise<string[]> {
      const c = await server.connect(database);
      try {
        const key = kind.dialect.key;
        const rows = (await c.query(`SELECT ${key} AS k FROM kv ORDER BY ${key}`)).rows;
        return rows.map((r) => (r.k as Buffer).toString());
      } finally {
        await c.end();
      }
    }

    beforeAll(async () => {
      server = await kind.start();
      await server.createDatabase('tenants');
      topology = tenantsTopology(server.url('tenants'));
      store = await startStore({ topology, logLevel: 'debug' });
      client = connect(store.target);
    }, 60_000);

    afterAll(() => shutDown(client, store, server));

    it(`stores routed keys in ${kind.name} under the one global revision`, async () => {
      const a = await call(client.kv, 'Put', { key: k('/t/a'), value: k('1') });
      const m = await call(client.kv, 'Put', { key: k('/m/x'), value: k('1') });
      expect(Number(m.header.revision)).toBe(Number(a.header.revision) + 1);
      await call(client.kv, 'Put', { key: k('/t/a'), value: k('2') });
      await call(client.kv, 'Put', { key: k('/t/b'), value: k('1') });
      const now = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
      expect(now.kvs.map((kv: { key: Buffer; value: Buffer }) => `${kv.key}=${kv.value}`)).toEqual([
        '/t/a=2',
        '/t/b=1',
      ]);
      expect(Number(now.count)).toBe(2);
      const past = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0'), revision: a.header.revision });
      expect(past.kvs.map((kv: { value: Buffer }) => String(kv.value))).toEqual(['1']);
      expect(await keys('tenants')).toEqual(['/t/a', '/t/b']);
    });

    it(`runs a compare-and-swap txn and a delete across ${kind.name} and SQLite atomically`, async () => {
      const cur = await call(client.kv, 'Range', { key: k('/t/a') });
      const rev = cur.kvs[0].mod_revision;
      const txn = await call(client.kv, 'Txn', {
        compare: [{ key: k('/t/a'), target: 'MOD', result: 'EQUAL', mod_revision: rev }],
        success: [
          { request_put: { key: k('/t/a'), value: k('3') } },
          { request_delete_range: { key: k('/m/x'), prev_kv: true } },
        ],
      });
      expect(txn.succeeded).toBe(true);
      const stale = await call(client.kv, 'Txn', {
        compare: [{ key: k('/t/a'), target: 'MOD', result: 'EQUAL', mod_revision: rev }],
        success: [{ request_put: { key: k('/t/a'), value: k('lost') } }],
      });
      expect(stale.succeeded).toBe(false);
      const a = await call(client.kv, 'Range', { key: k('/t/a') });
      expect(String(a.kvs[0].value)).toBe('3');
      expect(Number(a.kvs[0].mod_revision)).toBe(Number(txn.header.revision));
      expect((await call(client.kv, 'Range', { key: k('/m/x') })).kvs).toHaveLength(0);
    });

    it('replays history to a watch from a past revision, with prev_kv', async () => {
      type Event = { type: string; kv: { key: Buffer; value: Buffer }; prev_kv?: { value: Buffer } };
      const events = await new Promise<Event[]>((resolve, reject) => {
        const stream = client.watch.Watch!() as ClientDuplexStream<unknown, unknown>;
        const got: Event[] = [];
        stream.on('data', (r: { events?: Event[] }) => {
          got.push(...(r.events ?? []));
          if (got.length >= 4) {
            stream.end();
            resolve(got);
          }
        });
        stream.on('error', reject);
        stream.write({ create_request: { key: k('/t/'), range_end: k('/t0'), start_revision: 2, prev_kv: true } });
      });
      expect(events.map((e) => `${e.type ?? 'PUT'} ${e.kv.key}=${e.kv.value} prev=${e.prev_kv?.value ?? '-'}`)).toEqual(
        ['PUT /t/a=1 prev=-', 'PUT /t/a=2 prev=1', 'PUT /t/b=1 prev=-', 'PUT /t/a=3 prev=2'],
      );
    });

    it('keeps every version when the requests of one batch write the same keys over and over', async () => {
      // Sent without waiting, so that they reach the store together and are applied as few batches: the
      // driver holds a batch's rows and sends each key's final row once, its older versions into history.
      type Kv = { key: Buffer; value: Buffer; mod_revision: string; create_revision: string; version: string };
      const keys = ['/t/c0', '/t/c1', '/t/c2'];
      const ops = Array.from({ length: 90 }, (_, i) => {
        const key = keys[(i * 7) % keys.length]!;
        return i % 5 === 4
          ? call(client.kv, 'DeleteRange', { key: k(key), prev_kv: true }).then((r) => ({ key, r, value: '' }))
          : call(client.kv, 'Put', { key: k(key), value: k(`v${i}`), prev_kv: true }).then((r) => ({
              key,
              r,
              value: `v${i}`,
            }));
      });
      const done = await Promise.all(ops);
      // Each put, and each delete that found its key, took a revision of its own; replay them in that order.
      const changes = done
        .filter((d) => d.value !== '' || Number(d.r.deleted) === 1)
        .sort((a, b) => Number(a.r.header.revision) - Number(b.r.header.revision));
      const first = Number(changes[0]!.r.header.revision);
      expect(changes.map((c) => Number(c.r.header.revision))).toEqual(changes.map((_, i) => first + i));
      const model = new Map<string, { value: string; mod: number; create: number; version: number }>();
      const states = new Map<number, string[]>();
      const show = (m: typeof model) =>
        [...m]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, v]) => `${key}=${v.value}@${v.create}/${v.mod}/${v.version}`);
      states.set(first - 1, show(model));
      const expectedEvents: string[] = [];
      for (const c of changes) {
        const rev = Number(c.r.header.revision);
        const prev = model.get(c.key);
        const put = c.value !== '';
        const prevKv = put ? c.r.prev_kv : c.r.prev_kvs[0];
        // Each request saw the state the ones before it left, within its batch too.
        expect(prevKv ? `${prevKv.value}@${prevKv.mod_revision}` : '-').toBe(prev ? `${prev.value}@${prev.mod}` : '-');
        if (put) {
          model.set(c.key, {
            value: c.value,
            mod: rev,
            create: prev?.create ?? rev,
            version: (prev?.version ?? 0) + 1,
          });
          expectedEvents.push(`PUT ${c.key}=${c.value} prev=${prev?.value ?? '-'}`);
        } else {
          model.delete(c.key);
          expectedEvents.push(`DELETE ${c.key} prev=${prev!.value}`);
        }
        states.set(rev, show(model));
      }
      // Every revision reads back as the model says: kv for the newest, history for every older one.
      for (const [rev, state] of states) {
        const r = await call(client.kv, 'Range', { key: k('/t/c'), range_end: k('/t/d'), revision: rev });
        expect(
          r.kvs.map((kv: Kv) => `${kv.key}=${kv.value}@${kv.create_revision}/${kv.mod_revision}/${kv.version}`),
          `at revision ${rev}`,
        ).toEqual(state);
      }
      // A watch from the first revision replays the same changes, with each one's prev_kv.
      type Event = { type?: string; kv: { key: Buffer; value: Buffer }; prev_kv?: { value: Buffer } };
      const events = await new Promise<Event[]>((resolve, reject) => {
        const stream = client.watch.Watch!() as ClientDuplexStream<unknown, unknown>;
        const got: Event[] = [];
        stream.on('data', (r: { events?: Event[] }) => {
          got.push(...(r.events ?? []));
          if (got.length >= changes.length) {
            stream.end();
            resolve(got);
          }
        });
        stream.on('error', reject);
        stream.write({
          create_request: { key: k('/t/c'), range_end: k('/t/d'), start_revision: first, prev_kv: true },
        });
      });
      expect(
        events.map((e) =>
          e.type === 'DELETE'
            ? `DELETE ${e.kv.key} prev=${e.prev_kv?.value ?? '-'}`
            : `PUT ${e.kv.key}=${e.kv.value} prev=${e.prev_kv?.value ?? '-'}`,
        ),
      ).toEqual(expectedEvents);
      await call(client.kv, 'DeleteRange', { key: k('/t/c'), range_end: k('/t/d') });
    });

    it('keeps every acknowledged write across a restart, and the password out of its log', async () => {
      const before = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
      client.close();
      const log = store.output();
      await store.stop();
      store = await startStore({ topology, logLevel: 'debug' });
      client = connect(store.target);
      const after = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
      expect(after.kvs).toEqual(before.kvs);
      expect(Number(after.header.revision)).toBe(Number(before.header.revision));
      expect(`${log}\n${store.output()}`).not.toContain(server.password);
      expect(`${log}\n${store.output()}`).toContain('tenants');
    });

    it('fails only the batch of a key too long for the database to index, and goes on', async () => {
      // Random bytes: PostgreSQL could compress a repetitive key below its btree limit.
      const long = Buffer.concat([k('/t/long/'), randomBytes(4000)]);
      const before = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
      const err = await call(client.kv, 'Put', { key: long, value: k('1') }).then(
        () => undefined,
        (e: { code: number; details: string }) => e,
      );
      expect(err?.code).toBe(14); // UNAVAILABLE: the batch was rolled back whole
      expect(err?.details).toMatch(/^etcdserver: /);
      const next = await call(client.kv, 'Put', { key: k('/t/after'), value: k('1') });
      expect(Number(next.header.revision)).toBe(Number(before.header.revision) + 1);
      await call(client.kv, 'DeleteRange', { key: k('/t/after') });
      expect(await keys('tenants')).toEqual(['/t/a', '/t/b']);
    });

    it('defragments the tables without losing a key', async () => {
      const before = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
      await call(client.maintenance, 'Defragment', {});
      const after = await call(client.kv, 'Range', { key: k('/t/'), range_end: k('/t0') });
      expect(after.kvs).toEqual(before.kvs);
      expect(after.kvs).toHaveLength(2);
    });

    it('reports its durability settings and its size, as the built driver reads them', async () => {
      // The built driver: its worker is a .js file next to it.
      const built = new URL('../../dist/drivers/registry.js', import.meta.url).href;
      const { registry, resolveEndpoint } = (await import(built)) as typeof Registry;
      const endpoint = resolveEndpoint(server.url('tenants'), { dataDir: tmpdir(), warnings: [] });
      const driver = registry.open(endpoint, { fsync: true });
      try {
        expect(driver.location).toBe(server.display('tenants'));
        expect(driver.settings()).toEqual(kind.settings);
        expect(driver.size().total).toBeGreaterThan(0);
        expect(driver.keyCount()).toBe(2);
      } finally {
        await driver.close();
      }
    });

    // Last of the tests on the suite's store: its keys under /t/ would show in the others' ranges and watches.
    it('answers concurrent point reads at many revisions, sent together, each with its own version', async () => {
      // Each key gets versions over several revisions; some are deleted, one is recreated.
      const history = new Map<string, Array<{ revision: number; value: string | null }>>();
      const write = async (key: string, value: string | null) => {
        const r =
          value === null
            ? await call(client.kv, 'DeleteRange', { key: k(key) })
            : await call(client.kv, 'Put', { key: k(key), value: k(value) });
        const revision = Number(r.header.revision);
        history.set(key, [...(history.get(key) ?? []), { revision, value }]);
        return revision;
      };
      const first = await write('/t/pt/0', 'a0');
      for (let i = 1; i < 6; i++) await write(`/t/pt/${i}`, `a${i}`);
      for (let i = 0; i < 6; i += 2) await write(`/t/pt/${i}`, `b${i}`);
      await write('/t/pt/1', null);
      await write('/t/pt/3', null);
      await write('/t/pt/3', 'c3');
      const last = await write('/t/pt/5', 'c5');
      const at = (key: string, revision: number) =>
        (history.get(key) ?? []).filter((v) => v.revision <= revision).at(-1)?.value ?? undefined;

      const asks: Array<{ key: string; revision: number }> = [];
      for (let revision = first - 1; revision <= last; revision++)
        for (const key of [...history.keys(), '/t/pt/never']) asks.push({ key, revision });
      const answers = await Promise.all(
        asks.map(({ key, revision }) =>
          call(client.kv, 'Range', { key: k(key), revision: revision === last ? 0 : revision }),
        ),
      );
      const wrong = asks.flatMap(({ key, revision }, i) => {
        const got = (answers[i]!.kvs as Array<{ value: Buffer }>).map((kv) => String(kv.value));
        const want = at(key, revision);
        return isDeepStrictEqual(got, want === undefined || want === null ? [] : [want])
          ? []
          : [`${key}@${revision}: ${JSON.stringify(got)}, want ${want ?? 'nothing'}`];
      });
      expect(wrong).toEqual([]);
      expect(asks.length).toBeGreaterThan(80);
    });

    it(`stops at start-up with a clear error, and no password, when ${kind.name} refuses the login`, async () => {
      const wrong = 'wrong-pass-0815';
      const r = await refusedStart({
        topology: tenantsTopology(server.url('tenants').replace(server.password, wrong)),
      });
      expect(r.status).toBe(2);
      expect(r.output).toContain(`CNPAAS_STORE_BACKEND_CONNECT: ${server.display('tenants')}`);
      expect(r.output).toContain(kind.loginRefused);
      expect(r.output).not.toContain(wrong);
    });

    it("refuses a database that holds another program's tables, or tables of its names that are not its own", async () => {
      for (const [database, create, says] of [
        ['other', 'CREATE TABLE kine (id INTEGER PRIMARY KEY, name VARCHAR(630))', "that are not the store's (kine)"],
        ['lookalike', 'CREATE TABLE kv (k VARCHAR(10))', "table kv is not the store's: it lacks the column(s) id, key"],
      ] as const) {
        await server.createDatabase(database);
        const c = await server.connect(database);
        await c.query(create);
        await c.end();
        const r = await refusedStart({ topology: tenantsTopology(server.url(database)) });
        expect(r.status).toBe(2);
        expect(r.output).toContain(`CNPAAS_STORE_FOREIGN_SCHEMA: ${server.display(database)}`);
        expect(r.output).toContain(says);
        expect(r.output).not.toContain(server.password);
      }
    });

    it('upgrades a database of the first schema in place, and reads history through the new index', async () => {
      await server.createDatabase('upgrade');
      const c = await server.connect('upgrade');
      for (const st of kind.statements(kind.dialect.migrations[0]!)) await c.query(st);
      const setMeta = new BackendStatements(kind.dialect).setMeta;
      await c.query(setMeta.text, bind(setMeta, kind.dialect, { name: 'schema_version', value: '1' }) as unknown[]);
      const upgraded = await startStore({ topology: tenantsTopology(server.url('upgrade')) });
      const uc = connect(upgraded.target);
      try {
        const first = await call(uc.kv, 'Put', { key: k('/t/u'), value: k('1') });
        await call(uc.kv, 'Put', { key: k('/t/u'), value: k('2') });
        const past = await call(uc.kv, 'Range', {
          key: k('/t/'),
          range_end: k('/t0'),
          revision: first.header.revision,
        });
        expect(past.kvs.map((kv: { value: Buffer }) => String(kv.value))).toEqual(['1']);
        const version = await c.query(`SELECT value FROM meta WHERE name = 'schema_version'`);
        expect(Number(version.rows[0]!.value)).toBe(kind.dialect.migrations.length);
        if (kind.dialect.name === 'postgres') {
          const index = await c.query(
            `SELECT indexdef FROM pg_indexes WHERE tablename = 'history' AND indexname = 'history_key'`,
          );
          expect(index.rows.map((r) => r.indexdef)).toEqual([
            expect.stringContaining('(key, mod_revision, superseded)'),
          ]);
        }
      } finally {
        uc.close();
        await upgraded.stop();
        await c.end();
      }
    });

    it("refuses a database of the store's that lost a table, instead of creating it empty", async () => {
      await server.createDatabase('damaged');
      const c = await server.connect('damaged');
      for (const m of kind.dialect.migrations) for (const s of kind.statements(m)) await c.query(s);
      const setMeta = new BackendStatements(kind.dialect).setMeta;
      await c.query(setMeta.text, bind(setMeta, kind.dialect, { name: 'schema_version', value: '1' }) as unknown[]);
      await c.query('DROP TABLE history');
      await c.end();
      const r = await refusedStart({ topology: tenantsTopology(server.url('damaged')) });
      expect(r.status).toBe(2);
      expect(r.output).toContain(
        `CNPAAS_STORE_MISSING_TABLE: ${server.display('damaged')} has the store's schema version 1 but no table history`,
      );
    });

    it('treats a part of its tables without meta as damage where DDL is transactional, else finishes the migration', async () => {
      await server.createDatabase('partial');
      const c = await server.connect('partial');
      // kv alone, as a MySQL migration cut short after its first CREATE TABLE leaves it.
      for (const m of kind.dialect.migrations) for (const st of kind.statements(m)) await c.query(st);
      await c.query('DROP TABLE history');
      await c.query('DROP TABLE meta');
      await c.end();
      const topology = tenantsTopology(server.url('partial'));
      if (kind.transactionalDdl) {
        const r = await refusedStart({ topology });
        expect(r.status).toBe(2);
        expect(r.output).toContain(
          `CNPAAS_STORE_MISSING_TABLE: ${server.display('partial')} has the store's table(s) kv but no table history, meta`,
        );
        return;
      }
      const resumed = await startStore({ topology });
      const rc = connect(resumed.target);
      try {
        await call(rc.kv, 'Put', { key: k('/t/p'), value: k('1') });
        expect(await keys('partial')).toEqual(['/t/p']);
      } finally {
        rc.close();
        await resumed.stop();
      }
    });

    // Only where the driver has a socket form; not a skip, since there is nothing to run.
    if (kind.socket) {
      it('reaches the server over its unix socket', async () => {
        await server.createDatabase('bysocket');
        const other = await startStore({ topology: tenantsTopology(server.socketUrl!('bysocket')), logLevel: 'debug' });
        const c = connect(other.target);
        try {
          await call(c.kv, 'Put', { key: k('/t/s'), value: k('1') });
          expect(await keys('bysocket')).toEqual(['/t/s']);
          expect(other.output()).not.toContain(server.password);
        } finally {
          c.close();
          await other.stop();
        }
      });
    }
  });
}
