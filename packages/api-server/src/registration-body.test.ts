import { describe, expect, it } from 'vitest';
import { REQUESTED_BY_ANNOTATION } from './api-group.js';
import { ApiServerError } from './errors.js';
import { bodyFormat, decodeBody, toRegistrationRequest } from './registration-body.js';

const SECRET = 'Pl4in-Text-Secret!';

function body(): Record<string, any> {
  return {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'RegistrationRequest',
    metadata: { name: 'reg-1' },
    spec: {
      user: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', phoneNumber: '+442079460000' },
      password: SECRET,
      tenant: {
        country: 'GB',
        city: 'London',
        address: "12 St James's Square",
        postalCode: 'SW1Y 4JH',
        taxNumber: 'GB1',
      },
    },
  };
}

/** The Status an ApiServerError answers with. */
function statusOf(fn: () => unknown): { code: number; reason: string; message: string; details?: any } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiServerError && err.status) return err.status;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('bodyFormat', () => {
  it('reads JSON (also without a Content-Type) and the YAML media types; refuses the rest', () => {
    expect(bodyFormat('application/json; charset=utf-8')).toBe('json');
    expect(bodyFormat(undefined)).toBe('json');
    expect(bodyFormat('application/yaml')).toBe('yaml');
    expect(bodyFormat('application/x-yaml')).toBe('yaml');
    expect(bodyFormat('text/plain')).toBeUndefined();
    expect(bodyFormat('application/vnd.kubernetes.protobuf')).toBeUndefined();
  });
});

describe('decodeBody', () => {
  it('decodes JSON, YAML, and YAML labelled as JSON', () => {
    expect(decodeBody('{"a":1}', 'json')).toEqual({ a: 1 });
    expect(decodeBody('a: 1\nb: [x]\n', 'yaml')).toEqual({ a: 1, b: ['x'] });
    expect(decodeBody('a: 1\n', 'json')).toEqual({ a: 1 });
  });

  it('never quotes the body in a parse error', () => {
    for (const [text, format] of [
      [`{"password": "${SECRET}"`, 'json'],
      [`password: "${SECRET}\n  bad: [`, 'yaml'],
      [`password: ${SECRET}\n password: again`, 'yaml'],
    ] as const) {
      const status = statusOf(() => decodeBody(text, format));
      expect(status.code).toBe(400);
      expect(status.message).not.toContain(SECRET);
      expect(status.message).not.toContain('password');
    }
  });

  it('refuses several YAML documents, duplicate keys, and an empty body', () => {
    expect(statusOf(() => decodeBody('a: 1\n---\nb: 2\n', 'yaml')).message).toContain('more than one document');
    expect(statusOf(() => decodeBody('a: 1\na: 2\n', 'yaml')).message).toContain('DUPLICATE_KEY');
    expect(statusOf(() => decodeBody('  \n', 'json')).message).toContain('empty');
  });

  it('stops alias bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(statusOf(() => decodeBody(bomb, 'yaml')).code).toBe(400);
  });
});

