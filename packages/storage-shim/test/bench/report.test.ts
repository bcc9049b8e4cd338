import { describe, expect, it } from 'vitest';
import { kineGoal, ROWS, tableCells, unsupported, type RowResult } from '../../bench/report.js';
import type { Measurement } from '../../bench/workload.js';

const m = (value: number, extra: Partial<Measurement> = {}): Measurement => ({ value, ops: 100, errors: 0, ...extra });
const spec = (id: string) => ROWS.find((r) => r.id === id)!;

describe('the bench table with a kine column', () => {
  it('holds write rows and the list to 1.5× kine, and nothing else', () => {
    expect(kineGoal('put-c1')).toEqual({ kind: 'ratio-at-least', ratio: 1.5 });
    expect(kineGoal('go-update-c64')).toEqual({ kind: 'ratio-at-least', ratio: 1.5 });
    expect(kineGoal('list-10k')).toEqual({ kind: 'ratio-at-most', ratio: 0.67 });
    expect(kineGoal('get-c64')).toEqual({ kind: 'none' });
    expect(kineGoal('watch-p99')).toEqual({ kind: 'none' });
  });

  it('shows the store/kine ratio and its verdict, and n/a with the reason where kine refused every request', () => {
    const rows: RowResult[] = [
      { spec: spec('put-c64'), subject: m(3000), etcd: m(2000), kine: m(1000) },
      { spec: spec('create-c64'), subject: m(1200), etcd: m(2000), kine: m(1000) },
      { spec: spec('list-10k'), subject: m(60), etcd: m(100), kine: m(100) },
      {
        spec: spec('update-c64'),
        subject: m(1000),
        etcd: m(1000),
        kine: { value: Number.NaN, ops: 0, errors: 1, firstError: 'rpc error: unsupported txn form' },
      },
    ];
    const [header, put, create, list, update] = tableCells(rows, 'store');
    const col = (name: string) => header!.indexOf(name);
    expect(col('kine')).toBeGreaterThan(0);
    expect(put![col('kine')]).toBe('1,000');
    expect(put![col('store/kine')]).toBe('3.00×');
    expect(put![col('kine target')]).toBe('≥ 1.5× kine');
    expect(put![col('verdict (kine)')]).toBe('met');
    expect(create![col('verdict (kine)')]).toBe('MISSED');
    expect(list![col('kine target')]).toBe("≤ 0.67× kine's time");
    expect(list![col('verdict (kine)')]).toBe('met');
    expect(update![col('kine')]).toBe('n/a (rpc error: unsupported txn form)');
    expect(update![col('store/kine')]).toBe('n/a');
    expect(update![col('verdict (kine)')]).toBe('n/a');
  });

  it('counts a row as unsupported only when no request succeeded', () => {
    expect(unsupported(m(10, { errors: 3, firstError: 'x' }))).toBeUndefined();
    expect(unsupported({ value: 0, ops: 0, errors: 2, firstError: 'not  supported\nat all' })).toBe(
      'not supported at all',
    );
    expect(unsupported(undefined)).toBeUndefined();
  });

  it('has no kine columns when no row has kine (the SQLite run)', () => {
    const [header] = tableCells([{ spec: spec('put-c1'), subject: m(2), etcd: m(1) }], 'store');
    expect(header).not.toContain('kine');
    expect(header).not.toContain('store/kine');
  });
});
