import { EndpointError } from './registry-types.js';

/**
 * What the endpoints of network databases (postgres-endpoint.ts,
 * mysql-endpoint.ts) share: the password is replaced before any text of the
 * endpoint can reach a message, and TLS is either off, on with the server's
 * certificate verified, or on without verification. A mode that may fall
 * back to plain text (PostgreSQL's `prefer`, MySQL's `preferred`) is refused:
 * it would send the password in the clear to whoever answers.
 */
export type TlsSetting = false | { rejectUnauthorized: boolean };

export const REDACTED = '***';

/**
 * Parses a URL-form endpoint and its redacted form. An unencoded `@` or `/`
 * in a password makes a URL parse into a different host and path, which
 * would put pieces of the password into the displayed endpoint; more than one
 * `@` is therefore refused before anything of it is shown.
 */
export function parseEndpointUrl(endpoint: string, hint: string): { url: URL; display: string } {
  if (endpoint.indexOf('@') !== endpoint.lastIndexOf('@')) {
    throw new EndpointError(
      `"${redactText(endpoint)}" has more than one @`,
      `percent-encode an @ in the user or password as %40; ${hint}`,
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointError(`"${redactText(endpoint)}" is not a valid URL`, hint);
  }
  return { url, display: redactUrl(url) };
}

/** A parsed URL as it may be shown: the password replaced by `***`. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = REDACTED;
  return copy.href;
}

/** For text that did not even parse: drop anything between the first `:` and the last `@` of the authority. */
export function redactText(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):.*@/i, `$1:${REDACTED}@`);
}

/**
 * The TLS setting an endpoint's `param` asks for, from the database's own
 * spelling of the modes (`modes` maps each accepted value); no value means
 * `fallback`.
 */
export function tlsSetting(
  display: string,
  param: string,
  value: string | null,
  modes: Readonly<Record<string, TlsSetting>>,
  fallback: string,
): TlsSetting {
  const mode = value ?? fallback;
  if (!Object.hasOwn(modes, mode)) {
    throw new EndpointError(
      `${display}: ${param} "${mode}" is not supported`,
      `use one of ${Object.keys(modes).join(', ')}`,
    );
  }
  const setting = modes[mode]!;
  // A copy: a client may keep, and change, the object it is given.
  return setting === false ? false : { ...setting };
}

/** Refuses every query parameter but the ones a driver understands. */
export function onlyParams(display: string, params: URLSearchParams, allowed: readonly string[]): void {
  for (const key of params.keys()) {
    if (!allowed.includes(key)) throw new EndpointError(`${display}: parameter "${key}" is not supported`, 'remove it');
  }
}
