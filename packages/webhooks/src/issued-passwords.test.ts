import { describe, expect, it } from 'vitest';
import { IssuedPasswords } from './issued-passwords.js';

describe('issued passwords', () => {
  it('remembers a value until it expires', () => {
    let now = 1_000;
    const issued = new IssuedPasswords({ ttlMs: 100, now: () => now });
    issued.remember('$scrypt$a');
    expect(issued.has('$scrypt$a')).toBe(true);
    expect(issued.has('$scrypt$b')).toBe(false);
    now += 100;
    expect(issued.has('$scrypt$a')).toBe(false);
    issued.remember('$scrypt$b');
    expect(issued.size).toBe(1);
  });

  it('keeps at most maxEntries, dropping the oldest', () => {
    const issued = new IssuedPasswords({ maxEntries: 2 });
    for (const v of ['a', 'b', 'c']) issued.remember(v);
    expect([issued.has('a'), issued.has('b'), issued.has('c')]).toEqual([false, true, true]);
  });
});
