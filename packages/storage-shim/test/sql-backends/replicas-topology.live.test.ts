import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { MARIADB_USER } from '../support/mariadb.js';
import { PG_USER } from '../support/postgres.js';
import { refusedStart, type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';
import { SQL_SERVERS, type SqlServer, type SqlServerHandle } from '../support/sql-servers.js';

/**
 * One topology for all replicas (docs/replicas.md): the first replica on a
 * main database records its topology's routing there; a replica whose
 * topology routes keys elsewhere is refused before it writes anything,
 * while one that differs only in what may differ per replica (pool size,
 * where its password comes from) starts. A SIGHUP that would change a
 * replica's routes is refused; `--replace-topology` changes them for all,
 * and a replica left running on the old topology stops instead of writing
 * keys where the others no longer look for them.
 */
const CODE = 'CNPAAS_STORE_REPLICA_TOPOLOGY_MISMATCH';
const k = (s: string) => Buffer.from(s);

async function put(client: EtcdClient, key: string, value: string): Promise<number> {
  const r = await call(client.kv, 'Put', { key: k(key), value: k(value) });
  return Number(r.header.revision);
}

async function get(client: EtcdClient, key: string): Promise<string | undefined> {
  const r = await call(client.kv, 'Range', { key: k(key) });
  return (r.kvs as any[])[0]?.value.toString();
}

/** The pino lines a store printed with message `msg`, parsed. */
function logged(h: ServerHandle, msg: string): Array<Record<string, unknown>> {
  return h
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(h: ServerHandle, timeoutMs = 10_000): Promise<number | null> {
  const { child } = h;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${h.output()}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      r(code);
    });
  });
}

/** How the store names a database of this server in a fingerprint: scheme, user, host, port, database. */
function identity(server: SqlServer, handle: SqlServerHandle, database: string): string {
  return server.dialect.name === 'postgres'
    ? `postgres://${PG_USER}@127.0.0.1:${handle.port}/${database}`
    : `mysql://${MARIADB_USER}@tcp(127.0.0.1:${handle.port})/${database}`;
}

