import Pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { freePort } from '../support/free-port.js';
import { mariadbMissing, startMariadb } from '../support/mariadb.js';
import { type PostgresHandle, postgresMissing, startPostgres } from '../support/postgres.js';
import { type ServerHandle, startStore } from '../support/processes.js';
import { WatchStream } from '../support/watch.js';

/**
 * The database server behind the store restarts under write load
 * (docs/replicas.md, "Failure cases"): the store keeps running, requests
 * that need the server while it is away fail with a retryable UNAVAILABLE
 * naming the backend, /readyz names it, and once the server is back the store
 * reconnects by itself. Afterwards every acknowledged write is there at the
 * revision it was acknowledged with, no transaction that spans backends is
 * half there, and a watch opened before the restart saw every stored
 * revision once, in order.
 */
const k = (s: string) => Buffer.from(s);
const UNAVAILABLE = 14;
/** Bounds on the load: each writer stops after this many writes or when told, whichever comes first. */
const WRITES_PER_WRITER = 600;
const ERROR_PAUSE_MS = 50;

interface Writer {
  client: EtcdClient;
  name: string;
  /** Where each write's keys go: `main` (the default backend) or one routed to the restarted server. */
  keys(i: number): { key: string; twin?: string };
}

/** Stops the load of a test that failed half-way, before its clients close under it. */
let stopLoad: (() => Promise<unknown>) | undefined;

interface LoadResult {
  /** key → the revision its write was acknowledged with. */
  acked: Map<string, number>;
  /** The gRPC errors the writers met, as "code message". */
  errors: string[];
}

/** Runs the writers until `done` settles (or each has written its bound), recording what was acknowledged. */
async function load(writers: Writer[], done: Promise<void>): Promise<LoadResult> {
  const acked = new Map<string, number>();
  const errors: string[] = [];
  let stop = false;
  void done.then(() => (stop = true));
  const running: Array<Promise<void>> = [];
  stopLoad = () => {
    stop = true;
    return Promise.allSettled(running);
  };
  const run = async (w: Writer) => {
    let last = 0;
    for (let i = 0; i < WRITES_PER_WRITER && !stop; i++) {
      const { key, twin } = w.keys(i);
      const success = [{ request_put: { key: k(key), value: k(`${w.name}-${i}`) } }];
      if (twin) success.push({ request_put: { key: k(twin), value: k('twin') } });
      try {
        const res = await call(w.client.kv, 'Txn', {
          compare: [{ key: k(key), target: 'MOD', result: 'EQUAL', mod_revision: 0 }],
          success,
        });
        expect(res.succeeded, key).toBe(true);
        const rev = Number(res.header.revision);
        // One writer's writes are acknowledged in order, so their revisions rise strictly.
        expect(rev, key).toBeGreaterThan(last);
        last = rev;
        acked.set(key, rev);
        if (twin) acked.set(twin, rev);
      } catch (err) {
        const e = err as { code?: number; details?: string };
        if (e.code === undefined) throw err; // an assertion above, not the store
        errors.push(`${e.code} ${e.details}`);
        await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
      }
    }
  };
  running.push(...writers.map(run));
  await Promise.all(running);
  stopLoad = undefined;
  return { acked, errors };
}

async function readyz(port: number): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, text: await res.text() };
}

let attempt = 0;
/** A key of its own for each attempt: an attempt whose answer was lost may have been written after all. */
const fresh = (prefix: string) => k(`${prefix}${attempt++}`);

async function eventually<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await f().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every key the store holds under `/r/`, with its mod revision (keys are written once, never changed). */
async function stored(client: EtcdClient): Promise<Map<string, number>> {
  const r = await call(client.kv, 'Range', { key: k('/r/'), range_end: k('/r0') });
  return new Map((r.kvs as any[]).map((kv) => [String(kv.key), Number(kv.mod_revision)]));
}

/**
 * The checks after the restart: acknowledged writes kept at their revisions,
 * twins together, and the watch equal to what is stored, in order, once.
 */
