/**
 * `nx g @cnpaas/nx-plugin:service <name> --kind <Kind>`: writes
 * packages/<name>/, a service wired like the webshop's packages (see
 * files/ for the templates and docs/new-service.md for the walk-through).
 *
 * Every option is checked before a file is written, and every name the
 * templates use is derived here, once, so a template never re-derives one.
 * The generated package builds, typechecks, lints, is formatted and passes
 * its own unit and live tests as generated: src/generated-service.live.test.ts
 * proves that in a copy of the workspace.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFiles, generateFiles, logger, updateJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import { badOption } from '../../errors.js';
import { isDns1035Label, kindPluralOf, pluralOf } from './plural.js';
import type { ServiceGeneratorSchema } from './schema.js';

export { kindPluralOf, pluralOf } from './plural.js';

/** The templates (`__tmpl__` files): the same directory from src/ under vitest and from dist/. */
export const TEMPLATES = fileURLToPath(new URL('../../../src/generators/service/files', import.meta.url));
/** The templates only `--function` writes (the rest take `withFunction` to wire them in). */
export const FUNCTION_TEMPLATES = fileURLToPath(
  new URL('../../../src/generators/service/files-function', import.meta.url),
);
/** The templates only `--api` writes (the rest take `withApi` to wire them in). */
export const API_TEMPLATES = fileURLToPath(new URL('../../../src/generators/service/files-api', import.meta.url));

export interface ServiceNames {
  /** kebab-case: directory, npm name, bin, client identity, Lease, metric and label values. */
  name: string;
  /** PascalCase of the name: the error class, the config and component types. */
  className: string;
  /** camelCase of the name: the component function. */
  propertyName: string;
  /** UPPER_SNAKE of the name: error codes and environment variables. */
  constantName: string;
  /** lower_snake of the name: the metric prefix. */
  snakeName: string;
  kind: string;
  /** camelCase of the kind: the reconciler factory. */
  kindPropertyName: string;
  /** The resource name: `spec.names.plural`, URLs, RBAC, the topology route. */
  plural: string;
  /** The plural for prose and test names, with the kind's capitals: `StockItems`, `Shelves`. */
  kindPlural: string;
  singular: string;
  group: string;
  /** The aggregated API group of `--api`: `api.<group>`. */
  apiGroup: string;
  /** `--api`'s one resource, a request that creates one object of the kind: `<Kind>Request`, `<singular>requests`. */
  requestKind: string;
  requestSingular: string;
  requestPlural: string;
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PASCAL = /^[A-Z][a-z0-9]*([A-Z][a-z0-9]*)*$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
/** `<name>-system` must be a namespace name (63 characters at most). */
const MAX_NAME = 56;

/**
 * Identifiers the templates import or declare themselves: a kind or class
 * name equal to one would not compile (`Manager`, `ServiceError`, …).
 */
const RESERVED_KINDS = new Set([
  'Clock',
  'Condition',
  'Controller',
  'KubeConfig',
  'KubernetesObject',
  'Manager',
  'Reconciler',
  'ResourceClient',
  'ResourceRef',
  'ServiceError',
  'Error',
  'Object',
  'Promise',
  // --api's server imports these too.
  'ApiServer',
  'KubeApiError',
  'Counter',
]);
const RESERVED_CLASS_NAMES = new Set(['Service', 'Kube', 'Manager', 'Component']);

/** `Bad_Name` → `bad-name`, `StockKeeper` → `stock-keeper`: what to suggest for a name that is not kebab-case. */
export function toKebab(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/** `widget` → `Widget`, `stock_item` → `StockItem`: what to suggest for a kind that is not PascalCase. */
export function toPascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1).toLowerCase())
    .join('');
}

