/**
 * `nx run e2e --configuration=kind`: the registration demo against the kind
 * cluster scripts/kind/up.sh made (docs/kind.md), with the same checks the
 * in-cluster run makes here (support/cluster-demo.ts). It needs Docker and
 * kind, so it runs only when CNPAAS_E2E_KUBECONFIG names that cluster's
 * kubeconfig; elsewhere (CI has no Docker) it is skipped and says so.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import type { StoredMail } from '@cnpaas/functions';
import { KubeClient } from '@cnpaas/kube';
import { describe, expect, it } from 'vitest';
import { clusterDemo } from '../support/cluster-demo.js';

const run = promisify(execFile);
const kubeconfig = process.env['CNPAAS_E2E_KUBECONFIG'];
const kubectlBin = process.env['KUBECTL'] ?? 'kubectl';
if (!kubeconfig) {
  process.stdout.write(
    'kind.live.test.ts skipped: CNPAAS_E2E_KUBECONFIG is not set (run scripts/kind/up.sh, then nx run e2e --configuration=kind)\n',
  );
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(kubectlBin, ['--kubeconfig', kubeconfig!, ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return (await child).stdout;
}

/** The SMTP pod's index entries (one JSON file per message), read inside its container. */
async function mail(): Promise<StoredMail[]> {
  const script =
    "const fs=require('fs');const d='/var/lib/cnpaas-smtp';" +
    "console.log(JSON.stringify(fs.readdirSync(d).filter(f=>f.endsWith('.json')).map(f=>JSON.parse(fs.readFileSync(d+'/'+f,'utf8')))))";
  return JSON.parse(
    await kubectl(['exec', '-n', 'cnpaas-system', 'deploy/cnpaas-smtp', '--', 'node', '-e', script]),
  ) as StoredMail[];
}

describe.skipIf(!kubeconfig)('the registration demo on the kind cluster', () => {
  it("has the kind cluster's kubeconfig", () => {
    expect(existsSync(kubeconfig!), `${kubeconfig} does not exist: run scripts/kind/up.sh first`).toBe(true);
  });

  let admin: KubeClient | undefined;
  clusterDemo(() => {
    if (!admin) {
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig!);
      admin = new KubeClient(kc);
    }
    return { admin, kubectl, mail, suffix: Date.now().toString(36) };
  });
});
