import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { OperatorError } from './errors.js';

const env = { KUBECONFIG: '/k/config' };

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    expect(parseConfig([], env)).toEqual({
      healthHost: '127.0.0.1',
      healthPort: 8081,
      kubeconfig: '/k/config',
      inCluster: false,
      leaderElection: true,
      claimGraceMs: 600_000,
      template: { namespace: 'cnpaas-system', name: 'registration' },
      apiServerUser: undefined,
      logLevel: 'info',
    });
  });

  it('reads flags over env, and in-cluster when no kubeconfig is given in a pod', () => {
    const config = parseConfig(
      [
        '--listen-health',
        '[::1]:0',
        '--no-leader-election',
        '--claim-grace-seconds',
        '5',
        '--template',
        'shop/welcome',
      ],
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', CNPAAS_OPERATOR_API_SERVER_USER: 'cnpaas-api-server' },
    );
    expect(config).toMatchObject({
      healthHost: '::1',
      healthPort: 0,
      inCluster: true,
      kubeconfig: undefined,
      leaderElection: false,
      claimGraceMs: 5_000,
      template: { namespace: 'shop', name: 'welcome' },
      apiServerUser: 'cnpaas-api-server',
    });
  });

  it('refuses bad values with the flag named and a fix', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[], {}, /--kubeconfig: is required outside a pod/],
      [['--listen-health', 'nope'], env, /--listen-health: "nope" is not HOST:PORT/],
      [['--claim-grace-seconds', '-1'], env, /--claim-grace-seconds/],
      [['--template', 'registration'], env, /--template: "registration" is not NAMESPACE\/NAME/],
      [['--log-level', 'loud'], env, /--log-level/],
      [['--bogus'], env, /bogus/],
      [['--api-server-user', 'a b'], env, /--api-server-user: "a b" is not a user name/],
    ];
    for (const [argv, e, message] of cases) {
      let err: unknown;
      try {
        parseConfig(argv, e);
      } catch (caught) {
        err = caught;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(OperatorError);
      expect((err as OperatorError).code).toBe('CNPAAS_OPERATOR_BAD_FLAG');
      expect((err as OperatorError).message).toMatch(message);
    }
  });

  it('answers --help and --version', () => {
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(parseConfig(['--version'], {})).toBe('version');
  });
});