/** Checks the options and derives every name the templates use; throws CNPAAS_NX_PLUGIN_BAD_OPTION. */
export function serviceNames(options: ServiceGeneratorSchema): ServiceNames {
  const name = String(options.name ?? '').trim();
  if (!KEBAB.test(name)) {
    const suggestion = toKebab(name) || 'inventory';
    throw badOption(
      `--name "${name}" is not kebab-case (lowercase letters and digits, words joined by single hyphens, starting with a letter)`,
      `use --name ${suggestion}`,
    );
  }
  if (name.length > MAX_NAME) {
    throw badOption(
      `--name "${name}" is ${name.length} characters; its namespace ${name}-system would exceed 63`,
      `use a name of at most ${MAX_NAME} characters`,
    );
  }
  const kind = String(options.kind ?? '').trim();
  if (!PASCAL.test(kind)) {
    const suggestion = toPascal(kind) || 'Widget';
    throw badOption(
      `--kind "${kind}" is not PascalCase (a capital letter first, then letters and digits, like Widget or StockItem)`,
      `use --kind ${suggestion}`,
    );
  }
  if (RESERVED_KINDS.has(kind)) {
    throw badOption(
      `--kind ${kind} clashes with a name the generated code imports`,
      `pick another kind, e.g. ${kind}Spec`,
    );
  }
  const className = toPascal(name);
  if (RESERVED_CLASS_NAMES.has(className)) {
    throw badOption(
      `--name ${name} would make a class ${className}Error, which clashes with the generated code's imports`,
      `pick another name, e.g. --name ${name}-controller`,
    );
  }
  const group = options.group ?? `${name}.cnpaas.dev`;
  if (!DNS_SUBDOMAIN.test(group) || group.length > 253) {
    throw badOption(
      `--group "${group}" is not a DNS subdomain with at least one dot`,
      `use --group ${name}.example.com (lowercase, dots between labels)`,
    );
  }
  const singular = kind.toLowerCase();
  if (!isDns1035Label(singular)) {
    throw badOption(
      `--kind ${kind} is ${kind.length} characters; its lowercase form, the CRD's singular name, must be at most 63`,
      'use a shorter --kind',
    );
  }
  const plural = options.plural === undefined ? pluralOf(singular) : String(options.plural).trim();
  if (!isDns1035Label(plural) || plural === singular) {
    throw badOption(
      plural === singular
        ? `--plural "${plural}" is the singular of ${kind}; kubectl and the API need the two to differ`
        : `--plural "${plural}" is not a DNS-1035 label (lowercase letters, digits and '-', a letter first, a letter or digit last, at most 63 characters), which a CRD's plural must be`,
      `use --plural ${suggestPlural(plural, singular)}`,
    );
  }
  const crdName = `${plural}.${group}`;
  if (crdName.length > 253) {
    throw badOption(
      `the CRD name ${crdName} is ${crdName.length} characters (253 at most)`,
      'use a shorter --plural or --group',
    );
  }
  const apiGroup = `api.${group}`;
  if (apiGroup.length > 253) {
    throw badOption(
      `--group "${group}" is too long for its API group ${apiGroup} (253 characters at most)`,
      'use a shorter --group',
    );
  }
  return {
    name,
    className,
    propertyName: className[0]!.toLowerCase() + className.slice(1),
    constantName: name.replaceAll('-', '_').toUpperCase(),
    snakeName: name.replaceAll('-', '_'),
    kind,
    kindPropertyName: kind[0]!.toLowerCase() + kind.slice(1),
    plural,
    kindPlural: kindPluralOf(kind, plural),
    singular,
    group,
    apiGroup,
    requestKind: `${kind}Request`,
    requestSingular: `${singular}request`,
    requestPlural: `${singular}requests`,
  };
}

