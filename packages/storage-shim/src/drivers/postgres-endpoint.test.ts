import { describe, expect, it } from 'vitest';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { parsePostgresEndpoint } from './postgres-endpoint.js';
import { EndpointError } from './registry-types.js';

const SECRET = 's3cr3t:p@ss';

const refusal = (endpoint: string): EndpointError => thrownBy(EndpointError, () => parsePostgresEndpoint(endpoint));

describe('parsePostgresEndpoint', () => {
  it('splits a URL into pg connection settings and a display form without the password', () => {
    const e = parsePostgresEndpoint(
      `postgres://kine:${encodeURIComponent(SECRET)}@db.example:6432/tenants?sslmode=disable`,
    );
    expect(e.config).toEqual({
      host: 'db.example',
      port: 6432,
      database: 'tenants',
      user: 'kine',
      password: SECRET,
      ssl: false,
      connectionTimeoutMillis: 10_000,
      options: '-c enable_bitmapscan=off',
    });
    expect(e.display).toBe('postgres://kine:***@db.example:6432/tenants?sslmode=disable');
    expect(parsePostgresEndpoint('postgresql://u@[::1]/d').config).toMatchObject({ host: '::1', port: 5432 });
  });

  it('never puts the password into an error', () => {
    const pass = encodeURIComponent(SECRET);
    for (const [endpoint, reason] of [
      [`postgres://u:${pass}@h/d?sslmode=prefer`, 'sslmode "prefer" is not supported'],
      [`postgres://u:${pass}@h/d?pool=9`, 'parameter "pool" is not supported'],
      [`postgres://u:${pass}@h/`, 'names no host or no database'],
      [`postgres://u:${pass}@h:notaport/d`, 'is not a valid URL'],
      [`postgres://u:${SECRET}@h/d`, 'has more than one @'],
    ] as const) {
      const err = refusal(endpoint);
      expect(err.reason).toContain(reason);
      expect(`${err.reason} ${err.hint}`).not.toContain(pass);
      expect(`${err.reason} ${err.hint}`).not.toContain('s3cr3t');
    }
  });
});
