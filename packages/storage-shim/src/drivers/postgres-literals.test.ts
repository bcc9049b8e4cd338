import { describe, expect, it } from 'vitest';
import { inlineParams } from './postgres-literals.js';

describe('inlineParams', () => {
  it('writes each parameter as a quoted literal where its placeholder stands, $10 apart from $1', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlineParams('SELECT $1, $10, $2', params)).toBe("SELECT '1', '10', '2'");
  });

  it('escapes quotes and backslashes, and leaves placeholders inside a value alone', () => {
    expect(inlineParams('SELECT $1, $2', ["it's", 'a\\b $2'])).toBe("SELECT 'it''s',  E'a\\\\b $2'");
  });

  it('writes bytes as bytea hex input, BigInt and numbers as digits, null as NULL', () => {
    expect(inlineParams('VALUES ($1, $2, $3, $4)', [Buffer.from([0, 0x27, 0xff]), 1n << 62n, -5, null])).toBe(
      `VALUES ( E'\\\\x0027ff', '4611686018427387904', '-5', NULL)`,
    );
  });

  it('refuses a placeholder without a parameter and a value it cannot write', () => {
    expect(() => inlineParams('SELECT $2', [1])).toThrow('statement names $2 but has 1 parameter(s)');
    expect(() => inlineParams('SELECT $1', [Number.NaN])).toThrow('cannot write NaN');
    expect(() => inlineParams('SELECT $1', [{}])).toThrow('cannot write a object');
  });
});
