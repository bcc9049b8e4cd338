import { afterEach, describe, expect, it } from 'vitest';
import { openTestStore, put, type TestStore } from '../mvcc/test-helpers.js';
import { keysContaining, leaseOfKey, liveKeys } from './inspect.js';

const TOPOLOGY =
  'backends:\n  - name: tenants\n    endpoint: sqlite://tenants.db\n    customresource: { group: webshop.cnpaas.dev, kind: tenants }\n';
const ACME = '/registry/webshop.cnpaas.dev/tenants/acme';

describe('inspect (read-only views of a data dir)', () => {
  let t: TestStore | undefined;
  afterEach(async () => t?.dispose());

  it('finds each key in the file the topology routed it to: live, historical, and its lease', async () => {
    t = openTestStore(TOPOLOGY);
    const { store, dir } = t;
    await store.txn({ compare: [], success: [{ put: put(ACME, 'v1') }], failure: [] });
    await store.txn({ compare: [], success: [{ put: put(ACME, 'v2') }], failure: [] });
    const lease = await store.leaseGrant(7n, 60);
    await store.txn({
      compare: [],
      success: [{ put: put('/registry/events/default/e1', 'x', lease.id) }],
      failure: [],
    });

    // Read while the store runs, as the tests and the demo do.
    expect(liveKeys(dir, 'tenants.db', '/registry/')).toEqual([ACME]);
    expect(liveKeys(dir, 'main.db', '/registry/webshop')).toEqual([]);
    expect(keysContaining(dir, 'tenants.db', 'history', '/acme')).toEqual([ACME]);
    expect(keysContaining(dir, 'main.db', 'kv', '/acme')).toEqual([]);
    expect(leaseOfKey(dir, 'main.db', '/registry/events/default/e1')).toEqual({ id: 7, ttl: 60 });
    expect(leaseOfKey(dir, 'tenants.db', ACME)).toBeNull();
  });
});
