import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseIdentity, registry } from '../drivers/registry.js';
import { StoreError } from '../errors.js';
import { Router } from '../routing/router.js';
import { encodeFingerprint, routingFingerprint } from '../routing/routing-fingerprint.js';
import { emptyTopology, parseTopology, type Topology } from '../routing/topology.js';
import { misplacedKeys } from './placement.js';
import { RevisionStore } from './store.js';
import { prefixTopology, put, rangeReq } from './test-helpers.js';

const TENANTS = prefixTopology({ tenants: '/t/' });
/** The same route plus a narrower one in front of it: keys under /t/vip/ change backend. */
const VIP_FIRST = prefixTopology({ vip: '/t/vip/', tenants: '/t/' });

let dir: string;
let store: RevisionStore | undefined;
let logged: Array<Record<string, unknown>>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cnpaas-placement-'));
  logged = [];
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function topologyOf(yaml: string | undefined): Topology {
  return yaml ? parseTopology(yaml, { file: join(dir, 'topology.yaml'), dataDir: dir }) : emptyTopology();
}

/** Opens the store on `yaml` and adopts its routing, as cnpaas-store does at start. */
function open(yaml?: string): RevisionStore {
  const topology = topologyOf(yaml);
  const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  store = new RevisionStore({ dataDir: dir, topology, fsync: false, opener: registry, logger });
  store.adoptRouting({
    encoded: encodeFingerprint(routingFingerprint(topology, databaseIdentity)),
    source: yaml ? 'the test topology' : 'no --topology',
  });
  return store;
}

async function reopen(yaml?: string): Promise<RevisionStore> {
  await store!.close();
  store = undefined;
  return open(yaml);
}

const refusal = (fn: () => unknown): StoreError => thrownBy(StoreError, fn);

const checked = () => logged.filter((l) => String(l.msg).includes('checking every stored key')).length;

describe('a topology that would move stored keys', () => {
  it('is refused at start, naming the backend, the count and the first keys; the old topology still serves', async () => {
    const s = open();
    for (const key of ['/t/a', '/t/b', '/t/c', '/t/d', '/other']) await s.put(put(key, 'v'));
    await s.close();
    store = undefined;
    const err = refusal(() => open(TENANTS));
    expect(err.code).toBe('CNPAAS_STORE_TOPOLOGY_MOVES_KEYS');
    expect(err.message).toContain(
      'the test topology routes stored keys away from the backend that holds them: backend "main" holds 4 key(s) routed elsewhere (/t/a → tenants, /t/b → tenants, /t/c → tenants, …)',
    );
    expect(err.hint).toContain('start with the topology those keys were written under');
    await store!.close();
    store = undefined;
    // Nothing was recorded: the old topology opens without a check (the two so far: the first start's and
    // the refused one's), and every key is where it was.
    const again = open();
    expect(checked()).toBe(2);
    expect((await again.range(rangeReq('/', '0'))).kvs.map((kv) => kv.key.toString())).toEqual([
      '/other',
      '/t/a',
      '/t/b',
      '/t/c',
      '/t/d',
    ]);
  });

  it('is refused when a narrower route in front claims keys another routed backend holds', async () => {
    const s = open(TENANTS);
    await s.put(put('/t/vip/x', 'v'));
    await s.put(put('/t/plain', 'v'));
    await s.close();
    store = undefined;
    const err = refusal(() => open(VIP_FIRST));
    expect(err.message).toContain('backend "tenants" holds 1 key(s) routed elsewhere (/t/vip/x → vip)');
  });

  it('accepts a new route for keys not stored yet, records it, and does not check again', async () => {
    const s = open();
    await s.put(put('/other', 'v'));
    expect(checked()).toBe(1);
    const routed = await reopen(TENANTS);
    expect(checked()).toBe(2);
    await routed.put(put('/t/new', 'v'));
    await reopen(TENANTS);
    expect(checked()).toBe(2);
  });

  it('names a database the old topology used and the new one drops', async () => {
    const s = open(TENANTS);
    await s.put(put('/t/kept-out-of-sight', 'v'));
    await reopen();
    const warning = logged.find((l) => String(l.msg).includes('no longer uses the database of backend "tenants"'));
    expect(warning?.msg).toContain('the keys it holds (prefix /t/) are no longer served');
  });
});

describe('misplacedKeys', () => {
  it('reads a backend a page at a time and counts every misplaced key', async () => {
    const s = open();
    for (let i = 0; i < 7; i++) await s.put(put(`/t/${i}`, 'v'));
    await s.put(put('/u', 'v'));
    const router = new Router(topologyOf(TENANTS));
    const drivers = new Map([['main', registry.openDefault(dir, { fsync: false })]]);
    try {
      const found = misplacedKeys({ drivers, router, pageSize: 2 });
      expect(found).toHaveLength(1);
      expect(found[0]!.count).toBe(7);
      expect(found[0]!.sample.map((x) => x.key.toString())).toEqual(['/t/0', '/t/1', '/t/2']);
    } finally {
      for (const d of drivers.values()) await d.close();
    }
  });
});
