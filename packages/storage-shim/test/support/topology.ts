/**
 * A topology with one routed backend, `tenants`, that holds the keys under
 * `/t/` at `endpoint`; `extra` is more of that backend's fields, each line
 * indented by four spaces and ending in a newline.
 */
export function tenantsTopology(endpoint: string, extra = ''): string {
  return `backends:\n  - name: tenants\n    endpoint: "${endpoint}"\n    prefix: { prefix: "/t/" }\n${extra}`;
}
