import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { put } from '../../src/mvcc/test-helpers.js';
import type { TxnRequest } from '../../src/types.js';
import {
  injected,
  loadTopology,
  patchedOpener,
  rangeRequest,
  useInProcessReplicas,
} from '../support/in-process-replicas.js';
import { postgresMissing } from '../support/postgres.js';
import { routedTopology } from '../support/topology.js';

/**
 * A batch loads the rows it will read from every network backend at once
 * (prefetch), and each driver keeps them until the batch ends. When one
 * backend's load fails, the batch fails and is rolled back while another
 * backend's load may still be on its way. That load's answer must not be
 * kept for the next batch: its rows were read before whatever committed
 * since, and the next batch would take them for the current ones (a put on
 * top of a version that is no longer current: wrong version, wrong prev_kv,
 * a history row written twice, another replica's write overwritten).
 *
 * The failure is injected (the one fake here): the main database's load
 * fails once, while the routed database's real load is in flight. Everything
 * else is two real replicas over two databases of a private PostgreSQL.
 */
const replicas = useInProcessReplicas();

/** A replica's topology: its keys under `/x/` live in the database `routed`. */
function xKeysIn(routed: string) {
  return (dataDir: string) => {
    const file = join(dataDir, 'topology.yaml');
    writeFileSync(file, routedTopology([{ name: 'routed', endpoint: routed, prefix: '/x/' }]));
    return loadTopology(file, dataDir);
  };
}

/** The main database's read-ahead failing once (while `armed`). */
function faultyOpener() {
  const fault = { armed: false, fired: 0 };
  const opener = patchedOpener(({ main }) => {
    const prefetch = main.prefetch!.bind(main);
    main.prefetch = (keys) => {
      if (!fault.armed) return prefetch(keys);
      fault.armed = false;
      fault.fired++;
      return Promise.reject(injected());
    };
  });
  return { opener, fault };
}

describe.skipIf(postgresMissing() !== undefined)('a batch whose read-ahead fails in one backend', () => {
  it("leaves nothing another backend's late answer could make the next batch read as current", async () => {
    const pg = await replicas.postgres('main', 'routed');
    const { opener, fault } = faultyOpener();
    const { a, b } = await replicas.pair({ main: pg.url('main'), topology: xKeysIn(pg.url('routed')), opener });

    await b.put(put('/x/k', 'one'));
    // Reads a key of each database: the main one's load fails, the routed one's is sent and answers later.
    fault.armed = true;
    const spanning: TxnRequest = {
      compare: [],
      success: [{ put: put('/x/k', 'failed') }, { put: put('/m/j', 'failed') }],
      failure: [],
    };
    await expect(a.txn(spanning)).rejects.toThrow('injected by the test');
    expect(fault.fired).toBe(1);
    // The routed database's answer arrives meanwhile (one round trip on loopback).
    await new Promise((r) => setTimeout(r, 300));

    const two = await b.put(put('/x/k', 'two'));
    const three = await a.put({ ...put('/x/k', 'three'), prevKv: true });
    expect(three.prevKv?.value.toString()).toBe('two');
    expect(three.prevKv?.modRevision).toBe(two.revision);
    const stored = await b.range(rangeRequest({ key: Buffer.from('/x/k') }));
    expect(stored.kvs.map((kv) => `${kv.value.toString()} v${kv.version}`)).toEqual(['three v3']);
  }, 60_000);
});
