import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';
import { routedTopology } from '../support/topology.js';
import { SQL_SERVERS, type SqlServer, type SqlServerHandle } from '../support/sql-servers.js';
import { WatchStream } from '../support/watch.js';

/**
 * Replicas with routed backends (docs/replicas.md, "Routed backends"): two
 * cnpaas-store processes share a main PostgreSQL database and a topology
 * that routes `/r/p/` to a second PostgreSQL database and `/r/m/` to a
 * MariaDB one. One revision sequence over all three; a txn over all of them
 * is whole or absent as seen from every replica, also when a replica dies
 * between two databases' commits (the crash point of src/mvcc/crash-point.ts
 * stops it exactly there); the next replica to take the lock completes it.
 */
const k = (s: string) => Buffer.from(s);
const [postgres, mariadb] = SQL_SERVERS as [SqlServer, SqlServer];
const missing = postgres.missing() ?? mariadb.missing();
if (missing) console.warn(`skipping the routed replica tests: ${missing}`);

/** The three databases, by the key prefix each one holds. */
const BACKENDS = ['s', 'p', 'm'] as const;

async function put(client: EtcdClient, key: string, value: string): Promise<number> {
  const r = await call(client.kv, 'Put', { key: k(key), value: k(value) });
  return Number(r.header.revision);
}

/** A txn that puts one key in each database. */
async function spanning(client: EtcdClient, id: string): Promise<number> {
  const r = await call(client.kv, 'Txn', {
    compare: [],
    success: BACKENDS.map((b) => ({ request_put: { key: k(`/r/${b}/${id}`), value: k(id) } })),
  });
  return Number(r.header.revision);
}

async function range(client: EtcdClient, revision = 0) {
  const r = await call(client.kv, 'Range', { key: k('/r/'), range_end: k('/r0'), revision });
  return {
    revision: Number(r.header.revision),
    kvs: (r.kvs as any[]).map((kv) => `${kv.key}=${kv.value}@${kv.mod_revision}/${kv.create_revision}/${kv.version}`),
  };
}

/** Every event of a watch as "TYPE key=value@revision <prev value@revision>", in arrival order. */
function eventLog(stream: WatchStream): string[] {
  return stream.events(1).map((e: any) => {
    const prev = e.prev_kv ? ` <${e.prev_kv.value}@${e.prev_kv.mod_revision}` : '';
    return `${e.type ?? 'PUT'} ${e.kv.key}=${e.kv.value}@${e.kv.mod_revision}${prev}`;
  });
}

async function watchFrom(client: EtcdClient, start: number): Promise<WatchStream> {
  const s = new WatchStream(client);
  s.create({ key: k('/r/'), range_end: k('/r0'), start_revision: start, prev_kv: true, watch_id: 1 });
  await s.until((rs) => rs.some((r) => r.created));
  return s;
}

