import { describe, expect, it } from 'vitest';
import { ownBytes, postableParams, postableRows } from './posted-bytes.js';

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
});
