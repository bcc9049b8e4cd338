import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notBuiltRun, runUnbuiltLauncher, seededRandom, testPki } from './testing.js';

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

describe('seededRandom', () => {
  it('gives the same numbers in [0, 1) for the same seed, so a printed seed replays a run', () => {
    const a = seededRandom(20260101);
    const b = seededRandom(20260101);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    // mulberry32's own sequence: seeds printed by earlier runs still replay them.
    expect(first).toEqual([0.2559139896184206, 0.5929048631805927, 0.8053383126389235]);
    const other = seededRandom(20260102);
    expect([other(), other(), other()]).not.toEqual(first);
    const many = Array.from({ length: 1000 }, seededRandom(7));
    expect(many.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('runUnbuiltLauncher', () => {
  it('runs a copy of the launcher with no dist/ beside it and leaves the original alone', () => {
    // A launcher in the committed shape, in a package whose dist/ does exist: only the copy lacks it.
    const pkg = mkdtempSync(join(tmpdir(), 'cnpaas-launcher-'));
    try {
      mkdirSync(join(pkg, 'bin'));
      mkdirSync(join(pkg, 'dist'));
      writeFileSync(join(pkg, 'dist', 'main.js'), "console.log('built');\n");
      const launcher = join(pkg, 'bin', 'cnpaas-example.js');
      writeFileSync(
        launcher,
        [
          "import { existsSync } from 'node:fs';",
          "const entry = new URL('../dist/main.js', import.meta.url);",
          "if (!existsSync(entry)) { console.error('cnpaas-example: not built: run npm run build'); process.exit(1); }",
          'await import(entry.href);',
          '',
        ].join('\n'),
      );
      const answer = runUnbuiltLauncher(launcher);
      expect(answer).toEqual({ status: 1, stderr: 'cnpaas-example: not built: run npm run build' });
      expect(notBuiltRun('cnpaas-example')).toEqual(answer);
      expect(spawnSync(process.execPath, [launcher], { encoding: 'utf8' }).stdout).toBe('built\n');
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
