import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { StoreError } from '../errors.js';

/**
 * A unix socket is the store's only authentication when it listens on one
 * (the platform's default), so the path is handled with care: the store
 * replaces nothing but a socket that no process answers on any more, and the
 * socket is owner-only from the moment bind creates it.
 */

function describeNonSocket(path: string): string | undefined {
  let st;
  try {
    // lstat: a symbolic link is judged as the link, never by what it points at.
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError(
      'CNPAAS_STORE_SOCKET_PATH',
      `unix://${path}: cannot inspect the path: ${(err as Error).message}`,
      'check the permissions of the socket directory, or choose another socket path',
    );
  }
  if (st.isSocket()) return '';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  return 'not a socket';
}

/** 'stale' when nothing listens on the socket any more (ECONNREFUSED), 'live' when a process answers. */
function probe(path: string): Promise<'stale' | 'live'> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED') resolve('stale');
      else
        reject(
          new StoreError(
            'CNPAAS_STORE_SOCKET_PATH',
            `unix://${path}: cannot tell whether the existing socket is in use: ${err.message}`,
            'remove the socket yourself if no process uses it, or choose another socket path',
          ),
        );
    });
  });
}

/** Removes a socket a killed store left at `path`; refuses a live socket or anything that is not a socket. */
export async function clearStaleSocket(path: string): Promise<void> {
  const kind = describeNonSocket(path);
  if (kind === undefined) return;
  if (kind !== '') {
    throw new StoreError(
      'CNPAAS_STORE_SOCKET_PATH',
      `unix://${path}: the path exists and is ${kind}; the store replaces only a socket left behind by a stopped store`,
      'remove it yourself if it is not needed, or choose another socket path',
    );
  }
  if ((await probe(path)) === 'live') {
    throw new StoreError(
      'CNPAAS_STORE_SOCKET_PATH',
      `unix://${path}: another process is listening on this socket`,
      'stop that process (another cnpaas-store?) or choose another socket path',
    );
  }
  unlinkSync(path);
}

/**
 * Runs `bind` with umask 0177, so the socket file is created 0600. Setting
 * the mode after bind would leave a moment in which any local user could
 * connect. The umask is the process's, so it is restored as soon as the bind
 * settles; anything else created meanwhile only ends up more private.
 */
export async function withOwnerOnlyUmask<T>(bind: () => Promise<T>): Promise<T> {
  const previous = process.umask(0o177);
  try {
    return await bind();
  } finally {
    process.umask(previous);
  }
}
