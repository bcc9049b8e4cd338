import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { StoreError } from '../errors.js';

/**
 * Which listeners the store agrees to open. The etcd API has no
 * authentication of its own here, so whoever can connect can read every
 * Secret and write anything: the only gates are the socket's file mode and
 * TLS client certificates. This file decides, before anything binds, whether
 * a listener is safe, needs an explicit opt-in, or cannot work as asked.
 */

export interface ClientListener {
  url: string;
  scheme: 'http' | 'https' | 'unix' | 'unixs';
  /** TLS on the wire (https://, unixs://). */
  secure: boolean;
  /** TCP: the host part without brackets; unix: undefined. */
  host: string | undefined;
  /** TCP: host:port as grpc-js binds it; unix: the socket path. */
  address: string;
}

export interface ListenPolicyConfig {
  listenClientUrls: string[];
  listenMetricsUrls: string[];
  clientCertAuth: boolean;
  allowUnauthenticatedTcp: boolean;
  allowNonLoopbackMetrics: boolean;
}

export const UNAUTHENTICATED_TCP_FLAG = 'insecure-allow-unauthenticated-tcp';
export const NON_LOOPBACK_METRICS_FLAG = 'insecure-allow-non-loopback-metrics';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const TCP_ADDRESS = /^(\[[^\]]+\]|[^:/[\]]+):(\d+)\/?$/;

export function parseClientUrl(url: string): ClientListener {
  const parsed = /^(https?|unix|unixs):\/\/(.+)$/.exec(url);
  if (!parsed) {
    throw new StoreError(
      'CNPAAS_STORE_BAD_FLAG',
      `--listen-client-urls: "${url}" has an unknown scheme`,
      'use http://IP:PORT, https://IP:PORT or unix:///path/to/socket',
    );
  }
  const scheme = parsed[1] as ClientListener['scheme'];
  const rest = parsed[2]!;
  const secure = scheme === 'https' || scheme === 'unixs';
  if (scheme === 'unix' || scheme === 'unixs') return { url, scheme, secure, host: undefined, address: rest };
  const tcp = TCP_ADDRESS.exec(rest);
  if (!tcp) {
    throw new StoreError(
      'CNPAAS_STORE_BAD_FLAG',
      `--listen-client-urls: "${url}" is not ${scheme}://IP:PORT`,
      `give a host and a port, e.g. ${scheme}://127.0.0.1:2379`,
    );
  }
  return { url, scheme, secure, host: tcp[1]!.replace(/^\[|\]$/g, ''), address: rest.replace(/\/$/, '') };
}

/**
 * True only for addresses that cannot be reached from another machine. A host
 * name other than `localhost` could resolve anywhere, and 0.0.0.0 or :: mean
 * every interface, so those count as reachable.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  // BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 subnet.
  if (isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (isIPv6(h)) return LOOPBACK.check(h, 'ipv6');
  return false;
}

/**
 * Checks every listener against the rules (README: "Who can connect") and
 * returns the warnings to log; throws a StoreError for a listener that is
 * refused.
 */
export function checkListenPolicy(config: ListenPolicyConfig): string[] {
  const warnings: string[] = [];
  const listeners = config.listenClientUrls.map(parseClientUrl);
  for (const l of listeners) {
    if (config.clientCertAuth && !l.secure) {
      // grpc-js would open this listener without TLS, so the flag would protect nothing on it.
      throw new StoreError(
        'CNPAAS_STORE_INSECURE_LISTENER',
        `--client-cert-auth cannot apply to ${l.url}: ${l.scheme}:// carries no TLS, so it would accept clients without a certificate`,
        `listen on https://IP:PORT with --cert-file, --key-file and --trusted-ca-file instead, or drop ${l.url} from --listen-client-urls`,
      );
    }
    if (l.host === undefined) continue;
    const authenticated = l.secure && config.clientCertAuth;
    if (authenticated) continue;
    const what = l.secure ? 'TLS without --client-cert-auth' : 'plain HTTP/2 without TLS';
    if (isLoopbackHost(l.host)) {
      warnings.push(
        `${l.url} accepts ${what}: any user or process on this machine can connect and read or write every key; ` +
          'prefer a unix:// socket (owner-only) or https:// with --client-cert-auth',
      );
      continue;
    }
    if (!config.allowUnauthenticatedTcp) {
      throw new StoreError(
        'CNPAAS_STORE_INSECURE_LISTENER',
        `${l.url} would accept ${what} on a non-loopback address: anyone who can reach it could read every Secret and write any key`,
        `use https:// with --cert-file, --key-file, --trusted-ca-file and --client-cert-auth, a unix:// socket, or a 127.0.0.1 address; ` +
          `pass --${UNAUTHENTICATED_TCP_FLAG} only if a firewall or network policy guards the address`,
      );
    }
    warnings.push(
      `--${UNAUTHENTICATED_TCP_FLAG}: ${l.url} accepts ${what} from the network; anyone who can reach it can read and write every key`,
    );
  }
  for (const url of config.listenMetricsUrls) {
    const parsed = TCP_ADDRESS.exec(url.replace(/^http:\/\//, ''));
    if (!url.startsWith('http://') || !parsed) {
      throw new StoreError(
        'CNPAAS_STORE_BAD_FLAG',
        `--listen-metrics-urls: "${url}" is not http://IP:PORT`,
        'e.g. --listen-metrics-urls=http://127.0.0.1:2381',
      );
    }
    const host = parsed[1]!.replace(/^\[|\]$/g, '');
    if (isLoopbackHost(host)) continue;
    if (!config.allowNonLoopbackMetrics) {
      throw new StoreError(
        'CNPAAS_STORE_INSECURE_LISTENER',
        `--listen-metrics-urls ${url} is not a loopback address: /metrics is unauthenticated and tells anyone who can reach it the key counts per backend and the request mix`,
        `listen on 127.0.0.1 (and scrape through a local agent or a proxy with authentication), or pass --${NON_LOOPBACK_METRICS_FLAG} if the network is trusted`,
      );
    }
    warnings.push(`--${NON_LOOPBACK_METRICS_FLAG}: ${url} serves /metrics unauthenticated to the network`);
  }
  return warnings;
}
