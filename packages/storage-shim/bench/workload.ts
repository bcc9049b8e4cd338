import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { call, type EtcdClient } from '../test/support/client.js';
import { runLoad, median, percentile, sleep, type LoadResult } from './load.js';
import { scrape, type FsyncSource } from './metrics.js';

/**
 * The workload: what the kube-apiserver sends for ConfigMaps (create and
 * update txns, point gets, paginated lists, a watch), plus plain Puts as etcd's
 * own benchmark does them. Every row runs with the same grpc-js client against
 * each server in turn.
 */

/** One server under test, with the clients the rows use. */
export interface Target {
  label: string;
  /** The KV client. One HTTP/2 connection, shared by all workers, as the apiserver does. */
  client: EtcdClient;
  /** A second client for the watch stream. */
  watchClient: EtcdClient;
  fsync?: FsyncSource;
}

export interface Sizes {
  putC1: number;
  putC64: number;
  /** Also the size of the list: the create row makes the keys the other rows use. */
  objects: number;
  updates: number;
  gets: number;
  listRuns: number;
  watchEvents: number;
  /**
   * Every row is split into this many rounds, alternating which server goes
   * first; a throughput row reports each server's best round. On a shared
   * 2-core box this keeps a burst of outside load from deciding the ratio.
   */
  rounds: number;
  /** Time cap per round, in ms. */
  maxRowMs: number;
}

export const FULL: Sizes = {
  putC1: 3_000,
  putC64: 20_000,
  objects: 10_000,
  updates: 10_000,
  gets: 20_000,
  listRuns: 6,
  watchEvents: 2_000,
  rounds: 2,
  maxRowMs: 30_000,
};
export const QUICK: Sizes = {
  putC1: 500,
  putC64: 4_000,
  objects: 10_000,
  updates: 2_000,
  gets: 4_000,
  listRuns: 2,
  watchEvents: 400,
  rounds: 2,
  maxRowMs: 15_000,
};

export interface Measurement {
  /** ops/s for throughput rows, ms for time rows. */
  value: number;
  ops: number;
  errors: number;
  firstError?: string;
  p50Ms?: number;
  p99Ms?: number;
  fsyncsPerWrite?: number;
  /** Writes the server counted during the row, to cross-check the client's count. */
  serverWrites?: number;
  /** Raw samples (list times, watch latencies) for rows whose rounds are pooled, not best-of. */
  samples?: number[];
  /** The load generator's CPU use during the row (1 = one core, its ceiling). */
  clientCpu?: number;
  /** Watch events that arrived before their Put's acknowledgement. */
  eventFirst?: number;
  /** Watch latencies from sending the Put (not from its ack) to the event. */
  e2eSamples?: number[];
  note?: string;
}

export type RowId =
  | 'put-c1'
  | 'put-c64'
  | 'create-c64'
  | 'update-c64'
  | 'get-c64'
  | 'list-10k'
  | 'watch-p50'
  | 'watch-p99'
  | 'watch-e2e-p50'
  | 'watch-e2e-p99'
  // The same throughput rows driven by the Go clientv3 load generator (bench/go-client.ts).
  | 'go-put-c1'
  | 'go-put-c64'
  | 'go-create-c64'
  | 'go-update-c64'
  | 'go-get-c64';

// --- data ----------------------------------------------------------------------

/**
 * ~1 KiB values shaped like a ConfigMap as the apiserver stores it (JSON here
 * for readability), with random payloads so nothing downstream can dedupe them.
 */
