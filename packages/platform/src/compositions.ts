/**
 * Which services `cnpaas up` runs, and loading them: each is a package that
 * exports `service: ServiceComposition` (@cnpaas/service-kit), named by its
 * package name (resolved from the workspace's node_modules) or by its
 * directory. DEFAULT_SERVICES run when no service is named: the one place the
 * platform names a service, so that a bare `cnpaas up` runs the worked example.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServiceComposition } from '@cnpaas/service-kit';
import { PlatformError } from './errors.js';
import { PLATFORM_PORT_NAMES } from './ports.js';

export const DEFAULT_SERVICES: readonly string[] = ['@cnpaas/webshop'];

export interface LoadedService {
  /** As named on the command line. */
  spec: string;
  /** The entry point it was loaded from. */
  entry: string;
  composition: ServiceComposition;
}

function serviceError(message: string, hint: string): PlatformError {
  return new PlatformError('CNPAAS_PLATFORM_SERVICE', message, { hint });
}

const BUILD_HINT = 'build it first (npx nx run-many -t build -p <project>)';

/** A directory's package entry: exports["."] (import or default), else main, else index.js. */
function directoryEntry(dir: string): string {
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest)) {
    throw serviceError(`${dir} has no package.json`, 'name a package directory (e.g. packages/inventory) or a package');
  }
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
    main?: string;
    exports?: string | Record<string, string | Record<string, string>>;
  };
  const dot = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.'];
  const rel = typeof dot === 'string' ? dot : (dot?.['import'] ?? dot?.['default'] ?? pkg.main ?? 'index.js');
  return path.resolve(dir, rel);
}

function packageEntry(name: string, cwd: string): string {
  try {
    return new URL(import.meta.resolve(name)).pathname;
  } catch {
    // Not reachable from the platform's own node_modules: try from where cnpaas runs.
  }
  try {
    return createRequire(path.join(cwd, 'package.json')).resolve(name);
  } catch (err) {
    throw serviceError(
      `cannot find package ${name} (from ${cwd}): ${(err as Error).message.split('\n')[0]}`,
      'name a workspace package that npm install has linked, or its directory (e.g. --service packages/inventory)',
    );
  }
}

function looksLikePath(spec: string, cwd: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec) || existsSync(path.resolve(cwd, spec, 'package.json'));
}

export async function loadServices(specs: readonly string[], cwd = process.cwd()): Promise<LoadedService[]> {
  const loaded: LoadedService[] = [];
  for (const spec of specs) {
    const entry = looksLikePath(spec, cwd) ? directoryEntry(path.resolve(cwd, spec)) : packageEntry(spec, cwd);
    if (!existsSync(entry)) throw serviceError(`${spec}: its entry point ${entry} does not exist`, BUILD_HINT);
    const mod = (await import(pathToFileURL(entry).href)) as { service?: unknown };
    loaded.push({ spec, entry, composition: checkComposition(spec, mod.service) });
  }
  checkClashes(loaded);
  return loaded;
}

function checkComposition(spec: string, value: unknown): ServiceComposition {
  const fix =
    'export `service: ServiceComposition` (from @cnpaas/service-kit) from the package entry point: name, ports, components(ctx)';
  if (typeof value !== 'object' || value === null) throw serviceError(`${spec} exports no \`service\``, fix);
  const s = value as Partial<ServiceComposition>;
  if (typeof s.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(s.name)) {
    throw serviceError(`${spec}: service.name must be a kebab-case name, not ${JSON.stringify(s.name)}`, fix);
  }
  if (typeof s.components !== 'function') throw serviceError(`${spec}: service.components is not a function`, fix);
  if (typeof s.ports !== 'object' || s.ports === null) throw serviceError(`${spec}: service.ports is missing`, fix);
  for (const [name, port] of Object.entries(s.ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw serviceError(`${spec}: service.ports.${name} is ${JSON.stringify(port)}, not a port number`, fix);
    }
  }
  if (s.topology !== undefined && (typeof s.topology !== 'string' || !existsSync(s.topology))) {
    throw serviceError(`${spec}: service.topology ${JSON.stringify(s.topology)} is not a file`, fix);
  }
  if (s.cluster !== undefined) {
    const c = s.cluster as Partial<NonNullable<ServiceComposition['cluster']>> | null;
    if (typeof c?.deployDir !== 'string' || !existsSync(c.deployDir)) {
      throw serviceError(`${spec}: service.cluster.deployDir ${JSON.stringify(c?.deployDir)} is not a directory`, fix);
    }
    // A DNS label: Kubernetes refuses any other namespace name.
    if (typeof c.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(c.namespace)) {
      throw serviceError(
        `${spec}: service.cluster.namespace ${JSON.stringify(c.namespace)} is not a namespace name`,
        fix,
      );
    }
    if (!Array.isArray(c.serving) || typeof c.objects !== 'function') {
      throw serviceError(`${spec}: service.cluster needs serving (a list) and objects(ctx)`, fix);
    }
  }
  return s as ServiceComposition;
}

/** Port names are stack-wide (state.json, `cnpaas status`): two services may not claim one. */
function checkClashes(services: readonly LoadedService[]): void {
  const names = new Map<string, string>();
  const ports = new Map<string, string>(PLATFORM_PORT_NAMES.map((p) => [p, 'the platform']));
  for (const { spec, composition } of services) {
    const other = names.get(composition.name);
    if (other) {
      throw serviceError(
        `${spec} and ${other} are both service "${composition.name}"`,
        'name each service once, and give each its own name',
      );
    }
    names.set(composition.name, spec);
    for (const port of Object.keys(composition.ports)) {
      const owner = ports.get(port);
      if (owner) {
        throw serviceError(
          `${spec} declares port "${port}", which ${owner} already has`,
          `give the port a name of the service's own (e.g. ${composition.name}Webhook)`,
        );
      }
      ports.set(port, composition.name);
    }
  }
}

/** Every service's ports with their fixed defaults, in declaration order. */
export function wantedPorts(services: readonly LoadedService[]): Record<string, number> {
  return Object.assign({}, ...services.map((s) => s.composition.ports)) as Record<string, number>;
}
