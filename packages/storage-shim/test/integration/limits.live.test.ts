import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { call, connect } from '../support/client.js';
import { useStore } from '../support/store-suite.js';
import { WatchStream } from '../support/watch.js';

const k = (s: string) => Buffer.from(s);
const PENDING = 256 * 1024;

const suite = useStore({
  extraArgs: [`--max-watch-pending-bytes=${PENDING}`, '--max-watches-per-connection=3', '--max-leases=3'],
});

async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a watcher whose client stops reading', () => {
  it('is canceled with a reason naming the flag, and the store and other watchers carry on', async () => {
    const slowClient = connect(suite.store.target);
    const slow = (slowClient.watch as any).Watch() as grpc.ClientDuplexStream<any, any>;
    const got: any[] = [];
    slow.on('data', (r: any) => got.push(r));
    slow.on('error', () => {});
    slow.write({ create_request: { key: k('slow/'), range_end: k('slow0') } });
    await until(() => got.some((r) => r.created), 'the slow watcher to be created');
    const slowId = Number(got.find((r) => r.created).watch_id);
    // From here the client takes nothing off the stream, so HTTP/2 flow control backs up into the store.
    slow.pause();

    const healthy = new WatchStream(suite.client);
    healthy.create({ key: k('slow/'), range_end: k('slow0'), watch_id: 7 });
    await healthy.until((r) => r.some((x) => x.created));

    const value = Buffer.alloc(16 * 1024, 'v');
    const puts = 400;
    let first = 0;
    for (let i = 0; i < puts; i++) {
      const r = await call(suite.client.kv, 'Put', { key: k(`slow/${String(i).padStart(4, '0')}`), value });
      if (i === 0) first = Number(r.header.revision);
    }

    // The reading watcher got every event; the store still answers.
    await healthy.until((r) => r.flatMap((x) => x.events ?? []).length === puts);
    expect(healthy.responses.some((r) => r.canceled)).toBe(false);
    await expect(call(suite.client.maintenance, 'Status', {})).resolves.toMatchObject({ version: '3.6.4' });
    healthy.close();

    slow.resume();
    const reason = (r: any) => r.canceled && Number(r.watch_id) === slowId;
    await until(() => got.some(reason), 'the slow watcher to be canceled');
    const cancel = got.find(reason);
    expect(cancel.cancel_reason).toBe(
      `cnpaas-store: watcher canceled: the client fell more than ${PENDING} bytes behind reading this watch stream (--max-watch-pending-bytes); watch again from the last revision received`,
    );
    expect(Number(cancel.compact_revision ?? 0)).toBe(0);
    // What it did get is an unbroken prefix, so re-watching from the last revision loses nothing; nothing follows the cancel.
    const at = got.indexOf(cancel);
    const revisions = got
      .slice(0, at)
      .flatMap((r) => r.events ?? [])
      .map((e: any) => Number(e.kv.mod_revision));
    expect(revisions.length).toBeGreaterThan(0);
    expect(revisions.length).toBeLessThan(puts);
    expect(revisions).toEqual(revisions.map((_, i) => first + i));
    await new Promise((r) => setTimeout(r, 200));
    expect(got.slice(at + 1).filter((r) => Number(r.watch_id) === slowId)).toEqual([]);
    expect(suite.store.output()).toContain('watcher canceled: its client is not reading the stream');

    // Re-watching from the next revision gets exactly the rest, from history.
    const again = new WatchStream(slowClient);
    again.create({ key: k('slow/'), range_end: k('slow0'), start_revision: revisions.at(-1)! + 1 });
    await again.until((r) => r.flatMap((x) => x.events ?? []).length === puts - revisions.length);
    again.close();
    slow.cancel();
    slowClient.close();
  });
});

describe('--max-watches-per-connection', () => {
  it('refuses a create beyond the limit across the streams of one connection, and only on that connection', async () => {
    const one = connect(suite.store.target, { ownConnection: true });
    const a = new WatchStream(one);
    const b = new WatchStream(one);
    a.create({ key: k('w1'), watch_id: 1 });
    a.create({ key: k('w2'), watch_id: 2 });
    b.create({ key: k('w3'), watch_id: 3 });
    await a.until((r) => r.filter((x) => x.created).length === 2);
    await b.until((r) => r.filter((x) => x.created).length === 1);
    expect([...a.responses, ...b.responses].filter((r) => r.canceled)).toEqual([]);

    b.create({ key: k('w4'), watch_id: 4 });
    await b.until((r) => r.some((x) => x.canceled));
    const refused = b.responses.find((x) => x.canceled);
    expect(refused).toMatchObject({
      created: true,
      cancel_reason:
        'cnpaas-store: too many watchers on this connection: 3 already (--max-watches-per-connection); cancel unused watchers or raise --max-watches-per-connection',
    });
    expect(Number(refused.watch_id)).toBe(-1);

    // The watchers already there still work.
    await call(suite.client.kv, 'Put', { key: k('w1'), value: k('x') });
    await a.until(() => a.events(1).length === 1);

    // Another connection has its own budget; a cancel frees a place on the first.
    const other = connect(suite.store.target, { ownConnection: true });
    const c = new WatchStream(other);
    for (const id of [1, 2, 3]) c.create({ key: k(`o${id}`), watch_id: id });
    await c.until((r) => r.filter((x) => x.created).length === 3);
    expect(c.responses.filter((r) => r.canceled)).toEqual([]);
    a.cancel(1);
    await a.until((r) => r.some((x) => x.canceled && Number(x.watch_id) === 1));
    b.create({ key: k('w5'), watch_id: 5 });
    await b.until((r) => r.some((x) => x.created && Number(x.watch_id) === 5));

    // Closing a stream gives its watchers' places back to the connection.
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 200));
    const d = new WatchStream(one);
    for (const id of [1, 2, 3]) d.create({ key: k(`d${id}`), watch_id: id });
    await d.until((r) => r.filter((x) => x.created).length === 3);
    expect(d.responses.filter((r) => r.canceled)).toEqual([]);
    for (const s of [c, d]) s.close();
    one.close();
    other.close();
  });
});

describe('--max-leases', () => {
  it('refuses a grant beyond the limit with RESOURCE_EXHAUSTED naming the flag', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call(suite.client.lease, 'LeaseGrant', { TTL: 60 })).ID);
    const err = await call(suite.client.lease, 'LeaseGrant', { TTL: 60 }).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err).toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details:
        'cnpaas-store: too many leases: the store already holds 3 (--max-leases); revoke unused leases or raise --max-leases',
    });
    expect((await call(suite.client.lease, 'LeaseLeases', {})).leases).toHaveLength(3);
    await call(suite.client.lease, 'LeaseRevoke', { ID: ids[0] });
    await expect(call(suite.client.lease, 'LeaseGrant', { TTL: 60 })).resolves.toMatchObject({ TTL: '60' });
  });
});
