import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineErrors } from './define-errors.js';
import { HttpServiceError, ServiceError, kitErrors, type ErrorFactory } from './errors.js';
import { kubeFailure } from './kube-status.js';

const ShopError = defineErrors({
  package: 'shop',
  name: 'ShopError',
  codes: {
    SHOP_BAD_FLAG: { meaning: 'A flag is malformed.', fix: 'Run shop --help.' },
    SHOP_BROKEN: { meaning: 'The shop is broken.', fix: 'Mend it.' },
  },
});
type ShopError = InstanceType<typeof ShopError>;

const QuietError = defineErrors({
  package: 'quiet',
  name: 'QuietError',
  base: ServiceError,
  codes: { QUIET_GONE: { meaning: 'Gone.', fix: 'Come back.' } },
});

describe('defineErrors', () => {
  it("makes the registry's class: its name, its codes, an HttpServiceError by default", () => {
    const cause = new Error('disk full');
    const err = new ShopError('SHOP_BROKEN', 'cannot sell', { hint: 'mend the till', httpStatus: 503, cause });
    expect([err.name, err.code, err.message, err.hint, err.httpStatus, err.cause]).toEqual([
      'ShopError',
      'SHOP_BROKEN',
      'cannot sell',
      'mend the till',
      503,
      cause,
    ]);
    expect(err.describe()).toBe('SHOP_BROKEN: cannot sell\n  fix: mend the till');
    expect(err instanceof ShopError && err instanceof HttpServiceError && err instanceof ServiceError).toBe(true);
    // An inferred type predicate, as a server's `isOwn: (error) => error instanceof XError` relies on.
    const isShop = (error: unknown) => error instanceof ShopError;
    expectTypeOf(isShop).guards.toEqualTypeOf<ShopError>();
    expect(ShopError.name).toBe('ShopError');
    expect(Object.keys(ShopError.codes)).toEqual(['SHOP_BAD_FLAG', 'SHOP_BROKEN']);
    expectTypeOf<ShopError['code']>().toEqualTypeOf<'SHOP_BAD_FLAG' | 'SHOP_BROKEN'>();
  });

  it('brands the class by package and name, so two copies of a package agree and siblings do not', () => {
    const copy = defineErrors({
      package: 'shop',
      name: 'ShopError',
      codes: { SHOP_BROKEN: { meaning: 'm', fix: 'f' } },
    });
    expect(new copy('SHOP_BROKEN', 'x') instanceof ShopError).toBe(true);
    expect(new ShopError('SHOP_BROKEN', 'x') instanceof QuietError).toBe(false);
    expect(new QuietError('QUIET_GONE', 'x') instanceof ShopError).toBe(false);
    expect(ShopError.brand).toBe(Symbol.for('cnpaas.shop.ShopError'));
  });

  it('builds on the base it is given', () => {
    const err = new QuietError('QUIET_GONE', 'left', { hint: 'wait' });
    expect(err instanceof ServiceError && !(err instanceof HttpServiceError)).toBe(true);
    expect([err.name, err.describe()]).toEqual(['QuietError', 'QUIET_GONE: left\n  fix: wait']);
  });

  it('carries the Kubernetes Status a request behind the aggregator is answered with', () => {
    const status = kubeFailure({ code: 403, message: 'forbidden' });
    const err = new ShopError('SHOP_BROKEN', 'forbidden', { status });
    expect([err.status, err.httpStatus]).toEqual([status, undefined]);
  });

  it('takes only its own codes, also through kitErrors', () => {
    const kitError: ErrorFactory<'BAD_FLAG'> = kitErrors('SHOP_', ShopError);
    expect((kitError('BAD_FLAG', '--port: not a number', {}) as ShopError).code).toBe('SHOP_BAD_FLAG');
    // @ts-expect-error SHOP_TLS is not in the table
    const unchecked: ErrorFactory<'TLS'> = kitErrors('SHOP_', ShopError);
    expect(typeof unchecked).toBe('function');
    // @ts-expect-error SHOP_OPEN is not in the table
    expect(new ShopError('SHOP_OPEN', 'x').code).toBe('SHOP_OPEN');
  });
});
