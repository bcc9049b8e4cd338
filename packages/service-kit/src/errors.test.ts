import { describe, expect, it } from 'vitest';
import { HttpServiceError, ServiceError, errorMessage, kitErrors, type ErrorFactory } from './errors.js';

class ShopError extends ServiceError<'SHOP_BROKEN' | 'SHOP_BAD_FLAG'> {
  static override readonly brand = Symbol.for('test.ShopError');
}

class OtherError extends ServiceError<'OTHER'> {
  static override readonly brand = Symbol.for('test.OtherError');
}

describe('ServiceError', () => {
  it('carries a code, a hint and a cause, and describes itself with the fix', () => {
    const cause = new Error('disk full');
    const err = new ShopError('SHOP_BROKEN', 'cannot write the order', { hint: 'free some space', cause });
    expect([err.code, err.message, err.hint, err.cause, err.name]).toEqual([
      'SHOP_BROKEN',
      'cannot write the order',
      'free some space',
      cause,
      'ShopError',
    ]);
    expect(err.describe()).toBe('SHOP_BROKEN: cannot write the order\n  fix: free some space');
    expect(new ShopError('SHOP_BROKEN', 'no hint').describe()).toBe('SHOP_BROKEN: no hint');
  });

  it('tells packages apart by brand, and every package error is a ServiceError', () => {
    const shop = new ShopError('SHOP_BROKEN', 'x');
    expect(shop instanceof ShopError).toBe(true);
    expect(shop instanceof ServiceError).toBe(true);
    expect(shop instanceof Error).toBe(true);
    expect(shop instanceof OtherError).toBe(false);
    expect(new Error('plain') instanceof ServiceError).toBe(false);
  });

  it('holds instanceof across two copies of a package, which share only the Symbol.for key', () => {
    class ShopErrorFromAnotherCopy extends ServiceError<'SHOP_BROKEN'> {
      static override readonly brand = Symbol.for('test.ShopError');
    }
    expect(new ShopErrorFromAnotherCopy('SHOP_BROKEN', 'x') instanceof ShopError).toBe(true);
    expect(new ShopError('SHOP_BROKEN', 'x') instanceof ShopErrorFromAnotherCopy).toBe(true);
  });

  it("is what an ErrorFactory makes, under the package's own codes", () => {
    const kitError: ErrorFactory<'BAD_FLAG'> = (kind, message, options) =>
      new ShopError(`SHOP_${kind}`, message, options);
    const err = kitError('BAD_FLAG', '--port: "x" is not a number', { hint: 'e.g. --port 80' });
    expect(err).toBeInstanceOf(ShopError);
    expect((err as ShopError).code).toBe('SHOP_BAD_FLAG');
  });

  it('is what kitErrors makes from a code prefix and the class', () => {
    const kitError: ErrorFactory<'BAD_FLAG'> = kitErrors('SHOP_', ShopError);
    const err = kitError('BAD_FLAG', '--port: "x" is not a number', { hint: 'e.g. --port 80' });
    expect(err).toBeInstanceOf(ShopError);
    expect([(err as ShopError).code, err.message, (err as ShopError).hint, err.name]).toEqual([
      'SHOP_BAD_FLAG',
      '--port: "x" is not a number',
      'e.g. --port 80',
      'ShopError',
    ]);
    // A kind the class has no code for does not compile: the mapping is checked, not cast.
    // @ts-expect-error SHOP_TLS is not a ShopError code
    const unchecked: ErrorFactory<'TLS'> = kitErrors('SHOP_', ShopError);
    expect(typeof unchecked).toBe('function');
  });
});

describe('HttpServiceError', () => {
  it('carries the status a request ends with, and a subclass is still told apart by its brand', () => {
    class JsonError extends HttpServiceError<'X_BAD'> {
      static override readonly brand = Symbol.for('cnpaas.test.JsonError');
    }
    const err = new JsonError('X_BAD', 'bad body', { httpStatus: 400, hint: 'send JSON' });
    expect([err.httpStatus, err.hint]).toEqual([400, 'send JSON']);
    expect(err instanceof ServiceError && err instanceof HttpServiceError && err instanceof JsonError).toBe(true);
    expect(new HttpServiceError('X_BAD', 'no status').httpStatus).toBeUndefined();
    // Each error is named after its class, without restating it.
    expect([err.name, new HttpServiceError('X_BAD', 'x').name, new ServiceError('X', 'x').name]).toEqual([
      'JsonError',
      'HttpServiceError',
      'ServiceError',
    ]);
    expect(new HttpServiceError('X_BAD', 'other') instanceof JsonError).toBe(false);
  });
});

describe('errorMessage', () => {
  it('gives one line for anything thrown', () => {
    expect(errorMessage(new ShopError('SHOP_BROKEN', 'cannot write', { hint: 'not in the line' }))).toBe(
      'SHOP_BROKEN: cannot write',
    );
    expect(errorMessage(new Error('first line\n    at somewhere'))).toBe('first line');
    expect(errorMessage('a string')).toBe('a string');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('keeps only the Message: line of a client-node ApiException', () => {
    const apiException = new Error('HTTP-Code: 403\nMessage: users is forbidden\nBody: {"kind":"Status"}\nHeaders: {}');
    expect(errorMessage(apiException)).toBe('users is forbidden');
  });
});
