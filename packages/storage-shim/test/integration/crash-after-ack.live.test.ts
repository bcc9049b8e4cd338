import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { readModRevisions } from '../support/kill-under-load.js';
import { startStore } from '../support/processes.js';
import { routedTopology } from '../support/topology.js';

const ROUTED = routedTopology([{ name: 'alpha', endpoint: 'sqlite://alpha.db', prefix: '/a/' }]);
const k = (s: string) => Buffer.from(s);
const ROUNDS = 10;
const WRITERS = 8;

/**
 * The store acknowledges a batch only once its WAL's fdatasync (run off the
 * event loop) is done. This kills it with SIGKILL the moment a given number
 * of acknowledgements has arrived, while other batches are applied, committed
 * or being synced, and checks after every restart that each acknowledged
 * write is there: creates at exactly their revision, updates at least at
 * their acknowledged value (a later write may have landed unacknowledged).
 */
describe('kill -9 right after acknowledgements', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-crash-ack-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`keeps every acknowledged write over ${ROUNDS} kills`, async () => {
    const created = new Map<string, number>();
    const counters = new Map<string, { value: number; revision: number }>();
    let highest = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const store = await startStore({ dataDir, topology: ROUTED });
      const client = connect(store.target);
      const created0 = [...created.keys()];
      const all = await call(client.kv, 'Range', { key: k('/'), range_end: k('0') });
      const present = new Map<string, { rev: number; value: string }>(
        all.kvs.map((kv: any) => [kv.key.toString(), { rev: Number(kv.mod_revision), value: kv.value.toString() }]),
      );
      for (const key of created0) expect(present.get(key)?.rev, `round ${round}: ${key}`).toBe(created.get(key));
      for (const [key, acked] of counters) {
        const got = present.get(key);
        expect(Number(got?.value), `round ${round}: ${key}`).toBeGreaterThanOrEqual(acked.value);
        expect(got!.rev, `round ${round}: ${key}`).toBeGreaterThanOrEqual(acked.revision);
      }
      expect(Number(all.header.revision), `round ${round}`).toBeGreaterThanOrEqual(highest);

      // Kill as soon as this many acknowledgements are in: early in the run, while batches are in flight.
      const killAt = 20 + ((round * 37) % 90);
      let acks = 0;
      let killed = false;
      const ack = (rev: number) => {
        highest = Math.max(highest, rev);
        if (++acks >= killAt && !killed) {
          killed = true;
          store.child.kill('SIGKILL');
        }
      };
      const writer = async (w: number) => {
        for (let i = 0; !killed && i < 10_000; i++) {
          try {
            if (i % 3 === 2) {
              const key = `/${w % 2 ? 'a' : 'c'}/counter/w${w}`;
              const res = await call(client.kv, 'Put', { key: k(key), value: k(String(round * 10_000 + i)) });
              const rev = Number(res.header.revision);
              counters.set(key, { value: round * 10_000 + i, revision: rev });
              ack(rev);
              continue;
            }
            // A create in one file, or (every third) a txn spanning both files.
            const key = `/${i % 2 ? 'a' : 'c'}/r${round}/w${w}/${i}`;
            const success = [{ request_put: { key: k(key), value: Buffer.alloc(256, w) } }];
            const twin = `/${i % 2 ? 'c' : 'a'}/r${round}/w${w}/${i}-twin`;
            if (i % 3 === 0) success.push({ request_put: { key: k(twin), value: k('twin') } });
            const res = await call(client.kv, 'Txn', {
              compare: [{ key: k(key), target: 'MOD', result: 'EQUAL', mod_revision: 0 }],
              success,
            });
            const rev = Number(res.header.revision);
            created.set(key, rev);
            if (i % 3 === 0) created.set(twin, rev);
            ack(rev);
          } catch {
            return; // the store went away mid-request: not acknowledged
          }
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      expect(killed, `round ${round}: ${acks} acknowledgements, store output:\n${store.output()}`).toBe(true);
      await store.kill();
      client.close();
    }
    expect(created.size).toBeGreaterThan(ROUNDS * 20);
    const store = await startStore({ dataDir, topology: ROUTED });
    const present = await readModRevisions(store, '/', '0');
    await store.stop();
    for (const [key, rev] of created) expect(present.kvs.get(key), key).toBe(rev);
  }, 180_000);
});