const VALUES: Buffer[] = Array.from({ length: 64 }, (_, i) => {
  const head = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-${i}","namespace":"bench","uid":"${randomBytes(16).toString('hex')}"},"data":{"payload":"`;
  const tail = '"}}';
  const fill = randomBytes(1024)
    .toString('base64')
    .slice(0, 1024 - head.length - tail.length);
  return Buffer.from(head + fill + tail);
});
const value = (i: number): Buffer => VALUES[i % VALUES.length]!;

const name = (i: number) => `cm-${String(i).padStart(6, '0')}`;
export const LIST_PREFIX = '/registry/configmaps/bench-list/';
const listKey = (i: number) => Buffer.from(`${LIST_PREFIX}${name(i)}`);

/** clientv3.GetPrefixRangeEnd for an ASCII prefix: bump the last byte. */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  b[b.length - 1]!++;
  return b;
}

// --- rows ----------------------------------------------------------------------

function measurement(load: LoadResult, extra: Partial<Measurement> = {}): Measurement {
  const m: Measurement = {
    value: (load.ops / load.elapsedMs) * 1000,
    ops: load.ops,
    errors: load.errors,
    p50Ms: percentile(load.latencies, 50),
    p99Ms: percentile(load.latencies, 99),
    clientCpu: load.clientCpu,
    ...extra,
  };
  if (load.firstError !== undefined) m.firstError = load.firstError;
  return m;
}

/**
 * Runs a write row over `slice` (each op gets its number within the slice) between two scrapes
 * of the server's fsync counters. It stops at the slice's time cap unless the row gives its own.
 */
async function writeRow(
  target: Target,
  slice: Slice,
  row: { concurrency: number; maxMs?: number; op: (j: number) => Promise<void> },
): Promise<Measurement> {
  const before = await scrape(target.fsync);
  const load = await runLoad({ total: slice.count, maxMs: slice.maxMs, ...row });
  const after = await scrape(target.fsync);
  const m = measurement(load);
  if (before && after && load.ops > 0) {
    m.fsyncsPerWrite = (after.fsyncs - before.fsyncs) / load.ops;
    if (before.writes !== undefined && after.writes !== undefined) m.serverWrites = after.writes - before.writes;
  }
  return m;
}

export async function warmUp(target: Target): Promise<void> {
  // Connections, JIT and the servers' caches warm up before anything is timed.
  await runLoad({
    total: 1_000,
    concurrency: 16,
    maxMs: 20_000,
    op: async (i) => {
      await call(target.client.kv, 'Put', {
        key: Buffer.from(`/registry/configmaps/bench-warmup/${name(i % 100)}`),
        value: value(i),
      });
      await call(target.client.kv, 'Range', {
        key: Buffer.from(`/registry/configmaps/bench-warmup/${name(i % 100)}`),
        limit: 1,
      });
    },
  });
}

/** Part of a row: `count` operations starting at operation number `offset`. */
export interface Slice {
  offset: number;
  count: number;
  maxMs: number;
}

/** Plain Puts of new keys, as etcd's own `benchmark put` does them. */
export function putRow(target: Target, concurrency: 1 | 64, slice: Slice): Promise<Measurement> {
  const ns = putPrefix(concurrency);
  return writeRow(target, slice, {
    concurrency,
    op: (i) => call(target.client.kv, 'Put', { key: Buffer.from(ns + name(slice.offset + i)), value: value(i) }),
  });
}

const putPrefix = (concurrency: 1 | 64) => `/registry/configmaps/bench-put-${concurrency}/`;

/**
 * The apiserver's Get one at a time, over the first `written` keys the
 * concurrency-1 Put row wrote: the gRPC round trip and the store's own
 * work, with no commit behind it. A Put pays at least this.
 */
export function getC1Row(target: Target, written: number, slice: Slice): Promise<Measurement> {
  const ns = putPrefix(1);
  return pointGets(target, slice, { concurrency: 1, key: (i) => Buffer.from(ns + name(i % written)) });
}

/** Range{key, limit: 1} for op i of the slice at `key(offset + i)`, linearizable; each must find its key. */
async function pointGets(
  target: Target,
  slice: Slice,
  gets: { concurrency: number; key: (i: number) => Buffer },
): Promise<Measurement> {
  const load = await runLoad({
    total: slice.count,
    concurrency: gets.concurrency,
    maxMs: slice.maxMs,
    op: async (j) => {
      const key = gets.key(slice.offset + j);
      const res = await call(target.client.kv, 'Range', { key, limit: 1 });
      if (res.kvs?.length !== 1) throw new Error(`get of ${key} returned ${res.kvs?.length ?? 0} kvs`);
    },
  });
  return measurement(load);
}

/**
 * A database's own durable commit one at a time: `insert` writes one row
 * (named from the slice, valued as the Put rows are) in a transaction of
 * its own. A Put on that database pays at least this as well.
 */
export async function commitRow(
  insert: (key: string, value: Buffer) => Promise<void>,
  slice: Slice,
): Promise<Measurement> {
  const load = await runLoad({
    total: slice.count,
    concurrency: 1,
    maxMs: slice.maxMs,
    op: (j) => insert(name(slice.offset + j), value(slice.offset + j)),
  });
  return measurement(load);
}

/** State the create row leaves for the update, get and list rows. */
export interface Objects {
  /** mod_revision of each created key (as etcd's int64 string), updated by the update row. */
  modRevision: string[];
}

export function newObjects(count: number): Objects {
  return { modRevision: new Array<string>(count).fill('0') };
}

/** T1, the apiserver's create: Txn{MOD(key) == 0 → Put}, for objects offset … offset+count-1. */
export function createRow(target: Target, objects: Objects, slice: Slice): Promise<Measurement> {
  const { modRevision } = objects;
  return writeRow(target, slice, {
    concurrency: 64,
    // The list row needs every object, so this row is not cut short by the cap.
    maxMs: Number.POSITIVE_INFINITY,
    op: async (j) => {
      const i = slice.offset + j;
      const key = listKey(i);
      const res = await call(target.client.kv, 'Txn', {
        compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: '0' }],
        success: [{ request_put: { key, value: value(i) } }],
        failure: [],
      });
      if (!res.succeeded) throw new Error(`create of ${key} did not succeed`);
      modRevision[i] = res.header.revision;
    },
  });
}

/** T2, GuaranteedUpdate: Txn{MOD(key) == rev → Put, else Range(key)}. */
export function updateRow(target: Target, objects: Objects, slice: Slice): Promise<Measurement> {
  const n = objects.modRevision.length;
  return writeRow(target, slice, {
    concurrency: 64,
    // Op i and i+n hit the same key; ops are handed out in order and at most 64 are in flight, so they never overlap.
    op: async (j) => {
      const i = slice.offset + j;
      const k = i % n;
      const key = listKey(k);
      const res = await call(target.client.kv, 'Txn', {
        compare: [{ key, target: 'MOD', result: 'EQUAL', mod_revision: objects.modRevision[k] }],
        success: [{ request_put: { key, value: value(i + 7) } }],
        failure: [{ request_range: { key } }],
      });
      if (!res.succeeded) {
        const current = res.responses?.[0]?.response_range?.kvs?.[0];
        if (current) objects.modRevision[k] = current.mod_revision;
        throw new Error(`update of ${key} at ${objects.modRevision[k]} conflicted`);
      }
      objects.modRevision[k] = res.header.revision;
    },
  });
}

/** The apiserver's Get: Range{key, limit: 1}, linearizable. */
export function getRow(target: Target, objects: Objects, slice: Slice): Promise<Measurement> {
  const n = objects.modRevision.length;
  // A fixed stride walks all keys in a scattered order without a random generator in the hot loop.
  return pointGets(target, slice, { concurrency: 64, key: (i) => listKey((i * 7_919) % n) });
}

/** GetList: pages of 500 pinned at the first page's revision, continuing from lastKey + "\0". */
async function listOnce(client: EtcdClient): Promise<{ ms: number; keys: number; pages: number }> {
  const end = prefixEnd(LIST_PREFIX);
  const start = performance.now();
  let key = Buffer.from(LIST_PREFIX);
  let revision = '0';
  let keys = 0;
  let pages = 0;
  for (;;) {
    const res = await call(client.kv, 'Range', { key, range_end: end, limit: 500, revision });
    pages++;
    keys += res.kvs.length;
    if (revision === '0') revision = res.header.revision;
    if (!res.more || res.kvs.length === 0) break;
    key = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
  }
  return { ms: performance.now() - start, keys, pages };
}

/** Full paginated lists of the created objects; the figure is the median time of all runs. */
export async function listRow(target: Target, expected: number, runs: number): Promise<Measurement> {
  const times: number[] = [];
  let keys = 0;
  let pages = 0;
  for (let run = 0; run < runs; run++) {
    const r = await listOnce(target.client);
    times.push(r.ms);
    keys = r.keys;
    pages = r.pages;
  }
  const m: Measurement = {
    value: median(times),
    samples: times,
    ops: runs,
    errors: 0,
    note: `${keys} keys in ${pages} pages`,
  };
  if (keys !== expected) {
    m.errors = 1;
    m.firstError = `listed ${keys} keys, expected ${expected}`;
  }
  return m;
}

/**
 * Watch delivery: one watcher on a prefix, sequential Puts. The target's figure
 * is from the Put's acknowledgement to the event's arrival (0 when the event
 * came first, which a server that feeds watches before acknowledging does).
 * Because that can be 0 by construction, the time from sending the Put to the
 * event is recorded too: it is what a watcher actually waits.
 */
export async function watchRow(target: Target, slice: Slice): Promise<Measurement> {
  const prefix = '/registry/configmaps/bench-watch/';
  const stream = (target.watchClient.watch as any).Watch() as grpc.ClientDuplexStream<any, any>;
  const arrivals = new Map<string, (t: number) => void>();
  let createdResolve!: () => void;
  let createdReject!: (err: Error) => void;
  const created = new Promise<void>((resolve, reject) => {
    createdResolve = resolve;
    createdReject = reject;
  });
  stream.on('data', (res: any) => {
    const now = performance.now();
    if (res.created) createdResolve();
    for (const ev of res.events ?? []) arrivals.get(ev.kv.key.toString())?.(now);
  });
  // Before the watch exists an error means the server refused it; after, it is the cancel at the end.
  stream.on('error', (err: Error) => createdReject(err));
  stream.write({ create_request: { key: Buffer.from(prefix), range_end: prefixEnd(prefix) } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the watch was not created within 10 s')), 10_000);
  });
  try {
    await Promise.race([created, timeout]);
  } catch (err) {
    stream.cancel();
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const latencies: number[] = [];
  const e2e: number[] = [];
  let eventFirst = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  for (let i = slice.offset; i < slice.offset + slice.count && performance.now() - start < slice.maxMs; i++) {
    const key = prefix + name(i);
    const arrived = new Promise<number>((resolve) => arrivals.set(key, resolve));
    try {
      const sent = performance.now();
      await call(target.client.kv, 'Put', { key: Buffer.from(key), value: value(i) });
      const acked = performance.now();
      const at = await Promise.race([arrived, sleep(5_000).then(() => Number.NaN)]);
      if (Number.isNaN(at)) throw new Error(`no event for ${key} within 5 s`);
      if (at < acked) eventFirst++;
      latencies.push(Math.max(0, at - acked));
      e2e.push(at - sent);
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
    } finally {
      arrivals.delete(key);
    }
  }
  stream.cancel();
  latencies.sort((a, b) => a - b);
  const m: Measurement = {
    value: percentile(latencies, 99),
    samples: latencies,
    e2eSamples: e2e,
    ops: latencies.length,
    errors,
    eventFirst,
  };
  if (firstError !== undefined) m.firstError = firstError;
  return m;
}
