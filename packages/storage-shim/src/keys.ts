/** Byte-key helpers. Keys are bytes compared like memcmp, never as JS strings. */

export const NUL = Buffer.from([0]);
export const EMPTY = Buffer.alloc(0);

/** The end of the range holding every key with this prefix (clientv3's GetPrefixRangeEnd). */
export function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = prefix[i]! + 1;
      return end;
    }
  }
  return NUL;
}

/**
 * A key interval in etcd's request form, normalised: `end === null` is one key,
 * an empty `end` means "no upper bound".
 */
export interface KeyRange {
  start: Buffer;
  end: Buffer | null;
}

export function toKeyRange(key: Buffer, rangeEnd: Buffer): KeyRange {
  if (rangeEnd.length === 0) return { start: key, end: null };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: EMPTY };
  return { start: key, end: rangeEnd };
}

export function inRange(range: KeyRange, key: Buffer): boolean {
  if (range.end === null) return key.equals(range.start);
  if (Buffer.compare(key, range.start) < 0) return false;
  return range.end.length === 0 || Buffer.compare(key, range.end) < 0;
}

/** True when the interval can hold no key at all (end <= start). */
export function isEmptyRange(range: KeyRange): boolean {
  return range.end !== null && range.end.length > 0 && Buffer.compare(range.end, range.start) <= 0;
}

export function rangesOverlap(a: KeyRange, b: KeyRange): boolean {
  const aEnd = a.end === null ? Buffer.concat([a.start, NUL]) : a.end;
  const bEnd = b.end === null ? Buffer.concat([b.start, NUL]) : b.end;
  const aBeforeB = aEnd.length > 0 && Buffer.compare(aEnd, b.start) <= 0;
  const bBeforeA = bEnd.length > 0 && Buffer.compare(bEnd, a.start) <= 0;
  return !aBeforeB && !bBeforeA;
}

/** k-way merge of key-ordered lists, cut at `limit` (< 0: all); the lists hold disjoint keys. */
export function mergeByKey<T extends { key: Buffer }>(lists: readonly T[][], limit: number): T[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? [];
  const out: T[] = [];
  const pos = nonEmpty.map(() => 0);
  while (limit < 0 || out.length < limit) {
    let best = -1;
    for (let i = 0; i < nonEmpty.length; i++) {
      const kv = nonEmpty[i]![pos[i]!];
      if (kv && (best < 0 || Buffer.compare(kv.key, nonEmpty[best]![pos[best]!]!.key) < 0)) best = i;
    }
    if (best < 0) break;
    out.push(nonEmpty[best]![pos[best]!++]!);
  }
  return out;
}
