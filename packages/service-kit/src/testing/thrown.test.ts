import { describe, expect, it } from 'vitest';
import { thrown } from './thrown.js';

class Refusal extends Error {}

describe('thrown', () => {
  it('returns the error of the class asked for', () => {
    const refusal = new Refusal('no');
    expect(
      thrown(Refusal, () => {
        throw refusal;
      }),
    ).toBe(refusal);
  });

  it('rethrows an error of another class as it is', () => {
    const other = new TypeError('bug');
    expect(() =>
      thrown(Refusal, () => {
        throw other;
      }),
    ).toThrow(other);
  });

  it('fails when nothing was thrown', () => {
    expect(() => thrown(Refusal, () => 1)).toThrow('expected a Refusal, but nothing was thrown');
  });
});
