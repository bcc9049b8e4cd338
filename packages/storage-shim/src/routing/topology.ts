import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { StoreError } from '../errors.js';
import {
  type ConnectedEndpoint,
  type ConnectionSettings,
  parseConnectionSettings,
} from '../drivers/connection-settings.js';
import { EndpointError, resolveEndpoint } from '../drivers/registry.js';
import type { BackendEndpoint } from '../mvcc/backend.js';

/**
 * The topology file: HariKube's TopologyConfig format, so existing files work
 * unchanged. Either `backends: [...]` at the top level, or TopologyConfig
 * objects with `spec.backends`; several YAML documents are merged in order.
 */
export type Matcher =
  | { type: 'customresource'; group: string; kind?: string }
  | { type: 'namespace'; namespace: string; kinds: string[] }
  | { type: 'prefix'; prefix: string }
  /** `keySource`: the pattern `key` was made from, as the file wrote it (`prefix`'s when `key` is not given). */
  | { type: 'regexp'; prefix: RegExp; key: RegExp; keySource: string };

/**
 * A backend: its name, its database (scheme + location, from the driver
 * registry), how to connect to it beyond the endpoint (where its password is,
 * TLS) and its matcher. The store hands this object to the driver registry,
 * which reads `connection` from it.
 */
export interface BackendConfig extends ConnectedEndpoint {
  name: string;
  /** As written in the file; may hold a password, so messages use `display`. */
  endpoint: string;
  connection: ConnectionSettings;
  matcher: Matcher;
}

export interface Topology {
  file: string | null;
  backends: BackendConfig[];
  warnings: string[];
}

const MATCHERS = ['customresource', 'namespace', 'prefix', 'regexp'] as const;
const CONNECTION_FIELDS = ['passwordFile', 'passwordEnv', 'backendTLS', 'connectionPool'];
const IGNORED_FIELDS = [
  'compactInterval',
  'compactIntervalJitter',
  'compactTimeout',
  'compactMinRetain',
  'compactBatchSize',
  'disableStorageLevelFiltering',
];
const KNOWN_FIELDS = new Set(['name', 'endpoint', ...MATCHERS, ...CONNECTION_FIELDS, ...IGNORED_FIELDS]);
const TOPOLOGY_API_VERSIONS = new Set(['platform.cnpaas.dev/v1', 'harikube.info/v1']);

export const DEFAULT_BACKEND = 'main';

export function emptyTopology(): Topology {
  return { file: null, backends: [], warnings: [] };
}

export function loadTopology(file: string, dataDir: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw bad(
      file,
      '(file)',
      `cannot be read: ${(err as Error).message}`,
      'pass --topology the path of a readable YAML file',
    );
  }
  return parseTopology(text, { file, dataDir });
}

export function parseTopology(text: string, where: { file: string; dataDir: string }): Topology {
  const { file, dataDir } = where;
  const topology: Topology = { file, backends: [], warnings: [] };
  const docs = parseAllDocuments(text);
  let index = 0;
  for (const [d, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (doc.errors.length > 0) {
      throw bad(file, `document ${d + 1}`, `is not valid YAML: ${doc.errors[0]!.message}`, 'fix the YAML syntax');
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const list = backendsOf(value, file, d);
    for (const raw of list) {
      topology.backends.push(
        parseBackend(raw, { file, dataDir, field: `backends[${index}]`, warnings: topology.warnings }),
      );
      index++;
    }
  }
  const seen = new Map<string, string>();
  for (const [i, b] of topology.backends.entries()) {
    if (b.name === DEFAULT_BACKEND) {
      throw bad(
        file,
        `backends[${i}].name`,
        `"${DEFAULT_BACKEND}" is reserved for the default backend`,
        'choose another name',
      );
    }
    if (seen.has(b.name))
      throw bad(file, `backends[${i}].name`, `"${b.name}" is used twice`, 'give every backend a unique name');
    seen.set(b.name, b.location);
  }
  const databases = new Map<string, string>();
  for (const [i, b] of topology.backends.entries()) {
    const id = `${b.scheme}:${b.location}`;
    const other = databases.get(id);
    if (other) {
      throw bad(
        file,
        `backends[${i}].endpoint`,
        `${b.display} is already used by ${other}`,
        'give every backend its own database',
      );
    }
    databases.set(id, b.name);
  }
  return topology;
}

function backendsOf(value: unknown, file: string, d: number): unknown[] {
  if (!isObject(value))
    throw bad(file, `document ${d + 1}`, 'must be a mapping', 'use `backends: [...]` or a TopologyConfig');
  if ('backends' in value) {
    if (!Array.isArray(value.backends))
      throw bad(file, 'backends', 'must be a list', 'write `backends:` followed by `- name: ...` items');
    return value.backends;
  }
  if (value.kind === 'TopologyConfig') {
    if (typeof value.apiVersion !== 'string' || !TOPOLOGY_API_VERSIONS.has(value.apiVersion)) {
      throw bad(
        file,
        'apiVersion',
        `"${String(value.apiVersion)}" is not a TopologyConfig version`,
        `use one of ${[...TOPOLOGY_API_VERSIONS].join(', ')}`,
      );
    }
    const spec = value.spec;
    if (!isObject(spec) || !Array.isArray(spec.backends)) {
      throw bad(file, 'spec.backends', 'is missing or not a list', 'a TopologyConfig needs spec.backends: [...]');
    }
    return spec.backends;
  }
  throw bad(
    file,
    `document ${d + 1}`,
    'has neither `backends` nor `kind: TopologyConfig`',
    'use `backends: [...]` at the top level',
  );
}

interface BackendContext {
  file: string;
  dataDir: string;
  field: string;
  warnings: string[];
}

function parseBackend(raw: unknown, ctx: BackendContext): BackendConfig {
  const { file, field } = ctx;
  if (!isObject(raw)) throw bad(file, field, 'must be a mapping', 'each backend needs name, endpoint and one matcher');
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key))
      throw bad(file, `${field}.${key}`, 'is not a known field', `known fields: ${[...KNOWN_FIELDS].join(', ')}`);
    if (IGNORED_FIELDS.includes(key))
      ctx.warnings.push(
        `${file}: ${field}.${key} is accepted and ignored: ${key.startsWith('compact') ? 'the store compacts every backend itself (--auto-compaction-*)' : 'the store has no storage-level filtering to turn off'}`,
      );
  }
  const name = raw.name;
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) {
    throw bad(
      file,
      `${field}.name`,
      `${JSON.stringify(name)} is not a valid name`,
      'use lower-case letters, digits and dashes',
    );
  }
  const endpoint = raw.endpoint;
  if (typeof endpoint !== 'string')
    throw bad(file, `${field}.endpoint`, 'is missing', 'set endpoint: sqlite://<file>.db');
  // Name the backend too: its index alone is hard to find in a long file.
  const named = `${field} (${name})`;
  const connection = parseConnectionSettings(raw, {
    baseDir: dirname(resolve(file)),
    refuse: (f, reason, hint) => bad(file, `${named}.${f}`, reason, hint),
    warn: (f, text) => ctx.warnings.push(`${file}: ${named}.${f} ${text}`),
  });
  const database = endpointOf(endpoint, { ...ctx, field: `${field}.endpoint`, connection });
  const present = MATCHERS.filter((m) => m in raw);
  if (present.length !== 1) {
    throw bad(
      file,
      field,
      present.length === 0 ? 'has no matcher' : `has ${present.length} matchers (${present.join(', ')})`,
      `give exactly one of ${MATCHERS.join(', ')}`,
    );
  }
  const kind = present[0]!;
  return {
    name,
    endpoint,
    ...database,
    connection,
    matcher: parseMatcher(kind, raw[kind], { ...ctx, field: `${field}.${kind}` }),
  };
}

