/**
 * CustomResourceDefinition YAML → one TypeScript module, so a CRD's schema is
 * written once (in the YAML kube-apiserver enforces) and every package reads
 * the same names, types and limits from the generated code.
 *
 * Per kind it emits: a resource constant (group, version, kind, plural,
 * scope, apiVersion; assignable to `ResourceRef`), the spec and status
 * interfaces of each served version, the version's openAPIV3Schema as a
 * constant (for validators and OpenAPI documents), its limits flattened by
 * field path (`spec.user.email` → maxLength, pattern, …) and its printer
 * columns. Hand-emitted rather than through a JSON-Schema-to-TypeScript
 * library: a structural CRD schema uses a small subset of OpenAPI v3
 * (no $ref, no oneOf), and keeping the output this plain is what lets a
 * unit test diff it byte for byte.
 */
import { parseAllDocuments } from 'yaml';
import { KubeError } from '../errors.js';

/** A node of a structural openAPIV3Schema, as far as the emitter reads it. */
export interface CrdSchema {
  type?: string;
  description?: string;
  properties?: Record<string, CrdSchema>;
  required?: string[];
  items?: CrdSchema;
  additionalProperties?: CrdSchema | boolean;
  enum?: unknown[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [keyword: string]: unknown;
}

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: CrdSchema };
  additionalPrinterColumns?: unknown[];
}

interface Crd {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group?: string;
    scope?: string;
    names?: { kind?: string; listKind?: string; plural?: string; singular?: string; shortNames?: string[] };
    versions?: CrdVersion[];
  };
}

/** The keywords collected into `<KIND>_LIMITS`: what a validator outside kube-apiserver needs to agree with it. */
const LIMIT_KEYWORDS = [
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'enum',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
] as const;

/** `EmailTemplate` → `EMAIL_TEMPLATE`, `HTTPTrigger` → `HTTP_TRIGGER`. */
export function constantName(kind: string): string {
  return kind
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/** A JSDoc block for a description, or nothing. A star-slash inside the text must not end the comment. */
function doc(description: string | undefined, indent: string): string {
  if (!description) return '';
  return `${indent}/** ${description.replace(/\*\//g, '*\\/').replace(/\n+/g, ' ').trim()} */\n`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** The TypeScript type of one schema node; objects become inline object types, one property a line. */
export function typeOf(schema: CrdSchema, indent = ''): string {
  if (schema['x-kubernetes-int-or-string']) return 'number | string';
  if (schema.enum && schema.enum.length > 0) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array': {
      const item = schema.items ? typeOf(schema.items, indent) : 'unknown';
      return /[|&]/.test(item) && !item.startsWith('{') ? `Array<${item}>` : `${item}[]`;
    }
    case 'object':
    case undefined: {
      if (schema.properties && Object.keys(schema.properties).length > 0) return objectType(schema, indent);
      if (typeof schema.additionalProperties === 'object')
        return `Record<string, ${typeOf(schema.additionalProperties, indent)}>`;
      return 'Record<string, unknown>';
    }
    default:
      return 'unknown';
  }
}

function objectType(schema: CrdSchema, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set(schema.required ?? []);
  const lines = Object.entries(schema.properties ?? {}).map(
    ([name, prop]) =>
      `${doc(prop.description, inner)}${inner}${propertyKey(name)}${required.has(name) ? '' : '?'}: ${typeOf(prop, inner)};\n`,
  );
  return `{\n${lines.join('')}${indent}}`;
}

