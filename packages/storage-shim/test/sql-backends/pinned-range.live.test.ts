import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connect, type EtcdClient } from '../support/client.js';
import { type ServerHandle, startStore } from '../support/processes.js';
import { shutDown } from '../support/store-suite.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';
import { tenantsTopology } from '../support/topology.js';

/**
 * A Range at a past revision while writes commit (and the same range in a
 * read-only Txn, which is read on the synchronous path) answers exactly what
 * a current Range answered at that revision. Each reader first reads the
 * range as it is now, then again at the revision that read reported; the
 * writers keep overwriting the keys in between and during the second read,
 * so the versions visible at that revision keep moving from kv to history.
 * A database that reads the two tables as two statements must read them in
 * one snapshot, or such a key is missed (kv read after the commit, history
 * before it) or answered twice (kv before, history after).
 */
const KEYS = 60;
const WRITERS = 8;
const READERS = 4;
/** Bounds of the run: whichever comes first. */
const RUN_MS = 4_000;
const MAX_READS = 4_000;

const key = (i: number) => `/t/pinned/${String(i).padStart(3, '0')}`;
const RANGE = { key: Buffer.from('/t/pinned/'), range_end: Buffer.from('/t/pinned0') };

type RangeAnswer = { kvs: Array<{ key: Buffer; value: Buffer; mod_revision: string }>; count: string };
const shown = (res: RangeAnswer) => res.kvs.map((kv) => `${kv.key}@${kv.mod_revision}=${kv.value}`);

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
      for (let i = 0; i < KEYS; i++) {
        await call(client.kv, 'Put', { key: Buffer.from(key(i)), value: Buffer.from('first') });
      }
      const deadline = Date.now() + RUN_MS;
      let reads = 0;
      let writes = 0;
      const wrong: string[] = [];
      const writer = async (w: number) => {
        for (let n = 0; Date.now() < deadline && reads < MAX_READS; n++) {
          const i = (n * WRITERS + w) % KEYS;
          await call(client.kv, 'Put', { key: Buffer.from(key(i)), value: Buffer.from(`w${w}-${n}`) });
          writes++;
        }
      };
      // A Range reads without blocking; a read-only Txn reads the same on the synchronous path.
      const readAt = async (revision: string, viaTxn: boolean): Promise<RangeAnswer> => {
        const range = { ...RANGE, revision };
        return viaTxn
          ? (await call(client.kv, 'Txn', { success: [{ request_range: range }] })).responses[0].response_range
          : await call(client.kv, 'Range', range);
      };
      const reader = async (r: number) => {
        const viaTxn = r % 2 === 1;
        while (Date.now() < deadline && reads < MAX_READS) {
          const now: RangeAnswer & { header: { revision: string } } = await call(client.kv, 'Range', RANGE);
          const then = await readAt(now.header.revision, viaTxn);
          reads++;
          const expected = shown(now);
          const got = shown(then);
          if (got.join() !== expected.join() || then.count !== now.count) {
            // The first place the answers part, as both lists show it: a key missed, one answered twice, or out of order.
            const longer = got.length > expected.length ? got : expected;
            const at = Math.max(
              0,
              longer.findIndex((_, i) => got[i] !== expected[i]),
            );
            wrong.push(
              `at ${now.header.revision} (${viaTxn ? 'Txn' : 'Range'}): ${got.length} kvs, count ${then.count} (now ${expected.length}, ${now.count}), from kv ${at}: [${got.slice(at, at + 2)}] where now [${expected.slice(at, at + 2)}]`,
            );
          }
        }
      };
      await Promise.all([
        ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
        ...Array.from({ length: READERS }, (_, r) => reader(r)),
      ]);
      // The run proves something only if reads and writes overlapped for long enough.
      expect(reads).toBeGreaterThan(100);
      expect(writes).toBeGreaterThan(10 * KEYS);
      expect(wrong.slice(0, 5)).toEqual([]);
    }, 30_000);
  });
}
