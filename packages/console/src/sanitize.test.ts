import { describe, expect, it } from 'vitest';
import { sanitizeObject } from './sanitize.js';

const HASH = '$scrypt$ln=15,r=8,p=3$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';

describe('sanitizeObject', () => {
  it('removes spec.password, the password annotation and hash-shaped strings from a RegistrationRequest', () => {
    const out = sanitizeObject({
      kind: 'RegistrationRequest',
      metadata: {
        name: 'r1',
        annotations: { 'webshop.cnpaas.dev/password': HASH, 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        managedFields: [{ manager: 'x' }],
      },
      spec: { password: HASH, user: { email: 'ada@example.com' }, extra: [HASH, 'keep'] },
    });
    expect(JSON.stringify(out)).not.toContain('$scrypt$');
    expect(out.spec).toEqual({ user: { email: 'ada@example.com' }, extra: ['keep'] });
    expect(out.metadata.annotations).toEqual({});
    expect(out.metadata).not.toHaveProperty('managedFields');
  });

  it('removes a Secret’s data and stringData, and any field named like a password or hash at any depth', () => {
    const out = sanitizeObject({
      kind: 'Secret',
      metadata: { name: 's' },
      data: { hash: Buffer.from(HASH).toString('base64') },
      stringData: { hash: HASH },
      status: { nested: { passwordHash: 'x', PassWord: 'y', token: 'z', ok: 'kept' } },
    });
    expect(out).toEqual({ kind: 'Secret', metadata: { name: 's' }, status: { nested: { ok: 'kept' } } });
  });

  it('returns a copy and leaves the original alone', () => {
    const original = { spec: { password: HASH } };
    sanitizeObject(original);
    expect(original.spec.password).toBe(HASH);
  });
});
