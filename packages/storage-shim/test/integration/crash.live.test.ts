import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { killUnderLoad, readModRevisions } from '../support/kill-under-load.js';
import { startStore } from '../support/processes.js';
import { routedTopology } from '../support/topology.js';

const ROUTED = routedTopology([{ name: 'alpha', endpoint: 'sqlite://alpha.db', prefix: '/a/' }]);
const k = (s: string) => Buffer.from(s);

describe('kill -9 under write load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cnpaas-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every acknowledged write and never moves the revision back', async () => {
    const acked = new Map<string, number>();
    let highest = 1;
    for (let round = 0; round < 4; round++) {
      const store = await startStore({ dataDir, topology: ROUTED });
      const client = connect(store.target);
      // Everything acknowledged before the crash must be there, at the revision it was acknowledged with.
      for (const [key, rev] of acked) {
        const res = await call(client.kv, 'Range', { key: k(key) });
        expect(
          res.kvs.map((kv: any) => Number(kv.mod_revision)),
          key,
        ).toEqual([rev]);
      }
      const status = await call(client.maintenance, 'Status', {});
      expect(Number(status.header.revision)).toBeGreaterThanOrEqual(highest);

      const write = async (w: number, i: number) => {
        // Alternate a single-backend create and a txn spanning two backend files.
        const key = `/${i % 2 ? 'a' : 'c'}/r${round}/w${w}/${i}`;
        const success = [{ request_put: { key: k(key), value: Buffer.alloc(512, w) } }];
        if (i % 3 === 0) success.push({ request_put: { key: k(`${key}-twin`), value: k('twin') } });
        const res = await call(client.kv, 'Txn', {
          compare: [{ key: k(key), target: 'MOD', result: 'EQUAL', mod_revision: 0 }],
          success,
        });
        const rev = Number(res.header.revision);
        acked.set(key, rev);
        if (i % 3 === 0) acked.set(`${key}-twin`, rev);
        highest = Math.max(highest, rev);
      };
      await killUnderLoad(store, { writers: 8, killAfterMs: 400 + round * 150 }, write);
      client.close();
    }
    expect(acked.size).toBeGreaterThan(100);
    const store = await startStore({ dataDir, topology: ROUTED });
    const present = await readModRevisions(store, '/', '0');
    await store.stop();
    for (const [key, rev] of acked) expect(present.kvs.get(key), key).toBe(rev);
  }, 120_000);
});
