/** The parts of an OpenAPI v3 schema the walk reads. */
export interface Schema {
  description?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  [keyword: string]: unknown;
}

/**
 * Paths in a CRD's openAPIV3Schema that `kubectl explain` would show without
 * a description: every property, every `items` and every
 * `additionalProperties`, at any depth. The top-level `metadata` is the one
 * exception, because kube-apiserver refuses anything there but
 * `type: object`; saying more there is reported too.
 */
export function undescribedProperties(schema: Schema, path: string, top = true): string[] {
  const missing: string[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const at = `${path}.${name}`;
    if (top && name === 'metadata') {
      if (JSON.stringify(prop) !== JSON.stringify({ type: 'object' })) missing.push(`${at} may only say type: object`);
      continue;
    }
    if (typeof prop.description !== 'string' || prop.description.trim() === '') missing.push(at);
    missing.push(...undescribedProperties(prop, at, false));
  }
  for (const child of ['items', 'additionalProperties'] as const) {
    const sub = schema[child];
    if (sub && typeof sub === 'object') {
      if (!sub.description) missing.push(`${path}[${child}]`);
      missing.push(...undescribedProperties(sub, `${path}[]`, false));
    }
  }
  return missing;
}
