import { describe, expect, it } from 'vitest';
import { CLIENT_FORM_FIELDS } from '../client/src/form-fields.js';
import { FORM_FIELDS, formFieldOf, refusalFromStatus, toRegistrationRequest } from './registration-form.js';

describe('the sign-up form as a RegistrationRequest', () => {
  it('has the same fields in the browser as on the server', () => {
    expect(CLIENT_FORM_FIELDS).toEqual([...FORM_FIELDS]);
  });

  it('takes only the form fields, leaves empty optional ones out and keeps empty required ones for the API to name', () => {
    const rr = toRegistrationRequest({
      user: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', phoneNumber: '  ', role: 'admin' },
      password: 'Analytical-Engine-1843!',
      tenant: { companyName: '', country: 'GB', city: 'London', address: '', postalCode: 'W1' },
      metadata: { name: 'chosen' },
    });
    expect(rr).toEqual({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'RegistrationRequest',
      spec: {
        user: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
        password: 'Analytical-Engine-1843!',
        tenant: { country: 'GB', city: 'London', address: '', postalCode: 'W1' },
      },
    });
  });

  it.each([
    ['an array', []],
    ['a string', 'x'],
    ['a number field', { user: { firstName: 7 } }],
    ['an overlong field', { tenant: { city: 'x'.repeat(1025) } }],
  ])('refuses %s with a 400 BAD_BODY', (_what, body) => {
    expect(() => toRegistrationRequest(body)).toThrow(
      expect.objectContaining({ code: 'CNPAAS_CONSOLE_BAD_BODY', httpStatus: 400 }),
    );
  });
});

describe('a refusal per form field', () => {
  it.each([
    ['spec.password', 'password'],
    ['.spec.user.email', 'user.email'],
    ['spec.tenant.country', 'tenant.country'],
    ['spec.user.firstName[0]', 'user.firstName'],
    ['spec.user', undefined],
    ['metadata.name', undefined],
    ['spec.tenant.countryX', undefined],
  ])('maps the cause field %s to %s', (path, field) => {
    expect(formFieldOf(path)).toBe(field);
  });

  it('puts a webhook denial’s causes on the password field, in the server’s words', () => {
    const refusal = refusalFromStatus(422, {
      kind: 'Status',
      code: 422,
      reason: 'Invalid',
      message:
        'admission webhook "registrations.webshop.cnpaas.dev" denied the request: spec.password: must contain a digit, spec.password: must contain a special character',
      details: {
        causes: [
          { reason: 'FieldValueInvalid', field: 'spec.password', message: 'must contain a digit' },
          { reason: 'FieldValueInvalid', field: 'spec.password', message: 'must contain a special character' },
        ],
      },
    });
    expect(refusal).toEqual({
      code: 422,
      reason: 'Invalid',
      fields: { password: ['must contain a digit', 'must contain a special character'] },
      form: [],
    });
  });

  it('puts a 409 duplicate on the email field', () => {
    const refusal = refusalFromStatus(409, {
      code: 409,
      reason: 'Conflict',
      message: 'the email address ada@example.com is already registered',
      details: {
        causes: [
          {
            reason: 'FieldValueDuplicate',
            field: 'spec.user.email',
            message: 'the email address ada@example.com is already registered',
          },
        ],
      },
    });
    expect(refusal.fields).toEqual({ 'user.email': ['the email address ada@example.com is already registered'] });
    expect(refusal.form).toEqual([]);
  });

  it('puts a 429 without causes at the top, with the wait from Retry-After', () => {
    const refusal = refusalFromStatus(
      429,
      { code: 429, reason: 'TooManyRequests', message: 'too many registrations from "cnpaas-console"' },
      '7',
    );
    expect(refusal).toEqual({
      code: 429,
      reason: 'TooManyRequests',
      fields: {},
      form: ['too many registrations from "cnpaas-console"'],
      retryAfterSeconds: 7,
    });
  });

  it('puts causes for fields the form does not have at the top, naming the field, and fills a missing message from the Status', () => {
    const refusal = refusalFromStatus(422, {
      message: 'RegistrationRequest "x" is invalid',
      details: {
        causes: [{ field: 'metadata.name', message: 'must be a DNS subdomain' }, { field: 'spec.tenant.city' }],
      },
    });
    expect(refusal.form).toEqual(['metadata.name: must be a DNS subdomain']);
    expect(refusal.fields).toEqual({ 'tenant.city': ['RegistrationRequest "x" is invalid'] });
  });

  it('reports the HTTP status when the answer is not a Status at all', () => {
    expect(refusalFromStatus(502, '<html>bad gateway</html>').form).toEqual([
      'the registrations API answered HTTP 502',
    ]);
  });
});
