import { type PostgresHandle, startPostgres as startOn } from '../../src/testing/postgres.js';
import { freePort } from './free-port.js';

export { PG_USER, type PostgresHandle, postgresMissing } from '../../src/testing/postgres.js';

/** A throw-away PostgreSQL 15 on a free loopback port (src/testing/postgres.ts). */
export async function startPostgres(): Promise<PostgresHandle> {
  return startOn(await freePort());
}
