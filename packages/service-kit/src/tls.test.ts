import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestError, caught, testError as error } from './test-support.js';
import { testCa, testLeaf } from './testing.js';
import { readPem, tlsSetup } from './tls.js';

const dir = mkdtempSync(join(tmpdir(), 'cnpaas-service-kit-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readPem', () => {
  it('reads the file', () => {
    writeFileSync(join(dir, 'ca.crt'), 'PEM');
    expect(readPem(join(dir, 'ca.crt'), { flag: 'client-ca-file', error }).toString()).toBe('PEM');
  });

  it('names the flag and the file it cannot read, and where such files come from', async () => {
    const file = join(dir, 'missing.crt');
    const err = await caught(() => readPem(file, { flag: 'cert-file', error }));
    expect(err.code).toBe('TEST_TLS');
    expect(err.message).toMatch(new RegExp(`^cannot read --cert-file ${file}: ENOENT`));
    expect(err.hint).toContain("cnpaas up's PKI");
    expect((await caught(() => readPem(file, { flag: 'cert-file', error, hint: 'mount the secret' }))).hint).toBe(
      'mount the secret',
    );
  });
});

describe('tlsSetup', () => {
  it('files what OpenSSL says about a key that does not match its certificate as a TLS error', async () => {
    const ca = await testCa('test-ca');
    const [server, other] = await Promise.all([
      testLeaf({ commonName: 'server', ca, usage: 'server' }),
      testLeaf({ commonName: 'other', ca, usage: 'server' }),
    ]);
    const hint = 'check that --key-file is the key of --cert-file';
    const err = await caught(() =>
      tlsSetup(async () => https.createServer({ cert: server.cert, key: other.key }), { hint, error }),
    );
    expect([err.code, err.hint]).toEqual(['TEST_TLS', hint]);
    expect(err.message).toMatch(/^TLS setup failed: .*key values mismatch/);
    const built = await tlsSetup(async () => https.createServer({ cert: server.cert, key: server.key }), {
      hint,
      error,
    });
    expect(built).toBeInstanceOf(https.Server);
  });

  it("passes the package's own errors through unchanged", async () => {
    const own = new TestError('TEST_LISTEN', 'taken');
    await expect(tlsSetup(() => Promise.reject(own), { hint: 'x', error })).rejects.toBe(own);
  });
});
