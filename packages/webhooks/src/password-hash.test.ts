import { describe, expect, it } from 'vitest';
import { WebhooksError } from './errors.js';
import { DEFAULT_SCRYPT_PARAMS, PasswordHasher, formatPasswordHash, parsePasswordHash } from './password-hash.js';
import { FAST_SCRYPT } from './test-support.js';

const fast = new PasswordHasher({ params: FAST_SCRYPT });

describe('password hashing', () => {
  it('round-trips at the production cost: verify accepts the password and refuses others', async () => {
    const hasher = new PasswordHasher();
    expect(hasher.params).toEqual(DEFAULT_SCRYPT_PARAMS);
    const phc = await hasher.hash('Correct-Horse-7');
    expect(phc).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify('Correct-Horse-7', phc)).toBe(true);
    expect(await hasher.verify('Correct-Horse-8', phc)).toBe(false);
    expect(await hasher.verify('', phc)).toBe(false);
  });

  it('salts every hash', async () => {
    const a = await fast.hash('Same-Password-1');
    const b = await fast.hash('Same-Password-1');
    expect(a).not.toBe(b);
    expect(await fast.verify('Same-Password-1', a)).toBe(true);
    expect(await fast.verify('Same-Password-1', b)).toBe(true);
  });

  it('verifies with the parameters stored in the hash, not its own', async () => {
    const phc = await new PasswordHasher({ params: { ln: 5, r: 8, p: 2 } }).hash('Other-Params-1');
    expect(await fast.verify('Other-Params-1', phc)).toBe(true);
  });

  it('hashes the NFKC form, so a verify of the same keystrokes in another Unicode form matches', async () => {
    const phc = await fast.hash('Ａｂｃ-１２３-x');
    expect(await fast.verify('Abc-123-x', phc)).toBe(true);
  });

  it('never matches a malformed hash', async () => {
    expect(await fast.verify('x', '$scrypt$garbage')).toBe(false);
    expect(await fast.verify('x', 'plain text')).toBe(false);
  });

  it('parses only exact PHC strings', async () => {
    const phc = await fast.hash('Correct-Horse-7');
    const parsed = parsePasswordHash(phc)!;
    expect(parsed.params).toEqual(FAST_SCRYPT);
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.key).toHaveLength(32);
    expect(formatPasswordHash(parsed)).toBe(phc);

    const [, , params, salt, key] = phc.split('$');
    for (const broken of [
      `$scrypt$${params}$${salt}$${key}=`, // padding
      `$scrypt$${params}$${salt}`, // no key
      `$scrypt$${params}$${salt}$${key!.slice(0, -4)}`, // short key
      `$scrypt$${params}$${salt!.slice(0, 8)}$${key}`, // short salt
      `$scrypt$ln=15,r=8$${salt}$${key}`, // missing p
      `$scrypt$ln=25,r=8,p=1$${salt}$${key}`, // absurd cost
      `$scrypt$ln=15,r=8,p=1$${salt}$${key}\n`, // trailing junk
      `$scrypt$ln=15,r=8,p=1$${salt}$${key!.replace(/./, '-')}`, // not base64
    ]) {
      expect(parsePasswordHash(broken), broken).toBeUndefined();
    }
  });

  it('classifies values: plain text, its own hash, anything posing as a hash', async () => {
    const hasher = new PasswordHasher({ params: { ln: 6, r: 8, p: 1 } });
    expect(hasher.classify('Correct-Horse-7')).toEqual({ kind: 'plaintext' });
    expect(hasher.classify(await hasher.hash('Correct-Horse-7'))).toEqual({ kind: 'hash' });
    // Stronger hashes (a later cost increase) are accepted, weaker ones are not.
    expect(hasher.classify(await new PasswordHasher({ params: { ln: 7, r: 8, p: 2 } }).hash('x'))).toEqual({
      kind: 'hash',
    });
    expect(hasher.classify(await fast.hash('x'))).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('weaker than the required ln=6,r=8,p=1'),
    });
    expect(hasher.classify('$scrypt$Correct-Horse-7')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('not a well-formed hash'),
    });
    expect(hasher.classify('$argon2id$v=19$m=65536,t=3,p=2$abc$def')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('$argon2'),
    });
  });

  it('refuses cost parameters out of range', () => {
    for (const params of [
      { ln: 0, r: 8, p: 1 },
      { ln: 21, r: 8, p: 1 },
      { ln: 15, r: 0, p: 1 },
      { ln: 20, r: 32, p: 1 },
      { ln: 15, r: 8, p: 1.5 },
    ]) {
      expect(() => new PasswordHasher({ params })).toThrow(WebhooksError);
    }
    try {
      new PasswordHasher({ params: { ln: 0, r: 8, p: 1 } });
    } catch (err) {
      expect((err as WebhooksError).code).toBe('CNPAAS_WEBHOOKS_HASH_PARAMS');
    }
  });
});