async function verify(options: {
  result: LoadResult;
  reader: EtcdClient;
  watch: WatchStream;
  watchFrom: number;
  twins: (key: string) => string | undefined;
}): Promise<void> {
  const { result, reader, watch, watchFrom, twins } = options;
  const now = await stored(reader);
  for (const [key, rev] of result.acked) expect(now.get(key), key).toBe(rev);
  // A transaction over two backends is there whole or not at all, acknowledged or not.
  for (const [key, rev] of now) {
    const twin = twins(key);
    if (twin) expect(now.get(twin), `${key}'s twin`).toBe(rev);
  }
  // Each write took a revision of its own: two keys at one revision that are not one txn's would mean two
  // batches took the same revision (the lock did not order them), and a watch would skip the second.
  const byRevision = new Map<number, string[]>();
  for (const [key, rev] of now) byRevision.set(rev, [...(byRevision.get(rev) ?? []), key]);
  const shared = [...byRevision].filter(([, keys]) => keys.length > (twins(keys[0]!) ? 2 : 1));
  expect(shared, 'revisions that hold more than one write').toEqual([]);
  const highest = Math.max(...now.values());
  await watch.until((responses) =>
    responses.some((r) => (r.events ?? []).some((e: any) => Number(e.kv.mod_revision) === highest)),
  );
  const events = watch.events(1).map((e: any) => ({ key: String(e.kv.key), rev: Number(e.kv.mod_revision) }));
  // In revision order, each revision's events together: a revision never comes back after a newer one.
  const order = events.map((e) => e.rev).filter((rev, i, all) => i === 0 || all[i - 1] !== rev);
  expect(order).toEqual([...new Set(order)].sort((x, y) => x - y));
  // Exactly what is stored from the watch's start: nothing missed (no gap), nothing twice, nothing never stored.
  const expected = [...now].filter(([, rev]) => rev >= watchFrom).map(([key, rev]) => `${key}@${rev}`);
  const seen = events.map((e) => `${e.key}@${e.rev}`);
  // Named on failure: which stored revisions the watch missed and what it had around them.
  const missed = expected.filter((e) => !seen.includes(e));
  const around = missed.map((m) => {
    const rev = Number(m.split('@')[1]);
    return `${m}: watch had ${seen.filter((e) => Math.abs(Number(e.split('@')[1]) - rev) <= 3).join(' ')}`;
  });
  expect(seen.sort(), `missed ${missed.length}: ${around.join('; ')}`).toEqual(expected.sort());
}

