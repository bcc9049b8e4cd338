import { describe, expect, it } from 'vitest';
import { thrownBy } from './thrown-by.js';

class OwnError extends Error {
  readonly code = 'CNPAAS_TEST_OWN';
}

describe('thrownBy', () => {
  it("returns the package's own error, typed", () => {
    const err = thrownBy(OwnError, () => {
      throw new OwnError('refused');
    });
    expect([err.code, err.message]).toEqual(['CNPAAS_TEST_OWN', 'refused']);
  });

  it('throws any other error on, and fails a call that returns', () => {
    const bug = new TypeError('x is undefined');
    expect(() =>
      thrownBy(OwnError, () => {
        throw bug;
      }),
    ).toThrow(bug);
    expect(() => thrownBy(OwnError, () => 'fine')).toThrow('expected OwnError to be thrown, but the call returned');
  });
});
