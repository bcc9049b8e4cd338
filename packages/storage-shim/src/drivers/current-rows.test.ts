import { describe, expect, it } from 'vitest';
import { CURRENT_ROWS_LIMIT, CurrentRows, type KnownRow } from './current-rows.js';

function row(key: string, value: Buffer | string, modRevision = 5): KnownRow {
  return {
    kv: { key: Buffer.from(key), createRevision: 2, modRevision, version: 3, lease: 0n, value: Buffer.from(value) },
    sub: 0,
  };
}

const learned = (rows: Array<[string, KnownRow | null]>) => new Map(rows);

describe('CurrentRows', () => {
  it('keeps rows and known absences as of the revision they were learned at', () => {
    const current = new CurrentRows();
    expect(current.at).toBe(-1);
    current.learn(
      learned([
        ['/a', row('/a', 'one')],
        ['/gone', null],
      ]),
      7,
      false,
    );
    expect(current.at).toBe(7);
    expect(current.get('/a')?.kv.value.toString()).toBe('one');
    expect(current.get('/gone')).toBeNull();
    expect(current.get('/never')).toBeUndefined();
  });

  it('carries the rows it had over only when told they are still current', () => {
    const current = new CurrentRows();
    current.learn(learned([['/a', row('/a', 'one')]]), 7, false);
    current.learn(learned([['/b', row('/b', 'two')]]), 8, true);
    expect(current.size).toBe(2);
    current.learn(learned([['/c', row('/c', 'three')]]), 9, false);
    expect(current.get('/a')).toBeUndefined();
    expect(current.size).toBe(1);
  });

  it('copies keys and values out of the buffers they were read into', () => {
    const page = Buffer.from('..value..');
    const current = new CurrentRows();
    const read: KnownRow = { ...row('/a', ''), kv: { ...row('/a', '').kv, value: page.subarray(2, 7) } };
    current.learn(learned([['/a', read]]), 7, false);
    page.fill('x');
    expect(current.get('/a')!.kv.value.toString()).toBe('value');
  });

  it('drops the least recently used key beyond its key limit', () => {
    const current = new CurrentRows();
    const rows: Array<[string, KnownRow]> = [];
    for (let i = 0; i < CURRENT_ROWS_LIMIT.keys; i++) rows.push([`/k/${i}`, row(`/k/${i}`, 'v')]);
    current.learn(new Map(rows), 7, false);
    // Used now, so the oldest unused one goes instead.
    expect(current.get('/k/0')).toBeDefined();
    current.learn(learned([['/new', row('/new', 'v')]]), 8, true);
    expect(current.size).toBe(CURRENT_ROWS_LIMIT.keys);
    expect(current.get('/k/0')).toBeDefined();
    expect(current.get('/k/1')).toBeUndefined();
    expect(current.get('/new')).toBeDefined();
  });

  it('stays within its byte limit, and keeps no value too large to be worth it', () => {
    const current = new CurrentRows();
    const big = Buffer.alloc(200 * 1024, 1);
    const rows: Array<[string, KnownRow]> = [];
    const n = Math.ceil((2 * CURRENT_ROWS_LIMIT.bytes) / big.length);
    for (let i = 0; i < n; i++) rows.push([`/k/${String(i).padStart(4, '0')}`, row('/k/', big)]);
    current.learn(new Map(rows), 7, false);
    expect(current.size).toBe(Math.floor(CURRENT_ROWS_LIMIT.bytes / (big.length + '/k/0000'.length)));
    expect(current.get(`/k/${String(n - 1).padStart(4, '0')}`)).toBeDefined();
    current.learn(learned([['/huge', row('/huge', Buffer.alloc(1024 * 1024))]]), 8, true);
    expect(current.get('/huge')).toBeUndefined();
  });
});
