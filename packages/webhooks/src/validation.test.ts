import { describe, expect, it } from 'vitest';
import {
  characterCount,
  checkDns1123Label,
  checkDns1123Subdomain,
  checkEmail,
  checkPersonName,
  checkPhoneNumber,
  checkString,
  denyInvalid,
  normaliseEmail,
  ratchet,
  valueAt,
  keyedField,
  problemPath,
} from './validation.js';

const messages = (problems: { message: string }[]): string[] => problems.map((p) => p.message);

describe('field checks', () => {
  it('checkString reports required, type, emptiness, length, blanks and control characters', () => {
    const rule = { field: 'f', required: true, minLength: 1, maxLength: 3 };
    expect(checkString(undefined, rule)).toEqual([{ field: 'f', type: 'FieldValueRequired', message: 'is required' }]);
    expect(checkString(undefined, { ...rule, required: false })).toEqual([]);
    expect(checkString(7, rule)).toEqual([{ field: 'f', type: 'FieldValueTypeInvalid', message: 'must be a string' }]);
    expect(messages(checkString('', rule))).toEqual(['must not be empty']);
    expect(checkString('abcd', rule)).toEqual([
      { field: 'f', type: 'FieldValueTooLong', message: 'must be at most 3 characters long (it has 4)' },
    ]);
    expect(messages(checkString('  ', rule))).toEqual(['must not be only spaces']);
    expect(messages(checkString('a\tb', rule))).toEqual([
      'must not contain control characters (line breaks, tabs and the like)',
    ]);
    expect(checkString('a\nb', { ...rule, allowLineBreaks: true })).toEqual([]);
    expect(messages(checkString('a\u0000', { ...rule, allowLineBreaks: true }))).toEqual([
      'must not contain control characters other than line breaks',
    ]);
  });

  it('counts characters as the apiserver does (code points)', () => {
    expect(characterCount('𝔸é')).toBe(2);
    expect(checkString('𝔸𝔸𝔸', { field: 'f', required: true, maxLength: 3 })).toEqual([]);
  });

  it('person names follow the CRD pattern', () => {
    for (const ok of ['Ada', 'Zoë', 'Jean-Luc', "O'Brien", 'Mary Ann', 'Ψυχή', '李', 'Nguyễn'])
      expect(checkPersonName(ok, 'n'), ok).toEqual([]);
    for (const bad of ['1Ada', ' Ada', '-Ada', 'Ada!', 'Ada_Lovelace', "'Ada"])
      expect(checkPersonName(bad, 'n'), bad).toHaveLength(1);
  });

  it('normalises emails by trimming and lower-casing the whole address', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM\n')).toBe('ada.lovelace@example.com');
  });

  it('checks emails: the CRD pattern plus what it lets through', () => {
    const check = (email: string): string[] => messages(checkEmail(email, { field: 'e', requireNormalised: true }));
    for (const ok of ['ada@example.com', 'a.b+c%d_e-f@sub.example.co.uk', 'x@a.io']) expect(check(ok), ok).toEqual([]);
    expect(check('Ada@example.com')).toEqual(['must be lower-case without surrounding spaces']);
    expect(checkEmail('Ada@example.com', { field: 'e', requireNormalised: false })).toEqual([]);
    expect(check('ada@example')[0]).toContain('must be an email address like name@example.com');
    expect(check('ada@@example.com')[0]).toContain('must be an email address');
    expect(check('.ada@example.com')).toEqual([
      'must not start or end the part before the @ with a dot, nor have two dots in a row',
    ]);
    expect(check('ada@example..com')[0]).toContain('must have a domain of dot-separated labels');
    expect(check('ada@ex-.com')[0]).toContain('must have a domain');
    expect(check(`${'a'.repeat(65)}@example.com`)).toEqual([
      'must have at most 64 characters before the @ (it has 65)',
    ]);
  });

  it('checks phone numbers as E.164 (7 to 15 digits, optional +)', () => {
    for (const ok of ['+442079460000', '4420794600', '+123456789012345', '1234567'])
      expect(checkPhoneNumber(ok, 'p'), ok).toEqual([]);
    for (const bad of ['+0123456789', '123456', '+1234567890123456', '+44 20 7946', 'phone', ''])
      expect(checkPhoneNumber(bad, 'p'), bad).toHaveLength(1);
    expect(checkPhoneNumber(undefined, 'p')).toEqual([]);
  });

  it('checks RFC 1123 labels and subdomains for names that become object names', () => {
    expect(checkDns1123Label('t-0123456789ab', 'n', 'why')).toEqual([]);
    for (const bad of ['T-1', '-t', 't-', 't.1', 'x'.repeat(64), ''])
      expect(checkDns1123Label(bad, 'n', 'why'), bad).toHaveLength(1);
    expect(checkDns1123Label('A', 'metadata.name', 'its Namespace gets the same name')[0]!.message).toContain(
      'because its Namespace gets the same name',
    );
    expect(checkDns1123Subdomain('a.b-c.d', { field: 'n', why: 'w' })).toEqual([]);
    expect(checkDns1123Subdomain('a'.repeat(246), { field: 'n', why: 'w', maxLength: 245 })).toHaveLength(1);
  });
});