describe.skipIf(missing !== undefined)('replicas on a topology routed over PostgreSQL and MariaDB', () => {
  let pg: SqlServerHandle;
  let my: SqlServerHandle;
  let topology: string;
  let a: ServerHandle;
  let b: ServerHandle;
  let ca: EtcdClient;
  let cb: EtcdClient;
  const replica = (env?: Record<string, string>) =>
    startStore({ topology, extraArgs: [`--main-endpoint=${pg.url('main')}`], progressIntervalMs: 500, env });

  beforeAll(async () => {
    [pg, my] = await Promise.all([postgres.start(), mariadb.start()]);
    await pg.createDatabase('main');
    await pg.createDatabase('routed');
    await my.createDatabase('routedm');
    topology = routedTopology([
      { name: 'pgr', endpoint: pg.url('routed'), prefix: '/r/p/' },
      { name: 'myr', endpoint: my.url('routedm'), prefix: '/r/m/' },
    ]);
    [a, b] = await Promise.all([replica(), replica()]);
    ca = connect(a.target);
    cb = connect(b.target);
  }, 120_000);

  afterAll(() => shutDown(ca, cb, a, b, pg, my));

  it('takes writes to every database on either replica in one sequence; both watches see the same stream', async () => {
    const start = (await range(ca)).revision + 1;
    const streams = [await watchFrom(ca, start), await watchFrom(cb, start)];
    const acked: number[] = [];
    for (let i = 0; i < 30; i++) {
      const c = i % 2 === 0 ? ca : cb;
      // Overwrites (prev_kv), a delete now and then, and a txn over all three databases.
      if (i % 5 === 4) acked.push(await spanning(c, `t${i}`));
      else if (i % 7 === 6) {
        const r = await call(c.kv, 'DeleteRange', { key: k(`/r/${BACKENDS[i % 3]}/k`) });
        acked.push(Number(r.header.revision));
      } else acked.push(await put(c, `/r/${BACKENDS[i % 3]}/k`, `v${i}`));
    }
    expect(acked).toEqual(Array.from({ length: 30 }, (_, i) => start + i));
    const last = acked.at(-1)!;
    await Promise.all(
      streams.map((s) => s.until(() => s.events(1).some((e: any) => Number(e.kv.mod_revision) === last))),
    );
    const [logA, logB] = streams.map(eventLog);
    for (const s of streams) s.close();
    expect(logB).toEqual(logA);
    const revs = [...new Set(logA!.map((e) => Number(e.split(' ')[1]!.split('@')[1])))];
    expect(revs).toEqual(acked);
    // A txn's three puts are three events of one revision; an overwrite carries the value it replaced.
    expect(logA!.filter((e) => e.includes('=t4@'))).toHaveLength(3);
    expect(logA!.find((e) => e.startsWith('PUT /r/p/k=v7@'))).toMatch(/<v1@\d+$/);
    // Both replicas read the same at every one of those revisions.
    for (const r of acked) expect(await range(cb, r)).toEqual(await range(ca, r));
    expect((await range(cb)).revision).toBe(last);
  }, 60_000);

  for (const point of ['after-log', 'between-commits'] as const) {
    it(`completes a txn whose replica was killed at ${point}: never seen in part, then whole`, async () => {
      const before = (await range(ca)).revision;
      const watch = await watchFrom(ca, before + 1);
      const c = await replica({ CNPAAS_STORE_TEST_CRASH: `${point}:1` });
      const cc = connect(c.target);
      try {
        await expect(spanning(cc, `crash-${point}`)).rejects.toThrow();
        await new Promise<void>((r) =>
          c.child.exitCode !== null || c.child.signalCode !== null ? r() : c.child.once('exit', () => r()),
        );
        expect(c.child.signalCode).toBe('SIGKILL');
      } finally {
        cc.close();
        await c.stop();
      }
      // The state the kill left: logged in the main database; in the routed ones only past the routed commits.
      const held = point === 'between-commits' ? 1 : 0;
      const routed = await pg.connect('routed');
      const main = await pg.connect('main');
      try {
        const rows = await routed.query('SELECT count(*) AS n FROM kv WHERE key = $1', [k(`/r/p/crash-${point}`)]);
        expect(Number(rows.rows[0]!.n)).toBe(held);
        const logged = await main.query('SELECT revision FROM store_txlog');
        expect(logged.rows.map((r) => Number(r.revision))).toEqual([before + 1]);
      } finally {
        await routed.end();
      }
      // Nothing of it is visible to either replica yet, not even the row a routed database holds.
      for (const client of [ca, cb]) {
        const now = await range(client);
        expect(now.revision).toBe(before);
        expect(now.kvs.filter((kv) => kv.includes(`crash-${point}`))).toEqual([]);
      }
      // The next write takes the lock: the logged revision is completed first, the write comes after it.
      const next = await put(cb, `/r/s/after-${point}`, 'x');
      expect(next).toBe(before + 2);
      const logged = await main.query('SELECT revision FROM store_txlog');
      await main.end();
      expect(logged.rows).toEqual([]);
      for (const client of [ca, cb]) {
        const now = await range(client);
        for (const bk of BACKENDS)
          expect(now.kvs).toContain(`/r/${bk}/crash-${point}=crash-${point}@${before + 1}/${before + 1}/1`);
      }
      await watch.until(() => watch.events(1).length >= 4);
      expect(eventLog(watch)).toEqual([
        ...BACKENDS.map((bk) => `PUT /r/${bk}/crash-${point}=crash-${point}@${before + 1}`),
        `PUT /r/s/after-${point}=x@${before + 2}`,
      ]);
      watch.close();
    }, 60_000);
  }

  it('kill -9 of replicas under txns over three databases from three replicas: whole or absent, no gap, same watch', async () => {
    const start = (await range(ca)).revision + 1;
    const streams = [await watchFrom(ca, start), await watchFrom(cb, start)];
    // C is killed from outside at whatever point it is; D kills itself between two databases' commits.
    const c = await replica();
    const d = await replica({ CNPAAS_STORE_TEST_CRASH: 'between-commits:5' });
    const [cc, cd] = [connect(c.target), connect(d.target)];
    const acked = new Map<string, number>();
    let stop = false;
    const writer = async (client: EtcdClient, name: string) => {
      // Bounded in count as well as by the kills.
      for (let i = 0; i < 200 && !stop; i++) {
        try {
          acked.set(`${name}i${i}`, await spanning(client, `${name}i${i}`));
        } catch {
          return; // its replica was killed mid-request: not acknowledged
        }
      }
    };
    const writers = [ca, ca, cb, cb, cc, cc, cd, cd].map((client, w) => writer(client, `L${w}`));
    const dDied = new Promise<void>((r) => d.child.once('exit', () => r()));
    try {
      // D dies at its fifth batch (however long the machine takes to get there); C a moment later.
      await Promise.race([dDied, new Promise((r) => setTimeout(r, 20_000))]);
      expect(d.child.signalCode, 'D reached its crash point').toBe('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      await c.kill();
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await Promise.all(writers);
    } finally {
      stop = true;
      cc.close();
      cd.close();
      await c.stop();
      await d.stop();
    }
    expect([...acked.keys()].filter((id) => /^L[45]/.test(id)).length).toBeGreaterThan(0);
    // A last write takes the lock: whatever a dead replica left logged is completed before it.
    const last = await put(cb, '/r/s/load-done', 'x');
    expect(last).toBeGreaterThan(Math.max(...acked.values()));
    const now = await range(ca);
    expect(await range(cb)).toEqual(now);
    const at = new Map(now.kvs.map((kv) => [kv.split('=')[0]!, Number(kv.split('@')[1]!.split('/')[0])]));
    for (const [id, rev] of acked) for (const bk of BACKENDS) expect(at.get(`/r/${bk}/${id}`), `${bk} ${id}`).toBe(rev);
    // Anything not acknowledged (the killed replicas' last txns) is in all three databases at one revision, or in none.
    const ids = new Set([...at.keys()].filter((key) => /^\/r\/[spm]\/L\d/.test(key)).map((key) => key.slice(5)));
    for (const id of ids) {
      const revs = BACKENDS.map((bk) => at.get(`/r/${bk}/${id}`));
      expect(revs, id).toEqual([revs[0], revs[0], revs[0]]);
    }
    // D died with a txn logged and committed in the routed databases only: it was completed, not lost.
    expect([...ids].some((id) => /^L[67]/.test(id) && !acked.has(id))).toBe(true);
    // Both watches: every revision from `start` to the last write, once each, in order, each txn's three puts together.
    await Promise.all(
      streams.map((s) => s.until(() => s.events(1).some((e: any) => Number(e.kv.mod_revision) === last), 20_000)),
    );
    const [logA, logB] = streams.map(eventLog);
    for (const s of streams) s.close();
    expect(logB).toEqual(logA);
    const revs = logA!.map((e) => Number(e.split(' ')[1]!.split('@')[1]));
    expect([...new Set(revs)]).toEqual(Array.from({ length: last - start + 1 }, (_, i) => start + i));
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
    expect(logA!.length).toBe((last - start) * 3 + 1);
  }, 120_000);
});