for (const server of SQL_SERVERS) {
  const missing = server.missing();
  if (missing) console.warn(`skipping the replica topology tests on ${server.name}: ${missing}`);

  describe.skipIf(missing !== undefined)(`replicas of one ${server.name} database agree on one topology`, () => {
    let sql: SqlServerHandle;
    let dir: string;
    let mainUrl: string;
    /** Routes /t/r/ to database `ra`; `T2` routes it to `rb` instead. */
    let t1: string;
    let t2: string;
    let a: ServerHandle;
    let b: ServerHandle;
    let ca: EtcdClient;
    let cb: EtcdClient;
    const main = () => `--main-endpoint=${mainUrl}`;

    const topology = (database: string, extra = '') => `backends:
  - name: r
    endpoint: "${sql.url(database)}"
    prefix: { prefix: "/t/r/" }
${extra}`;

    /** The keys a routed database holds. */
    async function keys(database: string): Promise<string[]> {
      const c = await sql.connect(database);
      try {
        return (await c.query('SELECT * FROM kv')).rows.map((r) => (r.key as Buffer).toString());
      } finally {
        await c.end();
      }
    }

    async function tables(database: string): Promise<number> {
      const c = await sql.connect(database);
      const schema = server.dialect.name === 'postgres' ? 'current_schema()' : 'DATABASE()';
      try {
        const r = await c.query(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ${schema}`);
        return Number(r.rows[0]!.n);
      } finally {
        await c.end();
      }
    }

    async function recorded(): Promise<string> {
      const c = await sql.connect('main');
      try {
        return (await c.query(`SELECT value FROM meta WHERE name = 'topology'`)).rows[0]!.value as string;
      } finally {
        await c.end();
      }
    }

    beforeAll(async () => {
      sql = await server.start();
      for (const db of ['main', 'ra', 'rb']) await sql.createDatabase(db);
      mainUrl = sql.url('main');
      dir = mkdtempSync(join(tmpdir(), 'cnpaas-replica-topology-'));
      t1 = join(dir, 't1.yaml');
      t2 = join(dir, 't2.yaml');
      writeFileSync(t1, topology('ra'));
      writeFileSync(t2, topology('rb'));
      a = await startStore({ topology: topology('ra'), extraArgs: [main()] });
      ca = connect(a.target);
    }, 90_000);

    afterAll(async () => {
      await shutDown(ca, cb, a, b, sql);
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a second replica whose topology routes a prefix to another database, before it writes anything', async () => {
      expect(await put(ca, '/t/r/first', 'a')).toBeGreaterThan(1);
      const before = await recorded();
      expect(before).toContain(identity(server, sql, 'ra'));

      const refused = await refusedStart({ extraArgs: [`--topology=${t2}`, main()] });
      expect(refused.status).toBe(2);
      expect(refused.output).toContain(CODE);
      // It names the backend and both databases, and the way out, never the password.
      expect(refused.output).toContain(
        `backend "r" is ${identity(server, sql, 'rb')} in this replica's topology, ${identity(server, sql, 'ra')} in the recorded topology`,
      );
      expect(refused.output).toContain('start this replica with the same topology file as the running replicas');
      expect(refused.output).toContain('--replace-topology');
      expect(refused.output).not.toContain(sql.password);
      // Nothing half-written: the record is the first replica's, and the other database was never opened.
      expect(await recorded()).toBe(before);
      expect(await tables('rb')).toBe(0);
      expect(await put(ca, '/t/r/second', 'a')).toBeGreaterThan(1);
      expect((await keys('ra')).sort()).toEqual(['/t/r/first', '/t/r/second']);
    }, 60_000);

    it('starts a second replica with the same routes, another pool size and its password from a file', async () => {
      const passwordFile = join(dir, 'ra-password');
      writeFileSync(passwordFile, `${sql.password}\n`, { mode: 0o600 });
      const sameRoutes = topology('ra', `    connectionPool: { maxOpen: 10, connectTimeout: 5s }\n`)
        .replace(`:${sql.password}@`, '@')
        .replace('    prefix:', `    passwordFile: ${passwordFile}\n    prefix:`);
      expect(sameRoutes).not.toContain(sql.password);
      b = await startStore({ topology: sameRoutes, extraArgs: [main()], logLevel: 'info' });
      cb = connect(b.target);
      // Both route /t/r/ to the same database: each reads what the other wrote there.
      await put(cb, '/t/r/from-b', 'b');
      expect(await get(ca, '/t/r/from-b')).toBe('b');
      expect(await get(cb, '/t/r/first')).toBe('a');
      expect(await keys('ra')).toContain('/t/r/from-b');
    }, 60_000);

    it('refuses a SIGHUP whose file routes keys differently, and keeps serving; accepts one that changes no route', async () => {
      const file = join(b.dataDir, 'topology.yaml');
      writeFileSync(file, topology('rb'));
      process.kill(b.child.pid!, 'SIGHUP');
      await until(
        'the reload refusal',
        () => logged(b, 'topology reload refused; keeping the current routes').length > 0,
      );
      const refusal = String(logged(b, 'topology reload refused; keeping the current routes')[0]!.err);
      expect(refusal).toContain(CODE);
      expect(refusal).toContain(`backend "r" is ${identity(server, sql, 'rb')} in ${file} now`);
      expect(refusal).toContain('put the file back as it was');
      // Its routes are the old ones: a write still lands in ra.
      await put(cb, '/t/r/after-refused-reload', 'b');
      expect(await keys('ra')).toContain('/t/r/after-refused-reload');
      expect(await tables('rb')).toBe(0);

      writeFileSync(file, topology('ra', `    connectionPool: { maxOpen: 4 }\n`));
      process.kill(b.child.pid!, 'SIGHUP');
      await until('the accepted reload', () => logged(b, 'topology reloaded').length > 0);
      expect(logged(b, 'topology reloaded')[0]!.added).toEqual([]);
      expect(await get(ca, '/t/r/after-refused-reload')).toBe('b');
    }, 30_000);

    it('changes the topology by the procedure; a replica left on the old one writes nothing more and stops', async () => {
      // The procedure stops every replica; A is "forgotten", and paused so that it cannot notice before it is asked.
      cb.close();
      await b.stop();
      process.kill(a.child.pid!, 'SIGSTOP');
      let c: ServerHandle | undefined;
      let cc: EtcdClient | undefined;
      try {
        c = await startStore({ topology: topology('rb'), extraArgs: [main(), '--replace-topology'], logLevel: 'info' });
        cc = connect(c.target);
        expect(await recorded()).toContain(identity(server, sql, 'rb'));
        // It says what it replaced.
        const replaced = c
          .output()
          .split('\n')
          .find((l) => l.includes('--replace-topology: recorded'));
        expect(JSON.parse(replaced!).differences).toBe(
          `backend "r" is ${identity(server, sql, 'rb')} in this replica's topology, ${identity(server, sql, 'ra')} in the recorded topology`,
        );
        await put(cc, '/t/r/new', 'c');
        expect(await keys('rb')).toEqual(['/t/r/new']);

        // A resumes and is asked to write with its old routes at once: refused, whichever it notices first.
        process.kill(a.child.pid!, 'SIGCONT');
        const attempt = await Promise.race([
          put(ca, '/t/r/stale', 'a').then(
            () => 'written',
            (err: Error) => err.message,
          ),
          new Promise<string>((r) => setTimeout(() => r('no answer'), 10_000)),
        ]);
        expect(attempt).not.toBe('written');
        expect(attempt).not.toBe('no answer');
        expect(await exited(a)).toBe(2);
        expect(a.output()).toContain(`cnpaas-store: ${CODE}: another replica recorded a different topology`);
        expect(a.output()).toContain('start it again with the topology file the other replicas now run with');
        expect(await keys('ra')).not.toContain('/t/r/stale');
        expect(await keys('rb')).not.toContain('/t/r/stale');

        // The old file is refused from now on; the new one starts without the flag and reads what C wrote.
        const old = await refusedStart({ extraArgs: [`--topology=${t1}`, main()] });
        expect(old.status).toBe(2);
        expect(old.output).toContain(CODE);
        b = await startStore({ topology: topology('rb'), extraArgs: [main()] });
        cb = connect(b.target);
        expect(await get(cb, '/t/r/new')).toBe('c');
      } finally {
        cc?.close();
        await c?.stop();
      }
    }, 90_000);

    it('refuses --replace-topology with a topology that would move stored keys, and records nothing', async () => {
      for (const db of ['moved', 'moved_r']) await sql.createDatabase(db);
      const replica = [`--main-endpoint=${sql.url('moved')}`];
      const first = await startStore({ extraArgs: replica });
      const c1 = connect(first.target);
      await put(c1, '/t/r/in-main', 'm');
      await shutDown(c1, first);

      const routed = `backends:
  - { name: r, endpoint: "${sql.url('moved_r')}", prefix: { prefix: "/t/r/" } }
`;
      const refused = await refusedStart({ topology: routed, extraArgs: [...replica, '--replace-topology'] });
      expect(refused.status).toBe(2);
      expect(refused.output).toContain('CNPAAS_STORE_TOPOLOGY_MOVES_KEYS');
      expect(refused.output).toContain('backend "main" holds 1 key(s) routed elsewhere (/t/r/in-main → r)');

      // The recorded topology is still the old one: a replica with it starts and serves the key.
      const again = await startStore({ extraArgs: replica });
      const c2 = connect(again.target);
      try {
        expect(await get(c2, '/t/r/in-main')).toBe('m');
      } finally {
        await shutDown(c2, again);
      }
    }, 60_000);

    it('starts exactly one of two replicas racing on an empty database with different topologies', async () => {
      for (const db of ['race', 'race_a', 'race_b']) await sql.createDatabase(db);
      const routed = (database: string) => `backends:
  - { name: r, endpoint: "${sql.url(database)}", prefix: { prefix: "/t/r/" } }
`;
      const started = await Promise.allSettled(
        ['race_a', 'race_b'].map((db) =>
          startStore({ topology: routed(db), extraArgs: [`--main-endpoint=${sql.url('race')}`] }),
        ),
      );
      try {
        expect(started.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
        const refused = started.find((s) => s.status === 'rejected')!;
        expect(String(refused.reason)).toContain('code 2');
        expect(String(refused.reason)).toContain(CODE);
      } finally {
        for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
      }
    }, 60_000);
  });
}
