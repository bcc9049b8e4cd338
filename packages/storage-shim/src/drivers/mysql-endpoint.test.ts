import { describe, expect, it } from 'vitest';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { parseMysqlEndpoint } from './mysql-endpoint.js';
import { EndpointError } from './registry-types.js';

// A password with every character that splits an endpoint: `:`, `@`, `/`, `?`.
const SECRET = 's3cr3t:p@ss/w?rd';

const refusal = (endpoint: string): EndpointError => thrownBy(EndpointError, () => parseMysqlEndpoint(endpoint));

describe('parseMysqlEndpoint', () => {
  it("reads Go's DSN form as kine writes it, the password taken literally up to the last @", () => {
    const e = parseMysqlEndpoint(`mysql://kine:${SECRET}@tcp(db.example:3307)/tenants?tls=true`);
    expect(e.config).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'kine',
      password: SECRET,
      database: 'tenants',
      // Like Go's tls=true: the chain and the host name are checked.
      ssl: { rejectUnauthorized: true, verifyIdentity: true },
      connectTimeout: 10_000,
    });
    expect(e.display).toBe('mysql://kine:***@tcp(db.example:3307)/tenants?tls=true');
    expect(parseMysqlEndpoint('mysql://u:p@tcp([::1])/d').config).toMatchObject({ host: '::1', port: 3306 });
    // mysql2 can check no host name for an IP address: the chain only.
    expect(parseMysqlEndpoint('mysql://u:p@tcp(10.0.0.5)/d?tls=true').config.ssl).toEqual({ rejectUnauthorized: true });
    expect(parseMysqlEndpoint('mysql://u:p@tcp(h)/d?tls=skip-verify').config.ssl).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('reads a unix socket DSN, with or without a password', () => {
    const e = parseMysqlEndpoint('mysql://store@unix(/run/mysqld/mysqld.sock)/kube');
    expect(e.config).toEqual({
      socketPath: '/run/mysqld/mysqld.sock',
      user: 'store',
      password: '',
      database: 'kube',
      connectTimeout: 10_000,
    });
    expect(e.display).toBe('mysql://store@unix(/run/mysqld/mysqld.sock)/kube');
    expect(parseMysqlEndpoint('mysql://store:pw@unix(/s.sock)/kube').display).toBe(
      'mysql://store:***@unix(/s.sock)/kube',
    );
  });

  it('reads the plain URL form, percent-decoding user, password and database', () => {
    const e = parseMysqlEndpoint(`mysql://kine:${encodeURIComponent(SECRET)}@10.0.0.5/t%2Dx`);
    expect(e.config).toEqual({
      host: '10.0.0.5',
      port: 3306,
      user: 'kine',
      password: SECRET,
      database: 't-x',
      connectTimeout: 10_000,
    });
    expect(e.display).toBe('mysql://kine:***@10.0.0.5/t%2Dx');
  });

  it('never puts the password into an error', () => {
    const encoded = encodeURIComponent(SECRET);
    for (const [endpoint, reason] of [
      [`mysql://u:${SECRET}@tcp(h:3306)/d?tls=preferred`, 'tls "preferred" is not supported'],
      [`mysql://u:${SECRET}@tcp(h:3306)/d?parseTime=true`, 'parameter "parseTime" is not supported'],
      [`mysql://u:${SECRET}@tcp(h:3306)/`, 'names no database'],
      [`mysql://u:${SECRET}@tcp(h:99999)/d`, 'port 99999 is out of range'],
      [`mysql://u:${SECRET}@tcp(h:1:2)/d`, 'is not host:port'],
      [`mysql://u:${SECRET}@unix(rel.sock)/d`, 'the socket path must be absolute'],
      [`mysql://u:${encoded}@h/d?tls=maybe`, 'tls "maybe" is not supported'],
      [`mysql://u:${encoded}@h:notaport/d`, 'is not a valid URL'],
      [`mysql://u:${SECRET}@h/d`, 'has more than one @'],
    ] as const) {
      const err = refusal(endpoint);
      expect(err.reason).toContain(reason);
      for (const secret of [SECRET, encoded, 's3cr3t']) expect(`${err.reason} ${err.hint}`).not.toContain(secret);
    }
  });
});
