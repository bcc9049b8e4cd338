import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCRYPT_PARAMS,
  classifyPasswordValue,
  formatPasswordHash,
  looksLikePasswordHash,
  parsePasswordHash,
} from './password-hash.js';

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA';
const KEY = 'a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
const at = (params: string) => `$scrypt$${params}$${SALT}$${KEY}`;

describe('the shared password-hash rule', () => {
  it('accepts an exact scrypt PHC string at or above the default floor', () => {
    expect(classifyPasswordValue(at('ln=15,r=8,p=3'))).toEqual({ kind: 'hash' });
    expect(classifyPasswordValue(at('ln=16,r=8,p=4'))).toEqual({ kind: 'hash' });
    const parsed = parsePasswordHash(at('ln=15,r=8,p=3'))!;
    expect(parsed.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    expect(formatPasswordHash(parsed)).toBe(at('ln=15,r=8,p=3'));
  });

  it.each([
    ['below the floor in ln', at('ln=1,r=8,p=3'), 'weaker than the required ln=15,r=8,p=3'],
    ['below the floor in p', at('ln=15,r=8,p=1'), 'weaker than the required'],
    ['garbage after the prefix', '$scrypt$Correct-Horse-7', 'not a well-formed hash'],
    ['argon2', '$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$a2V5', 'starts with $argon2'],
    ['bcrypt', '$2b$10$abcdefghijklmnopqrstuu', 'starts like a password hash'],
    ['sha512-crypt', '$6$rounds=5000$salt$hash', 'starts like a password hash'],
  ])('refuses %s', (_label, value, reason) => {
    expect(classifyPasswordValue(value)).toEqual({ kind: 'malformed', reason: expect.stringContaining(reason) });
    expect(looksLikePasswordHash(value)).toBe(true);
  });

  it('judges against a given floor', () => {
    expect(classifyPasswordValue(at('ln=4,r=8,p=1'), { ln: 4, r: 8, p: 1 })).toEqual({ kind: 'hash' });
    expect(classifyPasswordValue(at('ln=4,r=8,p=1'))).toMatchObject({ kind: 'malformed' });
  });

  it('leaves ordinary passwords, even with dollar signs, as plain text', () => {
    for (const value of ['Correct-Horse-7', '$Dollar-Sign-7', 'Price$5$Ok!', '$ABC$def-7']) {
      expect(classifyPasswordValue(value), value).toEqual({ kind: 'plaintext' });
      expect(looksLikePasswordHash(value), value).toBe(false);
    }
  });
});
