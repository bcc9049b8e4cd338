import { describe, expect, it } from 'vitest';
import { parseConfig, parseDuration, parseListen } from './config.js';
import { ApiServerError } from './errors.js';

const REQUIRED = [
  '--tls-cert-file',
  'c.crt',
  '--tls-private-key-file',
  'c.key',
  '--requestheader-client-ca-file',
  'fp.crt',
  '--kubeconfig',
  'k.yaml',
];

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiServerError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return 'no error';
}

describe('parseConfig', () => {
  it('has safe defaults: loopback, front-proxy-client only, 30 s, 64 KiB', () => {
    const config = parseConfig(REQUIRED, {});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8443,
      requestheaderAllowedNames: ['front-proxy-client'],
      registrationTimeoutMs: 30_000,
      maxBodyBytes: 65_536,
      logLevel: 'info',
      inCluster: false,
    });
    expect(config).toHaveProperty('tlsCertFile', expect.stringMatching(/^\/.*c\.crt$/));
  });

  it('reads environment twins; flags win', () => {
    const env = {
      CNPAAS_API_TLS_CERT_FILE: '/e/c.crt',
      CNPAAS_API_TLS_PRIVATE_KEY_FILE: '/e/c.key',
      CNPAAS_API_REQUESTHEADER_CLIENT_CA_FILE: '/e/fp.crt',
      CNPAAS_API_REQUESTHEADER_ALLOWED_NAMES: 'a, b',
      CNPAAS_API_REGISTRATION_TIMEOUT: '45s',
      KUBECONFIG: '/e/k.yaml',
    };
    expect(parseConfig([], env)).toMatchObject({
      tlsCertFile: '/e/c.crt',
      requestheaderAllowedNames: ['a', 'b'],
      registrationTimeoutMs: 45_000,
      kubeconfig: '/e/k.yaml',
    });
    expect(parseConfig(['--registration-timeout', '500ms'], env)).toMatchObject({ registrationTimeoutMs: 500 });
  });

  it('requires the front-proxy CA, and an empty allowed-names list falls back to the default instead of allowing any CN', () => {
    const withoutCa = REQUIRED.filter((_, i) => i !== 4 && i !== 5);
    expect(codeOf(() => parseConfig(withoutCa, {}))).toMatch(
      /^CNPAAS_API_BAD_FLAG: --requestheader-client-ca-file: is required/,
    );
    expect(parseConfig([...REQUIRED, '--requestheader-allowed-names', ' , '], {})).toMatchObject({
      requestheaderAllowedNames: ['front-proxy-client'],
    });
  });

  it('refuses malformed values with the flag named', () => {
    expect(codeOf(() => parseConfig([...REQUIRED, '--registration-timeout', 'soon'], {}))).toContain(
      '--registration-timeout',
    );
    expect(codeOf(() => parseConfig([...REQUIRED, '--max-body-bytes', '12'], {}))).toContain('--max-body-bytes');
    expect(codeOf(() => parseConfig([...REQUIRED, '--log-level', 'loud'], {}))).toContain('--log-level');
    expect(codeOf(() => parseConfig([...REQUIRED, '--bogus'], {}))).toContain('CNPAAS_API_BAD_FLAG');
    expect(codeOf(() => parseConfig(REQUIRED.slice(0, 6), {}))).toContain('--kubeconfig');
  });

  it("uses the pod's service account when no kubeconfig is given inside a pod", () => {
    expect(parseConfig(REQUIRED.slice(0, 6), { KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toMatchObject({
      inCluster: true,
      kubeconfig: undefined,
    });
  });

  it('answers help and version', () => {
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(parseConfig(['--version'], {})).toBe('version');
  });
});

describe('parseListen and parseDuration', () => {
  it('parse HOST:PORT and durations', () => {
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseListen('localhost')).toThrow(/HOST:PORT/);
    expect(parseDuration('2m', 'x')).toBe(120_000);
    expect(parseDuration('1.5', 'x')).toBe(1_500);
    expect(() => parseDuration('11m', 'x')).toThrow(/out of range/);
  });
});
