import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';
import { tenantsTopology } from '../support/topology.js';

/**
 * A Range at a past revision while writes commit (and the same range in a
 * read-only Txn, which is read on the synchronous path): a key whose version at
 * that revision moves from kv to history during the read must be answered
 * once, with that version. A database that reads the two tables as two
 * statements must read them in one snapshot, or such a key is missed (kv
 * read after the commit, history before it) or answered twice.
 */
const KEYS = 60;
const WRITERS = 8;
const READERS = 4;
/** Bounds of the run: whichever comes first. */
const RUN_MS = 4_000;
const MAX_READS = 4_000;

const key = (i: number) => `/t/pinned/${String(i).padStart(3, '0')}`;

for (const kind of SQL_SERVERS) {
  const missing = kind.missing();
  if (missing) console.warn(`skipping the pinned-range test on ${kind.name}: ${missing}`);

  describe.skipIf(missing !== undefined)(`a Range at a revision on ${kind.name} while writes commit`, () => {
    let server: SqlServerHandle;
    let store: ServerHandle;
    let client: EtcdClient;

    beforeAll(async () => {
      server = await kind.start();
      await server.createDatabase('tenants');
      store = await startStore({ topology: tenantsTopology(server.url('tenants')) });
      client = connect(store.target);
    }, 60_000);

    afterAll(() => shutDown(client, store, server));

    it('answers every key once, with its version at that revision', async () => {
      let pinned = '';
      for (let i = 0; i < KEYS; i++) {
        pinned = (await call(client.kv, 'Put', { key: Buffer.from(key(i)), value: Buffer.from('at-pin') })).header
          .revision;
      }
      const expected = Array.from({ length: KEYS }, (_, i) => `${key(i)}=at-pin`);
      const deadline = Date.now() + RUN_MS;
      let reads = 0;
      let writes = 0;
      const wrong: string[] = [];
      const writer = async (w: number) => {
        for (let n = 0; Date.now() < deadline && reads < MAX_READS; n++) {
          const i = (n * WRITERS + w) % KEYS;
          await call(client.kv, 'Put', { key: Buffer.from(key(i)), value: Buffer.from(`later-${n}`) });
          writes++;
        }
      };
      const range = { key: Buffer.from('/t/pinned/'), range_end: Buffer.from('/t/pinned0'), revision: pinned };
      // A Range reads without blocking; a read-only Txn reads the same on the synchronous path.
      const read = async (viaTxn: boolean) =>
        viaTxn
          ? (await call(client.kv, 'Txn', { success: [{ request_range: range }] })).responses[0].response_range
          : await call(client.kv, 'Range', range);
      const reader = async (r: number) => {
        while (Date.now() < deadline && reads < MAX_READS) {
          const res = await read(r % 2 === 1);
          reads++;
          const got = res.kvs.map((kv: { key: Buffer; value: Buffer }) => `${kv.key}=${kv.value}`);
          if (got.join() !== expected.join() || Number(res.count) !== KEYS) {
            wrong.push(`${got.length} kvs, count ${res.count}: ${got.filter((g: string) => !expected.includes(g))}`);
          }
        }
      };
      await Promise.all([
        ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
        ...Array.from({ length: READERS }, (_, r) => reader(r)),
      ]);
      // The run proves something only if reads and writes overlapped for long enough.
      expect(reads).toBeGreaterThan(100);
      expect(writes).toBeGreaterThan(KEYS);
      expect(wrong.slice(0, 5)).toEqual([]);
    }, 30_000);
  });
}
