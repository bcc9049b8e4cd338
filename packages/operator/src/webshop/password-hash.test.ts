import { describe, expect, it } from 'vitest';
import {
  ARGON2ID_FLOOR,
  ARGON2_LIMITS,
  DEFAULT_HASH_FLOOR,
  DEFAULT_SCRYPT_PARAMS,
  classifyPasswordValue,
  describeHashRule,
  formatPasswordHash,
  looksLikePasswordHash,
  parsePasswordHash,
} from './password-hash.js';

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA';
const KEY = 'a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U';
const at = (params: string) => `$scrypt$${params}$${SALT}$${KEY}`;
const argon = (params: string, salt = SALT, key = KEY) => `$argon2id$v=19$${params}$${salt}$${key}`;

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
    [
      'argon2id with a 4-byte salt and a 3-byte key',
      '$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$a2V5',
      'starts with $argon2id$',
    ],
    ['argon2i (not argon2id)', `$argon2i$v=19$m=19456,t=2,p=1$${SALT}$${KEY}`, 'only $argon2id$ is accepted'],
    ['argon2d (not argon2id)', `$argon2d$v=19$m=19456,t=2,p=1$${SALT}$${KEY}`, 'only $argon2id$ is accepted'],
    ['argon2id below the floor in m', argon('m=19455,t=2,p=1'), 'weaker than the required m=19456,t=2,p=1'],
    ['argon2id below the floor in t', argon('m=65536,t=1,p=4'), 'weaker than the required m=19456,t=2,p=1'],
    ['argon2id far below the floor', argon('m=64,t=1,p=1'), 'is an argon2id hash weaker than the required'],
    ['argon2id of another version', argon('m=19456,t=2,p=1').replace('v=19', 'v=16'), 'not a well-formed hash'],
    ['bcrypt', '$2b$10$abcdefghijklmnopqrstuu', 'starts like a password hash'],
    ['sha512-crypt', '$6$rounds=5000$salt$hash', 'starts like a password hash'],
  ])('refuses %s', (_label, value, reason) => {
    expect(classifyPasswordValue(value)).toEqual({ kind: 'malformed', reason: expect.stringContaining(reason) });
    expect(looksLikePasswordHash(value)).toBe(true);
  });

  it('judges against a given floor', () => {
    const lower = { ...DEFAULT_HASH_FLOOR, scrypt: { ln: 4, r: 8, p: 1 } };
    expect(classifyPasswordValue(at('ln=4,r=8,p=1'), lower)).toEqual({ kind: 'hash' });
    expect(classifyPasswordValue(at('ln=4,r=8,p=1'))).toMatchObject({ kind: 'malformed' });
    const higher = { ...DEFAULT_HASH_FLOOR, argon2id: { m: 65536, t: 3, p: 1 } };
    expect(classifyPasswordValue(argon('m=65536,t=3,p=1'), higher)).toEqual({ kind: 'hash' });
    expect(classifyPasswordValue(argon('m=19456,t=2,p=1'), higher)).toEqual({
      kind: 'malformed',
      reason: expect.stringContaining('weaker than the required m=65536,t=3,p=1'),
    });
  });

  it('accepts an exact argon2id PHC string at or above the floor, and formats it back byte for byte', () => {
    expect(classifyPasswordValue(argon('m=19456,t=2,p=1'))).toEqual({ kind: 'hash' });
    expect(classifyPasswordValue(argon('m=65536,t=3,p=4'))).toEqual({ kind: 'hash' });
    const parsed = parsePasswordHash(argon('m=19456,t=2,p=1'))!;
    expect(parsed).toMatchObject({ algorithm: 'argon2id', params: ARGON2ID_FLOOR });
    expect(parsed.salt.toString()).toBe('saltsaltsaltsalt');
    expect(parsed.key).toHaveLength(32);
    expect(formatPasswordHash(parsed)).toBe(argon('m=19456,t=2,p=1'));
  });

  it('parses only exact argon2id strings: canonical base64, salt and key lengths, bounds', () => {
    const { maxM, maxT, maxP } = ARGON2_LIMITS;
    for (const [label, value] of [
      ['padded key', argon('m=19456,t=2,p=1', SALT, `${KEY}=`)],
      ['non-canonical base64 (unused bits set)', argon('m=19456,t=2,p=1', SALT, `${KEY.slice(0, -1)}V`)],
      ['not base64', argon('m=19456,t=2,p=1', SALT, KEY.replace(/./, '-'))],
      ['a 15-byte salt', argon('m=19456,t=2,p=1', 'c2FsdHNhbHRzYWx0c2Fs')],
      ['a 31-byte key', argon('m=19456,t=2,p=1', SALT, 'a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2')],
      ['no key', `$argon2id$v=19$m=19456,t=2,p=1$${SALT}`],
      ['no version', `$argon2id$m=19456,t=2,p=1$${SALT}$${KEY}`],
      ['parameters in another order', argon('t=2,m=19456,p=1')],
      ['a leading zero', argon('m=019456,t=2,p=1')],
      ['zero passes', argon('m=19456,t=0,p=1')],
      ['memory above the limit', argon(`m=${maxM + 1},t=2,p=1`)],
      ['passes above the limit', argon(`m=19456,t=${maxT + 1},p=1`)],
      ['lanes above the limit', argon(`m=19456,t=2,p=${maxP + 1}`)],
      ['less than 8 KiB per lane', argon('m=31,t=2,p=4')],
      ['trailing junk', `${argon('m=19456,t=2,p=1')}\n`],
    ]) {
      expect(parsePasswordHash(value!), label).toBeUndefined();
      expect(classifyPasswordValue(value!), label).toEqual({
        kind: 'malformed',
        reason: expect.stringContaining('not a well-formed hash'),
      });
    }
    // The bounds themselves are in range.
    expect(parsePasswordHash(argon(`m=${maxM},t=${maxT},p=${maxP}`))).toBeDefined();
  });

  it('describes both accepted forms with their floors', () => {
    expect(describeHashRule()).toBe(
      'an exact $argon2id$ PHC string with cost at least m=19456,t=2,p=1, or an exact $scrypt$ one with cost at least ln=15,r=8,p=3',
    );
  });

  it('leaves ordinary passwords, even with dollar signs, as plain text', () => {
    for (const value of ['Correct-Horse-7', '$Dollar-Sign-7', 'Price$5$Ok!', '$ABC$def-7']) {
      expect(classifyPasswordValue(value), value).toEqual({ kind: 'plaintext' });
      expect(looksLikePasswordHash(value), value).toBe(false);
    }
  });
});
