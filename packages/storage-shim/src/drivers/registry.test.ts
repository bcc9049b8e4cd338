import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { thrownBy } from '@cnpaas/service-kit/testing';
import { EndpointError, databaseIdentity, registry, resolveEndpoint, supportedEndpoints } from './registry.js';
import { StoreError } from '../errors.js';
import { SqliteDriver } from './sqlite-driver.js';

const dataDir = '/var/lib/cnpaas';

const refusal = (endpoint: string): EndpointError =>
  thrownBy(EndpointError, () => resolveEndpoint(endpoint, { dataDir, warnings: [] }));

describe('resolveEndpoint', () => {
  it('maps sqlite:// URLs and bare paths to the SQLite driver, relative to the data dir', () => {
    const at = (endpoint: string) => resolveEndpoint(endpoint, { dataDir, warnings: [] });
    expect(at('sqlite:///abs/a.db')).toEqual({
      scheme: 'sqlite',
      location: '/abs/a.db',
      display: 'sqlite:///abs/a.db',
    });
    expect(at('sqlite://rel/a.db')).toMatchObject({ scheme: 'sqlite', location: '/var/lib/cnpaas/rel/a.db' });
    expect(at('/abs/b.db')).toMatchObject({ scheme: 'sqlite', location: '/abs/b.db' });
    expect(at('rel/b.db')).toMatchObject({ scheme: 'sqlite', location: '/var/lib/cnpaas/rel/b.db' });
  });

  it('maps postgres:// and postgresql:// to the PostgreSQL driver, showing the endpoint without its password', () => {
    for (const scheme of ['postgres', 'postgresql']) {
      const url = `${scheme}://u:hunter2@db:5432/t?sslmode=disable`;
      expect(resolveEndpoint(url, { dataDir, warnings: [] })).toEqual({
        scheme: 'postgres',
        location: url,
        display: `${scheme}://u:***@db:5432/t?sslmode=disable`,
      });
    }
  });

  it('maps mysql:// in all three forms to the MySQL driver, showing the endpoint without its password', () => {
    for (const [url, display] of [
      ['mysql://kine:hunter2@tcp(db:3306)/t', 'mysql://kine:***@tcp(db:3306)/t'],
      ['mysql://kine:hunter2@db:3306/t', 'mysql://kine:***@db:3306/t'],
      ['mysql://kine@unix(/run/mysqld/mysqld.sock)/t', 'mysql://kine@unix(/run/mysqld/mysqld.sock)/t'],
    ]) {
      expect(resolveEndpoint(url!, { dataDir, warnings: [] })).toEqual({ scheme: 'mysql', location: url, display });
    }
  });

  it('names each database one way, without its password or TLS setting, whatever form its endpoint took', () => {
    const identity = (endpoint: string) => databaseIdentity(resolveEndpoint(endpoint, { dataDir, warnings: [] }));
    for (const url of [
      'postgres://u:hunter2@db:5432/t?sslmode=disable',
      'postgresql://u@DB/t?sslmode=verify-full',
      'postgres://u:other@db:5432/t',
    ]) {
      expect(identity(url)).toBe('postgres://u@db:5432/t');
    }
    expect(identity('postgres://u@[::1]:6432/t')).toBe('postgres://u@[::1]:6432/t');
    for (const url of [
      'mysql://kine:hunter2@tcp(db:3306)/t',
      'mysql://kine@db/t?tls=true',
      'mysql://kine:x@DB:3306/t',
    ]) {
      expect(identity(url)).toBe('mysql://kine@tcp(db:3306)/t');
    }
    expect(identity('mysql://kine@unix(/run/mysqld/mysqld.sock)/t')).toBe(
      'mysql://kine@unix(/run/mysqld/mysqld.sock)/t',
    );
    expect(identity('sqlite://rel/a.db')).toBe('sqlite:///var/lib/cnpaas/rel/a.db');
  });

  it('warns about a query string it ignores', () => {
    const warnings: string[] = [];
    resolveEndpoint('sqlite://a.db?cache=shared', { dataDir, warnings });
    expect(warnings).toEqual(['query "?cache=shared" is ignored (the store sets WAL and FULL sync itself)']);
  });

  it('reads ?thread=worker as the worker variant of a SQLite file, and only that setting', () => {
    const warnings: string[] = [];
    const at = (endpoint: string) => resolveEndpoint(endpoint, { dataDir, warnings });
    expect(at('sqlite://a.db?thread=worker')).toEqual({
      scheme: 'sqlite',
      location: '/var/lib/cnpaas/a.db',
      display: 'sqlite://a.db?thread=worker',
      thread: 'worker',
    });
    // The default, written out, resolves as no setting: the same endpoint for the topology's comparisons.
    expect(at('sqlite:///abs/a.db?thread=main')).toEqual({
      scheme: 'sqlite',
      location: '/abs/a.db',
      display: 'sqlite:///abs/a.db?thread=main',
    });
    expect(warnings).toEqual([]);
    expect(at('sqlite://a.db?cache=shared&thread=worker&_busy=1')).toMatchObject({ thread: 'worker' });
    expect(warnings).toEqual(['query "?cache=shared&_busy=1" is ignored (the store sets WAL and FULL sync itself)']);
    // Where the statements run says nothing about which database it is.
    expect(databaseIdentity(at('sqlite://a.db?thread=worker'))).toBe(databaseIdentity(at('sqlite://a.db')));
  });

  it('refuses a thread setting other than main or worker, or one given twice, saying how to write it', () => {
    const bad = refusal('sqlite://a.db?thread=pool');
    expect(bad.reason).toBe('has thread=pool, which is not a setting');
    expect(bad.hint).toContain('?thread=worker');
    expect(refusal('sqlite://a.db?thread').reason).toBe('has thread=, which is not a setting');
    const twice = refusal('sqlite://a.db?thread=worker&thread=main');
    expect(twice.reason).toBe('sets thread 2 times (worker, main)');
    expect(twice.hint).toBe('give ?thread=worker once, or leave it out to run the file on the main thread');
  });

  it('refuses a scheme no driver is registered for, listing the supported ones and how to write them', () => {
    for (const scheme of ['sqlserver', 'http', 'etcd']) {
      const err = refusal(`${scheme}://user@host/db`);
      expect(err.reason).toBe(`scheme "${scheme}" is not supported (supported: sqlite, postgres, postgresql, mysql)`);
      expect(err.hint).toBe(`write the endpoint as one of: ${supportedEndpoints()}`);
      expect(err.hint).toContain('sqlite:///abs/path.db');
      expect(err.hint).toContain('postgres://user:password@host:5432/database?sslmode=disable');
      expect(err.hint).toContain('mysql://user:password@tcp(host:3306)/database');
    }
  });

  it("refuses the store's own files and an endpoint without a file", () => {
    expect(refusal('sqlite://main.db').reason).toBe('is already used by the store itself');
    expect(refusal(`sqlite://${dataDir}/meta.db`).reason).toBe('is already used by the store itself');
    expect(refusal('sqlite://?x=1').reason).toBe('names no file');
  });
});

