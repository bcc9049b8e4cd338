import { describe, expect, it } from 'vitest';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { StoreError } from '../errors.js';
import { checkListenPolicy, isLoopbackHost, type ListenPolicyConfig, parseClientUrl } from './listen-policy.js';

const base: ListenPolicyConfig = {
  listenClientUrls: [],
  listenMetricsUrls: [],
  clientCertAuth: false,
  allowUnauthenticatedTcp: false,
  allowNonLoopbackMetrics: false,
};
const check = (c: Partial<ListenPolicyConfig>) => checkListenPolicy({ ...base, ...c });

const refusal = (c: Partial<ListenPolicyConfig>): StoreError => thrownBy(StoreError, () => check(c));

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])(
    '%s is loopback',
    (h) => {
      expect(isLoopbackHost(h)).toBe(true);
    },
  );
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1', '::ffff:10.0.0.1'])(
    '%s is not',
    (h) => {
      expect(isLoopbackHost(h)).toBe(false);
    },
  );
});

describe('parseClientUrl', () => {
  it.each([
    ['http://[::1]:2379', { scheme: 'http', host: '::1', address: '[::1]:2379', secure: false }],
    ['https://0.0.0.0:2379/', { host: '0.0.0.0', address: '0.0.0.0:2379', secure: true }],
    ['unix:///run/s.sock', { scheme: 'unix', host: undefined, address: '/run/s.sock' }],
  ])('splits %s', (url, listener) => {
    expect(parseClientUrl(url)).toMatchObject(listener);
  });
  it('refuses a TCP URL without a port, naming the form', () => {
    expect(() => parseClientUrl('http://127.0.0.1')).toThrow('"http://127.0.0.1" is not http://IP:PORT');
  });
});

describe('plain TCP', () => {
  it('is allowed on loopback with a warning that every local user can connect', () => {
    const warnings = check({ listenClientUrls: ['http://127.0.0.1:2379', 'http://[::1]:2379', 'unix:///tmp/s.sock'] });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(
      'http://127.0.0.1:2379 accepts plain HTTP/2 without TLS: any user or process on this machine can connect',
    );
  });

  it.each([
    'http://0.0.0.0:2379',
    'http://10.1.2.3:2379',
    'http://[::]:2379',
    'http://etcd.example:2379',
    'https://0.0.0.0:2379',
  ])('is refused on %s without the opt-in', (url) => {
    const err = refusal({ listenClientUrls: [url] });
    expect(err.code).toBe('CNPAAS_STORE_INSECURE_LISTENER');
    expect(err.message).toContain(`${url} would accept`);
    expect(err.hint).toContain('--insecure-allow-unauthenticated-tcp');
  });

  it('is allowed off loopback with --insecure-allow-unauthenticated-tcp, with a warning', () => {
    const warnings = check({ listenClientUrls: ['http://0.0.0.0:2379'], allowUnauthenticatedTcp: true });
    expect(warnings).toEqual([
      expect.stringContaining('--insecure-allow-unauthenticated-tcp: http://0.0.0.0:2379 accepts plain HTTP/2'),
    ]);
  });

  it('https:// with --client-cert-auth needs no opt-in anywhere', () => {
    expect(check({ listenClientUrls: ['https://0.0.0.0:2379'], clientCertAuth: true })).toEqual([]);
  });
});

describe('--client-cert-auth', () => {
  it.each(['http://127.0.0.1:2379', 'unix:///tmp/s.sock'])('cannot apply to %s: start-up stops naming it', (url) => {
    const err = refusal({ listenClientUrls: ['https://127.0.0.1:2380', url], clientCertAuth: true });
    expect(err.code).toBe('CNPAAS_STORE_INSECURE_LISTENER');
    expect(err.message).toContain(`--client-cert-auth cannot apply to ${url}`);
    expect(err.hint).toContain('https://IP:PORT with --cert-file, --key-file and --trusted-ca-file');
  });
});

describe('--listen-metrics-urls', () => {
  it('is fine on loopback', () => {
    expect(
      check({ listenMetricsUrls: ['http://127.0.0.1:2381', 'http://[::1]:2381', 'http://localhost:2381'] }),
    ).toEqual([]);
  });

  it('is refused elsewhere without --insecure-allow-non-loopback-metrics', () => {
    const err = refusal({ listenMetricsUrls: ['http://0.0.0.0:2381'] });
    expect(err.code).toBe('CNPAAS_STORE_INSECURE_LISTENER');
    expect(err.message).toContain('--listen-metrics-urls http://0.0.0.0:2381 is not a loopback address');
    expect(err.hint).toContain('--insecure-allow-non-loopback-metrics');
    expect(check({ listenMetricsUrls: ['http://0.0.0.0:2381'], allowNonLoopbackMetrics: true })).toHaveLength(1);
  });

  it('names a malformed URL', () => {
    expect(() => check({ listenMetricsUrls: ['127.0.0.1:2381'] })).toThrow('"127.0.0.1:2381" is not http://IP:PORT');
  });
});
