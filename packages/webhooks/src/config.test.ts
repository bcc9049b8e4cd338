import { thrownBy } from '@cnpaas/service-kit/testing';
import { describe, expect, it } from 'vitest';
import { WebhooksError } from './errors.js';
import { parseConfig, parseListen } from './config.js';

const required = [
  '--cert-file',
  '/pki/w.crt',
  '--key-file',
  '/pki/w.key',
  '--client-ca-file',
  '/pki/ca.crt',
  '--allowed-client-names',
  'kube-apiserver-webhook-client',
  '--kubeconfig',
  '/pki/w.kubeconfig',
];
/** `required` without one flag and its value. */
const without = (flag: string): string[] => {
  const i = required.indexOf(flag);
  return [...required.slice(0, i), ...required.slice(i + 2)];
};

/** Each flag's environment twin: [flag, variable, a value, what the config then holds]. */
const TWINS = [
  ['--listen', 'CNPAAS_WEBHOOKS_LISTEN', '127.0.0.1:0', { port: 0 }],
  ['--cert-file', 'CNPAAS_WEBHOOKS_CERT_FILE', '/env/c', { certFile: '/env/c' }],
  ['--key-file', 'CNPAAS_WEBHOOKS_KEY_FILE', '/env/k', { keyFile: '/env/k' }],
  ['--client-ca-file', 'CNPAAS_WEBHOOKS_CLIENT_CA_FILE', '/env/ca', { clientCaFile: '/env/ca' }],
  ['--allowed-client-names', 'CNPAAS_WEBHOOKS_ALLOWED_CLIENT_NAMES', 'a, b', { allowedClientNames: ['a', 'b'] }],
  ['--kubeconfig', 'KUBECONFIG', '/env/kc', { kubeconfig: '/env/kc' }],
  ['--log-level', 'LOG_LEVEL', 'debug', { logLevel: 'debug' }],
] as const;

const failure = (argv: string[], env: NodeJS.ProcessEnv = {}): WebhooksError =>
  thrownBy(WebhooksError, () => parseConfig(argv, env));

describe('flags', () => {
  it('reads flags with defaults', () => {
    expect(parseConfig(required, {})).toEqual({
      host: '127.0.0.1',
      port: 9443,
      certFile: '/pki/w.crt',
      keyFile: '/pki/w.key',
      clientCaFile: '/pki/ca.crt',
      allowedClientNames: ['kube-apiserver-webhook-client'],
      kubeconfig: '/pki/w.kubeconfig',
      inCluster: false,
      logLevel: 'info',
      argon2idCost: { m: 19456, t: 2, p: 1 },
    });
  });

  it('reads the argon2id cost of new hashes from --argon2id-cost or CNPAAS_WEBHOOKS_ARGON2ID_COST', () => {
    expect(parseConfig([...required, '--argon2id-cost', 'm=65536,t=3,p=4'], {})).toMatchObject({
      argon2idCost: { m: 65536, t: 3, p: 4 },
    });
    expect(parseConfig(required, { CNPAAS_WEBHOOKS_ARGON2ID_COST: 'm=19456,t=3,p=1' })).toMatchObject({
      argon2idCost: { m: 19456, t: 3, p: 1 },
    });
  });

  it('refuses an argon2id cost below the floor at startup, naming the setting and the floor', () => {
    for (const [argv, env] of [
      [[...required, '--argon2id-cost', 'm=4096,t=2,p=1'], {}],
      [required, { CNPAAS_WEBHOOKS_ARGON2ID_COST: 'm=19456,t=1,p=1' }],
    ] as const) {
      const err = failure([...argv], env);
      expect(err.code).toBe('CNPAAS_WEBHOOKS_BAD_FLAG');
      expect(err.message).toMatch(
        /^--argon2id-cost: m=\d+,t=\d,p=1 is below the floor m=19456,t=2,p=1 \(OWASP's minimum/,
      );
      expect(err.hint).toContain('CNPAAS_WEBHOOKS_ARGON2ID_COST');
      expect(err.hint).toContain('at least m=19456,t=2,p=1');
    }
  });

  it.each(TWINS)('reads %s from %s', (flag, name, value, config) => {
    const argv = required.includes(flag) ? without(flag) : required;
    expect(parseConfig(argv, { [name]: value })).toMatchObject(config);
  });

  it('reads every flag from the environment, and flags win', () => {
    const env = Object.fromEntries(TWINS.map(([, name, value]) => [name, value]));
    expect(parseConfig([], env)).toMatchObject(Object.assign({}, ...TWINS.map(([, , , config]) => config)));
    expect(parseConfig(['--listen', '[::1]:8443', '--cert-file', '/flag/c'], env)).toMatchObject({
      host: '::1',
      port: 8443,
      certFile: '/flag/c',
    });
  });

  it('runs in a pod without a kubeconfig', () => {
    expect(parseConfig(without('--kubeconfig'), { KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toMatchObject({
      inCluster: true,
      kubeconfig: undefined,
    });
  });

  it('answers --help and --version', () => {
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(parseConfig(['--version'], {})).toBe('version');
  });

  it.each([
    [without('--cert-file'), '--cert-file: is required'],
    [without('--key-file'), '--key-file: is required'],
    [without('--kubeconfig'), '--kubeconfig: is required outside a pod'],
    // Running on its own must not fail open: no client CA means no client check, no names means any certificate of the CA.
    [
      without('--client-ca-file'),
      '--client-ca-file: is required: without it the admission routes would accept callers without a client certificate',
    ],
    [
      without('--allowed-client-names'),
      '--allowed-client-names: is required: without it any certificate signed by --client-ca-file could call the admission routes',
    ],
    [[...required, '--allowed-client-names', ' , '], '--allowed-client-names: is required'],
    [[...required, '--listen', '9443'], '--listen: "9443" is not HOST:PORT'],
    [[...required, '--listen', 'localhost:70000'], 'is not HOST:PORT'],
    [[...required, '--log-level', 'loud'], '--log-level: "loud" is not a level'],
    [[...required, '--argon2id-cost', '19456,2,1'], '--argon2id-cost: "19456,2,1" is not m=<KiB>,t=<passes>,p=<lanes>'],
    [[...required, '--argon2id-cost', 'm=19456,t=2,p=0'], '--argon2id-cost: "m=19456,t=2,p=0" is not'],
    [[...required, '--argon2id-cost', 'm=1048576,t=2,p=1'], '--argon2id-cost: m=1048576,t=2,p=1 is out of range'],
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