describe('ratchet and denial', () => {
  it('keeps only problems in fields the update changed', () => {
    const oldObject = { spec: { city: '', country: 'GBRX' } };
    const object = { spec: { city: '', country: 'GBRXY' } };
    const problems = [
      { field: 'spec.city', type: 'FieldValueRequired' as const, message: 'must not be empty' },
      { field: 'spec.country', type: 'FieldValueTooLong' as const, message: 'too long' },
    ];
    expect(ratchet(problems, { object, oldObject }).map((p) => p.field)).toEqual(['spec.country']);
    expect(valueAt(object, ['spec', 'country'])).toBe('GBRXY');
    expect(valueAt(object, ['spec', 'nothing', 'here'])).toBeUndefined();
  });

  it('finds a changed value under a key with dots (an annotation), so the update is still checked', () => {
    const key = 'webshop.cnpaas.dev/password';
    const oldObject = { metadata: { annotations: {} } };
    const object = { metadata: { annotations: { [key]: 'plain' } } };
    const problem = {
      ...keyedField(['metadata', 'annotations'], key),
      type: 'FieldValueInvalid' as const,
      message: 'must be a hash',
    };
    expect(problem.field).toBe(`metadata.annotations.${key}`);
    expect(valueAt(object, problemPath(problem))).toBe('plain');
    expect(ratchet([problem], { object, oldObject })).toEqual([problem]);
    // Unchanged, it ratchets away like any other field.
    expect(ratchet([problem], { object, oldObject: object })).toEqual([]);
  });

  it('denies 422 Invalid with every problem in the message and as causes', () => {
    const response = denyInvalid({ uid: 'u' }, { kind: 'Tenant', name: 't-1', group: 'webshop.cnpaas.dev' }, [
      { field: 'spec.city', type: 'FieldValueRequired', message: 'is required' },
      { field: 'spec.country', type: 'FieldValueTooLong', message: 'must be at most 3 characters long (it has 4)' },
    ]);
    expect(response).toEqual({
      uid: 'u',
      allowed: false,
      status: {
        status: 'Failure',
        code: 422,
        reason: 'Invalid',
        message:
          'Tenant "t-1" is invalid (2 problems): spec.city: is required; spec.country: must be at most 3 characters long (it has 4)',
        details: {
          name: 't-1',
          kind: 'Tenant',
          group: 'webshop.cnpaas.dev',
          causes: [
            { reason: 'FieldValueRequired', message: 'is required', field: 'spec.city' },
            {
              reason: 'FieldValueTooLong',
              message: 'must be at most 3 characters long (it has 4)',
              field: 'spec.country',
            },
          ],
        },
      },
    });
  });
});
