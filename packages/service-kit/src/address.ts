/** HOST:PORT, as flags and URLs write it: an IPv6 address in brackets. */

export interface HostPort {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** "127.0.0.1:9443", "localhost:9443", "[::1]:9443"; undefined for anything else, or a port above 65535. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[3]) > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port: Number(m[3]) };
}

/** The other way round: "127.0.0.1:9443", "[::1]:9443". */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
