import { describe, expect, it } from 'vitest';
import { inRange, isEmptyRange, prefixEnd, rangesOverlap, toKeyRange } from './keys.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('keys', () => {
  it('computes prefix ends like clientv3', () => {
    expect(prefixEnd(b('abc'))).toEqual(b('abd'));
    expect(prefixEnd(b('a\xff'))).toEqual(b('b'));
    expect(prefixEnd(b('\xff\xff'))).toEqual(b('\0'));
  });

  it('treats an empty end as one key and "\\0" as no end', () => {
    expect(inRange(toKeyRange(b('a'), b('')), b('a'))).toBe(true);
    expect(inRange(toKeyRange(b('a'), b('')), b('ab'))).toBe(false);
    expect(inRange(toKeyRange(b('a'), b('\0')), b('\xff\xff'))).toBe(true);
    expect(inRange(toKeyRange(b('b'), b('\0')), b('a'))).toBe(false);
    expect(isEmptyRange(toKeyRange(b('b'), b('a')))).toBe(true);
    expect(isEmptyRange(toKeyRange(b('b'), b('\0')))).toBe(false);
  });

  it('compares bytes, not UTF-16 strings', () => {
    expect(inRange(toKeyRange(b('\x7f'), b('\x81')), b('\x80'))).toBe(true);
    expect(rangesOverlap(toKeyRange(b('a'), b('c')), toKeyRange(b('b'), b('')))).toBe(true);
    expect(rangesOverlap(toKeyRange(b('a'), b('c')), toKeyRange(b('c'), b('d')))).toBe(false);
  });
});
