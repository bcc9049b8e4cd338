import { describe, expect, it } from 'vitest';
import { checkName, isDnsLabel, isDnsSubdomain } from './names.js';

describe('Kubernetes names', () => {
  it.each(['t-92e52ff76f92', 'a', '0', 'a'.repeat(63)])('accepts the DNS label %s', (name) => {
    expect(isDnsLabel(name)).toBe(true);
  });

  it.each(['', 'A', '-a', 'a-', 'a.b', 'a/b', '..', 'a%2Fb', 'a b', 'a'.repeat(64), 'ä'])(
    'refuses %j as a DNS label',
    (name) => {
      expect(isDnsLabel(name)).toBe(false);
    },
  );

  it('accepts dotted subdomains up to 253 characters and refuses longer or malformed ones', () => {
    expect(isDnsSubdomain('cnpaas-system.registration')).toBe(true);
    expect(isDnsSubdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`)).toBe(true);
    expect(isDnsSubdomain(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`)).toBe(false);
    expect(isDnsSubdomain('a..b')).toBe(false);
    expect(isDnsSubdomain('.a')).toBe(false);
  });

  it('names the parameter and the rule in a 400 ConsoleError', () => {
    expect(() => checkName('../etc', { what: 'tenant', rule: 'label' })).toThrow(
      expect.objectContaining({
        code: 'CNPAAS_CONSOLE_BAD_NAME',
        httpStatus: 400,
        message: expect.stringMatching(/^tenant "..\/etc" is not a DNS label/),
      }),
    );
  });
});
