/**
 * Signed, expiring tokens: `<payload>.<signature>`, both base64url, where
 * the payload is JSON `{ purpose, exp, claims }` and the signature is
 * HMAC-SHA256 over the payload's base64url text with a key the issuer and
 * the verifier share. Nothing in a token is secret (anyone holding it can
 * read the claims); what matters is that nobody without the key can make
 * or change one, and that it stops working at `exp`.
 *
 * `purpose` is inside the signed payload and checked on verify, so a key
 * reused for a second kind of token cannot turn one kind into the other.
 * The signature is compared in constant time, before the payload is parsed,
 * so a forged token costs one HMAC and tells an attacker nothing.
 *
 * Why not a JWT library: the issuer and the verifier are ours, one
 * algorithm is all we need, and a fixed format has no `alg` header to
 * downgrade.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** At least 256 bits of key for HMAC-SHA256 (RFC 2104: the hash's output size). */
export const MIN_TOKEN_KEY_BYTES = 32;

export type TokenClaims = Record<string, string>;

export interface SignTokenOptions {
  key: Buffer;
  /** What the token is for; a verifier expecting another purpose refuses it. */
  purpose: string;
  claims: TokenClaims;
  /** Expiry, in milliseconds since the epoch. */
  expiresAt: number;
}

export interface VerifyTokenOptions {
  key: Buffer;
  purpose: string;
  token: string;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

export type TokenCheck =
  | { valid: true; claims: TokenClaims; expiresAt: number }
  /** `forged`: not made with this key for this purpose (or changed since); `expired`: genuine but past its time. */
  | { valid: false; reason: 'malformed' | 'forged' | 'expired' };

/** Tokens are short; anything longer than this is not one of ours, and is refused before any work. */
export const MAX_TOKEN_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function checkKey(key: Buffer): void {
  if (key.length < MIN_TOKEN_KEY_BYTES)
    throw new RangeError(`a token key needs at least ${MIN_TOKEN_KEY_BYTES} bytes, got ${key.length}`);
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload, 'utf8').digest();
}

export function signToken(options: SignTokenOptions): string {
  checkKey(options.key);
  const payload = Buffer.from(
    JSON.stringify({ purpose: options.purpose, exp: Math.floor(options.expiresAt / 1000), claims: options.claims }),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(options.key, payload).toString('base64url')}`;
}

export function verifyToken(options: VerifyTokenOptions): TokenCheck {
  checkKey(options.key);
  const { token } = options;
  if (token.length > MAX_TOKEN_LENGTH) return { valid: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2 || !parts.every((p) => BASE64URL.test(p))) return { valid: false, reason: 'malformed' };
  const [payload, signature] = parts as [string, string];
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(options.key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, reason: 'forged' };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    // Signed with our key but not our JSON: only a bug in an issuer makes this.
    return { valid: false, reason: 'malformed' };
  }
  const body = decoded as { purpose?: unknown; exp?: unknown; claims?: unknown } | null;
  if (
    typeof body !== 'object' ||
    body === null ||
    typeof body.exp !== 'number' ||
    typeof body.claims !== 'object' ||
    body.claims === null ||
    !Object.values(body.claims).every((v) => typeof v === 'string')
  )
    return { valid: false, reason: 'malformed' };
  // A token signed with this key for another purpose is, for this purpose, not ours.
  if (body.purpose !== options.purpose) return { valid: false, reason: 'forged' };
  const expiresAt = body.exp * 1000;
  if (options.now >= expiresAt) return { valid: false, reason: 'expired' };
  return { valid: true, claims: body.claims as TokenClaims, expiresAt };
}
