/**
 * Which addresses an HTTPTrigger may send to.
 *
 * Whoever may create an HTTPTrigger chooses its URL, and the trigger process
 * runs next to the control plane: pointed at the kube-apiserver, at a
 * loopback port (the store, a health endpoint, another component) or at a
 * link-local metadata service, it would make requests on that person's
 * behalf from a privileged place. So these targets are refused:
 *
 * - loopback (127.0.0.0/8, ::1, `localhost`, `*.localhost`) and the
 *   unspecified address (0.0.0.0, ::, which Linux connects to loopback);
 * - link-local (169.254.0.0/16, fe80::/10: cloud metadata services);
 * - the kube-apiserver: the host:port of the trigger's kubeconfig (and the
 *   addresses that host resolves to), and the in-cluster names of the
 *   `kubernetes` Service.
 *
 * A platform-level allow-list (`--allow-target host:port`, set by whoever
 * runs the trigger, never by an HTTPTrigger) lets a named host:port through,
 * e.g. the local email function on 127.0.0.1 under `cnpaas up`.
 *
 * A URL's literal host is checked when the HTTPTrigger is planned (Ready=False,
 * TargetNotAllowed, and nothing runs); a host name is checked again on every
 * connection against the addresses it resolves to, so a name that resolves to
 * loopback is refused before any byte is sent.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { FunctionsError } from '../errors.js';

export interface TargetPolicy {
  /** `host:port` (normalised by `hostPortOf`) that may be called although refused otherwise. */
  readonly allowed: ReadonlySet<string>;
  /** The kube-apiserver's own `host:port`s (kubeconfig server, its resolved addresses). */
  readonly apiserver: ReadonlySet<string>;
}

/** The names the kube-apiserver answers to inside a cluster (the `kubernetes` Service). */
const APISERVER_SERVICE_NAMES = [
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addSubnet('0.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');
// The same IPv4 ranges written as IPv4-mapped IPv6 addresses.
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
LOOPBACK.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');

/** `host:port` as the allow-list spells it: lower-case host, IPv6 in brackets, 443 when the URL has no port. */
export function hostPortOf(url: URL): string {
  return `${url.hostname.toLowerCase()}:${url.port || '443'}`;
}

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function join(host: string, port: number | string): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Why an address is never a target, or undefined. */
function refusedAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (LOOPBACK.check(address, type)) return `${address} is a loopback address`;
  if (LINK_LOCAL.check(address, type)) return `${address} is a link-local address`;
  return undefined;
}

export interface TargetPolicyOptions {
  /** `host:port` entries from --allow-target. */
  allow?: readonly string[];
  /** The kube-apiserver's URL from the trigger's kubeconfig. */
  apiserverUrl?: string;
  /** Addresses the apiserver's host name resolves to (resolved once at start). */
  apiserverAddresses?: readonly string[];
}

export function targetPolicy(options: TargetPolicyOptions = {}): TargetPolicy {
  const allowed = new Set((options.allow ?? []).map((entry) => hostPortOf(new URL(`https://${entry}`))));
  const apiserver = new Set<string>();
  if (options.apiserverUrl) {
    const url = new URL(options.apiserverUrl);
    const at = hostPortOf(url);
    apiserver.add(at);
    const port = at.slice(at.lastIndexOf(':') + 1);
    for (const address of options.apiserverAddresses ?? []) apiserver.add(join(address, port));
  }
  return { allowed, apiserver };
}

/** Checks an `--allow-target` entry; returns the problem or undefined. */
export function allowEntryProblem(entry: string): string | undefined {
  let url: URL;
  try {
    url = new URL(`https://${entry}`);
  } catch {
    return `"${entry}" is not host:port`;
  }
  if (!url.port || url.pathname !== '/' || url.username || url.search || `${url.host}` !== entry.toLowerCase())
    return `"${entry}" is not host:port (e.g. 127.0.0.1:8443)`;
  return undefined;
}

/**
 * Why the URL's literal host may not be called, or undefined. Host names
 * other than `localhost` pass here and are checked on connection
 * (`guardedLookup`).
 */
export function refusedTarget(url: URL, policy: TargetPolicy): string | undefined {
  const at = hostPortOf(url);
  if (policy.allowed.has(at)) return undefined;
  // A trailing dot names the same host (localhost. is localhost).
  const host = bare(url.hostname.toLowerCase()).replace(/\.$/, '');
  const why = (reason: string): string =>
    `${at}: ${reason}; targets on this machine or the control plane need --allow-target ${at} on cnpaas-trigger`;
  if (policy.apiserver.has(at)) return why("the kube-apiserver's own address");
  if (APISERVER_SERVICE_NAMES.includes(host)) return why("the kube-apiserver's in-cluster name");
  if (host === 'localhost' || host.endsWith('.localhost')) return why(`${host} is a loopback name`);
  const refused = refusedAddress(host);
  return refused ? why(refused) : undefined;
}

/** The error a refused connection fails with; the deliverer makes it a permanent failure. */
export function targetRefused(message: string): FunctionsError {
  return new FunctionsError('CNPAAS_FUNCTIONS_TARGET_REFUSED', message, {
    hint: "point the HTTPTrigger at the service's own address, or have whoever runs cnpaas-trigger add the target with --allow-target host:port",
  });
}

/**
 * A `lookup` for the delivery sockets: resolves the target's host name and
 * refuses it when any address it resolves to is refused (loopback,
 * link-local, the apiserver), before a connection is opened. Allow-listed
 * targets skip the check.
 */
export function guardedLookup(policy: TargetPolicy, target: URL): LookupFunction {
  const at = hostPortOf(target);
  const port = at.slice(at.lastIndexOf(':') + 1);
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return (callback as (e: Error) => void)(err);
      if (!policy.allowed.has(at)) {
        for (const { address } of addresses) {
          const why = policy.apiserver.has(join(address, port))
            ? `${address} is the kube-apiserver's own address`
            : refusedAddress(address);
          if (why)
            return (callback as (e: Error) => void)(
              targetRefused(
                `${at}: ${hostname} resolves to ${why}; targets on this machine or the control plane need --allow-target ${at} on cnpaas-trigger`,
              ),
            );
        }
      }
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}
