import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateVerificationKey, newVerificationKey, verificationKeySecret } from './verification-key.js';

describe('the verification key', () => {
  it('is made once, private to its owner, and the same on every later start (mailed links stay valid)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cnp-vkey-'));
    const key = loadOrCreateVerificationKey(dir);
    expect(Buffer.byteLength(key)).toBeGreaterThanOrEqual(32);
    expect(statSync(path.join(dir, 'verification-key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateVerificationKey(dir)).toBe(key);
    expect(newVerificationKey()).not.toBe(newVerificationKey());
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
