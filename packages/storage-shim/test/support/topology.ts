/** A backend that holds the keys under `prefix`. */
export interface RoutedBackend {
  name: string;
  endpoint: string;
  prefix: string;
}

/** A topology that routes each prefix to its backend; the rest stays in the data dir. */
export function routedTopology(backends: readonly RoutedBackend[]): string {
  const entries = backends.map(
    ({ name, endpoint, prefix }) =>
      `  - name: ${name}\n    endpoint: "${endpoint}"\n    prefix: { prefix: "${prefix}" }\n`,
  );
  return `backends:\n${entries.join('')}`;
}

/**
 * A topology with one routed backend, `tenants`, that holds the keys under
 * `/t/` at `endpoint`; `extra` is more of that backend's fields, each line
 * indented by four spaces and ending in a newline.
 */
export function tenantsTopology(endpoint: string, extra = ''): string {
  return `${routedTopology([{ name: 'tenants', endpoint, prefix: '/t/' }])}${extra}`;
}