describe('registry', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a SQLite backend in a private directory it creates', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-registry-'));
    const endpoint = resolveEndpoint('sqlite://sub/x.db', { dataDir: dir, warnings: [] });
    const d = registry.open(endpoint, { fsync: false });
    expect(d).toBeInstanceOf(SqliteDriver);
    expect(d.location).toBe(join(dir, 'sub', 'x.db'));
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    await d.close();
  });

  it('refuses a SQLite file on a worker thread when the store keeps label indexes, before starting the worker', () => {
    dir = mkdtempSync(join(tmpdir(), 'cnpaas-registry-'));
    const endpoint = resolveEndpoint('sqlite://w.db?thread=worker', { dataDir: dir, warnings: [] });
    const err = thrownBy(StoreError, () => registry.open(endpoint, { fsync: false, labelIndex: true }));
    expect(err.code).toBe('CNPAAS_STORE_SQLITE_WORKER_LABEL_INDEX');
    expect(err.message).toContain(
      'sqlite://w.db?thread=worker: a SQLite backend with ?thread=worker keeps no label index',
    );
    expect(err.hint).toBe(
      'drop ?thread=worker from this endpoint to keep the index, or start the store with --label-index=off',
    );
    expect(existsSync(join(dir, 'w.db'))).toBe(false);
  });
});
