import { describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { useStore } from '../support/store-suite.js';
import { WatchStream } from '../support/watch.js';

const k = (s: string) => Buffer.from(s);
// A small request cap, so one revision's events exceed it and must be fragmented.
const suite = useStore({ extraArgs: ['--max-request-bytes=4096'] });

describe('watch fragment', () => {
  it('splits a revision too big for one response, marking every part but the last', async () => {
    const value = Buffer.alloc(1000, 'x');
    for (const n of ['a', 'b', 'c']) await call(suite.client.kv, 'Put', { key: k(`f/${n}`), value });
    // With prev_kv each event carries two values: the revision's events outgrow the 4 KiB cap.
    const s = new WatchStream(suite.client);
    s.create({ key: k('f/'), range_end: k('f0'), fragment: true, prev_kv: true, watch_id: 1 });
    s.create({ key: k('f/'), range_end: k('f0'), prev_kv: true, watch_id: 2 });
    await s.until((r) => r.filter((x) => x.created).length === 2);
    const res = await call(suite.client.kv, 'Txn', {
      success: ['a', 'b', 'c'].map((n) => ({ request_put: { key: k(`f/${n}`), value } })),
    });
    const rev = String(res.header.revision);
    await s.until(() => s.events(1).length === 3 && s.events(2).length === 3);
    const parts = s.responses.filter((r) => Number(r.watch_id) === 1 && r.events?.length);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((p) => p.fragment)).toEqual([...parts.slice(1).map(() => true), false]);
    expect(s.events(1).map((e: any) => `${e.kv.key}@${e.kv.mod_revision}`)).toEqual(
      ['f/a', 'f/b', 'f/c'].map((x) => `${x}@${rev}`),
    );
    // without fragment, the whole revision arrives in one response
    expect(s.responses.filter((r) => Number(r.watch_id) === 2 && r.events?.length)).toHaveLength(1);
    s.close();
  });
});
