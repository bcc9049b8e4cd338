import { describe, expect, it } from 'vitest';
import { WebhooksError } from './errors.js';
import { parseConfig, parseListen } from './config.js';

const required = ['--cert-file', '/pki/w.crt', '--key-file', '/pki/w.key', '--kubeconfig', '/pki/w.kubeconfig'];

function failure(argv: string[], env: NodeJS.ProcessEnv = {}): WebhooksError {
  try {
    parseConfig(argv, env);
  } catch (err) {
    if (err instanceof WebhooksError) return err;
    throw err;
  }
  throw new Error('expected parseConfig to throw');
}

describe('flags', () => {
  it('reads flags with defaults', () => {
    expect(parseConfig(required, {})).toEqual({
      host: '127.0.0.1',
      port: 9443,
      certFile: '/pki/w.crt',
      keyFile: '/pki/w.key',
      clientCaFile: undefined,
      allowedClientNames: [],
      kubeconfig: '/pki/w.kubeconfig',
      inCluster: false,
      logLevel: 'info',
    });
  });

  it('reads environment variables, and flags win', () => {
    const env = {
      CNPAAS_WEBHOOKS_LISTEN: '127.0.0.1:0',
      CNPAAS_WEBHOOKS_CERT_FILE: '/env/c',
      CNPAAS_WEBHOOKS_KEY_FILE: '/env/k',
      CNPAAS_WEBHOOKS_CLIENT_CA_FILE: '/env/ca',
      CNPAAS_WEBHOOKS_ALLOWED_CLIENT_NAMES: 'a, b',
      KUBECONFIG: '/env/kc',
      LOG_LEVEL: 'debug',
    };
    expect(parseConfig([], env)).toMatchObject({ port: 0, certFile: '/env/c', clientCaFile: '/env/ca', allowedClientNames: ['a', 'b'], kubeconfig: '/env/kc', logLevel: 'debug' });
    expect(parseConfig(['--listen', '[::1]:8443', '--cert-file', '/flag/c'], env)).toMatchObject({ host: '::1', port: 8443, certFile: '/flag/c' });
  });

  it('runs in a pod without a kubeconfig', () => {
    expect(parseConfig(required.slice(0, 4), { KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toMatchObject({ inCluster: true, kubeconfig: undefined });
  });

  it('answers --help and --version', () => {
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(parseConfig(['--version'], {})).toBe('version');
  });

  it.each([
    [['--key-file', 'k', '--kubeconfig', 'c'], '--cert-file: is required'],
    [['--cert-file', 'c', '--kubeconfig', 'c'], '--key-file: is required'],
    [['--cert-file', 'c', '--key-file', 'k'], '--kubeconfig: is required outside a pod'],
    [[...required, '--listen', '9443'], '--listen: "9443" is not HOST:PORT'],
    [[...required, '--listen', 'localhost:70000'], 'is not HOST:PORT'],
    [[...required, '--allowed-client-names', 'x'], '--allowed-client-names: needs --client-ca-file'],
    [[...required, '--log-level', 'loud'], '--log-level: "loud" is not a level'],
    [[...required, '--bogus'], "Unknown option '--bogus'"],
  ])('%j → %s', (argv, message) => {
    const err = failure(argv);
    expect(err.code).toBe('CNPAAS_WEBHOOKS_BAD_FLAG');
    expect(err.message).toContain(message);
    expect(err.hint).toBeTruthy();
  });

  it('parses listen addresses', () => {
    expect(parseListen('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    expect(parseListen('[::1]:9443')).toEqual({ host: '::1', port: 9443 });
  });
});
