import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsFailedStatements } from '../../src/drivers/postgres-driver.js';
import { type ServerHandle, startStore } from '../support/processes.js';
import { SQL_SERVERS, type SqlServerHandle } from '../support/sql-servers.js';

/**
 * A refused optimistic batch is a statement that fails, and PostgreSQL logs
 * a failed statement's text, literal values and all, at its default
 * log_min_error_statement. A store on a PostgreSQL main backend says so at
 * start, with the fix, unless the server keeps that text out of its log.
 */

const WARNING = 'PostgreSQL logs the text of each statement that fails';

describe('logsFailedStatements', () => {
  it('is true at error and every level below it, false at log and above, and where the setting is missing', () => {
    for (const level of ['error', 'ERROR', 'warning', 'notice', 'info', 'debug1', 'debug5'])
      expect(logsFailedStatements(level)).toBe(true);
    for (const level of ['log', 'fatal', 'panic', null, undefined]) expect(logsFailedStatements(level)).toBe(false);
  });
});

const postgres = SQL_SERVERS.find((s) => s.name.startsWith('PostgreSQL'))!;
const missing = postgres.missing();
if (missing) console.warn(`skipping the statement-log warning tests: ${missing}`);

describe.skipIf(missing !== undefined)('a store on a PostgreSQL main backend, at start', () => {
  let server: SqlServerHandle;
  let store: ServerHandle | undefined;

  beforeAll(async () => {
    server = await postgres.start();
    await server.createDatabase('logged');
  }, 60_000);

  afterAll(async () => {
    await store?.stop();
    await server?.stop();
  });

  const start = async () => {
    await store?.stop();
    store = await startStore({ extraArgs: [`--main-endpoint=${server.url('logged')}`], logLevel: 'warn' });
    return store;
  };

  it('says nothing when the server keeps failed statements out of its log (log_min_error_statement = log)', async () => {
    const s = await start();
    expect(s.output()).not.toContain(WARNING);
  });

  it("warns, naming the fix, when the store's role logs them (log_min_error_statement = error)", async () => {
    const admin = await server.connect('logged');
    try {
      // The test server's account is a superuser; a role's setting applies to its next sessions.
      await admin.query('ALTER ROLE CURRENT_USER SET log_min_error_statement = error');
    } finally {
      await admin.end();
    }
    const s = await start();
    expect(s.output()).toContain(WARNING);
    expect(s.output()).toContain('ALTER ROLE <the store user> SET log_min_error_statement = log');
    // The warning names no endpoint, so it cannot carry the password.
    expect(s.output()).not.toContain(server.password);
  });
});
