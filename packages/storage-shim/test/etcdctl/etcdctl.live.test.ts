import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { startEtcd, startStore, type ServerHandle } from '../support/processes.js';
import {
  background,
  ctl,
  endpointOf,
  ETCDCTL,
  currentRevision,
  killStragglers,
  parseGrantedLease,
  parseJson,
  parseJsonLines,
  unb64,
  type Background,
  type CtlResult,
  type Side,
} from './etcdctl-harness.js';
import {
  defineStep,
  fails,
  found,
  json,
  keys,
  kv,
  kvs,
  ok,
  revision,
  type Kv,
  type Step,
  atRevision,
  onJson,
} from './etcdctl-steps.js';

/**
 * etcdctl (Debian's 3.4.23, API v3) against the store, as a black box, with a
 * real etcd beside it as the oracle: every step runs on both, its assertions
 * must hold on both, and the normalized outputs must be equal.
 *
 * Set CNPAAS_ETCDCTL_SUBJECT=etcd to run the suite etcd-against-etcd, which
 * proves the suite itself (every assertion must pass there).
 */

const SELF_TEST = process.env.CNPAAS_ETCDCTL_SUBJECT === 'etcd';

let store: Side;
let etcd: Side;
const sides = (): [Side, Side] => [store, etcd];
const isStore = (side: Side) => side.name === 'store' && !SELF_TEST;