/** Every limit keyword under `schema`, keyed by dotted field path (`[]` for array items). */
export function collectLimits(schema: CrdSchema, path = ''): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const own: Record<string, unknown> = {};
  for (const keyword of LIMIT_KEYWORDS) if (schema[keyword] !== undefined) own[keyword] = schema[keyword];
  if (path && Object.keys(own).length > 0) out[path] = own;
  for (const [name, prop] of Object.entries(schema.properties ?? {}))
    Object.assign(out, collectLimits(prop, path ? `${path}.${name}` : name));
  if (schema.items) Object.assign(out, collectLimits(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object')
    Object.assign(out, collectLimits(schema.additionalProperties, `${path}.*`));
  return out;
}

function constant(name: string, value: unknown, description: string): string {
  return `/** ${description} */\nexport const ${name} = ${JSON.stringify(value, null, 2)} as const;\n`;
}

export interface GenerateOptions {
  /** Named in the header so a reader finds the source: e.g. `crds/emails.yaml`. */
  sourceName: string;
  /** The command that regenerates the file, named in the header. */
  command: string;
}

/**
 * One module for the CRD(s) in `yamlText`. The text is plain TypeScript, not
 * yet formatted; `formatTypeScript` (format.ts) makes it Prettier-clean.
 */
export function generateCrdModule(yamlText: string, options: GenerateOptions): string {
  const crds = parseAllDocuments(yamlText)
    .map((d) => d.toJS() as Crd | null)
    .filter((d): d is Crd => d?.kind === 'CustomResourceDefinition');
  if (crds.length === 0)
    throw new KubeError('CNPAAS_KUBE_CODEGEN', `${options.sourceName}: no CustomResourceDefinition in it`, {
      hint: 'give the file one CustomResourceDefinition with spec.group, scope, names and a served version with a schema',
    });
  const parts = [
    `// Generated by @cnpaas/kube/codegen from ${options.sourceName}. Do not edit:\n` +
      `// change the CRD and run \`${options.command}\`.\n`,
  ];
  for (const crd of crds) parts.push(...emitCrd(crd, options.sourceName));
  return parts.join('\n');
}

function emitCrd(crd: Crd, source: string): string[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  const { group, scope } = spec;
  const { kind, plural } = names;
  if (!group || !scope || !kind || !plural)
    throw new KubeError(
      'CNPAAS_KUBE_CODEGEN',
      `${source}: spec.group, scope, names.kind and names.plural are required`,
      {
        hint: 'give the file one CustomResourceDefinition with spec.group, scope, names and a served version with a schema',
      },
    );
  const served = (spec.versions ?? []).filter((v) => v.served !== false);
  if (served.length === 0)
    throw new KubeError('CNPAAS_KUBE_CODEGEN', `${source}: ${kind} serves no version`, {
      hint: 'give the file one CustomResourceDefinition with spec.group, scope, names and a served version with a schema',
    });
  const storage = served.find((v) => v.storage) ?? served[0]!;
  const base = constantName(kind);
  const out: string[] = [];
  out.push(
    constant(
      `${base}_RESOURCE`,
      {
        group,
        version: storage.name,
        apiVersion: `${group}/${storage.name}`,
        kind,
        listKind: names.listKind ?? `${kind}List`,
        plural,
        singular: names.singular ?? kind.toLowerCase(),
        shortNames: names.shortNames ?? [],
        scope,
        namespaced: scope === 'Namespaced',
        crdName: crd.metadata?.name ?? `${plural}.${group}`,
      },
      `${kind} (${group}/${storage.name}, ${scope.toLowerCase()}): the names kube-apiserver serves it under.`,
    ),
  );
  for (const version of served) {
    // The storage version's names are unsuffixed; any other served version carries its name (EmailV1beta1Spec).
    const typeBase = version === storage ? kind : `${kind}${version.name[0]!.toUpperCase()}${version.name.slice(1)}`;
    const constBase = version === storage ? base : `${base}_${version.name.toUpperCase()}`;
    const schema = version.schema?.openAPIV3Schema;
    if (!schema)
      throw new KubeError('CNPAAS_KUBE_CODEGEN', `${source}: ${kind} ${version.name} has no schema.openAPIV3Schema`, {
        hint: 'give the file one CustomResourceDefinition with spec.group, scope, names and a served version with a schema',
      });
    for (const part of ['spec', 'status'] as const) {
      const node = schema.properties?.[part];
      if (!node) continue;
      const name = `${typeBase}${part === 'spec' ? 'Spec' : 'Status'}`;
      const body = typeOf(node);
      out.push(
        doc(node.description, '') +
          (body.startsWith('{') ? `export interface ${name} ${body}\n` : `export type ${name} = ${body};\n`),
      );
    }
    out.push(constant(`${constBase}_SCHEMA`, schema, `The openAPIV3Schema of ${kind} ${version.name}, as in the CRD.`));
    out.push(
      constant(
        `${constBase}_LIMITS`,
        collectLimits(schema),
        `The limits of ${kind} ${version.name} by field path (\`[]\`: array items), as kube-apiserver enforces them.`,
      ),
    );
    out.push(
      constant(
        `${constBase}_PRINTER_COLUMNS`,
        version.additionalPrinterColumns ?? [],
        `What \`kubectl get\` shows for ${kind} ${version.name}.`,
      ),
    );
  }
  return out;
}
