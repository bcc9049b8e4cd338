/** `cnpaas install` and `cnpaas uninstall` from the command line: flags in, progress and next steps out. */
import path from 'node:path';
import { PlatformError } from '../errors.js';
import { resolveKubeBinary } from '../kube-binaries.js';
import { pinnedKubeVersion } from '../kube-version.js';
import { PKI_MODES, type PkiMode } from './cert-manager.js';
import { install } from './install.js';
import { OVERLAYS, type Overlay } from './names.js';
import { uninstall } from './uninstall.js';

export interface InstallFlags {
  kubeconfig?: string | undefined;
  overlay?: string | undefined;
  /** Services to install (`--service`, repeatable); default the default services (compositions.ts). */
  service?: string[] | undefined;
  'image-registry'?: string | undefined;
  'webhook-client-ca'?: string | undefined;
  pki?: string | undefined;
  wait?: boolean | undefined;
  timeout?: string | undefined;
  'delete-data'?: boolean | undefined;
}

type Say = (line: string) => void;

function usage(message: string, hint: string): PlatformError {
  return new PlatformError('CNPAAS_PLATFORM_USAGE', message, { hint });
}

function kubeconfigOf(flags: InstallFlags): string {
  const file = flags.kubeconfig ?? process.env['KUBECONFIG']?.split(path.delimiter)[0];
  if (!file) throw usage('--kubeconfig is required', 'pass --kubeconfig FILE for the cluster to install into');
  return path.resolve(file);
}

function timeoutOf(flags: InstallFlags): number {
  if (flags.timeout === undefined) return 300_000;
  const seconds = Number(flags.timeout);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw usage(`--timeout must be a whole number of seconds, not "${flags.timeout}"`, 'e.g. --timeout 600');
  }
  return seconds * 1000;
}

async function kubectl(say: Say): Promise<string> {
  const binary = await resolveKubeBinary('kubectl', { version: pinnedKubeVersion(), onProgress: (l) => say(`  ${l}`) });
  return binary.path;
}

export async function installCommand(flags: InstallFlags, say: Say): Promise<void> {
  const overlay = (flags.overlay ?? 'cluster') as Overlay;
  if (!OVERLAYS.includes(overlay)) {
    throw usage(`--overlay must be one of ${OVERLAYS.join(', ')}, not "${flags.overlay}"`, 'e.g. --overlay kind');
  }
  const caFile = flags['webhook-client-ca'];
  if (!caFile) {
    throw usage(
      '--webhook-client-ca is required: the webhooks admit only kube-apiserver, by its client certificate',
      'pass the CA file that signs the client certificate kube-apiserver presents to webhooks (its AdmissionConfiguration kubeConfigFile; scripts/kind/up.sh makes both); see docs/cluster.md',
    );
  }
  const pki = (flags.pki ?? 'auto') as PkiMode;
  if (!PKI_MODES.includes(pki)) {
    throw usage(`--pki must be one of ${PKI_MODES.join(', ')}, not "${flags.pki}"`, 'e.g. --pki cert-manager');
  }
  const kubeconfig = kubeconfigOf(flags);
  const result = await install({
    pki,
    kubeconfig,
    kubectl: await kubectl(say),
    overlay,
    services: flags.service,
    imageRegistry: flags['image-registry'],
    webhookClientCaFile: path.resolve(caFile),
    wait: flags.wait !== false,
    timeoutMs: timeoutOf(flags),
    say,
  });
  say(`\ncnpaas is installed (${result.objects.length} objects, Kubernetes ${result.version}). Next:`);
  say(`  kubectl --kubeconfig ${kubeconfig} -n ${result.namespace} get deployments`);
  for (const line of result.nextSteps) say(`  ${line}`);
  say(
    `  cnpaas uninstall --kubeconfig ${kubeconfig}                                # removes exactly what install made`,
  );
}

export async function uninstallCommand(flags: InstallFlags, say: Say): Promise<void> {
  const result = await uninstall({
    kubeconfig: kubeconfigOf(flags),
    kubectl: await kubectl(say),
    deleteData: flags['delete-data'] === true,
    timeoutMs: timeoutOf(flags),
    say,
  });
  if (result.leftAlone.length > 0) say(`${result.leftAlone.length} listed objects were left alone (see above)`);
}
