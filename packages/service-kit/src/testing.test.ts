import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testPki } from './testing.js';

describe('testPki', () => {
  it('signs the server, the allowed client and another CN with one CA, and the stranger with another', async () => {
    const pki = await testPki({ server: 'cnpaas-test-server', client: 'cnpaas-test-client' });
    const ca = new X509Certificate(pki.ca.cert);
    const cert = (pem: { cert: string }) => new X509Certificate(pem.cert);
    expect(
      [pki.server, pki.client, pki.otherClient].map(
        (pem) => cert(pem).checkIssued(ca) && cert(pem).verify(ca.publicKey),
      ),
    ).toEqual([true, true, true]);
    expect(cert(pki.strangerClient).verify(ca.publicKey)).toBe(false);
    expect([pki.server, pki.client, pki.otherClient, pki.strangerClient].map((pem) => cert(pem).subject)).toEqual([
      'CN=cnpaas-test-server',
      'CN=cnpaas-test-client',
      'CN=someone-else',
      'CN=cnpaas-test-client',
    ]);
    expect(cert(pki.server).checkIP('127.0.0.1')).toBe('127.0.0.1');
  });
});
