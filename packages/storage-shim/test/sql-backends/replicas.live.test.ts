import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';
import { refusedStart, type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';
import { WatchStream } from '../support/watch.js';

/**
 * Replicas (docs/replicas.md): several cnpaas-store processes on one
 * PostgreSQL database (--main-endpoint), each taking writes. Revisions are
 * one sequence across them, every replica's reads and watches see every
 * replica's writes in that order, compares see the other replica's writes,
 * and killing a replica loses no acknowledged write.
 */
const run = promisify(execFile);
const k = (s: string) => Buffer.from(s);

interface Put {
  header: { revision: string };
}

async function put(client: EtcdClient, key: string, value: string, lease?: string): Promise<number> {
  const r = await call<Put>(client.kv, 'Put', { key: k(key), value: k(value), ...(lease ? { lease } : {}) });
  return Number(r.header.revision);
}

async function range(client: EtcdClient, key: string, rangeEnd: string, revision = 0) {
  const r = await call(client.kv, 'Range', { key: k(key), range_end: k(rangeEnd), revision });
  return {
    revision: Number(r.header.revision),
    kvs: (r.kvs as any[]).map((kv) => `${kv.key}=${kv.value}@${kv.mod_revision}/${kv.create_revision}/${kv.version}`),
  };
}

/** Every event of a watch stream as "type key=value@revision", in arrival order. */
function eventLog(stream: WatchStream, watchId: number): string[] {
  return stream.events(watchId).map((e: any) => `${e.type ?? 'PUT'} ${e.kv.key}=${e.kv.value}@${e.kv.mod_revision}`);
}

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the replica tests on ${kind.name}: ${missing}`);

  describe.skipIf(missing !== undefined)(`replicas on one ${kind.name} database`, () => {
    let sqlServer: SqlServerHandle;
    let a: ServerHandle;
    let b: ServerHandle;
    let ca: EtcdClient;
    let cb: EtcdClient;
    const replica = (url: string, extraArgs: string[] = []) =>
      startStore({ extraArgs: [`--main-endpoint=${url}`, ...extraArgs], progressIntervalMs: 500, logLevel: 'warn' });

    beforeAll(async () => {
      sqlServer = await kind.start();
      await sqlServer.createDatabase('shared');
      // One after the other: the first creates the tables, the second finds them.
      a = await replica(sqlServer.url('shared'));
      // The second keeps the password off its command line (ps shows it): the URL
      // without it, and the password from a 0600 file.
      const passwordFile = join(mkdtempSync(join(tmpdir(), 'cnpaas-replica-pw-')), 'password');
      writeFileSync(passwordFile, `${sqlServer.password}\n`, { mode: 0o600 });
      b = await replica(sqlServer.url('shared').replace(`:${sqlServer.password}@`, '@'), [
        `--main-password-file=${passwordFile}`,
      ]);
      ca = connect(a.target);
      cb = connect(b.target);
    }, 90_000);

    afterAll(() => shutDown(ca, cb, a, b, sqlServer));

    it('takes writes on either replica in one revision sequence, and reads the same at every revision', async () => {
      const revisions: number[] = [];
      for (let i = 0; i < 20; i++) revisions.push(await put(i % 2 === 0 ? ca : cb, `/alt/k${i % 5}`, `v${i}`));
      for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBe(revisions[i - 1]! + 1);
      const last = revisions.at(-1)!;
      // A linearizable read on either replica sees the other's last write.
      const nowA = await range(ca, '/alt/', '/alt0');
      const nowB = await range(cb, '/alt/', '/alt0');
      expect(nowA.revision).toBe(last);
      expect(nowB).toEqual(nowA);
      expect(nowA.kvs).toHaveLength(5);
      for (const r of revisions) {
        const atA = await range(ca, '/alt/', '/alt0', r);
        expect(await range(cb, '/alt/', '/alt0', r)).toEqual(atA);
        // The key written at r is there at r, with that mod revision.
        expect(atA.kvs.filter((kv) => kv.includes(`@${r}/`))).toHaveLength(1);
      }
      const status = await Promise.all([ca, cb].map((c) => call(c.maintenance, 'Status', {})));
      expect(status[0].header.cluster_id).toBe(status[1].header.cluster_id);
      expect(status[0].header.member_id).not.toBe(status[1].header.member_id);
    });

    it('feeds a watch on each replica every write of both, in revision order, without gaps or duplicates', async () => {
      const start = (await range(ca, '/w/', '/w0')).revision + 1;
      const streams = [new WatchStream(ca), new WatchStream(cb)];
      for (const s of streams) s.create({ key: k('/w/'), range_end: k('/w0'), start_revision: start, watch_id: 1 });
      await Promise.all(streams.map((s) => s.until((rs) => rs.some((r) => r.created))));
      // 2 replicas × 4 writers × 25 puts, all at once.
      const acked: number[] = [];
      await Promise.all(
        [ca, cb].flatMap((c, ri) =>
          [0, 1, 2, 3].map(async (w) => {
            for (let i = 0; i < 25; i++) acked.push(await put(c, `/w/r${ri}-w${w}`, `${i}`));
          }),
        ),
      );
      expect(new Set(acked).size).toBe(200);
      const total = 200;
      await Promise.all(streams.map((s) => s.until(() => s.events(1).length >= total, 20_000)));
      const [logA, logB] = streams.map((s) => eventLog(s, 1));
      for (const s of streams) s.close();
      expect(logA).toHaveLength(total);
      expect(logB).toEqual(logA);
      const revs = logA!.map((e) => Number(e.split('@')[1]));
      // Every revision from `start` on, once each, in order: exactly the acknowledged ones.
      expect(revs).toEqual(Array.from({ length: total }, (_, i) => start + i));
      expect(revs).toEqual([...acked].sort((x, y) => x - y));
    }, 60_000);

    it('checks a txn compare against the other replica’s newest write, as one etcd would', async () => {
      const rev = await put(ca, '/cas/x', 'from-a');
      const stale = await call(cb.kv, 'Txn', {
        compare: [{ key: k('/cas/x'), target: 'VALUE', result: 'EQUAL', value: k('before') }],
        success: [{ request_put: { key: k('/cas/x'), value: k('from-b') } }],
      });
      expect(stale.succeeded).toBe(false);
      const fresh = await call(cb.kv, 'Txn', {
        compare: [{ key: k('/cas/x'), target: 'MOD', result: 'EQUAL', mod_revision: rev }],
        success: [{ request_put: { key: k('/cas/x'), value: k('from-b') } }],
      });
      expect(fresh.succeeded).toBe(true);
      expect(Number(fresh.header.revision)).toBe(rev + 1);

      // Compare-and-swap increments racing on both replicas: none may be lost.
      await put(ca, '/cas/n', '0');
      const increment = async (c: EtcdClient, times: number) => {
        for (let done = 0; done < times;) {
          const got = await call(c.kv, 'Range', { key: k('/cas/n') });
          const kv = got.kvs[0];
          const r = await call(c.kv, 'Txn', {
            compare: [{ key: k('/cas/n'), target: 'MOD', result: 'EQUAL', mod_revision: kv.mod_revision }],
            success: [{ request_put: { key: k('/cas/n'), value: k(String(Number(String(kv.value)) + 1)) } }],
          });
          if (r.succeeded) done++;
        }
      };
      await Promise.all([increment(ca, 30), increment(cb, 30), increment(ca, 30), increment(cb, 30)]);
      for (const c of [ca, cb])
        expect(String((await call(c.kv, 'Range', { key: k('/cas/n') })).kvs[0].value)).toBe('120');
    }, 60_000);

    it('shares leases: granted on one replica, renewed, used and revoked on the other', async () => {
      const grant = await call(ca.lease, 'LeaseGrant', { TTL: 30 });
      const id = String(grant.ID);
      const ttl = await call(cb.lease, 'LeaseTimeToLive', { ID: id });
      expect(Number(ttl.grantedTTL)).toBe(30);
      expect(Number(ttl.TTL)).toBeGreaterThan(25);
      await put(cb, '/lease/held', 'v', id);
      const start = (await range(ca, '/lease/', '/lease0')).revision + 1;
      const watch = new WatchStream(ca);
      watch.create({ key: k('/lease/'), range_end: k('/lease0'), start_revision: start, watch_id: 1 });
      await call(cb.lease, 'LeaseRevoke', { ID: id });
      await watch.until(() => watch.events(1).length >= 1);
      expect(eventLog(watch, 1)).toEqual([`DELETE /lease/held=@${start}`]);
      watch.close();
      expect(Number((await call(ca.lease, 'LeaseTimeToLive', { ID: id })).TTL)).toBe(-1);
      await expect(call(ca.lease, 'LeaseRevoke', { ID: id })).rejects.toThrow('requested lease not found');
    });

    it('expires a lease on the database clock, once, whichever replica sees it first', async () => {
      const grant = await call(cb.lease, 'LeaseGrant', { TTL: 2 });
      await put(ca, '/expire/k', 'v', String(grant.ID));
      const start = (await range(cb, '/expire/', '/expire0')).revision + 1;
      const streams = [new WatchStream(ca), new WatchStream(cb)];
      for (const s of streams)
        s.create({ key: k('/expire/'), range_end: k('/expire0'), start_revision: start, watch_id: 1 });
      await Promise.all(streams.map((s) => s.until(() => s.events(1).length >= 1, 10_000)));
      await new Promise((r) => setTimeout(r, 1500));
      for (const s of streams) {
        expect(eventLog(s, 1)).toEqual([`DELETE /expire/k=@${start}`]);
        s.close();
      }
    }, 20_000);

    it('cuts a live watch off as compacted on a replica that lagged behind another replica’s compaction', async () => {
      const start = (await range(cb, '/lag/', '/lag0')).revision + 1;
      const watch = new WatchStream(cb);
      watch.create({ key: k('/lag/'), range_end: k('/lag0'), start_revision: start, watch_id: 1 });
      await watch.until((rs) => rs.some((r) => r.created));
      // B hears nothing while it is stopped; A writes, overwrites and compacts past it.
      process.kill(b.child.pid!, 'SIGSTOP');
      let compactAt: number;
      try {
        await put(ca, '/lag/k', 'v1');
        await put(ca, '/lag/k', 'v2');
        compactAt = await put(ca, '/lag/k', 'v3');
        await call(ca.kv, 'Compact', { revision: compactAt, physical: true });
      } finally {
        process.kill(b.child.pid!, 'SIGCONT');
      }
      // v1 and v2 are gone from history: B cannot deliver them, so it says so, as etcd does.
      await watch.until((rs) => rs.some((r) => r.canceled), 10_000);
      const canceled = watch.responses.find((r) => r.canceled);
      expect(Number(canceled.compact_revision)).toBe(compactAt);
      expect(eventLog(watch, 1)).toEqual([]);
      watch.close();
      expect((await range(cb, '/lag/', '/lag0')).kvs).toEqual([`/lag/k=v3@${compactAt}/${compactAt - 2}/3`]);
    }, 30_000);

    it('refuses a read below a compaction another replica made, as compacted', async () => {
      // Kubernetes' storage tests on two replicas found this: a Compact takes no revision, so
      // B had nothing to catch up on and answered reads below the compact revision.
      const first = await put(ca, '/cmp/k', 'v1');
      const second = await put(ca, '/cmp/k', 'v2');
      await range(cb, '/cmp/', '/cmp0'); // B is at `second` before the compaction
      await call(ca.kv, 'Compact', { revision: second, physical: true });
      await expect(range(cb, '/cmp/', '/cmp0', first)).rejects.toThrow('required revision has been compacted');
      expect((await range(cb, '/cmp/', '/cmp0', second)).kvs).toEqual([`/cmp/k=v2@${second}/${first}/2`]);
    }, 20_000);

    it('loses no acknowledged write when a replica is killed under load, and an etcd client fails over', async () => {
      const acked = new Map<string, number>();
      let stop = false;
      const writer = async (c: EtcdClient, name: string) => {
        for (let i = 0; i < 400 && !stop; i++) {
          try {
            acked.set(`/kill/${name}-${i}`, await put(c, `/kill/${name}-${i}`, `${i}`));
          } catch {
            return; // the killed replica's writers stop at their first error
          }
        }
      };
      const writers = [writer(ca, 'a0'), writer(ca, 'a1'), writer(cb, 'b0'), writer(cb, 'b1')];
      await new Promise((r) => setTimeout(r, 400));
      await a.kill();
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await Promise.all(writers);
      expect([...acked.keys()].some((key) => key.startsWith('/kill/a'))).toBe(true);
      const after = await call(cb.kv, 'Range', { key: k('/kill/'), range_end: k('/kill0') });
      const stored = new Map((after.kvs as any[]).map((kv) => [String(kv.key), Number(kv.mod_revision)]));
      for (const [key, rev] of acked) expect(stored.get(key), key).toBe(rev);
      // Revisions keep rising past everything acknowledged.
      const next = await put(cb, '/kill/after', 'x');
      expect(next).toBeGreaterThan(Math.max(...acked.values()));

      // etcd's own client (etcdctl, clientv3) given both endpoints carries on with the live one.
      const endpoints = `--endpoints=${a.target},${b.target}`;
      await run('etcdctl', [endpoints, '--dial-timeout=2s', '--command-timeout=10s', 'put', '/kill/failover', 'ok'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      const got = await run(
        'etcdctl',
        [endpoints, '--dial-timeout=2s', 'get', '/kill/failover', '--print-value-only'],
        {
          env: { ...process.env, ETCDCTL_API: '3' },
        },
      );
      expect(got.stdout.trim()).toBe('ok');

      // The killed replica comes back on the same database and sees everything.
      a = await replica(sqlServer.url('shared'));
      ca.close();
      ca = connect(a.target);
      expect(await range(ca, '/kill/', '/kill0')).toEqual(await range(cb, '/kill/', '/kill0'));
    }, 60_000);
  });
}

describe('what replicas are not', () => {
  it('refuses a second store on a data dir that another store runs on, until that one stops', async () => {
    const first = await startStore();
    try {
      const second = await refusedStart({ dataDir: first.dataDir });
      expect(second.status).toBe(2);
      expect(second.output).toContain('CNPAAS_STORE_DATA_DIR_LOCKED');
      expect(second.output).toContain('--main-endpoint');
      // The first store is untouched by the attempt.
      const c = connect(first.target);
      expect(await put(c, '/still/mine', 'v')).toBe(2);
      c.close();
      await first.kill();
      // A killed store leaves no stale lock: the next one starts on the same data dir.
      const next = await startStore({ dataDir: first.dataDir });
      await next.stop();
    } finally {
      await first.kill();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a routed SQLite backend beside --main-endpoint, and a main endpoint that is not a network database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnpaas-replica-refused-'));
    try {
      const routed = await refusedStart({
        dataDir: join(dir, 'a'),
        topology: 'backends:\n  - name: t\n    endpoint: sqlite://t.db\n    prefix: { prefix: "/t/" }\n',
        extraArgs: ['--main-endpoint=postgres://u:secret-pw@127.0.0.1:1/db?sslmode=disable'],
      });
      expect(routed.status).toBe(2);
      expect(routed.output).toContain('CNPAAS_STORE_REPLICA_TOPOLOGY');
      // Names the backend and the way out.
      expect(routed.output).toContain('backend "t" is a SQLite file');
      expect(routed.output).toContain('put backend "t" in PostgreSQL, MySQL or MariaDB');
      const sqlite = await refusedStart({
        dataDir: join(dir, 'b'),
        extraArgs: [`--main-endpoint=sqlite://${join(dir, 'main.db')}`],
      });
      expect(sqlite.status).toBe(2);
      expect(sqlite.output).toContain('CNPAAS_STORE_BAD_FLAG');
      expect(sqlite.output).toContain('is not a PostgreSQL, MySQL or MariaDB database');
      expect(routed.output).not.toContain('secret-pw');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
