import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Flags, flagTable, readFlags } from './flags.js';
import {
  MTLS_SERVING_FLAGS,
  mtlsServingArgs,
  mtlsServingTls,
  readMtlsMaterial,
  readMtlsServing,
  type MtlsServingRules,
} from './mtls-serving.js';
import { caught, testError as error } from './test-support.js';

const table = flagTable({ envPrefix: 'TEST', strings: MTLS_SERVING_FLAGS, kubeconfig: true });

function flags(argv: string[], env: NodeJS.ProcessEnv = {}): Flags {
  const result = readFlags({ bin: 'cnpaas-test', flags: table, argv, env, error });
  if (!(result instanceof Flags)) throw new Error(`expected flags, got ${result}`);
  return result;
}

const rules: MtlsServingRules = {
  listen: '127.0.0.1:9443',
  certHint: 'pass the serving certificate',
  clientCa: { hint: 'pass the client CA' },
  allowedNames: { fallback: ['cnpaas-trigger'] },
};
const files = ['--cert-file', 'tls.crt', '--key-file', 'tls.key', '--client-ca-file', 'ca.crt'];

describe('flagTable', () => {
  it('names each string flag’s variable after the prefix and the flag, and adds --log-level and --kubeconfig', () => {
    expect(
      flagTable({
        envPrefix: 'CNPAAS_X',
        strings: ['listen', 'tls-cert-file'],
        renamed: { 'allow-target': 'CNPAAS_X_ALLOW_TARGETS' },
        booleans: ['no-leader-election'],
        kubeconfig: true,
      }),
    ).toEqual({
      kubeconfig: { type: 'string', env: 'KUBECONFIG' },
      listen: { type: 'string', env: 'CNPAAS_X_LISTEN' },
      'tls-cert-file': { type: 'string', env: 'CNPAAS_X_TLS_CERT_FILE' },
      'allow-target': { type: 'string', env: 'CNPAAS_X_ALLOW_TARGETS' },
      'no-leader-election': { type: 'boolean' },
      'log-level': { type: 'string', env: 'LOG_LEVEL' },
    });
    expect(Object.keys(flagTable({ envPrefix: 'CNPAAS_X', strings: [] }))).toEqual(['log-level']);
  });
});

describe('readMtlsServing', () => {
  it('reads the five flags or their variables, files as absolute paths, the default CN for an empty list', () => {
    expect(readMtlsServing(flags([...files, '--allowed-client-names', ' , ']), rules)).toEqual({
      host: '127.0.0.1',
      port: 9443,
      certFile: resolve('tls.crt'),
      keyFile: resolve('tls.key'),
      clientCaFile: resolve('ca.crt'),
      allowedClientNames: ['cnpaas-trigger'],
    });
    const fromEnv = readMtlsServing(
      flags([], {
        TEST_LISTEN: '[::1]:1',
        TEST_CERT_FILE: '/c',
        TEST_KEY_FILE: '/k',
        TEST_CLIENT_CA_FILE: '/ca',
        TEST_ALLOWED_CLIENT_NAMES: 'a,b',
      }),
      rules,
    );
    expect(fromEnv).toMatchObject({ host: '::1', port: 1, certFile: '/c', allowedClientNames: ['a', 'b'] });
  });

  it('refuses each missing file with its own hint, the key naming its variable, and an empty required list', async () => {
    expect((await caught(() => readMtlsServing(flags([]), rules))).describe()).toBe(
      'TEST_BAD_FLAG: --cert-file: is required\n  fix: pass the serving certificate',
    );
    expect((await caught(() => readMtlsServing(flags(['--cert-file', 'c']), rules))).describe()).toBe(
      'TEST_BAD_FLAG: --key-file: is required\n  fix: pass the private key of --cert-file, or set TEST_KEY_FILE',
    );
    const noCa = await caught(() =>
      readMtlsServing(flags(['--cert-file', 'c', '--key-file', 'k']), {
        ...rules,
        clientCa: { reason: 'is required: no anonymous callers', hint: 'pass the CA' },
      }),
    );
    expect(noCa.describe()).toBe(
      'TEST_BAD_FLAG: --client-ca-file: is required: no anonymous callers\n  fix: pass the CA',
    );
    const noNames = await caught(() =>
      readMtlsServing(flags(files), {
        ...rules,
        allowedNames: { required: { reason: 'is required', hint: 'name the CN' } },
      }),
    );
    expect(noNames.describe()).toBe('TEST_BAD_FLAG: --allowed-client-names: is required\n  fix: name the CN');
  });

  it('gives the flags back as a supervisor passes them, in the order it reads them', () => {
    const args = mtlsServingArgs({
      listen: '127.0.0.1:1',
      certFile: '/c',
      keyFile: '/k',
      clientCaFile: '/ca',
      allowedClientNames: ['a', 'b'],
    });
    expect(args).toEqual([
      '--listen',
      '127.0.0.1:1',
      '--cert-file',
      '/c',
      '--key-file',
      '/k',
      '--client-ca-file',
      '/ca',
      '--allowed-client-names',
      'a,b',
    ]);
    expect(readMtlsServing(flags(args), rules)).toMatchObject({ port: 1, allowedClientNames: ['a', 'b'] });
  });
});

describe('readMtlsMaterial', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnpaas-mtls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the three files, and names the flag and the file it cannot read', async () => {
    for (const name of ['c', 'k', 'ca']) writeFileSync(join(dir, name), `pem ${name}`);
    const config = {
      host: '127.0.0.1',
      port: 1,
      certFile: join(dir, 'c'),
      keyFile: join(dir, 'k'),
      clientCaFile: join(dir, 'ca'),
      allowedClientNames: ['a'],
    };
    const tls = readMtlsMaterial(config, error);
    expect([tls.cert, tls.key, tls.clientCa].map(String)).toEqual(['pem c', 'pem k', 'pem ca']);
    expect(mtlsServingTls(tls)).toEqual({ cert: tls.cert, key: tls.key, ca: tls.clientCa });
    const missing = await caught(() => readMtlsMaterial({ ...config, clientCaFile: join(dir, 'gone') }, error));
    expect(missing.code).toBe('TEST_TLS');
    expect(missing.message).toContain(`cannot read --client-ca-file ${join(dir, 'gone')}`);
  });
});
