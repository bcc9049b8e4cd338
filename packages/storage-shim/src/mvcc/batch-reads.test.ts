import { describe, expect, it } from 'vitest';
import type { Compare, TxnRequest } from '../types.js';
import { put, rangeReq } from './test-helpers.js';
import { keysRead, singleKeys } from './batch-reads.js';

const EMPTY = Buffer.alloc(0);
const compare = (key: string, target: Compare['target'], result: Compare['result'], number: number): Compare => ({
  key: Buffer.from(key),
  rangeEnd: EMPTY,
  target,
  result,
  number: BigInt(number),
  value: EMPTY,
});
const names = (keys: Buffer[] | undefined) => keys?.map((k) => k.toString());

describe('singleKeys', () => {
  it('takes a put and a delete of one key, presuming only the deleted key exists', () => {
    expect(singleKeys({ kind: 'put', req: put('/a', 'v') })).toEqual({ keys: [Buffer.from('/a')], presumed: [] });
    const del = singleKeys({ kind: 'deleteRange', req: { key: Buffer.from('/a'), rangeEnd: EMPTY, prevKv: false } });
    expect(names(del?.presumed)).toEqual(['/a']);
  });

  it("presumes a key exists when a compare only an existing key could match names it, as the apiserver's update does", () => {
    const txn = (c: Compare): TxnRequest => ({ compare: [c], success: [{ put: put('/a', 'v') }], failure: [] });
    const presumed = (c: Compare) => names(singleKeys({ kind: 'txn', req: txn(c) })?.presumed);
    expect(presumed(compare('/a', 'MOD', 'EQUAL', 0))).toEqual([]);
    expect(presumed(compare('/a', 'VERSION', 'EQUAL', 0))).toEqual([]);
    expect(presumed(compare('/a', 'MOD', 'EQUAL', 17))).toEqual(['/a']);
    expect(presumed(compare('/a', 'CREATE', 'GREATER', 0))).toEqual(['/a']);
    expect(presumed({ ...compare('/a', 'VALUE', 'EQUAL', 0), value: Buffer.from('x') })).toEqual(['/a']);
  });

  it('lists every key of a transaction, nested ones included', () => {
    const req: TxnRequest = {
      compare: [compare('/c', 'MOD', 'EQUAL', 3)],
      success: [{ put: put('/p', 'v') }, { txn: { compare: [], success: [{ range: rangeReq('/r') }], failure: [] } }],
      failure: [{ deleteRange: { key: Buffer.from('/d'), rangeEnd: EMPTY, prevKv: false } }],
    };
    const touched = singleKeys({ kind: 'txn', req });
    expect(names(touched?.keys)).toEqual(['/c', '/p', '/r', '/d']);
    expect(names(touched?.presumed)).toEqual(['/c', '/d']);
  });

  it('takes nothing that touches a range, or is not a write of keys', () => {
    const ranged = (op: TxnRequest['success'][number]) =>
      singleKeys({ kind: 'txn', req: { compare: [], success: [op], failure: [] } });
    expect(ranged({ range: rangeReq('/a', '/b') })).toBeUndefined();
    expect(
      ranged({ deleteRange: { key: Buffer.from('/a'), rangeEnd: Buffer.from('/b'), prevKv: false } }),
    ).toBeUndefined();
    const rangeCompare = { ...compare('/a', 'MOD', 'EQUAL', 0), rangeEnd: Buffer.from('/b') };
    expect(singleKeys({ kind: 'txn', req: { compare: [rangeCompare], success: [], failure: [] } })).toBeUndefined();
    expect(
      singleKeys({ kind: 'deleteRange', req: { key: Buffer.from('/a'), rangeEnd: Buffer.from('/b'), prevKv: false } }),
    ).toBeUndefined();
    expect(singleKeys({ kind: 'leaseGrant' })).toBeUndefined();
  });
});

describe('keysRead', () => {
  it('lists the single keys of both branches, nested ones included, and passes over ranges of several keys', () => {
    const req: TxnRequest = {
      compare: [compare('/c', 'MOD', 'EQUAL', 3), { ...compare('/a', 'MOD', 'EQUAL', 0), rangeEnd: Buffer.from('/b') }],
      success: [
        { put: put('/p', 'v') },
        { range: rangeReq('/x', '/y') },
        { txn: { compare: [], success: [{ range: rangeReq('/r') }], failure: [] } },
      ],
      failure: [
        { deleteRange: { key: Buffer.from('/d'), rangeEnd: EMPTY, prevKv: false } },
        { deleteRange: { key: Buffer.from('/e'), rangeEnd: Buffer.from('/f'), prevKv: false } },
      ],
    };
    expect(names(keysRead({ kind: 'txn', req }))).toEqual(['/c', '/p', '/r', '/d']);
    expect(names(keysRead({ kind: 'put', req: put('/k', 'v') }))).toEqual(['/k']);
    const wide = { key: Buffer.from('/a'), rangeEnd: Buffer.from('/b'), prevKv: false };
    expect(keysRead({ kind: 'deleteRange', req: wide })).toEqual([]);
    expect(keysRead({ kind: 'leaseRevoke' })).toEqual([]);
  });
});
