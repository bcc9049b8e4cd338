import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineErrors } from './define-errors.js';
import { HttpServiceError, ServiceError, type ErrorFactory } from './errors.js';
import { parseListenFlag } from './flags.js';

// A registry as a package writes it: the table and one class declaration.
class TillError extends defineErrors({
  package: 'till',
  name: 'TillError',
  prefix: 'TILL_',
  codes: {
    TILL_BAD_FLAG: { meaning: 'A flag is malformed.', fix: 'Run till --help.' },
    TILL_LISTEN: { meaning: 'Cannot listen.', fix: 'Free the port.' },
    TILL_BAD_REVIEW: { meaning: 'Not an AdmissionReview.', fix: 'Send one.' },
    TILL_EMPTY: { meaning: 'The till is empty.', fix: 'Fill it.' },
  },
}) {}

describe('defineErrors with a prefix', () => {
  it('makes a class a package declares once: its value and its instance type', () => {
    const err = new TillError('TILL_EMPTY', 'no coins', { hint: 'fill it', httpStatus: 409 });
    expect([err.name, err.code, err.httpStatus, err.describe()]).toEqual([
      'TillError',
      'TILL_EMPTY',
      409,
      'TILL_EMPTY: no coins\n  fix: fill it',
    ]);
    expect(err instanceof TillError && err instanceof HttpServiceError && err instanceof ServiceError).toBe(true);
    expect(TillError.brand).toBe(Symbol.for('cnpaas.till.TillError'));
    expectTypeOf<TillError['code']>().toEqualTypeOf<
      'TILL_BAD_FLAG' | 'TILL_LISTEN' | 'TILL_BAD_REVIEW' | 'TILL_EMPTY'
    >();
  });

  it("files the kit's failures under the prefix, as errors of the declared class", () => {
    const err = TillError.kit('LISTEN', 'port 80 is taken', { hint: 'pick another', httpStatus: 503 });
    expect(err).toBeInstanceOf(TillError);
    expect([(err as TillError).code, err.message, (err as TillError).hint, (err as TillError).httpStatus]).toEqual([
      'TILL_LISTEN',
      'port 80 is taken',
      'pick another',
      503,
    ]);
    // Through a kit helper, as a package hands it over.
    expect(() => parseListenFlag('nowhere', { flag: 'listen', example: '127.0.0.1:80', error: TillError.kit })).toThrow(
      expect.objectContaining({ name: 'TillError', code: 'TILL_BAD_FLAG' }),
    );
  });

  it('offers only the kinds the table has a code for', () => {
    expectTypeOf(TillError.kit).toEqualTypeOf<ErrorFactory<'BAD_FLAG' | 'LISTEN' | 'BAD_REVIEW'>>();
    // @ts-expect-error TILL_TLS is not in the table, so a helper that may raise TLS does not take it
    const tls: ErrorFactory<'TLS'> = TillError.kit;
    expect(typeof tls).toBe('function');
  });

  it('refuses a code that does not start with the prefix, naming it and the fix', () => {
    expect(() =>
      defineErrors({
        package: 'till',
        name: 'StrayError',
        prefix: 'TILL_',
        codes: { TILL_OK: { meaning: 'm', fix: 'f' }, SHOP_EMPTY: { meaning: 'm', fix: 'f' } },
      }),
    ).toThrow(/StrayError.*SHOP_EMPTY does not start with the prefix TILL_; rename the code or correct the prefix/);
  });

  it('has no kit without a prefix', () => {
    const Bare = defineErrors({ package: 'bare', name: 'BareError', codes: { BARE_X: { meaning: 'm', fix: 'f' } } });
    expectTypeOf<typeof Bare.kit>().toEqualTypeOf<ErrorFactory<never>>();
    expect(() => Bare.kit).toThrow(/BareError.*kit needs a prefix/);
  });
});