function parseMatcher(kind: (typeof MATCHERS)[number], raw: unknown, ctx: BackendContext): Matcher {
  const { file, field } = ctx;
  if (!isObject(raw)) throw bad(file, field, 'must be a mapping', `see the ${kind} matcher in the README`);
  const str = (key: string, required: boolean): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw bad(file, `${field}.${key}`, 'is missing', `set ${field}.${key}`);
      return undefined;
    }
    if (typeof v !== 'string') throw bad(file, `${field}.${key}`, 'must be a string', `quote the value of ${key}`);
    return v;
  };
  switch (kind) {
    case 'customresource': {
      // HariKube's demo writes the group with its version ("group/v1"); the key has no version.
      const group = str('group', true)!.split('/')[0]!;
      const k = str('kind', false);
      return k ? { type: 'customresource', group, kind: k } : { type: 'customresource', group };
    }
    case 'namespace': {
      const kinds = raw.kinds ?? [];
      if (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string')) {
        throw bad(file, `${field}.kinds`, 'must be a list of resource names', 'e.g. kinds: [pods, configmaps]');
      }
      return { type: 'namespace', namespace: str('namespace', true)!, kinds: kinds as string[] };
    }
    case 'prefix':
      return { type: 'prefix', prefix: str('prefix', true)! };
    case 'regexp': {
      const prefixSource = str('prefix', true)!;
      const prefix = regexp(prefixSource, { ...ctx, field: `${field}.prefix` });
      const keySource = str('key', false);
      return keySource
        ? { type: 'regexp', prefix, key: regexp(keySource, { ...ctx, field: `${field}.key` }), keySource }
        : { type: 'regexp', prefix, key: prefix, keySource: prefixSource };
    }
  }
}

function regexp(source: string, ctx: BackendContext): RegExp {
  try {
    return new RegExp(`^(?:${source})`);
  } catch (err) {
    throw bad(ctx.file, ctx.field, `is not a valid regular expression: ${(err as Error).message}`, 'fix the pattern');
  }
}

/** The driver registry parses the endpoint; this names the file and field when it refuses. */
function endpointOf(endpoint: string, ctx: BackendContext & { connection: ConnectionSettings }): BackendEndpoint {
  const warnings: string[] = [];
  try {
    return resolveEndpoint(endpoint, { dataDir: ctx.dataDir, warnings, connection: ctx.connection });
  } catch (err) {
    if (err instanceof EndpointError) throw bad(ctx.file, ctx.field, err.reason, err.hint);
    throw err;
  } finally {
    for (const w of warnings) ctx.warnings.push(`${ctx.file}: ${ctx.field} ${w}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(file: string, field: string, reason: string, hint: string): StoreError {
  return new StoreError('CNPAAS_STORE_BAD_TOPOLOGY', `${file}: ${field} ${reason}`, hint);
}
