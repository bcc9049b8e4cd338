import { describe, expect, it } from 'vitest';
import { loadEtcdProtos } from '../proto.js';
import { HeaderCodec, ResponseCodec, decodeRangeRequest, decodeTxnRequest } from './etcd-messages.js';
import { Reader } from './protobuf.js';

// proto-loader's own codecs are the reference: the hand-written ones must agree with them.
const svc = loadEtcdProtos().etcdserverpb;
const kv = svc.KV!.service;
const watch = svc.Watch!.service;
const codec = new ResponseCodec(new HeaderCodec(18_000_000_000_000_000_001n, 42n));
const b = (s: string) => Buffer.from(s);

describe('hand-written etcd codecs', () => {
  it('decode requests the way protobuf does, including 64-bit and negative operands', () => {
    const range = decodeRangeRequest(
      new Reader(
        kv.Range!.requestSerialize({
          key: b('a'),
          range_end: b('\0'),
          limit: 500,
          revision: 7,
          sort_order: 'DESCEND',
          sort_target: 'MOD',
          keys_only: true,
          max_create_revision: 9,
        }),
      ),
    );
    expect(range).toMatchObject({
      key: b('a'),
      rangeEnd: b('\0'),
      limit: 500,
      revision: 7,
      sortOrder: 'DESCEND',
      sortTarget: 'MOD',
      keysOnly: true,
      maxCreateRevision: 9,
      countOnly: false,
    });
    const txn = decodeTxnRequest(
      new Reader(
        kv.Txn!.requestSerialize({
          compare: [
            { key: b('k'), target: 'LEASE', result: 'NOT_EQUAL', lease: '-5', range_end: b('z') },
            // operand in a member that does not match the target: etcd compares with 0
            { key: b('k'), target: 'MOD', result: 'EQUAL', version: 3 },
            { key: b('k'), target: 'VALUE', result: 'GREATER', value: b('v') },
          ],
          success: [
            { request_put: { key: b('p'), value: b('x'), lease: '9223372036854775807' } },
            { request_txn: { failure: [{ request_delete_range: { key: b('d'), prev_kv: true } }] } },
          ],
          failure: [{}],
        }),
      ),
    );
    expect(txn.compare.map((c) => [c.target, c.result, c.number, c.value.toString(), c.rangeEnd.toString()])).toEqual([
      ['LEASE', 'NOT_EQUAL', -5n, '', 'z'],
      ['MOD', 'EQUAL', 0n, '', ''],
      ['VALUE', 'GREATER', 0n, 'v', ''],
    ]);
    expect(txn.success[0]).toEqual({ put: expect.objectContaining({ lease: 9_223_372_036_854_775_807n }) });
    expect(txn.success[1]).toEqual({
      txn: {
        compare: [],
        success: [],
        failure: [{ deleteRange: { key: b('d'), rangeEnd: Buffer.alloc(0), prevKv: true } }],
      },
    });
    expect(typeof txn.failure[0]).toBe('symbol');
  });

  it('encode responses that protobuf decodes to the same fields', () => {
    const kvs = [
      { key: b('a'), createRevision: 2, modRevision: 5, version: 3, value: b('x'), lease: 123_456_789_012_345_678n },
    ];
    const txn = kv.Txn!.responseDeserialize(
      codec.txn({
        revision: 9,
        succeeded: true,
        responses: [
          { range: { revision: 9, kvs, more: true, count: 4 } },
          {
            txn: {
              revision: 0,
              succeeded: false,
              responses: [{ deleteRange: { revision: 9, deleted: 1, prevKvs: kvs } }],
            },
          },
        ],
      }),
    );
    expect(txn.header).toMatchObject({
      cluster_id: '18000000000000000001',
      member_id: '42',
      revision: '9',
      raft_term: '1',
    });
    expect(txn.succeeded).toBe(true);
    expect(txn.responses[0].response_range).toMatchObject({
      more: true,
      count: '4',
      header: { revision: '9', cluster_id: '0' },
    });
    expect(txn.responses[0].response_range.kvs[0]).toMatchObject({
      key: b('a'),
      create_revision: '2',
      mod_revision: '5',
      version: '3',
      value: b('x'),
      lease: '123456789012345678',
    });
    expect(txn.responses[1].response_txn.responses[0].response_delete_range).toMatchObject({ deleted: '1' });

    const w = watch.Watch!.responseDeserialize(
      codec.watch({
        revision: 0,
        watchId: -1,
        canceled: true,
        compactRevision: 3,
        cancelReason: 'why',
        events: [
          {
            type: 'DELETE',
            kv: { ...kvs[0]!, createRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n },
            prevKv: kvs[0],
          },
        ],
      }),
    );
    expect(w).toMatchObject({
      watch_id: '-1',
      canceled: true,
      compact_revision: '3',
      cancel_reason: 'why',
      header: { revision: '0', raft_term: '1' },
    });
    expect(w.events[0]).toMatchObject({
      type: 'DELETE',
      kv: { key: b('a'), mod_revision: '5', version: '0' },
      prev_kv: { version: '3' },
    });
  });
  it('decode the selector push-down fields (RangeRequest 14/15, WatchCreateRequest 9/10), also inside a txn', () => {
    const request = {
      key: b('/registry/pods/'),
      range_end: b('/registry/pods0'),
      labelSelector: 'app in (web,db)',
      fieldSelector: 'spec.nodeName=n1',
    };
    const range = decodeRangeRequest(new Reader(kv.Range!.requestSerialize(request)));
    expect(range).toMatchObject({ labelSelector: 'app in (web,db)', fieldSelector: 'spec.nodeName=n1' });
    const txn = decodeTxnRequest(new Reader(kv.Txn!.requestSerialize({ success: [{ request_range: request }] })));
    expect(txn.success[0]).toMatchObject({
      range: { labelSelector: 'app in (web,db)', fieldSelector: 'spec.nodeName=n1' },
    });
    // Without them the request decodes as before: no selector fields at all.
    const plain = decodeRangeRequest(new Reader(kv.Range!.requestSerialize({ key: b('a') })));
    expect('labelSelector' in plain || 'fieldSelector' in plain).toBe(false);
    // Watch requests keep proto-loader's decoder, which now knows fields 9 and 10.
    const create = {
      create_request: { key: b('/registry/pods/'), labelSelector: '!skip', fieldSelector: 'metadata.name=a' },
    };
    const decoded = watch.Watch!.requestDeserialize(watch.Watch!.requestSerialize(create)) as {
      create_request: { labelSelector: string; fieldSelector: string };
    };
    expect(decoded.create_request).toMatchObject({ labelSelector: '!skip', fieldSelector: 'metadata.name=a' });
    // The field numbers on the wire are HariKube's: 14/15 and 9/10.
    const tags = (buf: Buffer) => {
      const r = new Reader(buf);
      const out: number[] = [];
      while (!r.done) {
        const [field, wire] = r.tag();
        out.push(field);
        r.skip(wire);
      }
      return out;
    };
    expect(tags(kv.Range!.requestSerialize({ labelSelector: 'a', fieldSelector: 'b' }))).toEqual([14, 15]);
    const createBytes = watch.Watch!.requestSerialize({ create_request: { labelSelector: 'a', fieldSelector: 'b' } });
    const outer = new Reader(createBytes);
    outer.tag();
    expect(tags(outer.bytes())).toEqual([9, 10]);
  });
  it('skip unknown length-delimited fields to their end', () => {
    // field 20 (bytes) "xyz", then field 1 (key) "a", then field 3 (limit) 5
    const buf = Buffer.concat([
      Buffer.from([0xa2, 0x01, 3]),
      b('xyz'),
      Buffer.from([0x0a, 1]),
      b('a'),
      Buffer.from([0x18, 5]),
    ]);
    expect(decodeRangeRequest(new Reader(buf))).toMatchObject({ key: b('a'), limit: 5 });
  });
});
