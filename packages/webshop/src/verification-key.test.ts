import { describe, expect, it } from 'vitest';
import { isUsableVerificationKey, newVerificationKey, verificationKeySecret } from './verification-key.js';

describe('the verification key', () => {
  it('is 256 random bits as text, different each time, and a kept one is reused only at that length', () => {
    const key = newVerificationKey();
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(newVerificationKey()).not.toBe(key);
    expect(isUsableVerificationKey(`${key}\n`)).toBe(true);
    expect(isUsableVerificationKey('short\n')).toBe(false);
    expect(isUsableVerificationKey('')).toBe(false);
  });

  it('becomes Secret cnpaas-system/cnpaas-verification-key with the key under `key`', () => {
    const secret = verificationKeySecret('k'.repeat(43)) as unknown as {
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(secret.metadata).toMatchObject({ name: 'cnpaas-verification-key', namespace: 'cnpaas-system' });
    expect(Buffer.from(secret.data['key']!, 'base64').toString()).toBe('k'.repeat(43));
  });
});
