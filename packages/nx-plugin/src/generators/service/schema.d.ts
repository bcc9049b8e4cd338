/** The options of `nx g @cnpaas/nx-plugin:service` (schema.json). */
export interface ServiceGeneratorSchema {
  /** kebab-case: the package directory, npm name, bin, client identity and Lease name. */
  name: string;
  /** PascalCase: the kind the service reconciles. */
  kind: string;
  /** The CRD's API group; default `<name>.cnpaas.dev`. */
  group?: string;
  /** The kind's plural resource name; default derived from the kind. */
  plural?: string;
  /** Also an HTTPTrigger (platform.cnpaas.dev/v1) for the kind and an HTTP function handler stub. */
  function?: boolean;
  /** Also an aggregated API group `api.<group>` (APIService, a front-proxy-authenticated HTTPS server with discovery and a create endpoint). */
  api?: boolean;
}