beforeAll(async () => {
  // Output formats and error texts below are etcdctl 3.4's (Debian's etcd-client); 3.5 prints some differently.
  const version = spawnSync(ETCDCTL, ['version'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  if (!/^etcdctl version: 3\.4\./.test(version.stdout ?? '')) {
    throw new Error(
      `this suite needs etcdctl 3.4 on PATH (or ETCDCTL_BIN); found: ${version.stdout || version.error?.message}`,
    );
  }
  const [s, e]: ServerHandle[] = await Promise.all([SELF_TEST ? startEtcd() : startStore(), startEtcd()]);
  if (!s || !e) throw new Error('servers did not start');
  store = { name: 'store', server: s, leases: new Map(), rev0: 0 };
  etcd = { name: 'etcd', server: e, leases: new Map(), rev0: 0 };
}, 60_000);

afterAll(async () => {
  killStragglers();
  await Promise.all([store?.server.stop(), etcd?.server.stop()]);
});

afterEach(() => killStragglers());

/**
 * Brings both servers to the same revision before a scenario, so a revision
 * bug in one scenario is reported there and does not cascade into the next.
 */
async function align(): Promise<void> {
  let [rs, re] = await Promise.all([currentRevision(store), currentRevision(etcd)]);
  for (let i = 0; rs !== re; i++) {
    if (i > 200) throw new Error(`cannot align revisions: store ${rs}, etcd ${re}`);
    const lower = rs < re ? store : etcd;
    await ctl(lower, ['put', '/__align__', 'x']);
    [rs, re] = await Promise.all([currentRevision(store), currentRevision(etcd)]);
  }
  store.rev0 = rs;
  etcd.rev0 = re;
}

function scenario(name: string, steps: Step[]): void {
  describe(name, () => {
    beforeAll(align);
    for (const step of steps) defineStep(sides, step);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const done = (stdout: string): CtlResult => ({ code: 0, signal: null, stdout, stderr: '' });

// --- watch helpers -------------------------------------------------------------

interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: Kv;
  prev?: Kv;
}

/** Flattens `etcdctl watch -w json` output into events, plus each response's event revisions (for the atomicity check). */
function watchEvents(stdout: string): { events: any[]; responses: number[][]; headers: number[] } {
  const docs = parseJsonLines(stdout);
  return {
    events: docs.flatMap((d) => d.Events ?? []),
    responses: docs.map((d) => (d.Events ?? []).map((e: any) => Number(e.kv?.mod_revision ?? 0))),
    headers: docs.map((d) => Number(d.Header?.revision ?? 0)),
  };
}

function decodeEvent(raw: any): WatchEvent {
  const type = raw.type === 1 || raw.type === 'DELETE' ? 'DELETE' : 'PUT';
  return raw.prev_kv ? { type, kv: kv(raw.kv), prev: kv(raw.prev_kv) } : { type, kv: kv(raw.kv) };
}

/** etcd guarantees all events of one revision arrive in one response, and a response's header is at least its events' revision. */
function expectAtomicResponses(doc: { responses: number[][]; headers: number[] }): void {
  const responseOf = new Map<number, number>();
  doc.responses.forEach((revs, i) => {
    for (const rev of revs) {
      expect(responseOf.get(rev) ?? i, `events of revision ${rev} split over responses`).toBe(i);
      responseOf.set(rev, i);
      expect(doc.headers[i]!, 'response header revision below its events').toBeGreaterThanOrEqual(rev);
    }
  });
}

type WatchDoc = ReturnType<typeof watchEvents>;

/**
 * A step that runs `etcdctl watch …args -w json` in the background: `drive`
 * waits for the events (and makes the writes the watch must see next); after
 * a pause for late events the step's output is every event, compared without
 * how each server grouped them into responses. `check` gets the events
 * decoded, and the whole document for the atomicity check.
 */
function watchJsonStep(options: {
  title: string;
  args: (side: Side) => string[];
  drive: (w: Background, side: Side) => Promise<unknown>;
  check: (events: WatchEvent[], side: Side, doc: WatchDoc) => void;
}): Step {
  return {
    title: options.title,
    compare: 'json',
    normalize: dropResponses,
    run: async (side) => {
      const w = background(side, ['watch', ...options.args(side), '-w', 'json']);
      try {
        await options.drive(w, side);
        await sleep(200);
        return done(JSON.stringify(watchEvents(w.output())));
      } finally {
        await w.stop();
      }
    },
    check: (r, side) => {
      const doc = JSON.parse(r.stdout) as WatchDoc;
      options.check(doc.events.map(decodeEvent), side, doc);
    },
  };
}

/** How events are grouped into responses is the server's choice (etcd batches catch-up); only atomicity is checked, not compared. */
function dropResponses(out: unknown): unknown {
  if (Array.isArray(out)) return out.map(dropResponses);
  if (out && typeof out === 'object') {
    return Object.fromEntries(
      Object.entries(out)
        .filter(([k]) => k !== 'responses' && k !== 'headers')
        .map(([k, v]) => [k, dropResponses(v)]),
    );
  }
  return out;
}

// --- scenarios -----------------------------------------------------------------

describe('fresh server', () => {
  defineStep(sides, {
    cmd: 'get /nothing -w json',
    check: onJson((doc) => {
      // An empty etcd is at revision 1 and a fresh store must be too (nothing written at start-up).
      expect(revision(doc)).toBe(1);
      expect(doc.kvs).toBeUndefined();
    }),
  });
});

scenario('put and get', [
  { cmd: 'put /kv/a 1', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put /kv/b 2 -w json', check: atRevision(2) },
  { cmd: 'put /kv/c 0', check: (r) => expect(ok(r)).toBe('OK\n') },
  {
    cmd: 'put /kv/a 11 --prev-kv -w json',
    check: atRevision(4, (doc, s) => {
      expect(kv(doc.prev_kv)).toEqual({
        key: '/kv/a',
        value: '1',
        create: s.rev0 + 1,
        mod: s.rev0 + 1,
        version: 1,
        lease: '0',
      });
    }),
  },
  // Simple output of --prev-kv: OK, then the previous key and value.
  { cmd: 'put /kv/a 11 --prev-kv', check: (r) => expect(ok(r)).toBe('OK\n/kv/a\n11\n') },
  {
    cmd: 'get /kv/a -w json',
    check: atRevision(5, (doc, s) => {
      expect(kvs(doc)).toEqual([
        { key: '/kv/a', value: '11', create: s.rev0 + 1, mod: s.rev0 + 5, version: 3, lease: '0' },
      ]);
      expect(Number(doc.count)).toBe(1);
      expect(doc.more).toBeUndefined();
    }),
  },
  { cmd: 'get /kv/ --prefix', check: (r) => expect(ok(r)).toBe('/kv/a\n11\n/kv/b\n2\n/kv/c\n0\n') },
  {
    cmd: 'get /kv/ --prefix --limit 2 -w json',
    check: onJson((doc) => {
      expect(keys(doc)).toEqual(['/kv/a', '/kv/b']);
      expect(doc.more).toBe(true);
      // count is the size of the whole range, not of the page.
      expect(Number(doc.count)).toBe(3);
    }),
  },
  {
    cmd: 'get /kv/a /kv/c -w json',
    check: onJson((doc) => {
      expect(keys(doc)).toEqual(['/kv/a', '/kv/b']);
      expect(Number(doc.count)).toBe(2);
    }),
  },
  {
    cmd: 'get /kv/a --rev={R+1} -w json',
    check: onJson((doc, s) => {
      // A historical read still reports the current revision in the header.
      expect(revision(doc)).toBe(s.rev0 + 5);
      expect(kvs(doc)).toEqual([
        { key: '/kv/a', value: '1', create: s.rev0 + 1, mod: s.rev0 + 1, version: 1, lease: '0' },
      ]);
    }),
  },
  {
    cmd: 'get /kv/ --prefix --rev={R+4} -w json',
    check: onJson((doc, s) => {
      expect(kvs(doc).map((k) => [k.key, k.value, k.version, k.mod])).toEqual([
        ['/kv/a', '11', 2, s.rev0 + 4],
        ['/kv/b', '2', 1, s.rev0 + 2],
        ['/kv/c', '0', 1, s.rev0 + 3],
      ]);
    }),
  },
  {
    cmd: 'get /kv/ --prefix --rev={R+2} --keys-only -w json',
    check: onJson((doc) => {
      expect(keys(doc)).toEqual(['/kv/a', '/kv/b']);
      for (const raw of doc.kvs) expect(raw.value).toBeUndefined();
    }),
  },
  { cmd: 'get /kv/ --prefix --keys-only', check: (r) => expect(ok(r)).toBe('/kv/a\n\n/kv/b\n\n/kv/c\n\n') },
  { cmd: 'get /kv/ --prefix --print-value-only', check: (r) => expect(ok(r)).toBe('11\n2\n0\n') },
  {
    cmd: 'get /kv/ --prefix --sort-by=MODIFY --order=DESCEND -w json',
    check: (r) => expect(keys(json(r))).toEqual(['/kv/a', '/kv/c', '/kv/b']),
  },
  {
    cmd: 'get /kv/ --prefix --sort-by=MODIFY --order=ASCEND -w json',
    check: (r) => expect(keys(json(r))).toEqual(['/kv/b', '/kv/c', '/kv/a']),
  },
  {
    cmd: 'get /kv/ --prefix --sort-by=CREATE --order=DESCEND -w json',
    check: (r) => expect(keys(json(r))).toEqual(['/kv/c', '/kv/b', '/kv/a']),
  },
  {
    cmd: 'get /kv/ --prefix --sort-by=VALUE --order=ASCEND -w json',
    check: (r) => expect(keys(json(r))).toEqual(['/kv/c', '/kv/a', '/kv/b']),
  },
  {
    cmd: 'get /kv/ --prefix --sort-by=KEY --order=DESCEND -w json',
    check: (r) => expect(keys(json(r))).toEqual(['/kv/c', '/kv/b', '/kv/a']),
  },
  {
    // etcd sorts the whole range, then applies the limit.
    cmd: 'get /kv/ --prefix --sort-by=VERSION --order=DESCEND --limit 1 -w json',
    check: onJson((doc) => {
      expect(keys(doc)).toEqual(['/kv/a']);
      expect(doc.more).toBe(true);
      expect(Number(doc.count)).toBe(3);
    }),
  },
  {
    cmd: 'get /kv/ --prefix --consistency=s -w json',
    check: (r) => expect(keys(json(r))).toEqual(['/kv/a', '/kv/b', '/kv/c']),
  },
  {
    cmd: 'get /kv/zz -w json',
    check: atRevision(5, (doc) => {
      expect(doc.kvs).toBeUndefined();
      expect(doc.count).toBeUndefined();
    }),
  },
  { cmd: 'get /kv/a --rev=999999', check: (r) => fails(r, 'etcdserver: mvcc: required revision is a future revision') },
  { cmd: "put '' x", check: (r) => fails(r, 'etcdserver: key is not provided') },
  {
    cmd: 'put /kv/b --ignore-value -w json',
    check: atRevision(6),
  },
  {
    cmd: 'get /kv/b -w json',
    check: found((s) => [{ key: '/kv/b', value: '2', create: s.rev0 + 2, mod: s.rev0 + 6, version: 2, lease: '0' }]),
  },
  { cmd: 'put /kv/missing --ignore-value', check: (r) => fails(r, 'etcdserver: key not found') },
  { cmd: 'put ~fk/a va', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put ~fk/b vb', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put ~fk/c vc', check: (r) => expect(ok(r)).toBe('OK\n') },
  // Nothing else in this suite sorts after "~", so --from-key sees exactly these keys.
  { cmd: 'get --from-key ~fk/b', check: (r) => expect(ok(r)).toBe('~fk/b\nvb\n~fk/c\nvc\n') },
  {
    cmd: 'get --from-key ~fk/a --limit 1 -w json',
    check: onJson((doc) => {
      expect(keys(doc)).toEqual(['~fk/a']);
      expect(doc.more).toBe(true);
      expect(Number(doc.count)).toBe(3);
    }),
  },
  { cmd: 'del --from-key ~fk/b', check: (r) => expect(ok(r)).toBe('2\n') },
  {
    cmd: 'get --from-key ~ -w json',
    check: atRevision(10, (doc) => {
      expect(keys(doc)).toEqual(['~fk/a']);
    }),
  },
]);

scenario('del', [
  ...['a', 'b', 'c', 'd', 'e'].map((k): Step => ({
    cmd: `put /del/${k} v${k}`,
    check: (r) => expect(ok(r)).toBe('OK\n'),
  })),
  { cmd: 'del /del/a', check: (r) => expect(ok(r)).toBe('1\n') },
  {
    // Deleting a missing key changes nothing, so it takes no revision.
    cmd: 'del /del/nope -w json',
    check: atRevision(6, (doc) => {
      expect(doc.deleted).toBeUndefined();
    }),
  },
  { cmd: 'del /del/b --prev-kv', check: (r) => expect(ok(r)).toBe('1\n/del/b\nvb\n') },
  {
    cmd: 'del /del/c /del/e --prev-kv -w json',
    check: atRevision(8, (doc, s) => {
      expect(Number(doc.deleted)).toBe(2);
      expect(doc.prev_kvs.map(kv)).toEqual([
        { key: '/del/c', value: 'vc', create: s.rev0 + 3, mod: s.rev0 + 3, version: 1, lease: '0' },
        { key: '/del/d', value: 'vd', create: s.rev0 + 4, mod: s.rev0 + 4, version: 1, lease: '0' },
      ]);
    }),
  },
  { cmd: 'get /del/ --prefix -w json', check: (r) => expect(keys(json(r))).toEqual(['/del/e']) },
  { cmd: 'put /del/x/1 1', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put /del/x/2 2', check: (r) => expect(ok(r)).toBe('OK\n') },
  {
    // A prefix delete removes every key in one revision.
    cmd: 'del /del/ --prefix --prev-kv -w json',
    check: atRevision(11, (doc) => {
      expect(Number(doc.deleted)).toBe(3);
      expect(doc.prev_kvs.map(kv).map((k: Kv) => k.key)).toEqual(['/del/e', '/del/x/1', '/del/x/2']);
    }),
  },
  {
    cmd: 'get /del/ --prefix -w json',
    check: atRevision(11, (doc) => {
      expect(doc.kvs).toBeUndefined();
    }),
  },
  // History survives the delete.
  {
    cmd: 'get /del/ --prefix --rev={R+10} --keys-only',
    check: (r) => expect(ok(r)).toBe('/del/e\n\n/del/x/1\n\n/del/x/2\n\n'),
  },
  {
    cmd: 'put /del/a again -w json',
    check: atRevision(12),
  },
  {
    // A recreated key starts over at version 1 with a new create revision.
    cmd: 'get /del/a -w json',
    check: found((s) => [
      { key: '/del/a', value: 'again', create: s.rev0 + 12, mod: s.rev0 + 12, version: 1, lease: '0' },
    ]),
  },
]);

scenario('txn', [
  { cmd: 'put /tx/k1 v1', check: (r) => expect(ok(r)).toBe('OK\n') },
  {
    cmd: 'txn -w json',
    stdin: 'mod("/tx/k1") > "0"\n\nput /tx/k1 "overwrote"\n\nput /tx/k1 "created"\nput /tx/k2 "extra"\n\n',
    check: onJson((doc, s) => {
      expect(doc.succeeded).toBe(true);
      expect(revision(doc)).toBe(s.rev0 + 2);
      expect(doc.responses).toEqual([{ Response: { ResponsePut: { header: { revision: s.rev0 + 2 } } } }]);
    }),
  },
  {
    cmd: 'txn',
    stdin: 'value("/tx/k1") = "nope"\n\nput /tx/k1 "x"\n\nget /tx/k1\nput /tx/k3 z\n\n',
    check: (r) => expect(ok(r)).toBe('FAILURE\n\n/tx/k1\noverwrote\n\nOK\n'),
  },
  {
    // Interactive mode prompts for each section; the answers still come from stdin.
    cmd: 'txn --interactive',
    stdin: 'version("/tx/k1") = "2"\ncreate("/tx/k2") = "0"\n\ndel /tx/k3\nput /tx/k2 y\n\nget /tx/k1\n\n',
    check: (r) =>
      expect(ok(r)).toBe(
        'compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nSUCCESS\n\n1\n\nOK\n',
      ),
  },
  {
    cmd: 'get /tx/ --prefix -w json',
    check: onJson((doc, s) => {
      // The delete of k3 and the create of k2 share one revision.
      expect(kvs(doc)).toEqual([
        { key: '/tx/k1', value: 'overwrote', create: s.rev0 + 1, mod: s.rev0 + 2, version: 2, lease: '0' },
        { key: '/tx/k2', value: 'y', create: s.rev0 + 4, mod: s.rev0 + 4, version: 1, lease: '0' },
      ]);
      expect(revision(doc)).toBe(s.rev0 + 4);
    }),
  },
  {
    cmd: 'txn -w json',
    stdin: 'mod("/tx/k1") = "{R+2}"\nvalue("/tx/k2") != "nope"\n\nget /tx/k1\n\nget /tx/k2\n\n',
    check: onJson((doc, s) => {
      expect(doc.succeeded).toBe(true);
      expect(revision(doc)).toBe(s.rev0 + 4);
      const range = doc.responses[0].Response.ResponseRange;
      expect(kvs(range).map((k) => k.value)).toEqual(['overwrote']);
    }),
  },
  {
    // A failed compare with a read-only failure branch: succeeded is omitted (false) and no revision is taken.
    cmd: 'txn -w json',
    stdin: 'mod("/tx/k1") > "{R+2}"\n\nput /tx/k1 never\n\nget /tx/k2\n\n',
    check: onJson((doc, s) => {
      expect(doc.succeeded).toBeUndefined();
      expect(revision(doc)).toBe(s.rev0 + 4);
      expect(kvs(doc.responses[0].Response.ResponseRange).map((k) => k.key)).toEqual(['/tx/k2']);
    }),
  },
  {
    cmd: 'txn',
    stdin: 'create("/tx/k9") > "0"\n\nput /tx/k9 a\n\n\n',
    check: (r) => expect(ok(r)).toBe('FAILURE\n'),
  },
  {
    cmd: 'txn -w json',
    stdin: 'version("/tx/k2") < "5"\nmod("/tx/k1") < "{R+3}"\n\nput /tx/k1 v3\ndel /tx/k2\nput /tx/k4 v4\n\n\n',
    check: onJson((doc, s) => {
      expect(doc.succeeded).toBe(true);
      expect(revision(doc)).toBe(s.rev0 + 5);
      expect(doc.responses).toEqual([
        { Response: { ResponsePut: { header: { revision: s.rev0 + 5 } } } },
        { Response: { ResponseDeleteRange: { header: { revision: s.rev0 + 5 }, deleted: 1 } } },
        { Response: { ResponsePut: { header: { revision: s.rev0 + 5 } } } },
      ]);
    }),
  },
  {
    cmd: 'txn',
    stdin: '\nput /tx/d 1\ndel /tx/d\n\n\n',
    check: (r) => fails(r, 'etcdserver: duplicate key given in txn request'),
  },
  {
    cmd: 'get /tx/ --prefix -w json',
    check: atRevision(5, (doc, s) => {
      expect(kvs(doc).map((k) => [k.key, k.value, k.mod])).toEqual([
        ['/tx/k1', 'v3', s.rev0 + 5],
        ['/tx/k4', 'v4', s.rev0 + 5],
      ]);
    }),
  },
]);

/** Writes for the watch scenario: R+1 a, R+2 b, then the writes made while watchers run. */
async function watchWrites(side: Side): Promise<void> {
  const steps: Array<[string[], string?]> = [
    [['put', '/w/a', '2']], // R+3
    [['txn'], '\nput /w/b 2\nput /w/c 1\n\n\n'], // R+4, two events in one revision
    [['del', '/w/a']], // R+5
    [['put', '/w/d', '1']], // R+6
    [['del', '/w/', '--prefix']], // R+7: b, c and d in one revision
  ];
  for (const [args, stdin] of steps) {
    const r = await ctl(side, args, stdin === undefined ? {} : { stdin });
    if (r.code !== 0) throw new Error(`[${side.name}] ${args.join(' ')} failed: ${r.stderr}`);
  }
}

scenario('watch', [
  { cmd: 'put /w/a 1', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put /w/b 1', check: (r) => expect(ok(r)).toBe('OK\n') },
  {
    title: 'watch --prefix --prev-kv --rev -w json, simple, single key and range watchers over puts, a txn and deletes',
    compare: 'json',
    normalize: dropResponses,
    run: async (side) => {
      const at = (n: number) => String(side.rev0 + n);
      const prefixJson = background(side, ['watch', '--prefix', '/w/', `--rev=${at(1)}`, '--prev-kv', '-w', 'json']);
      const prefixText = background(side, ['watch', '--prefix', '/w/', `--rev=${at(1)}`, '--prev-kv']);
      const single = background(side, ['watch', '/w/a', `--rev=${at(1)}`]);
      const range = background(side, ['watch', '/w/a', '/w/c', `--rev=${at(2)}`, '-w', 'json']);
      try {
        await watchWrites(side);
        const count = (text: string) => watchEvents(text).events.length;
        await prefixJson.waitFor((o) => count(o) >= 10, '10 events');
        await range.waitFor((o) => count(o) >= 5, '5 events');
        await prefixText.waitFor(
          (o) => o.split('\n').filter((l) => l === 'PUT' || l === 'DELETE').length >= 10,
          '10 events',
        );
        await single.waitFor((o) => o.includes('DELETE'), 'the delete of /w/a');
        await sleep(300); // anything extra (duplicates) would show up now
        const doc = {
          prefix: watchEvents(prefixJson.output()),
          range: watchEvents(range.output()),
          prefixText: prefixText.output(),
          single: single.output(),
        };
        return done(JSON.stringify(doc));
      } finally {
        await Promise.all([prefixJson.stop(), prefixText.stop(), single.stop(), range.stop()]);
      }
    },
    check: (r, s) => {
      const doc = JSON.parse(r.stdout);
      const R = (n: number) => s.rev0 + n;
      const kvOf = (key: string, value: string, create: number, mod: number, version: number): Kv => ({
        key,
        value,
        create,
        mod,
        version,
        lease: '0',
      });
      const deleted = (key: string, mod: number): Kv => ({ key, value: '', create: 0, mod, version: 0, lease: '0' });
      expect(doc.prefix.events.map(decodeEvent)).toEqual([
        { type: 'PUT', kv: kvOf('/w/a', '1', R(1), R(1), 1) },
        { type: 'PUT', kv: kvOf('/w/b', '1', R(2), R(2), 1) },
        { type: 'PUT', kv: kvOf('/w/a', '2', R(1), R(3), 2), prev: kvOf('/w/a', '1', R(1), R(1), 1) },
        { type: 'PUT', kv: kvOf('/w/b', '2', R(2), R(4), 2), prev: kvOf('/w/b', '1', R(2), R(2), 1) },
        { type: 'PUT', kv: kvOf('/w/c', '1', R(4), R(4), 1) },
        // A delete event's kv carries only the key and the delete revision.
        { type: 'DELETE', kv: deleted('/w/a', R(5)), prev: kvOf('/w/a', '2', R(1), R(3), 2) },
        { type: 'PUT', kv: kvOf('/w/d', '1', R(6), R(6), 1) },
        { type: 'DELETE', kv: deleted('/w/b', R(7)), prev: kvOf('/w/b', '2', R(2), R(4), 2) },
        { type: 'DELETE', kv: deleted('/w/c', R(7)), prev: kvOf('/w/c', '1', R(4), R(4), 1) },
        { type: 'DELETE', kv: deleted('/w/d', R(7)), prev: kvOf('/w/d', '1', R(6), R(6), 1) },
      ]);
      expectAtomicResponses(doc.prefix);
      // Range [/w/a, /w/c) from R+2, without prev_kv.
      expect(doc.range.events.map(decodeEvent)).toEqual([
        { type: 'PUT', kv: kvOf('/w/b', '1', R(2), R(2), 1) },
        { type: 'PUT', kv: kvOf('/w/a', '2', R(1), R(3), 2) },
        { type: 'PUT', kv: kvOf('/w/b', '2', R(2), R(4), 2) },
        { type: 'DELETE', kv: deleted('/w/a', R(5)) },
        { type: 'DELETE', kv: deleted('/w/b', R(7)) },
      ]);
      expectAtomicResponses(doc.range);
      expect(doc.single).toBe('PUT\n/w/a\n1\nPUT\n/w/a\n2\nDELETE\n/w/a\n\n');
      // Simple output with --prev-kv prints the previous pair before the new one.
      expect(doc.prefixText).toBe(
        [
          'PUT',
          '/w/a',
          '1',
          'PUT',
          '/w/b',
          '1',
          'PUT',
          '/w/a',
          '1',
          '/w/a',
          '2',
          'PUT',
          '/w/b',
          '1',
          '/w/b',
          '2',
          'PUT',
          '/w/c',
          '1',
          'DELETE',
          '/w/a',
          '2',
          '/w/a',
          '',
          'PUT',
          '/w/d',
          '1',
          'DELETE',
          '/w/b',
          '2',
          '/w/b',
          '',
          'DELETE',
          '/w/c',
          '1',
          '/w/c',
          '',
          'DELETE',
          '/w/d',
          '1',
          '/w/d',
          '',
          '',
        ].join('\n'),
      );
    },
  },
  {
    title: 'watch --prefix from now (no --rev) sees writes made after it started',
    compare: 'json',
    run: async (side) => {
      const w = background(side, ['watch', '--prefix', '/wl/', '--prev-kv']);
      try {
        // etcdctl prints nothing when the watch is created, so probe until a write shows up.
        for (let i = 0; !w.output().includes('/wl/probe'); i++) {
          if (i > 50) throw new Error(`[${side.name}] watch never delivered a probe: ${w.stderr()}`);
          await ctl(side, ['put', '/wl/probe', String(i)]);
          await sleep(100);
        }
        await sleep(200);
        const mark = w.output().length;
        for (const args of [
          ['put', '/wl/x', '1'],
          ['put', '/wl/x', '2'],
          ['del', '/wl/x'],
        ])
          await ctl(side, args);
        await w.waitFor((o) => o.slice(mark).includes('DELETE'), 'the delete of /wl/x');
        await sleep(200);
        return done(JSON.stringify({ after: w.output().slice(mark) }));
      } finally {
        await w.stop();
      }
    },
    check: (r) =>
      expect(JSON.parse(r.stdout).after).toBe('PUT\n/wl/x\n1\nPUT\n/wl/x\n1\n/wl/x\n2\nDELETE\n/wl/x\n2\n/wl/x\n\n'),
  },
]);

/** Lease TTLs tick down while a step runs; "remaining" is checked for range, not compared. */
const noRemaining = (out: any) =>
  typeof out === 'string'
    ? out
        .replace(/remaining\(\d+s\)/g, 'remaining(Ns)')
        .replace(
          /attached keys\(\[([^\]]*)\]\)/g,
          (_, k: string) => `attached keys([${k.split(' ').sort().join(' ')}])`,
        )
    : out.map((d: any) => ({ ...d, ttl: undefined, keys: d.keys ? [...d.keys].sort() : d.keys }));

scenario('lease', [
  {
    cmd: 'lease grant 60',
    check: (r, s) => {
      s.leases.set('a', parseGrantedLease(ok(r)));
      expect(r.stdout).toMatch(/^lease [0-9a-f]{16} granted with TTL\(60s\)\n$/);
    },
  },
  {
    cmd: 'lease grant 61 -w json',
    check: onJson((doc, s) => {
      expect(Number(doc.TTL)).toBe(61);
      expect(BigInt(doc.ID)).not.toBe(0n);
      s.leases.set('b', BigInt(doc.ID));
      expect(s.leases.get('b')).not.toBe(s.leases.get('a'));
    }),
  },
  { cmd: 'put --lease={lease:a} /ls/x vx', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put --lease={lease:a} /ls/y vy', check: (r) => expect(ok(r)).toBe('OK\n') },
  {
    cmd: 'get /ls/x -w json',
    check: found((s) => [
      {
        key: '/ls/x',
        value: 'vx',
        create: s.rev0 + 1,
        mod: s.rev0 + 1,
        version: 1,
        lease: s.leases.get('a')!.toString(),
      },
    ]),
  },
  {
    cmd: 'lease timetolive {lease:a} --keys',
    normalize: noRemaining,
    check: (r, s) => {
      const m = /^lease ([0-9a-f]{16}) granted with TTL\(60s\), remaining\((\d+)s\), attached keys\(\[(.*)\]\)\n$/.exec(
        ok(r),
      );
      expect(m, r.stdout).not.toBeNull();
      expect(BigInt(`0x${m![1]}`)).toBe(s.leases.get('a'));
      expect(Number(m![2])).toBeGreaterThanOrEqual(50);
      expect(Number(m![2])).toBeLessThanOrEqual(60);
      expect(m![3]!.split(' ').sort()).toEqual(['/ls/x', '/ls/y']);
    },
  },
  {
    cmd: 'lease timetolive {lease:a} --keys -w json',
    normalize: noRemaining,
    check: onJson((doc, s) => {
      expect(BigInt(doc.id)).toBe(s.leases.get('a'));
      expect(Number(doc['granted-ttl'])).toBe(60);
      expect(Number(doc.ttl)).toBeGreaterThan(50);
      expect(doc.keys.map(unb64).sort()).toEqual(['/ls/x', '/ls/y']);
    }),
  },
  {
    cmd: 'lease keep-alive --once {lease:a}',
    check: (r, s) =>
      expect(ok(r)).toBe(`lease ${s.leases.get('a')!.toString(16).padStart(16, '0')} keepalived with TTL(60)\n`),
  },
  {
    cmd: 'lease keep-alive --once {lease:b} -w json',
    check: onJson((doc, s) => {
      expect(BigInt(doc.ID)).toBe(s.leases.get('b'));
      expect(Number(doc.TTL)).toBe(61);
    }),
  },
  {
    cmd: 'lease list -w json',
    normalize: (out: any[]) =>
      out.map((d) => ({
        ...d,
        leases: (d.leases ?? [])
          .map((l: any) => l.id)
          .filter((id: string) => id !== '<lease:?>')
          .sort(),
      })),
    check: (r, s) => {
      const ids = (json(r).leases ?? []).map((l: any) => BigInt(l.id));
      expect(ids).toContain(s.leases.get('a'));
      expect(ids).toContain(s.leases.get('b'));
    },
  },
  {
    cmd: 'lease list',
    compare: 'none', // other scenarios' leases may still be listed
    check: (r, s) => {
      const lines = ok(r).trim().split('\n');
      expect(lines[0]).toMatch(/^found \d+ leases$/);
      expect(Number(/\d+/.exec(lines[0]!)![0])).toBe(lines.length - 1);
      for (const name of ['a', 'b']) expect(lines).toContain(s.leases.get(name)!.toString(16).padStart(16, '0'));
    },
  },
  { cmd: 'lease revoke {lease:a}', check: (r) => expect(ok(r)).toMatch(/^lease [0-9a-f]{16} revoked\n$/) },
  {
    // Both attached keys are deleted in one revision.
    cmd: 'get /ls/ --prefix -w json',
    check: onJson((doc, s) => {
      expect(doc.kvs).toBeUndefined();
      expect(revision(doc)).toBe(s.rev0 + 3);
    }),
  },
  watchJsonStep({
    title: 'watch --prefix /ls/ --rev={R+3} -w json shows both lease deletes at one revision',
    args: (side) => ['--prefix', '/ls/', `--rev=${side.rev0 + 3}`],
    drive: (w) => w.waitFor((o) => watchEvents(o).events.length >= 2, '2 events'),
    check: (events, s, doc) => {
      expect(events.map((e) => [e.type, e.kv.key, e.kv.mod])).toEqual([
        ['DELETE', '/ls/x', s.rev0 + 3],
        ['DELETE', '/ls/y', s.rev0 + 3],
      ]);
      expectAtomicResponses(doc);
    },
  }),
  {
    cmd: 'lease revoke {lease:a}',
    check: (r) => fails(r, 'failed to revoke lease (etcdserver: requested lease not found)'),
  },
  {
    cmd: 'lease timetolive {lease:a}',
    check: (r, s) => expect(ok(r)).toBe(`lease ${s.leases.get('a')!.toString(16).padStart(16, '0')} already expired\n`),
  },
  {
    cmd: 'lease timetolive {lease:a} -w json',
    check: onJson((doc) => {
      // An unknown lease is TTL -1, not an error.
      expect(Number(doc.ttl)).toBe(-1);
      expect(Number(doc['granted-ttl'] ?? 0)).toBe(0);
    }),
  },
  // keep-alive of an unknown lease answers TTL 0, which the client turns into "not found".
  { cmd: 'lease keep-alive --once {lease:a}', check: (r) => fails(r, 'etcdserver: requested lease not found', 2) },
  { cmd: 'put --lease={lease:a} /ls/z vz', check: (r) => fails(r, 'etcdserver: requested lease not found') },
  { cmd: 'put --lease=1234 /ls/z vz', check: (r) => fails(r, 'etcdserver: requested lease not found') },
  { cmd: 'lease revoke {lease:b}', check: (r) => expect(ok(r)).toMatch(/revoked\n$/) },
  {
    // Revoking a lease with no keys changes nothing, so it takes no revision.
    cmd: 'get /ls/ --prefix -w json',
    check: atRevision(3),
  },
  {
    title: 'a lease of 2s expires and takes its key with it, in one revision',
    compare: 'json',
    run: async (side) => {
      const grant = await ctl(side, ['lease', 'grant', '2']);
      side.leases.set('short', parseGrantedLease(grant.stdout));
      const hex = side.leases.get('short')!.toString(16);
      const put = await ctl(side, ['put', `--lease=${hex}`, '/lx/k', 'v', '-w', 'json']);
      const putRev = revision(parseJson(put.stdout));
      const started = Date.now();
      for (;;) {
        const get = parseJson((await ctl(side, ['get', '/lx/k', '-w', 'json'])).stdout);
        if (!get.kvs)
          return done(
            JSON.stringify({
              putRev: putRev - side.rev0,
              goneRev: revision(get) - side.rev0,
              waitedLong: Date.now() - started > 15_000,
            }),
          );
        if (Date.now() - started > 15_000)
          return done(JSON.stringify({ putRev: putRev - side.rev0, goneRev: null, waitedLong: true }));
        await sleep(250);
      }
    },
    check: (r) => {
      const doc = JSON.parse(r.stdout);
      expect(doc.waitedLong, 'the key outlived its 2 s lease by more than 15 s').toBe(false);
      expect(doc.putRev).toBe(4);
      expect(doc.goneRev).toBe(5);
    },
  },
  {
    cmd: 'lease timetolive {lease:short}',
    check: (r, s) =>
      expect(ok(r)).toBe(`lease ${s.leases.get('short')!.toString(16).padStart(16, '0')} already expired\n`),
  },
]);

/** Runs `etcdctl lock` twice on one side: the second waits for the first, then runs its command. */
async function lockScenario(side: Side): Promise<CtlResult> {
  const holder = background(side, ['lock', '/lk/L1']);
  let waiter: ReturnType<typeof background> | undefined;
  try {
    const held = (await holder.waitFor((o) => o.includes('\n'), 'the lock key')).trim();
    waiter = background(side, ['lock', '/lk/L1', '--', 'sh', '-c', 'echo got-lock; echo "key=$ETCD_LOCK_KEY"; exit 3']);
    // The waiter registers its own key, then must block behind the holder.
    let both: any;
    for (let i = 0; ; i++) {
      both = parseJson((await ctl(side, ['get', '/lk/L1', '--prefix', '-w', 'json'])).stdout);
      if ((both.kvs ?? []).length >= 2 || i > 40) break;
      await sleep(100);
    }
    await sleep(700);
    const waiterWhileHeld = waiter.output();
    const holderResult = await holder.interrupt();
    const waiterResult = await Promise.race([waiter.exited, sleep(10_000).then(() => null)]);
    let after: any;
    for (let i = 0; ; i++) {
      after = parseJson((await ctl(side, ['get', '/lk/L1', '--prefix', '-w', 'json'])).stdout);
      if (!after.kvs || i > 40) break;
      await sleep(100);
    }
    const doc = {
      held,
      both: kvs(both),
      waiterWhileHeld,
      holderExit: holderResult.code,
      waiter: waiterResult && {
        code: waiterResult.code,
        stdout: waiterResult.stdout,
        stderr: waiterResult.stderr.trim(),
      },
      after: kvs(after),
    };
    return done(JSON.stringify(doc));
  } finally {
    await Promise.all([holder.stop(), waiter?.stop()]);
  }
}

/** Lock and election keys end in the session's lease ID; that part differs between servers. */
const withoutIds = (text: string) => text.replace(/(\/lk\/L1|\/el\/E1)\/[0-9a-f]+/g, '$1/<id>');

describe('lock', () => {
  beforeAll(align);
  defineStep(sides, {
    title: 'etcdctl lock /lk/L1 holds; a second lock -- command waits, then runs with ETCD_LOCK_KEY',
    run: lockScenario,
    compare: 'json',
    normalize: (out: any[]) =>
      out.map((d) =>
        JSON.parse(
          withoutIds(
            JSON.stringify({
              ...d,
              both: d.both.map((k: Kv) => ({
                ...k,
                key: undefined,
                lease: undefined,
                create: undefined,
                mod: undefined,
              })),
              after: d.after,
            }),
          ),
        ),
      ),
    check: (r) => {
      const doc = JSON.parse(r.stdout);
      const m = /^\/lk\/L1\/([0-9a-f]+)$/.exec(doc.held);
      expect(m, `holder printed ${doc.held}`).not.toBeNull();
      // Both contenders have a key under the lock prefix, each on its own session lease, ordered by creation.
      expect(doc.both.length).toBe(2);
      // A range comes back in key order; the lock queue is in creation order.
      const [first, second] = [...(doc.both as Kv[])].sort((x, y) => x.create - y.create);
      expect(first!.key).toBe(doc.held);
      expect(BigInt(first!.lease).toString(16)).toBe(m![1]);
      expect(second!.key).toBe(`/lk/L1/${BigInt(second!.lease).toString(16)}`);
      expect(second!.create).toBeGreaterThan(first!.create);
      expect(doc.waiterWhileHeld).toBe('');
      expect(doc.holderExit).toBe(0);
      expect(doc.waiter, 'the waiter never got the lock after the holder released it').not.toBeNull();
      expect(doc.waiter.stdout).toBe(`got-lock\nkey=${second!.key}\n`);
      // etcdctl passes the command's failure on.
      expect(doc.waiter.code).toBe(1);
      expect(doc.waiter.stderr).toBe('Error: exit status 3');
      expect(doc.after).toEqual([]);
    },
  });
});

/** A listener and two campaigners: the second becomes leader when the first resigns. */
async function electScenario(side: Side): Promise<CtlResult> {
  const listener = background(side, ['elect', '--listen', '/el/E1']);
  const first = background(side, ['elect', '/el/E1', 'p1']);
  let second: ReturnType<typeof background> | undefined;
  try {
    await first.waitFor((o) => o.includes('p1\n'), 'leadership');
    await listener.waitFor((o) => o.includes('p1\n'), 'the first leader');
    second = background(side, ['elect', '/el/E1', 'p2']);
    for (let i = 0; i < 40; i++) {
      const doc = parseJson((await ctl(side, ['get', '/el/E1', '--prefix', '-w', 'json'])).stdout);
      if ((doc.kvs ?? []).length >= 2) break;
      await sleep(100);
    }
    await sleep(700);
    const secondWhileFirstLeads = second.output();
    const firstResult = await first.interrupt();
    await second.waitFor((o) => o.includes('p2\n'), 'leadership after the first resigned');
    await listener.waitFor((o) => o.includes('p2\n'), 'the second leader');
    const secondResult = await second.interrupt();
    const listenerResult = await listener.interrupt();
    const after = parseJson((await ctl(side, ['get', '/el/E1', '--prefix', '-w', 'json'])).stdout);
    return done(
      JSON.stringify({
        first: firstResult.stdout,
        firstExit: firstResult.code,
        secondWhileFirstLeads,
        second: secondResult.stdout,
        listener: listenerResult.stdout,
        after: kvs(after),
      }),
    );
  } finally {
    await Promise.all([listener.stop(), first.stop(), second?.stop()]);
  }
}

describe('elect', () => {
  beforeAll(align);
  defineStep(sides, {
    title: 'etcdctl elect --listen /el/E1 follows p1 then p2; the second campaigner waits for the first to resign',
    run: electScenario,
    compare: 'json',
    normalize: (out: any[]) => out.map((d) => JSON.parse(withoutIds(JSON.stringify(d)))),
    check: (r) => {
      const doc = JSON.parse(r.stdout);
      const m1 = /^(\/el\/E1\/[0-9a-f]+)\np1\n$/.exec(doc.first);
      expect(m1, `first printed ${doc.first}`).not.toBeNull();
      expect(doc.firstExit).toBe(0);
      expect(doc.secondWhileFirstLeads).toBe('');
      const m2 = /^(\/el\/E1\/[0-9a-f]+)\np2\n$/.exec(doc.second);
      expect(m2, `second printed ${doc.second}`).not.toBeNull();
      expect(m2![1]).not.toBe(m1![1]);
      // The listener reports each leader once, in order.
      expect(doc.listener).toBe(`${m1![1]}\np1\n${m2![1]}\np2\n`);
      expect(doc.after).toEqual([]);
    },
  });
});

/** Filled in by the status step, checked against member list. */
const memberIds = new Map<string, string>();

scenario('maintenance', [
  { cmd: 'put /mt/a 1', check: (r) => expect(ok(r)).toBe('OK\n') },
  {
    cmd: 'member list -w json',
    normalize: (out: any[]) => out.map((d) => ({ count: d.members.length, clientURLs: d.members[0].clientURLs })),
    check: onJson((doc, s) => {
      expect(doc.members.length).toBe(1);
      const [m] = doc.members;
      expect(BigInt(m.ID)).not.toBe(0n);
      expect(String(m.ID)).toBe(String(doc.header.member_id));
      memberIds.set(s.name, String(m.ID));
      // etcdctl --cluster and clients that sync endpoints dial these.
      expect(m.clientURLs).toEqual([s.server.endpoint]);
      expect(m.name).toBeTruthy();
      expect(m.isLearner).toBeUndefined();
    }),
  },
  {
    cmd: 'member list',
    compare: 'none', // the store's member name and peer URLs are its own
    check: (r, s) => {
      // ID, status, name, peer URLs, client URLs, is learner
      const fields = ok(r).trim().split(', ');
      expect(BigInt(`0x${fields[0]}`).toString()).toBe(memberIds.get(s.name));
      expect(fields[1]).toBe('started');
      expect(fields[4]).toBe(s.server.endpoint); // client URLs keep their scheme
      expect(fields[5]).toBe('false');
    },
  },
  {
    // etcdctl 3.4 opens a client per endpoint for this, dialling the endpoint string as given.
    cmd: 'endpoint status -w json',
    normalize: (out: any[]) =>
      out.map((arr: any[]) =>
        arr.map((e) => ({ Endpoint: e.Endpoint, revision: e.Status.header.revision, errors: e.Status.errors })),
      ),
    check: (r, s) => {
      const [entry, ...rest] = json(r);
      expect(rest).toEqual([]);
      expect(entry.Endpoint).toBe(endpointOf(s));
      const st = entry.Status;
      expect(Number(st.header.revision)).toBe(s.rev0 + 1);
      // etcdctl and tools/benchmark identify the leader by comparing these with the member list.
      expect(String(st.header.member_id)).toBe(memberIds.get(s.name));
      expect(String(st.leader)).toBe(String(st.header.member_id));
      expect(Number(st.dbSize)).toBeGreaterThan(0);
      expect(st.errors).toBeUndefined();
      expect(st.isLearner).toBeUndefined();
      if (isStore(s)) {
        // The store reports a version at least 3.5.13, so the apiserver enables RequestProgress-based features.
        const [major, minor, patch] = String(st.version).split('.').map(Number);
        expect(major! * 1e6 + minor! * 1e3 + patch!, `version ${st.version}`).toBeGreaterThanOrEqual(3_005_013);
      } else {
        expect(st.version).toMatch(/^3\.\d+\.\d+$/);
      }
    },
  },
  {
    cmd: 'endpoint status',
    compare: 'none',
    check: (r, s) => {
      const fields = ok(r).trim().split(', ');
      // endpoint, member ID, version, db size, is leader, is learner, raft term, raft index, applied index, errors
      expect(fields[0]).toBe(endpointOf(s));
      expect(BigInt(`0x${fields[1]}`).toString()).toBe(memberIds.get(s.name));
      expect(fields[4]).toBe('true');
      expect(fields[5]).toBe('false');
    },
  },
  {
    cmd: 'endpoint health -w json',
    check: (r, s) => {
      const [entry, ...rest] = json(r);
      expect(rest).toEqual([]);
      expect(entry).toMatchObject({ endpoint: endpointOf(s), health: true });
      expect(entry.error).toBeUndefined();
    },
  },
  {
    cmd: 'endpoint health',
    compare: 'none', // etcdctl prints the verdict on stderr, with a timing
    check: (r, s) => {
      expect(ok(r)).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(`^${endpointOf(s)} is healthy: successfully committed proposal: took = [\\d.]+[µnm]?s\\n$`),
      );
    },
  },
  { cmd: 'alarm list', check: (r) => expect(ok(r)).toBe('') },
  {
    cmd: 'alarm list -w json',
    normalize: (out: any[]) => out.map((d) => d.alarms ?? []),
    check: (r) => expect(json(r).alarms).toBeUndefined(),
  },
  { cmd: 'alarm disarm', check: (r) => expect(ok(r)).toBe('') },
  { cmd: 'defrag', check: (r, s) => expect(ok(r)).toBe(`Finished defragmenting etcd member[${endpointOf(s)}]\n`) },
  {
    // Defragmentation must not change data or take a revision.
    cmd: 'get /mt/a -w json',
    check: atRevision(1, (doc) => {
      expect(kvs(doc).map((k) => k.value)).toEqual(['1']);
    }),
  },
]);

scenario('compaction', [
  { cmd: 'put /cp/a 1', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put /cp/a 2', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'put /cp/a 3', check: (r) => expect(ok(r)).toBe('OK\n') },
  { cmd: 'compaction {R+2}', check: (r, s) => expect(ok(r)).toBe(`compacted revision ${s.rev0 + 2}\n`) },
  { cmd: 'get /cp/a --rev={R+1}', check: (r) => fails(r, 'etcdserver: mvcc: required revision has been compacted') },
  // The compact revision itself is still readable.
  { cmd: 'get /cp/a --rev={R+2} --print-value-only', check: (r) => expect(ok(r)).toBe('2\n') },
  { cmd: 'get /cp/a --print-value-only', check: (r) => expect(ok(r)).toBe('3\n') },
  { cmd: 'compaction {R+2}', check: (r) => fails(r, 'etcdserver: mvcc: required revision has been compacted') },
  { cmd: 'compaction {R+1}', check: (r) => fails(r, 'etcdserver: mvcc: required revision has been compacted') },
  { cmd: 'compaction 999999', check: (r) => fails(r, 'etcdserver: mvcc: required revision is a future revision') },
  {
    // A watch from below the compact revision is cancelled with the compact revision.
    cmd: 'watch /cp/a --rev={R+1}',
    check: (r) => {
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'watch was canceled (etcdserver: mvcc: required revision has been compacted)\nError: watch is canceled by the server\n',
      );
    },
  },
  { cmd: 'compaction {R+3} --physical', check: (r, s) => expect(ok(r)).toBe(`compacted revision ${s.rev0 + 3}\n`) },
  watchJsonStep({
    title: 'watch /cp/a --rev={R+3} -w json replays from the compact revision',
    args: (side) => ['/cp/a', `--rev=${side.rev0 + 3}`],
    drive: async (w, side) => {
      await w.waitFor((o) => watchEvents(o).events.length >= 1, 'the event at the compact revision');
      await ctl(side, ['put', '/cp/a', '4']);
      await w.waitFor((o) => watchEvents(o).events.length >= 2, 'the new event');
    },
    check: (events, s) => {
      expect(events.map((e) => [e.kv.value, e.kv.mod, e.kv.version])).toEqual([
        ['3', s.rev0 + 3, 3],
        ['4', s.rev0 + 4, 4],
      ]);
    },
  }),
  {
    // Compaction takes no revision and keeps the latest version.
    cmd: 'get /cp/a -w json',
    check: atRevision(4, (doc, s) => {
      expect(kvs(doc).map((k) => [k.value, k.version, k.create])).toEqual([['4', 4, s.rev0 + 1]]);
    }),
  },
]);
