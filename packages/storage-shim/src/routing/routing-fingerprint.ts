import { createHash } from 'node:crypto';
import { keyPrefix } from './key-prefix.js';
import type { BackendConfig, Matcher, Topology } from './topology.js';

/**
 * What replicas must agree on about a topology (docs/replicas.md, "One
 * topology for all replicas"): what decides in which database a key lives,
 * and nothing else.
 *
 * Counted, per route, in the order the router tries them (the first match
 * wins): the backend's name (the revision log that completes a dead
 * replica's write names backends), the keys it claims as the router matches
 * them, and its database's identity (scheme, user, server, database).
 *
 * Not counted: passwords and where they come from, TLS settings and files,
 * `connectionPool`, the ignored HariKube fields, and how a route or an
 * endpoint is spelled (a customresource matcher and a prefix matcher that
 * claim the same prefix, `postgresql://` and `postgres://`, a default port
 * written out or left off, a MySQL endpoint as a DSN or a URL).
 */
export interface RouteFingerprint {
  backend: string;
  keys: string;
  database: string;
}

export interface RoutingFingerprint {
  routes: RouteFingerprint[];
}

/** Bumped when the canonical form changes: replicas of different forms then refuse each other, never misread. */
const FORMAT = 1;

/** `databaseOf` is the driver registry's identity of a resolved endpoint (registry.ts databaseIdentity). */
export function routingFingerprint(topology: Topology, databaseOf: (b: BackendConfig) => string): RoutingFingerprint {
  return {
    routes: topology.backends.map((b) => ({ backend: b.name, keys: claimedKeys(b.matcher), database: databaseOf(b) })),
  };
}

/** The keys a matcher claims, written one way for each set of keys the router would send to it. */
export function claimedKeys(m: Matcher): string {
  switch (m.type) {
    case 'customresource':
    case 'prefix':
      return `prefix ${keyPrefix(m)}`;
    case 'namespace': {
      // The router asks whether a key's kind is among them: their order and repetitions do not matter.
      const kinds = [...new Set(m.kinds)].sort();
      return `namespace ${m.namespace} ${kinds.length === 0 ? 'all kinds' : `kinds ${kinds.join(',')}`}`;
    }
    case 'regexp':
      // Only `key` decides: `prefix` is its default, already applied when the file was read. As written, not
      // RegExp#source, whose escaping is the engine's to choose.
      return `regexp ${m.keySource}`;
  }
}

/**
 * The form recorded in the main database's `meta` row `topology`: JSON with
 * its keys in one order, every character outside ASCII escaped, so the text
 * (and its digest) is the same byte for byte whatever the database's
 * encoding.
 */
export function encodeFingerprint(f: RoutingFingerprint): string {
  const routes = f.routes.map((r) => ({ backend: r.backend, keys: r.keys, database: r.database }));
  return JSON.stringify({ format: FORMAT, routes }).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What replicas compare on every batch: a short value for a text of any length. */
export function fingerprintDigest(encoded: string): string {
  return createHash('sha256').update(encoded).digest('hex');
}

/** Undefined for a text this store cannot read (another format): it differs, but cannot say how. */
export function decodeFingerprint(text: string): RoutingFingerprint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { format, routes } = value as { format?: unknown; routes?: unknown };
  if (format !== FORMAT || !Array.isArray(routes)) return undefined;
  const ok = routes.every(
    (r: Partial<RouteFingerprint> | null) =>
      typeof r?.backend === 'string' && typeof r.keys === 'string' && typeof r.database === 'string',
  );
  return ok ? { routes: routes as RouteFingerprint[] } : undefined;
}

/**
 * How two fingerprints differ, one sentence per backend that differs, for a
 * person to act on. `labels` name the two sides ("the recorded topology",
 * "this replica's"). Empty when they route alike.
 */
export function routingDifferences(
  was: RoutingFingerprint,
  is: RoutingFingerprint,
  labels: { was: string; is: string },
): string[] {
  const before = new Map(was.routes.map((r) => [r.backend, r]));
  const after = new Map(is.routes.map((r) => [r.backend, r]));
  const out: string[] = [];
  for (const r of was.routes) {
    const now = after.get(r.backend);
    if (!now) {
      out.push(`backend "${r.backend}" (${route(r)}) is in ${labels.was} and not in ${labels.is}`);
      continue;
    }
    if (now.keys !== r.keys)
      out.push(`backend "${r.backend}" claims ${now.keys} in ${labels.is}, ${r.keys} in ${labels.was}`);
    if (now.database !== r.database)
      out.push(`backend "${r.backend}" is ${now.database} in ${labels.is}, ${r.database} in ${labels.was}`);
  }
  for (const r of is.routes) {
    if (!before.has(r.backend))
      out.push(`backend "${r.backend}" (${route(r)}) is in ${labels.is} and not in ${labels.was}`);
  }
  if (out.length === 0) {
    const order = (f: RoutingFingerprint) => f.routes.map((r) => r.backend).join(', ');
    if (order(was) !== order(is)) {
      out.push(
        `the routes are tried in another order (the first match wins): ${order(is)} in ${labels.is}, ${order(was)} in ${labels.was}`,
      );
    }
  }
  return out;
}

function route(r: RouteFingerprint): string {
  return `${r.keys} → ${r.database}`;
}
