import { describe, expect, it } from 'vitest';
import { WebhooksError } from './errors.js';
import {
  ARGON2ID_FLOOR,
  DEFAULT_HASH_FLOOR,
  PasswordHasher,
  formatPasswordHash,
  parsePasswordHash,
  scryptHash,
} from './password-hash.js';
import { FAST_SCRYPT } from './test-support.js';

const hasher = new PasswordHasher({ scryptFloor: FAST_SCRYPT });
const ARGON2ID = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

/** `phc` with one character of its key replaced by another base64 character. */
function tamperKey(phc: string): string {
  const i = phc.length - 5;
  return `${phc.slice(0, i)}${phc[i] === 'A' ? 'B' : 'A'}${phc.slice(i + 1)}`;
}

describe('password hashing', () => {
  it('round-trips at the production cost: argon2id at the floor; verify accepts the password and refuses others', async () => {
    const production = new PasswordHasher();
    expect(production.params).toEqual(ARGON2ID_FLOOR);
    expect(production.params).toEqual({ m: 19456, t: 2, p: 1 });
    expect(production.floor).toEqual(DEFAULT_HASH_FLOOR);
    const phc = await production.hash('Correct-Horse-7');
    expect(phc).toMatch(ARGON2ID);
    expect(await production.verify('Correct-Horse-7', phc)).toBe(true);
    expect(await production.verify('Correct-Horse-8', phc)).toBe(false);
    expect(await production.verify('', phc)).toBe(false);
    expect(production.classify(phc)).toEqual({ kind: 'hash' });
  });

  it('hashes at a configured cost above the floor, and verifies with the cost stored in the hash', async () => {
    const stronger = new PasswordHasher({ argon2id: { m: 32768, t: 3, p: 2 } });
    const phc = await stronger.hash('Other-Params-1');
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=32768,t=3,p=2\$/);
    expect(await hasher.verify('Other-Params-1', phc)).toBe(true);
    expect(await hasher.verify('Other-Params-2', phc)).toBe(false);
    expect(hasher.classify(phc)).toEqual({ kind: 'hash' });
  });

  it('salts every hash', async () => {
    const a = await hasher.hash('Same-Password-1');
    const b = await hasher.hash('Same-Password-1');
    expect(a).not.toBe(b);
    expect(await hasher.verify('Same-Password-1', a)).toBe(true);
    expect(await hasher.verify('Same-Password-1', b)).toBe(true);
  });

  it('hashes the NFKC form, so a verify of the same keystrokes in another Unicode form matches', async () => {
    const phc = await hasher.hash('Ａｂｃ-１２３-x');
    expect(await hasher.verify('Abc-123-x', phc)).toBe(true);
  });

  it('still verifies a scrypt hash made before argon2id, at the production scrypt floor', async () => {
    const production = new PasswordHasher();
    const old = await scryptHash('Correct-Horse-7', DEFAULT_HASH_FLOOR.scrypt);
    expect(old).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(production.classify(old)).toEqual({ kind: 'hash' });
    expect(await production.verify('Correct-Horse-7', old)).toBe(true);
    expect(await production.verify('Correct-Horse-8', old)).toBe(false);
    // The NFKC rule held for scrypt hashes too.
    expect(await hasher.verify('Abc-123-x', await scryptHash('Ａｂｃ-１２３-x', FAST_SCRYPT))).toBe(true);
  });

  it('never matches a tampered hash: another key, salt or cost', async () => {
    const phc = await hasher.hash('Correct-Horse-7');
    const parsed = parsePasswordHash(phc)!;
    expect(parsed.algorithm).toBe('argon2id');
    const otherSalt = Buffer.from(parsed.salt);
    otherSalt[0] = otherSalt[0]! ^ 1;
    for (const tampered of [
      tamperKey(phc),
      formatPasswordHash({ ...parsed, salt: otherSalt }),
      phc.replace('t=2', 't=3'),
      phc.replace('m=19456', 'm=19457'),
    ]) {
      expect(tampered, tampered).not.toBe(phc);
      expect(parsePasswordHash(tampered), tampered).toBeDefined();
      expect(await hasher.verify('Correct-Horse-7', tampered), tampered).toBe(false);
    }
    const old = await scryptHash('Correct-Horse-7', FAST_SCRYPT);
    expect(await hasher.verify('Correct-Horse-7', tamperKey(old))).toBe(false);
    expect(await hasher.verify('Correct-Horse-7', old.replace('ln=4', 'ln=5'))).toBe(false);
  });

  it('never matches a malformed hash', async () => {
    expect(await hasher.verify('x', '$scrypt$garbage')).toBe(false);
    expect(await hasher.verify('x', '$argon2id$garbage')).toBe(false);
    expect(await hasher.verify('x', 'plain text')).toBe(false);
  });

  it('never lets a stored hash make it allocate beyond the limits: such a hash does not parse, so it is not run', async () => {
    const phc = await hasher.hash('Correct-Horse-7');
    const huge = phc.replace('m=19456', `m=${4 * 1024 * 1024}`);
    expect(parsePasswordHash(huge)).toBeUndefined();
    expect(await hasher.verify('Correct-Horse-7', huge)).toBe(false);
    const old = await scryptHash('Correct-Horse-7', FAST_SCRYPT);
    expect(await hasher.verify('Correct-Horse-7', old.replace('ln=4,r=8', 'ln=20,r=8'))).toBe(false);
  });

  it('parses only exact PHC strings', async () => {
    const phc = await hasher.hash('Correct-Horse-7');
    const parsed = parsePasswordHash(phc)!;
    expect(parsed.params).toEqual(ARGON2ID_FLOOR);
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.key).toHaveLength(32);
    expect(formatPasswordHash(parsed)).toBe(phc);

    const [, , version, params, salt, key] = phc.split('$');
    const at = (...parts: string[]) => `$argon2id$${parts.join('$')}`;
    for (const broken of [
      at(version!, params!, salt!, `${key}=`), // padding
      at(version!, params!, salt!), // no key
      at(version!, params!, salt!, key!.slice(0, -4)), // short key
      at(version!, params!, salt!.slice(0, 8), key!), // short salt
      at(version!, 'm=19456,t=2', salt!, key!), // missing p
      at(version!, 'm=1048576,t=2,p=1', salt!, key!), // absurd memory
      at(version!, params!, salt!, `${key}\n`), // trailing junk
      at(version!, params!, salt!, key!.replace(/./, '-')), // not base64
      at('v=16', params!, salt!, key!), // another version
    ]) {
      expect(parsePasswordHash(broken), broken).toBeUndefined();
    }

    const old = await scryptHash('Correct-Horse-7', FAST_SCRYPT);
    expect(parsePasswordHash(old)).toMatchObject({ algorithm: 'scrypt', params: FAST_SCRYPT });
    const [, , oldParams, oldSalt, oldKey] = old.split('$');
    for (const broken of [
      `$scrypt$${oldParams}$${oldSalt}$${oldKey}=`, // padding
      `$scrypt$${oldParams}$${oldSalt!.slice(0, 8)}$${oldKey}`, // short salt
      `$scrypt$ln=25,r=8,p=1$${oldSalt}$${oldKey}`, // absurd cost
    ]) {
      expect(parsePasswordHash(broken), broken).toBeUndefined();
    }
  });

  it('classifies values: plain text, its own hash, anything posing as a hash', async () => {
    const scryptFloor = new PasswordHasher({ scryptFloor: { ln: 6, r: 8, p: 1 } });
    expect(scryptFloor.classify('Correct-Horse-7')).toEqual({ kind: 'plaintext' });
    expect(scryptFloor.classify(await scryptFloor.hash('Correct-Horse-7'))).toEqual({ kind: 'hash' });
    // Stronger scrypt hashes (a later cost increase) are accepted, weaker ones are not.
    expect(scryptFloor.classify(await scryptHash('x', { ln: 7, r: 8, p: 2 }))).toEqual({ kind: 'hash' });
    expect(scryptFloor.classify(await scryptHash('x', FAST_SCRYPT))).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('weaker than the required ln=6,r=8,p=1'),
    });
    // An argon2id hash below the floor is refused the same way, whatever cost this hasher makes.
    const weak = formatPasswordHash({
      algorithm: 'argon2id',
      params: { m: 19456, t: 1, p: 1 },
      salt: Buffer.alloc(16, 1),
      key: Buffer.alloc(32, 2),
    });
    expect(new PasswordHasher({ argon2id: { m: 65536, t: 3, p: 1 } }).classify(weak)).toEqual({
      kind: 'malformed',
      reason: 'is an argon2id hash weaker than the required m=19456,t=2,p=1; send the plain password instead',
    });
    expect(scryptFloor.classify('$scrypt$Correct-Horse-7')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('not a well-formed hash'),
    });
    expect(scryptFloor.classify('$argon2id$v=19$m=65536,t=3,p=2$abc$def')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('starts with $argon2id$, which is reserved for password hashes'),
    });
    expect(scryptFloor.classify('$argon2i$v=19$m=65536,t=3,p=2$abc$def')).toMatchObject({
      kind: 'malformed',
      reason: expect.stringContaining('only $argon2id$ is accepted'),
    });
  });

  it('refuses a cost below the floor or out of range, naming the floor', () => {
    for (const argon2id of [
      { m: 19455, t: 2, p: 1 },
      { m: 65536, t: 1, p: 1 },
      { m: 4096, t: 3, p: 1 },
      { m: 256 * 1024 + 1, t: 2, p: 1 },
      { m: 19456, t: 17, p: 1 },
      { m: 19456, t: 2, p: 17 },
      { m: 19456, t: 2.5, p: 1 },
    ]) {
      expect(() => new PasswordHasher({ argon2id }), JSON.stringify(argon2id)).toThrow(WebhooksError);
    }
    try {
      new PasswordHasher({ argon2id: { m: 4096, t: 2, p: 1 } });
      expect.unreachable();
    } catch (err) {
      expect((err as WebhooksError).code).toBe('CNPAAS_WEBHOOKS_HASH_PARAMS');
      expect((err as WebhooksError).message).toContain(
        'argon2id cost m=4096,t=2,p=1 is below the floor m=19456,t=2,p=1',
      );
    }
  });
});
