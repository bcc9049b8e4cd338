/**
 * TLS material from files named by flags. A server reads them at start and
 * again on SIGHUP (certificate rotation), so a failure names the flag and
 * the file, and says where such files come from.
 */
import { readFileSync } from 'node:fs';
import { ServiceError, errorMessage, type ErrorFactory } from './errors.js';

export interface ReadPemOptions {
  /** The flag that named the file, without dashes. */
  flag: string;
  error: ErrorFactory<'TLS'>;
  /** Default: the files cnpaas up's PKI writes. */
  hint?: string;
}

export function readPem(file: string, options: ReadPemOptions): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw options.error('TLS', `cannot read --${options.flag} ${file}: ${errorMessage(err)}`, {
      hint: options.hint ?? "point the flag at the PEM file cnpaas up's PKI wrote (under <state-dir>/pki/)",
      cause: err,
    });
  }
}

export interface TlsSetupOptions {
  /** Which flags to check, e.g. "check that --key-file is the key of --cert-file and both are PEM". */
  hint: string;
  error: ErrorFactory<'TLS'>;
}

/**
 * Builds a server from TLS material. Node only finds out that a key does not
 * match its certificate, or that a file is not PEM, at this point, and says
 * so in OpenSSL's terms; this files such failures as TLS errors with a hint.
 */
export async function tlsSetup<T>(build: () => Promise<T>, options: TlsSetupOptions): Promise<T> {
  try {
    return await build();
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    throw options.error('TLS', `TLS setup failed: ${errorMessage(err)}`, { hint: options.hint, cause: err });
  }
}