/** A database server the test can restart on the same port and data dir. */
interface Restartable {
  port: number;
  password: string;
  url(database: string): string;
  /** The endpoint as the store shows it: without the password. */
  display(database: string): string;
  createDatabase(name: string): Promise<unknown>;
  shutdown(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const SERVERS: ReadonlyArray<{ name: string; missing(): string | undefined; start(): Promise<Restartable> }> = [
  {
    name: 'PostgreSQL',
    missing: postgresMissing,
    async start() {
      const s = await startPostgres();
      return { ...s, display: (db) => `postgres://cnpaas:***@127.0.0.1:${s.port}/${db}` };
    },
  },
  {
    name: 'MariaDB',
    missing: mariadbMissing,
    async start() {
      const s = await startMariadb();
      return {
        ...s,
        display: (db) => `mysql://cnpaas:***@tcp(127.0.0.1:${s.port})/${db}`,
        createDatabase: (name) => s.admin(`CREATE DATABASE ${name}`),
      };
    },
  },
];

const escape = (s: string) => s.replace(/[*?.()]/g, '\\$&');

for (const kind of SERVERS) {
  describe.skipIf(kind.missing() !== undefined)(
    `${kind.name} behind a routed backend restarts under write load`,
    () => {
      let db: Restartable | undefined;
      let store: ServerHandle | undefined;
      let client: EtcdClient | undefined;
      let watch: WatchStream | undefined;

      afterEach(async () => {
        await stopLoad?.();
        watch?.close();
        client?.close();
        await store?.stop();
        await db?.stop();
        db = undefined;
      });

      it('answers UNAVAILABLE naming it while away, reconnects by itself, and loses nothing acknowledged', async () => {
        db = await kind.start();
        await db.createDatabase('routed');
        const metrics = await freePort();
        store = await startStore({
          topology: `backends:\n  - name: netdata\n    endpoint: ${db.url('routed')}\n    prefix: { prefix: "/r/p/" }\n`,
          extraArgs: [`--listen-metrics-urls=http://127.0.0.1:${metrics}`],
        });
        client = connect(store.target);
        expect(await readyz(metrics)).toEqual({ status: 200, text: 'ok' });

        const start = Number((await call(client.maintenance, 'Status', {})).header.revision);
        watch = new WatchStream(client);
        watch.create({ key: k('/r/'), range_end: k('/r0'), watch_id: 1, start_revision: start + 1 });
        await watch.until((r) => r.some((x) => x.created));

        // Every third write is a txn over the network database and SQLite (main.db); the rest alternate between them.
        const keys = (name: string) => (i: number) => {
          const key = `/r/${i % 2 ? 'p' : 'm'}/${name}/${i}`;
          return i % 3 === 0 ? { key, twin: `/r/${i % 2 ? 'm' : 'p'}/${name}/${i}-twin` } : { key };
        };
        const twins = (key: string) => {
          const m = /^\/r\/([pm])\/(w\d)\/(\d+)(-twin)?$/.exec(key);
          if (!m || Number(m[3]) % 3 !== 0) return undefined;
          const other = m[1] === 'p' ? 'm' : 'p';
          return m[4] ? `/r/${other}/${m[2]}/${m[3]}` : `/r/${other}/${m[2]}/${m[3]}-twin`;
        };
        let finish!: () => void;
        const done = new Promise<void>((r) => (finish = r));
        const writers = ['w0', 'w1', 'w2', 'w3'].map((name) => ({ client: client!, name, keys: keys(name) }));
        const loading = load(writers, done);

        await new Promise((r) => setTimeout(r, 800));
        const t0 = Date.now();
        await db.shutdown();
        // While it is away: a retryable UNAVAILABLE that names the backend (no password), and /readyz says which.
        const display = db.display('routed');
        const err = await call(client.kv, 'Put', { key: k('/r/p/outage'), value: k('x') }).then(
          () => undefined,
          (e: { code: number; details: string }) => e,
        );
        expect(err?.code).toBe(UNAVAILABLE);
        expect(err?.details).toContain(`backend ${display}`);
        expect(err?.details).not.toContain(db.password);
        const down = await readyz(metrics);
        expect(down.status).toBe(503);
        expect(down.text).toMatch(new RegExp(`backend netdata \\(${escape(display)}.*\\) unreachable`));
        await new Promise((r) => setTimeout(r, 700));
        await db.start();
        const outageMs = Date.now() - t0;

        // Back by itself, without a restart of the store.
        await eventually('a write to the restarted backend', () =>
          call(client!.kv, 'Put', { key: fresh('/r/p/after-'), value: k('x') }),
        );
        // /readyz asks on the reader connection, whose last attempt (in the outage) may still hold off the
        // next for a moment (reconnecting-connection.ts): it turns ready again on its own, shortly.
        await eventually(
          '/readyz to answer ok',
          async () => {
            const r = await readyz(metrics);
            return r.status === 200 && r.text === 'ok' ? r : undefined;
          },
          5_000,
        );
        const reconnectMs = Date.now() - t0 - outageMs;
        await new Promise((r) => setTimeout(r, 800));
        finish();
        const result = await loading;

        console.log(
          `${kind.name} routed backend: ${result.acked.size} keys acknowledged, ${result.errors.length} writes refused; outage ${outageMs} ms, writes back ${reconnectMs} ms after the restart`,
        );
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) expect(e).toMatch(/^14 /);
        expect([...result.acked.keys()].filter((key) => key.startsWith('/r/p/')).length).toBeGreaterThan(20);
        await verify({ result, reader: client, watch, watchFrom: start + 1, twins });
        expect(store.child.exitCode).toBeNull();
      }, 120_000);
    },
  );
}

/**
 * What a failure message needs when a replica stalls after the restart: every
 * session on the database (state, what it waits for, its last statement),
 * the locks they hold or wait on, and the end of each store's log. A writer
 * that has no session at all is refused before it reaches the server; one
 * idle in a transaction or waiting on a lock is stuck in the database.
 */
async function stallReport(server: PostgresHandle, stores: ServerHandle[]): Promise<string> {
  const side = new Pg.Client({ connectionString: server.url('postgres') });
  try {
    await side.connect();
    const sessions = await side.query(
      `SELECT pid, client_port, state, wait_event_type, wait_event, backend_start, xact_start, state_change, left(query, 80) AS query
         FROM pg_stat_activity WHERE datname = 'shared' ORDER BY backend_start`,
    );
    const locks = await side.query(
      `SELECT l.pid, l.locktype, l.relation::regclass::text AS relation, l.mode, l.granted
         FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'shared'`,
    );
    const logs = stores.map((s, i) => `store ${i}:\n${s.output().slice(-4000)}`);
    return [
      `sessions: ${JSON.stringify(sessions.rows, null, 1)}`,
      `locks: ${JSON.stringify(locks.rows)}`,
      ...logs,
    ].join('\n');
  } catch (err) {
    return `no stall report: ${(err as Error).message}`;
  } finally {
    await side.end().catch(() => undefined);
  }
}

describe.skipIf(postgresMissing() !== undefined)('PostgreSQL behind two replicas restarts under write load', () => {
  let pg: PostgresHandle | undefined;
  const stores: ServerHandle[] = [];
  const clients: EtcdClient[] = [];
  let watch: WatchStream | undefined;

  afterEach(async () => {
    await stopLoad?.();
    watch?.close();
    for (const c of clients.splice(0)) c.close();
    for (const s of stores.splice(0)) await s.stop();
    await pg?.stop();
    pg = undefined;
  });

  // It once failed in about a third of the runs, one replica taking no write after the restart: its writer
  // connection had been lost under a COMMIT or BEGIN and then refused every BEGIN
  // (reconnecting-connection.ts). The stall report shows what each session did if it comes back.
  it('two replicas on it: both carry on after the restart, and a watch on one sees both, in order, once', async () => {
    pg = await startPostgres();
    await pg.createDatabase('shared');
    const replica = () => startStore({ extraArgs: [`--main-endpoint=${pg!.url('shared')}`] });
    const a = await replica();
    stores.push(a);
    const b = await replica();
    stores.push(b);
    const ca = connect(a.target);
    const cb = connect(b.target);
    clients.push(ca, cb);

    const start = Number((await call(ca.kv, 'Range', { key: k('/r/'), range_end: k('/r0') })).header.revision);
    watch = new WatchStream(ca);
    watch.create({ key: k('/r/'), range_end: k('/r0'), watch_id: 1, start_revision: start + 1 });
    await watch.until((r) => r.some((x) => x.created));

    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const writers = [
      { client: ca, name: 'a0' },
      { client: ca, name: 'a1' },
      { client: cb, name: 'b0' },
      { client: cb, name: 'b1' },
    ].map((w) => ({ ...w, keys: (i: number) => ({ key: `/r/${w.name}/${i}` }) }));
    const loading = load(writers, done);

    await new Promise((r) => setTimeout(r, 800));
    const t0 = Date.now();
    await pg.shutdown();
    const err = await call(cb.kv, 'Range', { key: k('/r/') }).then(
      () => undefined,
      (e: { code: number; details: string }) => e,
    );
    expect(err?.code).toBe(UNAVAILABLE);
    expect(err?.details).toContain(`postgres://cnpaas:***@127.0.0.1:${pg.port}/shared`);
    await new Promise((r) => setTimeout(r, 700));
    await pg.start();
    const outageMs = Date.now() - t0;
    for (const [name, c] of [
      ['a', ca],
      ['b', cb],
    ] as const) {
      await eventually('a write on each replica', () =>
        call(c.kv, 'Put', { key: fresh('/r/after-'), value: k('x') }),
      ).catch(async (err: Error) => {
        throw new Error(`replica ${name}: ${err.message}\n${await stallReport(pg!, [a, b])}`);
      });
    }
    const reconnectMs = Date.now() - t0 - outageMs;
    await new Promise((r) => setTimeout(r, 800));
    finish();
    const result = await loading;

    console.log(
      `replicas: ${result.acked.size} keys acknowledged, ${result.errors.length} writes refused; outage ${outageMs} ms, writes back ${reconnectMs} ms after the restart`,
    );
    expect(result.errors.length).toBeGreaterThan(0);
    for (const e of result.errors) expect(e).toMatch(/^14 /);
    for (const name of ['a', 'b']) {
      expect([...result.acked.keys()].some((key) => key.startsWith(`/r/${name}`))).toBe(true);
    }
    await verify({ result, reader: ca, watch, watchFrom: start + 1, twins: () => undefined }).catch((err: Error) => {
      // What each replica logged (failed batches, catch-ups) is what explains a miss.
      err.message += `\n${[a, b].map((s, i) => `store ${i}:\n${s.output().slice(-6000)}`).join('\n')}`;
      throw err;
    });
    // Both replicas read the same afterwards.
    expect(await stored(cb)).toEqual(await stored(ca));
    for (const s of [a, b]) expect(s.child.exitCode).toBeNull();
  }, 120_000);
});
