/** `cnpaas` argument parsing and dispatch. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { componentPid } from './component-pid.js';
import { down } from './down.js';
import { installCommand, uninstallCommand } from './install/commands.js';
import { webhookHosts, writeKindFiles } from './kind/kind-files.js';
import { pinnedKubeVersion } from './kube-version.js';
import { describeError, PlatformError } from './errors.js';
import { logs } from './logs.js';
import { DEFAULT_SERVICES, loadServices } from './compositions.js';
import { defaultStateDir, statePaths } from './state-dir.js';
import { formatStatus, status } from './status.js';
import { runSupervisor } from './supervise.js';
import { up } from './up.js';
import { openInBrowser, runningConsoleUrl } from './web-console.js';

/** The whole `--help`; `services` lists the commands the services add (their compositions' `commands`). */
export function usage(services: string): string {
  const defaults = DEFAULT_SERVICES.join(', ');
  return `Usage: cnpaas <command> [flags]

Runs Kubernetes on cnpaas-store on this machine, without containers.

Commands:
  up          generate the PKI once, start cnpaas-store, kube-apiserver and
              kube-controller-manager, wait until ready, write the kubeconfig
    --ports auto|fixed   fixed (default; env CNPAAS_PORTS): apiserver 6443; auto: free ports
    --service PKG        run this service: a package name or directory exporting a
                         service composition (repeatable; default ${defaults}, which
                         a --service replaces: name it too to run both)
    --topology FILE      the whole store routing (default: the services' topologies, merged)
    --control-plane-only only the store, kube-apiserver, kube-controller-manager
    --foreground         supervise in this process until Ctrl-C
  down        stop everything cnpaas up started
    --purge              also remove the state directory (data, PKI, logs)
  status      each component's health, the topology, keys per backend, the console
    --json               machine-readable
  console     print the web console's address
    --open               also open it in a browser (xdg-open or open)
  pid NAME    print the pid of one running component (e.g. operator)
  kubeconfig  print the admin kubeconfig (--path: print its path)
  logs [NAME] list the logs, or print the last lines of one
    -n N                 lines (default 50)
    -f                   follow
  install     put the services into a cluster from their deploy/ (docs/cluster.md)
    --kubeconfig FILE    the cluster (default $KUBECONFIG)
    --service PKG        install this service, from its composition's cluster part
                         (repeatable; default ${defaults}, as for up)
    --webhook-client-ca FILE
                         CA of kube-apiserver's webhook client certificate (required)
    --overlay NAME       cluster (default) or kind
    --image-registry R   pull cnpaas images from R instead of cnpaas/
    --pki auto|self|cert-manager
                         who issues the serving certificates: cert-manager when the cluster
                         runs it (auto, the default), or install's own CA (self)
    --no-wait            do not wait for the Deployments and the APIService
    --timeout SECONDS    per wait (default 300)
  kind-config write what scripts/kind/up.sh gives kind: PKI for the store and the
              webhooks' client, the admission configuration, kind-config.yaml
    --service PKG        name the admission webhooks of this service's cluster part
                         (repeatable; default ${defaults}, as for up)
    --dir DIR            where (default .cnpaas/kind)
    --cluster-name NAME  default cnpaas
    --store-host HOST    the store container's name on the kind network (default cnpaas-store)
    --node-image IMAGE   default kindest/node:v<the pinned Kubernetes version>
  uninstall   remove what cnpaas install applied, and nothing else
    --kubeconfig FILE    the cluster (default $KUBECONFIG)
    --delete-data        also delete the data the installed CRDs hold (refused while
                         any exists otherwise)

${services}

Common flags:
  --state-dir DIR        default .cnpaas (env CNPAAS_STATE_DIR)
  --help

Kube binaries (pinned in scripts/k8s/VERSION) come from TEST_ASSET_<NAME>,
KUBEBUILDER_ASSETS, ~/.cache/cnpaas/k8s/, a download (not in CI), or a build
from Go modules (scripts/k8s/build.sh, needs Go >= 1.24).
`;
}

/** The `--help` section of the commands the services add (the default services, or each --service). */
async function serviceCommandsUsage(specs: readonly string[]): Promise<string> {
  const heading = `Commands the services add (${specs.join(', ')}; --service for others'):`;
  try {
    const commands = (await loadServices(specs)).flatMap((s) => s.composition.commands ?? []);
    const lines = commands.map((c) => `  ${c.usage.padEnd(10)}  ${c.summary}`);
    return [heading, ...(lines.length > 0 ? lines : ['  (none)'])].join('\n');
  } catch (err) {
    // Help still helps when a service does not load (not built yet): say why its commands are missing.
    return `${heading}\n  (not listed: ${describeError(err).split('\n')[0]})`;
  }
}