describe('toRegistrationRequest', () => {
  it('builds the RegistrationRequest to create, keeping labels and annotations and dropping status', () => {
    const b = body();
    b['metadata'].labels = { campaign: 'spring' };
    b['status'] = { tenant: 'hijack' };
    const rr = toRegistrationRequest(b);
    expect(rr).toEqual({
      apiVersion: 'webshop.cnpaas.dev/v1',
      kind: 'RegistrationRequest',
      metadata: { name: 'reg-1', labels: { campaign: 'spring' } },
      spec: b['spec'],
    });
    expect(rr).not.toHaveProperty('status');
  });

  it('accepts the Registration kind of our own group, and no apiVersion/kind at all', () => {
    expect(
      toRegistrationRequest({ ...body(), apiVersion: 'api.webshop.cnpaas.dev/v1', kind: 'Registration' }).kind,
    ).toBe('RegistrationRequest');
    const { apiVersion: _a, kind: _k, ...bare } = body();
    expect(toRegistrationRequest(bare).apiVersion).toBe('webshop.cnpaas.dev/v1');
  });

  it('generates a name (reg-…) when the body has none, or uses its generateName', () => {
    expect(toRegistrationRequest({ ...body(), metadata: {} }).metadata).toEqual({ generateName: 'reg-' });
    expect(toRegistrationRequest({ ...body(), metadata: undefined }).metadata).toEqual({ generateName: 'reg-' });
    expect(toRegistrationRequest({ ...body(), metadata: { generateName: 'shop-' } }).metadata).toEqual({
      generateName: 'shop-',
    });
  });

  it('refuses another kind with 400', () => {
    const status = statusOf(() => toRegistrationRequest({ ...body(), apiVersion: 'v1', kind: 'ConfigMap' }));
    expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(status.message).toContain('does not accept kind "ConfigMap" of apiVersion "v1"');
  });

  it('refuses unknown fields anywhere with 400, naming each', () => {
    const b = body();
    b['spec'].user.age = 37;
    b['metadata'].namespace = 'default';
    b['extra'] = 1;
    const status = statusOf(() => toRegistrationRequest(b));
    expect(status).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(status.message).toBe(
      'strict decoding error: unknown field "extra", unknown field "metadata.namespace", unknown field "spec.user.age"; metadata may carry only name, generateName, labels, annotations; see kubectl explain registrations.api.webshop.cnpaas.dev',
    );
  });

  it('answers 422 Invalid with one cause per field: missing, wrong type, too long, bad name', () => {
    const b = body();
    b['metadata'].name = 'Not_A_Name';
    delete b['spec'].user.email;
    b['spec'].tenant.country = 49;
    b['spec'].tenant.city = 'x'.repeat(51);
    b['spec'].password = '';
    const status = statusOf(() => toRegistrationRequest(b));
    expect(status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: { name: 'Not_A_Name', group: 'api.webshop.cnpaas.dev', kind: 'registrations' },
    });
    expect(status.details.causes.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`)).toEqual([
      'metadata.name FieldValueInvalid',
      'spec.user.email FieldValueRequired',
      'spec.password FieldValueRequired',
      'spec.tenant.country FieldValueTypeInvalid',
      'spec.tenant.city FieldValueTooLong',
    ]);
    expect(status.message).toMatch(/^Registration "Not_A_Name" is invalid: metadata.name: Invalid value/);
  });

  it('counts lengths in code points, like the apiserver', () => {
    const b = body();
    b['spec'].tenant.city = '🏙'.repeat(50); // 100 UTF-16 units, 50 characters
    expect(() => toRegistrationRequest(b)).not.toThrow();
  });

  it('never quotes the password, even when it is the field in error', () => {
    const b = body();
    b['spec'].password = 'p'.repeat(1025);
    const status = statusOf(() => toRegistrationRequest(b));
    expect(status.details.causes).toEqual([
      { reason: 'FieldValueTooLong', field: 'spec.password', message: 'Too long: must have at most 1024 characters' },
    ]);
    expect(status.message).not.toContain('ppp');
  });

  it('refuses a requested-by annotation: only the server sets it', () => {
    const b = body();
    b['metadata'].annotations = { [REQUESTED_BY_ANNOTATION]: 'someone-else' };
    expect(statusOf(() => toRegistrationRequest(b)).details.causes[0]).toMatchObject({ reason: 'FieldValueForbidden' });
  });

  it('takes the name from the URL, and refuses a body naming another', () => {
    expect(toRegistrationRequest({ ...body(), metadata: {} }, { nameFromPath: 'from-url' }).metadata.name).toBe(
      'from-url',
    );
    const status = statusOf(() => toRegistrationRequest(body(), { nameFromPath: 'other' }));
    expect(status).toMatchObject({
      code: 400,
      message: 'the name of the object (reg-1) does not match the name on the URL (other)',
    });
  });

  it('refuses a body that is not an object', () => {
    expect(statusOf(() => toRegistrationRequest([1])).message).toContain('a list, not an object');
    expect(statusOf(() => toRegistrationRequest('x')).code).toBe(400);
  });
});
