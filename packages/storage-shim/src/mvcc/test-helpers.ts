import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { emptyTopology, parseTopology, type Topology } from '../routing/topology.js';
import { type KeyValue, type RangeRequest, type RangeResponse, type TxnRequest, rangeRequest } from '../types.js';
import type { BackendOpener } from './backend.js';
import { RevisionStore } from './store.js';
import { registry } from '../drivers/registry.js';

/** Test-only helpers for driving a RevisionStore in-process. */
export interface TestStore {
  store: RevisionStore;
  dir: string;
  topology: Topology;
  reopen(): RevisionStore;
  dispose(): Promise<void>;
}

export interface TestStoreOptions {
  /** The store's clock (lease expiry). */
  now?: () => number;
  /** Keep a label index in each SQLite backend (--label-index). */
  labelIndex?: boolean;
  /** How its databases open; default the registry. Tests that inject a failure wrap it. */
  opener?: BackendOpener;
}

export function openTestStore(topologyYaml?: string, options: TestStoreOptions = {}): TestStore {
  const { now, labelIndex, opener = registry } = options;
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-mvcc-'));
  const topology = topologyYaml
    ? parseTopology(topologyYaml, { file: join(dir, 'topology.yaml'), dataDir: dir })
    : emptyTopology();
  const open = () =>
    new RevisionStore({
      dataDir: dir,
      topology,
      fsync: false,
      opener,
      logger: pino({ level: 'silent' }),
      ...(now ? { now } : {}),
      ...(labelIndex ? { labelIndex } : {}),
    });
  const t: TestStore = {
    store: open(),
    dir,
    topology,
    reopen() {
      t.store = open();
      return t.store;
    },
    async dispose() {
      await t.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

export const b = (s: string): Buffer => Buffer.from(s);

export function rangeReq(key: string, rangeEnd = '', extra: Partial<RangeRequest> = {}): RangeRequest {
  return rangeRequest({ key: b(key), rangeEnd: b(rangeEnd), ...extra });
}

export function put(key: string, value: string, lease = 0n) {
  return { key: b(key), value: b(value), lease, prevKv: false, ignoreValue: false, ignoreLease: false };
}

export function putTxn(keys: Record<string, string>): TxnRequest {
  return { compare: [], success: Object.entries(keys).map(([k, v]) => ({ put: put(k, v) })), failure: [] };
}

/** Pods under /registry/pods/ routed by namespace: red and blue each to a SQLite file of their own, the rest to main.db. */
export const ROUTED_PODS_TOPOLOGY = `
backends:
  - name: red
    endpoint: sqlite://red.db
    namespace: { namespace: red }
  - name: blue
    endpoint: sqlite://blue.db
    namespace: { namespace: blue }
`;
/**
 * A topology of one SQLite file per absolute key prefix, tried in the order
 * given: `{ alpha: '/a/' }` sends the keys under /a/ to alpha.db.
 */
export function prefixTopology(prefixes: Record<string, string>): string {
  const backends = Object.entries(prefixes).map(
    ([name, prefix]) => `  - name: ${name}\n    endpoint: sqlite://${name}.db\n    prefix: { prefix: "${prefix}" }\n`,
  );
  return `backends:\n${backends.join('')}`;
}

export const PODS = '/registry/pods/';
export const PODS_END = '/registry/pods0';

/** A store of two SQLite files, the pods of namespace red in one and of blue in the other. */
export function openPodsStore(options: TestStoreOptions = {}): TestStore {
  return openTestStore(ROUTED_PODS_TOPOLOGY, options);
}

/** A Range on a store of SQLite files, which answers it synchronously (RevisionStore.range). */
export function rangeOf(store: RevisionStore, req: RangeRequest): RangeResponse {
  const answer = store.range(req);
  if (answer instanceof Promise) throw new Error('a store of SQLite files answered a Range asynchronously');
  return answer;
}

/**
 * The KeyValue a driver stores as `key`'s version at `rev`: the next one after
 * `prev` (its create revision, its version + 1), or a new key's first. Key and
 * value are latin1, so a test can write any byte.
 */
export function nextVersion(key: string, rev: number, value: string, prev?: KeyValue): KeyValue {
  return {
    key: Buffer.from(key, 'latin1'),
    value: Buffer.from(value, 'latin1'),
    modRevision: rev,
    createRevision: prev?.createRevision ?? rev,
    version: (prev?.version ?? 0) + 1,
    lease: 0n,
  };
}
