import { afterAll, describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { startStore, type ServerHandle } from '../support/processes.js';
import { walSize } from '../../bench/wal-size.js';

const k = (s: string) => Buffer.from(s);
const LIMIT = 1024 * 1024;
const PUTS = 12_000;
const VALUE = Buffer.alloc(4096, 7);
const CONCURRENCY = 32;
const WRITE_BUDGET_MS = 60_000;

describe('the SQLite WAL stays bounded', () => {
  let store: ServerHandle | undefined;
  afterAll(async () => {
    await store?.stop();
  });

  it('grows under a burst of writes, and is cut back under --wal-size-limit once writes pause', async () => {
    // Durable, as in production: the checkpoints compete with fsynced commits.
    store = await startStore({ extraArgs: [`--wal-size-limit=${LIMIT}`] });
    const client = connect(store.target);
    const dataDir = store.dataDir;

    // WAL sizes sampled while the puts run: the file must grow, and must also shrink before they end.
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(walSize(dataDir).walBytes), 50);
    const deadline = Date.now() + WRITE_BUDGET_MS;
    let next = 0;
    let acked = 0;
    const writer = async () => {
      while (next < PUTS && Date.now() < deadline) {
        const i = next++;
        await call(client.kv, 'Put', { key: k(`/registry/configmaps/wal/${i}`), value: VALUE });
        acked++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, writer));
    clearInterval(sampler);
    samples.push(walSize(dataDir).walBytes);

    // The puts grew the WAL well past the limit (else this test would prove nothing)…
    expect(acked).toBeGreaterThan(2000);
    expect(Math.max(...samples)).toBeGreaterThan(2 * LIMIT);
    // …and it was cut back by more than the limit at least once while they went on: a WAL file that only ever
    // grows (the size of everything written since the last pause) fails this.
    const cuts = samples.filter((size, i) => i > 0 && samples[i - 1]! - size > LIMIT).length;
    expect(cuts).toBeGreaterThan(0);

    // Writes pause: within a few checkpointer rounds (1 s each) every WAL is back under the limit. The limit is
    // per file: the busy file's WAL may end at exactly the limit (cut back to it by the last commit after a
    // RESTART) beside meta.db's few pages, so the sum of all WALs is not what it bounds.
    const pausedAt = Date.now();
    let wal = walSize(dataDir).largestWalBytes;
    while (wal > LIMIT && Date.now() - pausedAt < 15_000) {
      await new Promise((r) => setTimeout(r, 200));
      wal = walSize(dataDir).largestWalBytes;
    }
    expect(wal).toBeLessThanOrEqual(LIMIT);

    // Nothing was lost on the way: every acknowledged put is there, with its value.
    const count = await call(client.kv, 'Range', {
      key: k('/registry/configmaps/wal/'),
      range_end: k('/registry/configmaps/wal0'),
      count_only: true,
    });
    expect(Number(count.count)).toBe(acked);
    const one = await call(client.kv, 'Range', { key: k('/registry/configmaps/wal/0') });
    expect(Buffer.compare(one.kvs[0].value, VALUE)).toBe(0);

    // And the store keeps writing after a truncation.
    await call(client.kv, 'Put', { key: k('/registry/configmaps/wal/after'), value: VALUE });
    const after = await call(client.kv, 'Range', { key: k('/registry/configmaps/wal/after') });
    expect(after.kvs).toHaveLength(1);
    client.close();
  }, 120_000);
});
