/**
 * The store's topology from the services' fragments: one service's file is
 * used as it is; several are checked against each other (a backend name, a
 * database or a route in two services is refused, naming both) and written
 * as one multi-document file, which the store reads in order. `--topology`
 * bypasses all of this: that file is the whole routing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseTopology, type BackendConfig } from '@cnpaas/storage-shim';
import { PlatformError } from './errors.js';

export interface TopologyFragment {
  service: string;
  file: string;
}

/** What a route catches, as a comparable key; `*` where the matcher leaves the kind open. */
function routeKey(b: BackendConfig): string {
  const m = b.matcher;
  switch (m.type) {
    case 'customresource':
      return `customresource ${m.group}/${m.kind ?? '*'}`;
    case 'namespace':
      return `namespace ${m.namespace} ${[...m.kinds].sort().join(',') || '*'}`;
    case 'prefix':
      return `prefix ${m.prefix}`;
    case 'regexp':
      return `regexp ${m.prefix.source} ${m.key.source}`;
  }
}

/** Two customresource routes overlap when the group matches and either kind is open or both are the same. */
function overlaps(a: string, b: string): boolean {
  if (a === b) return true;
  const [ta, ga] = a.split(' ');
  const [tb, gb] = b.split(' ');
  if (ta !== 'customresource' || tb !== 'customresource') return false;
  const [groupA, kindA] = ga!.split('/');
  const [groupB, kindB] = gb!.split('/');
  return groupA === groupB && (kindA === '*' || kindB === '*');
}

function clash(what: string, a: string, b: string): PlatformError {
  return new PlatformError('CNPAAS_PLATFORM_SERVICE', `the store topologies of ${a} and ${b} both have ${what}`, {
    hint: "give each service's topology fragment its own backend names, databases and kinds, or pass one --topology FILE with the whole routing",
  });
}

/** Checks the fragments against each other and returns the file the store runs on (`out` when merged). */
export function mergeTopologies(options: {
  fragments: readonly TopologyFragment[];
  out: string;
  dataDir: string;
}): string {
  const { fragments, out, dataDir } = options;
  if (fragments.length === 1) return fragments[0]!.file;
  const names = new Map<string, string>();
  const databases = new Map<string, string>();
  const routes: Array<{ key: string; service: string }> = [];
  const texts: string[] = [];
  for (const { service, file } of fragments) {
    const text = readFileSync(file, 'utf8');
    let backends: BackendConfig[];
    try {
      backends = parseTopology(text, { file, dataDir }).backends;
    } catch (err) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_SERVICE',
        `the store topology of ${service} (${file}) is not valid: ${(err as Error).message}`,
        { hint: 'fix the file (packages/storage-shim/README.md describes the format)' },
      );
    }
    for (const b of backends) {
      const named = names.get(b.name);
      if (named) throw clash(`a backend named "${b.name}"`, named, service);
      names.set(b.name, service);
      const database = `${b.scheme}:${b.location}`;
      const used = databases.get(database);
      if (used) throw clash(`the database ${b.display}`, used, service);
      databases.set(database, service);
      const key = routeKey(b);
      const route = routes.find((r) => overlaps(r.key, key));
      if (route) throw clash(`a route for ${key}`, route.service, service);
      routes.push({ key, service });
    }
    texts.push(`# from ${service}: ${file}\n${text.trim()}\n`);
  }
  const header = '# Written by cnpaas up: the store topologies of the services it runs, in order.\n';
  writeFileSync(out, fragments.length === 0 ? `${header}backends: []\n` : `${header}${texts.join('---\n')}`, {
    mode: 0o600,
  });
  return out;
}
