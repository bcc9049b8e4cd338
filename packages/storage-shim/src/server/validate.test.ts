import { describe, expect, it } from 'vitest';
import { b, put, rangeReq } from '../mvcc/test-helpers.js';
import type { RequestOp, TxnRequest } from '../types.js';
import { checkPut, checkRange, checkTxn } from './validate.js';

const del = (key: string, end = ''): RequestOp => ({ deleteRange: { key: b(key), rangeEnd: b(end), prevKv: false } });
const p = (key: string): RequestOp => ({ put: put(key, 'v') });
const txn = (success: RequestOp[], failure: RequestOp[] = []): TxnRequest => ({ compare: [], success, failure });

describe('request checks (etcd v3rpc/key.go)', () => {
  it('refuses empty keys and contradictory put flags', () => {
    expect(() => checkRange(rangeReq(''))).toThrow('etcdserver: key is not provided');
    expect(() => checkPut({ ...put('k', 'v'), ignoreValue: true })).toThrow('etcdserver: value is provided');
    expect(() => checkPut({ ...put('k', ''), ignoreLease: true, lease: 5n })).toThrow('etcdserver: lease is provided');
  });

  it('limits operations per branch, not per txn', () => {
    const many = Array.from({ length: 128 }, (_, i) => p(`k${i}`));
    expect(() =>
      checkTxn(
        txn(
          many,
          many.map((_, i) => p(`f${i}`)),
        ),
        128,
      ),
    ).not.toThrow();
    expect(() => checkTxn(txn([...many, p('one-more')]), 128)).toThrow(
      'etcdserver: too many operations in txn request',
    );
  });

  it.each<[string, TxnRequest]>([
    ['the same key twice', txn([p('a'), p('a')])],
    ['a put inside a deleted range', txn([del('a', 'c'), p('b')])],
    ['a nested put of a key put outside', txn([p('a'), { txn: txn([p('a')]) }])],
    ['a put deleted by an earlier nested txn', txn([{ txn: txn([del('a')]) }, { txn: txn([p('a')]) }])],
  ])('refuses %s as a duplicate key', (_what, request) => {
    expect(() => checkTxn(request, 128)).toThrow('etcdserver: duplicate key given in txn request');
  });

  it("gives a nested txn what is left of the parent's op budget", () => {
    const ranges = (n: number): RequestOp[] =>
      Array.from({ length: n }, (_, i) => ({ range: { ...rangeReq(`r${i}`) } }));
    expect(() => checkTxn(txn([...ranges(100), { txn: txn(ranges(27)) }]), 128)).not.toThrow();
    expect(() => checkTxn(txn([...ranges(100), { txn: txn(ranges(40)) }]), 128)).toThrow('too many operations');
  });

  it('allows a put beside a from-key delete, as etcd does (its interval check sees "\\0" as before the key)', () => {
    expect(() => checkTxn(txn([del('a', '\0'), p('zzz')]), 128)).not.toThrow();
  });

  it('allows one key in both branches of a nested txn, and overlapping deletes', () => {
    expect(() => checkTxn(txn([{ txn: txn([p('a')], [p('a')]) }]), 128)).not.toThrow();
    expect(() => checkTxn(txn([del('a', 'z'), del('b', 'c')]), 128)).not.toThrow();
    // etcd checks a later nested delete against earlier puts only from the put side
    expect(() => checkTxn(txn([{ txn: txn([p('a')]) }, { txn: txn([del('a')]) }]), 128)).not.toThrow();
  });
});
