import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its key as files, and their PEM texts. */
export interface Issued {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/**
 * A throw-away certificate authority made with the openssl CLI, the way an
 * operator would make one, in `dir`.
 */
export class OpensslCa {
  readonly certFile: string;
  readonly #keyFile: string;

  constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    this.certFile = join(dir, `${name}.crt`);
    this.#keyFile = join(dir, `${name}.key`);
    this.#openssl(
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', this.#keyFile],
      ...['-out', this.certFile, '-days', '1', '-subj', `/CN=${name}`],
    );
  }

  get cert(): string {
    return readFileSync(this.certFile, 'utf8');
  }

  /** Issues a certificate for `cn` with the given extensions (openssl -extfile text). */
  issue(cn: string, ext: string): Issued {
    const base = join(this.dir, `${this.name}-${cn}`);
    this.#openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    writeFileSync(`${base}.ext`, ext);
    this.#openssl(
      ...['x509', '-req', '-in', `${base}.csr`, '-CA', this.certFile, '-CAkey', this.#keyFile],
      ...['-CAcreateserial', '-out', `${base}.crt`, '-days', '1', '-extfile', `${base}.ext`],
    );
    return {
      certFile: `${base}.crt`,
      keyFile: `${base}.key`,
      cert: readFileSync(`${base}.crt`, 'utf8'),
      key: readFileSync(`${base}.key`, 'utf8'),
    };
  }

  #openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
}
