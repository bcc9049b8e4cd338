import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temp dir for a throw-away database server. PostgreSQL and MariaDB refuse
 * to run as root, so when the tests run as root the dir belongs to the
 * server's system user (`postgres`, `mysql`) and its programs run under
 * setpriv, which execs: the pid a caller holds is the server's own.
 */
export interface ServerDir {
  dir: string;
  /** The argv that runs `cmd args` as the dir's owner. */
  run: (cmd: string, args: string[]) => [string, string[]];
  /** Writes a 0600 file the server reads (a password, a certificate, a key) and returns its path. */
  owned: (name: string, text: string) => string;
  /** Runs the server's one-off initializer (initdb, mariadb-install-db) as the dir's owner, in the dir. */
  init: (cmd: string, args: string[]) => void;
  /** Writes the server's certificate, key and client CA as owned files and returns their paths. */
  ownedTls: (tls: ServerTls) => ServerTls;
}

/** A server's TLS material, PEM text or the files that hold it. */
export interface ServerTls {
  cert: string;
  key: string;
  ca: string;
}

export function serverDir(prefix: string, systemUser: string): ServerDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let owner: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(execFileSync('id', [flag, systemUser], { encoding: 'utf8' }).trim());
    owner = { uid: id('-u'), gid: id('-g') };
    chownSync(dir, owner.uid, owner.gid);
  }
  const setpriv = owner
    ? ['setpriv', `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--']
    : undefined;
  const run: ServerDir['run'] = (cmd, args) =>
    setpriv ? ['setpriv', [...setpriv.slice(1), cmd, ...args]] : [cmd, args];
  const owned: ServerDir['owned'] = (name, text) => {
    const file = join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    if (owner) chownSync(file, owner.uid, owner.gid);
    return file;
  };
  return {
    dir,
    run,
    owned,
    init: (cmd, args) => {
      const [initCmd, initArgs] = run(cmd, args);
      execFileSync(initCmd, initArgs, { cwd: dir, stdio: 'pipe' });
    },
    ownedTls: (tls) => ({
      cert: owned('server.crt', tls.cert),
      key: owned('server.key', tls.key),
      ca: owned('ca.crt', tls.ca),
    }),
  };
}
