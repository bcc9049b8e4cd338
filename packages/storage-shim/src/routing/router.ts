import { type KeyRange, isEmptyRange, rangesOverlap, prefixEnd } from '../keys.js';
import { REGISTRY, keyPrefix } from './key-prefix.js';
import type { Matcher, Topology } from './topology.js';
import { DEFAULT_BACKEND } from './topology.js';

interface Route {
  name: string;
  matches(key: string): boolean;
  /** Key prefixes this route can own; null when it cannot be bounded (regexp). */
  prefixes: Buffer[] | null;
}

/**
 * Maps keys to backend names: first matching route wins, the rest goes to the
 * default backend. Keys are matched as latin1 text, which maps each byte to
 * one character, so a string prefix test is exactly a byte prefix test.
 */
export class Router {
  readonly #routes: Route[];
  readonly names: string[];

  constructor(topology: Topology) {
    this.#routes = topology.backends.map((b) => route(b.name, b.matcher));
    this.names = [DEFAULT_BACKEND, ...topology.backends.map((b) => b.name)];
  }

  backendFor(key: Buffer): string {
    if (this.#routes.length === 0) return DEFAULT_BACKEND;
    const text = key.toString('latin1');
    for (const r of this.#routes) if (r.matches(text)) return r.name;
    return DEFAULT_BACKEND;
  }

  /** Backends that may hold a key of `range`; a superset is fine, a miss is not. */
  backendsFor(range: KeyRange): string[] {
    if (range.end === null) return [this.backendFor(range.start)];
    if (isEmptyRange(range) || this.#routes.length === 0) return [DEFAULT_BACKEND];
    const result = [DEFAULT_BACKEND];
    for (const r of this.#routes) {
      if (r.prefixes === null || r.prefixes.some((p) => rangesOverlap(range, { start: p, end: prefixEnd(p) }))) {
        result.push(r.name);
      }
    }
    return result;
  }
}

function route(name: string, m: Matcher): Route {
  switch (m.type) {
    case 'customresource':
    case 'prefix': {
      const prefix = keyPrefix(m);
      return { name, matches: (k) => k.startsWith(prefix), prefixes: [Buffer.from(prefix, 'latin1')] };
    }
    case 'namespace': {
      // Built-in namespaced keys: /registry/<resource>/<namespace>/<name>.
      const matches = (k: string) => {
        if (!k.startsWith(REGISTRY)) return false;
        const parts = k.slice(REGISTRY.length).split('/');
        return parts.length >= 3 && parts[1] === m.namespace && (m.kinds.length === 0 || m.kinds.includes(parts[0]!));
      };
      const prefixes =
        m.kinds.length === 0
          ? [Buffer.from(REGISTRY)]
          : m.kinds.map((k) => Buffer.from(`${REGISTRY}${k}/${m.namespace}/`));
      return { name, matches, prefixes };
    }
    case 'regexp':
      return {
        name,
        matches: (k) => k.startsWith(REGISTRY) && m.key.test(k.slice(REGISTRY.length)),
        prefixes: null,
      };
  }
}
