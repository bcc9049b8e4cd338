import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, describePasswordViolations } from './password-policy.js';

const rules = (password: string): string[] => checkPasswordPolicy(password).map((v) => v.rule);

describe('password policy', () => {
  it('accepts a password with every class, 8 to 64 characters', () => {
    expect(rules('Correct-Horse-7')).toEqual([]);
    expect(rules('Aa1!aaaa')).toEqual([]);
    expect(rules('Aa1!' + 'a'.repeat(60))).toEqual([]);
    expect(rules('Aa1 with spaces')).toEqual([]);
  });

  it.each([
    ['Aa1!aaa', ['too-short']],
    ['Aa1!' + 'a'.repeat(61), ['too-long']],
    ['aa1!aaaa', ['upper']],
    ['AA1!AAAA', ['lower']],
    ['Aa!aaaaa', ['digit']],
    ['Aa1aaaaa', ['special']],
    ['Aa1!aa\taa', ['control']],
    ['', ['too-short', 'upper', 'lower', 'digit', 'special']],
  ])('%j breaks exactly %j', (password, expected) => {
    expect(rules(password)).toEqual(expected);
  });

  it('names exactly what is missing', () => {
    expect(describePasswordViolations(checkPasswordPolicy('abcdefgh'))).toBe(
      'must contain an upper-case letter; must contain a digit; must contain a special character (a symbol, punctuation mark or space, e.g. ! # ? -)',
    );
    expect(describePasswordViolations(checkPasswordPolicy('Ab1!'))).toBe(
      'must be at least 8 characters long (it has 4)',
    );
  });

  it('counts characters, not UTF-16 units, and knows letters and digits of every script', () => {
    // Four astral characters are 8 UTF-16 units but 4 characters.
    expect(rules('𝔸𝔸𝔸𝔸')).toContain('too-short');
    expect(rules('Äöü-٣٤٥ß')).toEqual([]);
    expect(rules('ΑΒΓδεζ-7')).toEqual([]);
  });

  it('checks the NFKC form, the one that is hashed', () => {
    // Full-width letters and digits normalise to ASCII ones.
    expect(rules('Ａｂｃｄ１２３!')).toEqual([]);
  });

  it('never includes the password in a message', () => {
    const secret = 'onlylowercase';
    for (const v of checkPasswordPolicy(secret)) expect(v.message).not.toContain(secret);
  });
});
