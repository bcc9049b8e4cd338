import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync } from 'node:fs';

/**
 * The store's files hold every Secret of the cluster in the clear, so they
 * are owner-only whatever the process umask says: directories 0700, database
 * files 0600.
 */

/** mkdir -p, every directory it creates owner-only. An existing directory keeps its mode (the caller warns). */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates the database file 0600 before SQLite first opens it, and narrows an
 * existing one. SQLite creates the -wal and -shm files with the mode of the
 * database file, so they follow; files an older store left are narrowed here.
 */
export function makePrivateDatabase(path: string): void {
  // O_NOFOLLOW: a symbolic link planted at a database path is refused, not written through.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  for (const suffix of ['-wal', '-shm', '-journal']) {
    try {
      chmodSync(`${path}${suffix}`, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
