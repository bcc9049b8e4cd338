import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_LENGTH, signToken, verifyToken } from './signed-token.js';

const key = randomBytes(32);
const purpose = 'test-purpose';
const claims = { namespace: 't-1', name: 'u', uid: '0f8fad5b-d9cb-469f-a165-70867728950e' };
const now = Date.UTC(2026, 0, 1);
const token = signToken({ key, purpose, claims, expiresAt: now + 60_000 });

describe('signed tokens', () => {
  it('verify with the same key and purpose before the expiry, and give back the claims', () => {
    expect(verifyToken({ key, purpose, token, now })).toEqual({ valid: true, claims, expiresAt: now + 60_000 });
    expect(verifyToken({ key, purpose, token, now: now + 59_000 }).valid).toBe(true);
  });

  it('expire at their time, and not a second later', () => {
    expect(verifyToken({ key, purpose, token, now: now + 60_000 })).toEqual({ valid: false, reason: 'expired' });
    expect(verifyToken({ key, purpose, token, now: now + 3_600_000 })).toEqual({ valid: false, reason: 'expired' });
  });

  it('are refused as forged under another key, another purpose, or with any byte of the payload changed', () => {
    expect(verifyToken({ key: randomBytes(32), purpose, token, now })).toEqual({ valid: false, reason: 'forged' });
    expect(verifyToken({ key, purpose: 'other', token, now })).toEqual({ valid: false, reason: 'forged' });
    const [payload, signature] = token.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { claims: { name: string } };
    decoded.claims.name = 'someone-else';
    const swapped = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
    expect(verifyToken({ key, purpose, token: swapped, now })).toEqual({ valid: false, reason: 'forged' });
    // An extended expiry is a changed payload too.
    const later = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
    later.exp += 3600;
    const extended = `${Buffer.from(JSON.stringify(later)).toString('base64url')}.${signature}`;
    expect(verifyToken({ key, purpose, token: extended, now: now + 120_000 }).valid).toBe(false);
    // A flipped signature character.
    const last = signature.at(-2) === 'A' ? 'B' : 'A';
    const flipped = `${payload}.${signature.slice(0, -2)}${last}${signature.at(-1)!}`;
    expect(verifyToken({ key, purpose, token: flipped, now })).toEqual({ valid: false, reason: 'forged' });
  });

  it('are refused as malformed when they are not two base64url parts or are too long', () => {
    for (const bad of ['', 'abc', 'a.b.c', 'a b.c', `${token}.x`, 'x'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      expect(verifyToken({ key, purpose, token: bad, now })).toEqual({ valid: false, reason: 'malformed' });
    }
  });

  it('refuse a key shorter than 256 bits on both sides', () => {
    expect(() => signToken({ key: randomBytes(16), purpose, claims, expiresAt: now })).toThrow(/at least 32 bytes/);
    expect(() => verifyToken({ key: randomBytes(16), purpose, token, now })).toThrow(/at least 32 bytes/);
  });
});