const OPTIONS = {
  'state-dir': { type: 'string' },
  ports: { type: 'string' },
  topology: { type: 'string' },
  service: { type: 'string', multiple: true },
  foreground: { type: 'boolean' },
  'control-plane-only': { type: 'boolean' },
  purge: { type: 'boolean' },
  json: { type: 'boolean' },
  open: { type: 'boolean' },
  path: { type: 'boolean' },
  n: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  overlay: { type: 'string' },
  'image-registry': { type: 'string' },
  pki: { type: 'string' },
  'webhook-client-ca': { type: 'string' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  'delete-data': { type: 'boolean' },
  dir: { type: 'string' },
  'cluster-name': { type: 'string' },
  'store-host': { type: 'string' },
  'node-image': { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usageError(message: string): PlatformError {
  return new PlatformError('CNPAAS_PLATFORM_USAGE', message, { hint: 'run cnpaas --help' });
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`cnpaas: ${describeError(usageError((err as Error).message))}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(usage(await serviceCommandsUsage(values.service ?? DEFAULT_SERVICES)));
    return command || values.help ? 0 : 2;
  }
  const stateDir = defaultStateDir(values['state-dir']);
  try {
    switch (command) {
      case 'up': {
        const ports = values.ports ?? process.env.CNPAAS_PORTS ?? 'fixed';
        if (ports !== 'auto' && ports !== 'fixed') throw usageError(`--ports must be auto or fixed, not "${ports}"`);
        await up({
          stateDir,
          ports,
          topology: values.topology,
          services: values.service,
          foreground: values.foreground,
          components: values['control-plane-only'] ? 'control-plane' : 'all',
        });
        return 0;
      }
      case 'down':
        await down({ stateDir, purge: values.purge });
        return 0;
      case 'status': {
        const report = await status(stateDir);
        process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
        return report.running && report.components.every((c) => c.healthy) ? 0 : 3;
      }
      case 'console': {
        const url = runningConsoleUrl(statePaths(stateDir));
        process.stdout.write(`${url}\n`);
        if (values.open) {
          const problem = await openInBrowser({ url });
          if (problem) process.stderr.write(`cnpaas: could not open a browser: ${problem}; open ${url} yourself\n`);
        }
        return 0;
      }
      case 'pid':
        process.stdout.write(`${componentPid(statePaths(stateDir), rest[0])}\n`);
        return 0;
      case 'kubeconfig': {
        const file = statePaths(stateDir).kubeconfig;
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new PlatformError('CNPAAS_PLATFORM_NOT_RUNNING', `${file} does not exist`, {
            hint: 'run cnpaas up first',
          });
        }
        process.stdout.write(values.path ? `${file}\n` : text);
        return 0;
      }
      case 'logs': {
        const lines = values.n === undefined ? 50 : Number(values.n);
        if (!Number.isInteger(lines) || lines < 0) throw usageError(`-n must be a whole number, not "${values.n}"`);
        await logs({ stateDir, component: rest[0], lines, follow: values.follow });
        return 0;
      }
      case 'install':
        await installCommand({ ...values, wait: !values['no-wait'] }, (line) => process.stdout.write(`${line}\n`));
        return 0;
      case 'kind-config': {
        const files = await writeKindFiles({
          dir: values.dir ?? path.join(stateDir, 'kind'),
          clusterName: values['cluster-name'] ?? 'cnpaas',
          storeHost: values['store-host'] ?? 'cnpaas-store',
          nodeImage: values['node-image'] ?? `kindest/node:v${pinnedKubeVersion()}`,
          webhookHosts: webhookHosts(
            (await loadServices(values.service ?? DEFAULT_SERVICES)).flatMap((s) => s.composition.cluster ?? []),
          ),
        });
        process.stdout.write(`${files.kindConfig}\n`);
        return 0;
      }
      case 'uninstall':
        await uninstallCommand(values, (line) => process.stdout.write(`${line}\n`));
        return 0;
      case 'supervise': {
        // Internal: started detached by `cnpaas up`. Exit explicitly once everything
        // is stopped, so no stray handle keeps `cnpaas down` waiting.
        return process.exit(await runSupervisor(statePaths(stateDir)));
      }
      default: {
        // A command a service adds (say, `cnpaas mail` of the default service).
        const services = await loadServices(values.service ?? DEFAULT_SERVICES);
        const found = services.flatMap((s) => s.composition.commands ?? []).find((c) => c.name === command);
        if (!found) throw usageError(`unknown command "${command}"`);
        await found.run({ stateDir, args: rest, write: (text) => process.stdout.write(text) });
        return 0;
      }
    }
  } catch (err) {
    process.stderr.write(`cnpaas: ${describeError(err)}\n`);
    return err instanceof PlatformError && err.code === 'CNPAAS_PLATFORM_USAGE' ? 2 : 1;
  }
}
