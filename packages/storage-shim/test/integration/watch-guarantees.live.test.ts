import { describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { useStore } from '../support/store-suite.js';
import { WatchStream } from '../support/watch.js';

const k = (s: string) => Buffer.from(s);
const ROUTED = `
backends:
  - name: odd
    endpoint: sqlite://odd.db
    prefix: { prefix: "/w/1" }
`;

const suite = useStore({ topology: ROUTED });

interface Write {
  revision: number;
  ops: Array<{ key: string; value: string | null }>;
}

describe('watch guarantees under concurrent writers (etcd api_guarantees)', () => {
  it('is ordered, unique, atomic, reliable and carries correct prev_kv', async () => {
    await call(suite.client.kv, 'Put', { key: k('/w/00/seed'), value: k('seed') });
    const start = Number((await call(suite.client.kv, 'Range', { key: k('/w/'), limit: 1 })).header.revision);
    const live = new WatchStream(suite.client);
    live.create({ key: k('/w/'), range_end: k('/w0'), prev_kv: true, watch_id: 1 });
    await live.until((r) => r.some((x) => x.created));

    const writes: Write[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < 60; i++) {
        const key = `/w/${w}${i % 5}`;
        let res: any;
        let ops: Write['ops'];
        if (i % 7 === 6) {
          res = await call(suite.client.kv, 'DeleteRange', { key: k(key) });
          ops = Number(res.deleted) > 0 ? [{ key, value: null }] : [];
        } else if (i % 4 === 3) {
          // one revision touching two backend files
          const other = `/w/1${w}x`;
          res = await call(suite.client.kv, 'Txn', {
            success: [
              { request_put: { key: k(key), value: k(`${w}.${i}`) } },
              { request_put: { key: k(other), value: k(`${w}.${i}`) } },
            ],
          });
          ops = [
            { key, value: `${w}.${i}` },
            { key: other, value: `${w}.${i}` },
          ];
        } else {
          res = await call(suite.client.kv, 'Put', { key: k(key), value: k(`${w}.${i}`) });
          ops = [{ key, value: `${w}.${i}` }];
        }
        if (ops.length > 0) writes.push({ revision: Number(res.header.revision), ops });
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
    writes.sort((a, b) => a.revision - b.revision);
    const total = writes.reduce((n, w) => n + w.ops.length, 0);
    await live.until(() => live.events(1).length >= total);

    // A watcher opened afterwards in the past must replay exactly the same history.
    const replay = new WatchStream(suite.client);
    replay.create({ key: k('/w/'), range_end: k('/w0'), prev_kv: true, start_revision: start + 1, watch_id: 7 });
    await replay.until(() => replay.events(7).length >= total);

    for (const stream of [live, replay]) {
      const id = stream === live ? 1 : 7;
      const responses = stream.responses.filter((r) => Number(r.watch_id) === id && r.events?.length);
      // atomic: no revision is split across responses
      const seen = new Set<number>();
      for (const r of responses) {
        const revs = new Set<number>(r.events.map((e: any) => Number(e.kv.mod_revision)));
        for (const rev of revs) {
          expect(seen.has(rev), `revision ${rev} split across responses`).toBe(false);
        }
        for (const rev of revs) seen.add(rev);
      }
      const events = stream.events(id);
      const revs = events.map((e: any) => Number(e.kv.mod_revision));
      // ordered
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      // unique and reliable: exactly the acknowledged writes, in revision order
      const expected = writes.flatMap((w) =>
        w.ops.map((o) => `${w.revision} ${o.value === null ? 'DELETE' : 'PUT'} ${o.key} ${o.value ?? ''}`),
      );
      const got = events.map(
        (e: any) => `${e.kv.mod_revision} ${e.type} ${e.kv.key} ${e.type === 'DELETE' ? '' : e.kv.value}`,
      );
      expect(got.sort()).toEqual(expected.sort());
      // prev_kv: the key's last value before this revision
      const state = new Map<string, string>();
      for (const e of events) {
        const key = e.kv.key.toString();
        const prev = state.get(key);
        if (prev === undefined) expect(e.prev_kv ?? null, `${key}@${e.kv.mod_revision}`).toBeNull();
        else expect(e.prev_kv?.value.toString(), `${key}@${e.kv.mod_revision}`).toBe(prev);
        if (e.type === 'DELETE') state.delete(key);
        else state.set(key, e.kv.value.toString());
      }
    }
    live.close();
    replay.close();
  }, 60_000);

  it('answers RequestProgress only when caught up, with the current revision', async () => {
    const s = new WatchStream(suite.client);
    s.create({ key: k('/p/'), range_end: k('/p0'), watch_id: 3 });
    await s.until((r) => r.some((x) => x.created));
    const put = await call(suite.client.kv, 'Put', { key: k('/p/x'), value: k('1') });
    await s.until(() => s.events(3).length === 1);
    s.requestProgress();
    await s.until((r) => r.some((x) => Number(x.watch_id) === -1));
    const progress = s.responses.find((x) => Number(x.watch_id) === -1);
    expect(Number(progress.header.revision)).toBeGreaterThanOrEqual(Number(put.header.revision));
    expect(progress.events ?? []).toEqual([]);
    s.close();
  });

  it('sends periodic progress to progress_notify watchers that are idle', async () => {
    const s = new WatchStream(suite.client);
    s.create({ key: k('/idle/'), range_end: k('/idle0'), watch_id: 4, progress_notify: true });
    // the store under test runs with a 1 s progress interval
    await s.until((r) => r.some((x) => Number(x.watch_id) === 4 && !x.created && !x.events?.length), 5000);
    s.close();
  });
});