/** What to offer for a bad `--plural`: the same word made a DNS-1035 label when that is enough, else the guess. */
function suggestPlural(given: string, singular: string): string {
  const cleaned = given
    .toLowerCase()
    .replace(/[^-a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|[^a-z0-9]+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return isDns1035Label(cleaned) && cleaned !== singular ? cleaned : pluralOf(singular);
}

export async function serviceGenerator(tree: Tree, options: ServiceGeneratorSchema): Promise<GeneratorCallback> {
  const names = serviceNames(options);
  const root = `packages/${names.name}`;
  if (tree.exists(root)) {
    throw badOption(`${root} exists already`, `pick another --name, or remove ${root} first`);
  }
  // `tmpl: ''` strips the `__tmpl__` suffix: templates are not TypeScript until they are generated.
  const withFunction = options.function === true;
  const withApi = options.api === true;
  const substitutions = { ...names, withFunction, withApi, tmpl: '' };
  generateFiles(tree, TEMPLATES, root, substitutions);
  if (withFunction) generateFiles(tree, FUNCTION_TEMPLATES, root, substitutions);
  if (withApi) generateFiles(tree, API_TEMPLATES, root, substitutions);
  addRootReference(tree, root);
  addImageTarget(tree, names, withApi);
  // Prettier over what was written: tables and wrapped lines depend on the lengths of the names.
  await formatFiles(tree);
  // After formatting, which rewrites the launcher and would drop its mode.
  tree.changePermissions(path.posix.join(root, 'bin', `${names.name}.js`), '755');
  return () => logger.info(nextSteps(names));
}

/** What `nx g` prints once the files are written: the commands docs/new-service.md walks through, in its order. */
export function nextSteps(names: ServiceNames): string {
  const root = `packages/${names.name}`;
  const steps: Array<[string, string]> = [
    ['npm install', `links @cnpaas/${names.name} and records it in package-lock.json`],
    [`npx nx run-many -t build typecheck lint format:check test:unit -p ${names.name}`, ''],
    [`flock /tmp/cnpaas-live.lock npx nx run-many -t test:live -p ${names.name}`, ''],
    [`npx cnpaas up --service ${root}`, 'runs it (add --service @cnpaas/webshop to run both)'],
    ['npm run docs:errors', `adds CNPAAS_${names.constantName}_* to docs/errors.md`],
  ];
  const width = Math.max(...steps.filter(([, why]) => why).map(([command]) => command.length)) + 2;
  const lines = steps.map(([command, why]) => (why ? `${command.padEnd(width)}# ${why}` : command));
  return `\n${root} is ready. Next:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/** The root tsconfig.json lists every package as a project reference (`tsc -b` at the root, editors): add this one. */
function addRootReference(tree: Tree, root: string): void {
  if (!tree.exists('tsconfig.json')) return;
  updateJson<{ references?: Array<{ path: string }> }>(tree, 'tsconfig.json', (json) => {
    const references = json.references ?? [];
    const entry = `./${root}`;
    if (!references.some((r) => r.path === entry)) references.push({ path: entry });
    return { ...json, references };
  });
}

/**
 * The workspace's multi-target Dockerfile builds one image per component (`FROM app AS <target>`, the
 * package's `image` target calls scripts/image/build.sh with it): add this service's stage, the one
 * deploy/base/deployment.yaml names. A workspace without that Dockerfile gets none.
 */
function addImageTarget(tree: Tree, names: ServiceNames, withApi: boolean): void {
  const file = 'Dockerfile';
  const text = tree.exists(file) ? tree.read(file, 'utf8') : null;
  if (text === null || !/^FROM .* AS app$/m.test(text)) return;
  if (new RegExp(`^FROM .* AS ${names.name}$`, 'm').test(text)) return;
  const stage = [
    `FROM app AS ${names.name}`,
    `LABEL org.opencontainers.image.title=${names.name} \\`,
    `      org.opencontainers.image.description="${names.name}: the ${names.kind} controller and its validating webhook${withApi ? ', and its aggregated API' : ''}"`,
    withApi ? 'EXPOSE 9443 8443' : 'EXPOSE 9443',
    `ENTRYPOINT ["node", "packages/${names.name}/bin/${names.name}.js"]`,
  ].join('\n');
  tree.write(file, `${text.replace(/\n*$/, '\n')}\n${stage}\n`);
}

export default serviceGenerator;
