import { type PostgresHandle, type PostgresTls, startPostgres as startOn } from '../../src/testing/postgres.js';
import { freePort } from './free-port.js';

export { PG_USER, type PostgresHandle, type PostgresTls, postgresMissing } from '../../src/testing/postgres.js';

/** A throw-away PostgreSQL 15 on a free loopback port (src/testing/postgres.ts); with `tls`, TCP logins need TLS. */
export async function startPostgres(options: { tls?: PostgresTls } = {}): Promise<PostgresHandle> {
  return startOn(await freePort(), options);
}
