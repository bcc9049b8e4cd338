import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from './test-support/temp-dir.js';
import { ensureClusterPki } from './cluster-pki.js';
import { CertificateAuthority } from './pki.js';

// openssl (installed by .ci/run) is the independent judge of what we write.
function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('PKI', () => {
  const tmp = useTempDir('cnpaas-pki-');

  it('issues a serving certificate openssl verifies, with the names asked for', async () => {
    const ca = await CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca');
    const files = await ca.issue(tmp.dir, {
      name: 'srv',
      commonName: 'srv',
      usage: 'server',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    expect(openssl('verify', '-CAfile', ca.files.cert, files.cert).trim()).toBe(`${files.cert}: OK`);
    const text = openssl('x509', '-in', files.cert, '-noout', '-text');
    expect(text).toContain('DNS:localhost, IP Address:127.0.0.1');
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).not.toContain('TLS Web Client Authentication');
    expect(openssl('x509', '-in', files.cert, '-noout', '-checkend', String(300 * 86_400)).trim()).toBe(
      'Certificate will not expire',
    );
  });

  it('keeps private keys owner-only and parses them as EC P-256', async () => {
    const ca = await CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca');
    const files = await ca.issue(tmp.dir, {
      name: 'c',
      commonName: 'someone',
      organizations: ['g1', 'g2'],
      usage: 'client',
    });
    for (const key of [ca.files.key, files.key]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
      expect(openssl('pkey', '-in', key, '-noout', '-text')).toContain('prime256v1');
    }
    expect(openssl('x509', '-in', files.cert, '-noout', '-subject').trim()).toBe(
      'subject=CN = someone, O = g1, O = g2',
    );
  });

  it('reuses a current certificate and reissues one whose names changed', async () => {
    const ca = await CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca');
    const spec = { name: 'srv', commonName: 'srv', usage: 'server' as const, dnsNames: ['a.example'] };
    const first = readFileSync((await ca.issue(tmp.dir, spec)).cert, 'utf8');
    expect(readFileSync((await ca.issue(tmp.dir, spec)).cert, 'utf8')).toBe(first);
    const changed = readFileSync((await ca.issue(tmp.dir, { ...spec, dnsNames: ['b.example'] })).cert, 'utf8');
    expect(changed).not.toBe(first);
    expect(openssl('x509', '-noout', '-ext', 'subjectAltName', '-in', path.join(tmp.dir, 'srv.crt'))).toContain(
      'DNS:b.example',
    );
  });

  it('loads an existing CA instead of replacing it', async () => {
    const a = await CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca');
    const b = await CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca');
    expect(b.certificate.serialNumber).toBe(a.certificate.serialNumber);
    const leaf = await b.issue(tmp.dir, { name: 'x', commonName: 'x', usage: 'client' });
    expect(openssl('verify', '-CAfile', a.files.cert, leaf.cert).trim()).toBe(`${leaf.cert}: OK`);
  });

  it('names the file and the fix when a CA file is corrupt', async () => {
    await CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca');
    execFileSync('sh', ['-c', `echo garbage > ${path.join(tmp.dir, 'ca.crt')}`]);
    await expect(CertificateAuthority.loadOrCreate(tmp.dir, 'ca', 'test-ca')).rejects.toMatchObject({
      code: 'CNPAAS_PLATFORM_PKI',
      message: expect.stringContaining(path.join(tmp.dir, 'ca.crt')),
      hint: expect.stringContaining('--purge'),
    });
  });

  it('builds the control plane PKI with separate CAs and least identities', async () => {
    const pki = await ensureClusterPki(tmp.dir);
    expect(openssl('verify', '-CAfile', pki.frontProxyCa.files.cert, pki.frontProxyClient.cert).trim()).toMatch(/OK$/);
    // The front-proxy client must not be trusted as an ordinary client of the apiserver.
    expect(() => openssl('verify', '-CAfile', pki.ca.files.cert, pki.frontProxyClient.cert)).toThrow();
    expect(openssl('x509', '-in', pki.admin.cert, '-noout', '-subject').trim()).toBe(
      'subject=CN = cnpaas-admin, O = system:masters',
    );
    expect(openssl('x509', '-in', pki.controllerManager.cert, '-noout', '-subject').trim()).toBe(
      'subject=CN = system:kube-controller-manager',
    );
    expect(openssl('pkey', '-pubin', '-in', pki.serviceAccount.pub, '-noout', '-text')).toContain('prime256v1');
  });
});
