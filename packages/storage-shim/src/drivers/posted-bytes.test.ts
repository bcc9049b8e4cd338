import { describe, expect, it } from 'vitest';
import { keptBytes, keptRows, ownBytes, postableParams, postableRows } from './posted-bytes.js';

/** A Buffer of `text` that views part of a larger ArrayBuffer, as a decoded gRPC field does. */
function view(text: string): Buffer {
  const frame = Buffer.alloc(64 * 1024);
  frame.write(text, 1000);
  return frame.subarray(1000, 1000 + Buffer.byteLength(text));
}

describe('posted bytes', () => {
  it('copies a view out of its larger buffer, keeping its bytes', () => {
    const key = view('/registry/secrets/default/a');
    const own = ownBytes(key) as Uint8Array;
    expect(own).not.toBe(key);
    expect(own.buffer.byteLength).toBe(key.length);
    expect(Buffer.from(own).equals(key)).toBe(true);
  });

  it('posts a buffer that owns all of its ArrayBuffer, and anything that is not bytes, as it is', () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(ownBytes(whole)).toBe(whole);
    for (const v of [7, 'text', null, undefined, 12n]) expect(ownBytes(v)).toBe(v);
  });

  it('posts positional and named parameters with only their own bytes', () => {
    const [key, rev] = postableParams([view('k'), 5]) as [Uint8Array, number];
    expect(key.buffer.byteLength).toBe(1);
    expect(rev).toBe(5);
    const named = postableParams({ k0: view('abc'), rev: 9 }) as { k0: Uint8Array; rev: number };
    expect(named.k0.buffer.byteLength).toBe(3);
    expect(Buffer.from(named.k0).toString()).toBe('abc');
    expect(named.rev).toBe(9);
  });

  it('posts result rows with only their own bytes, keeping every other column', () => {
    const [row] = postableRows([{ key: view('k1'), mod_revision: '12', lease: null }]) as [Record<string, unknown>];
    expect((row.key as Uint8Array).buffer.byteLength).toBe(2);
    expect(row.mod_revision).toBe('12');
    expect(row.lease).toBeNull();
  });

  it('posts a structured clone that holds only the bytes, not the 64 KiB behind them', () => {
    const params = [view('/registry/configmaps/default/x')];
    const cloned = (p: unknown[]) => structuredClone(p)[0] as Uint8Array;
    expect(cloned(params).buffer.byteLength).toBe(64 * 1024);
    expect(cloned(postableParams(params)).buffer.byteLength).toBe(params[0]!.length);
  });

  it('keeps a view of a packet as its own bytes, and a Buffer of the small-buffer slab as it is', () => {
    // Larger than the slab: a column mysql2 parsed out of a packet.
    const packet = Buffer.alloc(Buffer.poolSize * 2);
    packet.write('value', 100);
    const column = packet.subarray(100, 105);
    const kept = keptBytes(column);
    expect(Buffer.isBuffer(kept)).toBe(true);
    expect(kept.buffer.byteLength).toBe(5);
    expect(kept.toString()).toBe('value');
    // From Node's pool: sharing the slab costs nothing more than it already does.
    const small = Buffer.from('key');
    expect(small.buffer.byteLength).toBeLessThanOrEqual(Buffer.poolSize);
    expect(keptBytes(small)).toBe(small);
  });

  it('keeps rows in place, changing only the columns that hold bytes', () => {
    const packet = Buffer.alloc(Buffer.poolSize * 2, 'x');
    const row = { key: packet.subarray(0, 3), n: '7', none: null };
    const rows = [row];
    expect(keptRows(rows)).toBe(rows);
    expect(rows[0]).toBe(row);
    expect((row.key as Buffer).buffer.byteLength).toBe(3);
    expect(row).toMatchObject({ n: '7', none: null });
  });
});
