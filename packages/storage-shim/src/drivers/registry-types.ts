import type { BackendDriver, BackendEndpoint, OpenOptions } from '../mvcc/backend.js';
import type { ConnectionSettings } from './connection-settings.js';

/** One database driver, found by the scheme of a backend's endpoint. */
export interface DriverFactory {
  /** The URL scheme, without `://`. */
  readonly scheme: string;
  /** Other schemes that mean the same driver. */
  readonly aliases?: readonly string[];
  /** The endpoint forms it accepts, for the error that lists what is supported. */
  readonly forms: readonly string[];
  /**
   * Checks the part after `scheme://` when the topology is read, before
   * anything is opened; returns the database's location and the form of the
   * endpoint that may be shown (no password). `connection` holds the
   * topology's passwordFile/passwordEnv and backendTLS, to be checked
   * against the endpoint. Throws EndpointError.
   */
  resolve(
    rest: string,
    context: { scheme: string; dataDir: string; warnings: string[]; connection: ConnectionSettings },
  ): { location: string; display: string };
  open(endpoint: BackendEndpoint, options: OpenOptions): BackendDriver;
  /**
   * The database a resolved endpoint names, as replicas compare their
   * topologies (routing/routing-fingerprint.ts): scheme, user, server and
   * database, written one way whichever form the endpoint took. Never the
   * password, nor a setting that may differ per replica (TLS, timeouts).
   */
  identity(endpoint: BackendEndpoint): string;
}

/** Why an endpoint is refused; the topology code names the file and the field. */
export class EndpointError extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(reason);
  }
}
