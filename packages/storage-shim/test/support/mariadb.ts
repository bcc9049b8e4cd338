import { type MariadbHandle, startMariadb as startOn } from '../../src/testing/mariadb.js';
import { freePort } from './free-port.js';

export { MARIADB_USER, type MariadbHandle, mariadbMissing } from '../../src/testing/mariadb.js';

/** A throw-away MariaDB on a free port (src/testing/mariadb.ts has the details). */
export async function startMariadb(options: Parameters<typeof startOn>[1] = {}): Promise<MariadbHandle> {
  return startOn(await freePort(), options);
}
