import type { Matcher } from './topology.js';

/** Where kube-apiserver's keys start; HariKube's matchers are relative to it. */
export const REGISTRY = '/registry/';

/**
 * The keys a customresource or prefix matcher claims, as one absolute key
 * prefix: the two are the same route when they name the same prefix. Kept
 * apart from the router so that what reads routes without routing keys
 * (routing-fingerprint.ts) needs none of the router's imports.
 */
export function keyPrefix(m: Extract<Matcher, { type: 'customresource' | 'prefix' }>): string {
  if (m.type === 'customresource') return m.kind ? `${REGISTRY}${m.group}/${m.kind}/` : `${REGISTRY}${m.group}/`;
  // HariKube's prefix is relative to /registry/; an absolute one starts with '/'.
  return m.prefix.startsWith('/') ? m.prefix : `${REGISTRY}${m.prefix}`;
}
