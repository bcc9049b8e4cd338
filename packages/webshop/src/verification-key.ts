/**
 * The key that signs verification links (docs/design.md "Verification and
 * sign-in"): Secret cnpaas-system/cnpaas-verification-key, key `key`, made
 * once and then kept, so links already mailed stay valid across restarts
 * and re-installs. Under `cnpaas up` the webshop's composition keeps it in
 * the state directory's PKI (a secret file, 0600, like the CA keys) and
 * applies it before the api-server starts; `cnpaas install` keeps it in the
 * cluster only and reuses what is there. The email
 * function signs with it, cnpaas-api-server checks with it; each may GET
 * this one Secret and no other in cnpaas-system.
 */
import { randomBytes } from 'node:crypto';
import { VERIFICATION_KEY_SECRET } from '@cnpaas/webshop-api';
import type { ManifestObject } from '@cnpaas/service-kit/manifests';

/** 32 random bytes as base64url text: 256 bits, printable, what both sides read as the key's bytes. */
export function newVerificationKey(): string {
  return randomBytes(32).toString('base64url');
}

export function verificationKeySecret(key: string): ManifestObject {
  const { namespace, name, key: field } = VERIFICATION_KEY_SECRET;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'cnpaas' } },
    type: 'Opaque',
    data: { [field]: Buffer.from(key, 'utf8').toString('base64') },
  };
}

/** The secret file's name in the state directory's PKI. */
export const VERIFICATION_KEY_FILE = 'verification-key';

/** A kept key is reused only while it still has the length a new one has (256 bits as text). */
export function isUsableVerificationKey(text: string): boolean {
  return text.trim().length >= 32;
}
