/**
 * Applies a component's manifests with kubectl as the admin: `{{NAME}}`
 * placeholders are filled from `vars` (webhook URL, CA bundle), and a file
 * holding CRDs is waited on until they are Established, so the next file may
 * create objects of those kinds.
 */
import { readFileSync } from 'node:fs';
import { PlatformError } from './errors.js';
import { runKubectl } from './kubectl.js';

export interface ApplyOptions {
  kubectl: string;
  kubeconfig: string;
  files: string[];
  vars?: Record<string, string>;
}

async function kubectl(options: ApplyOptions, args: string[], input?: string): Promise<string> {
  const res = await runKubectl({ kubectl: options.kubectl, kubeconfig: options.kubeconfig, args, input });
  if (res.code !== 0) throw new Error(res.stderr.trim() || `exit ${res.code}`);
  return res.stdout;
}

export function fillPlaceholders(text: string, vars: Record<string, string>, file: string): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_STATE',
        `${file} uses {{${name}}}, which the platform does not provide`,
        { hint: 'fix the manifest or the component wiring' },
      );
    }
    return value;
  });
}

export async function applyManifests(options: ApplyOptions): Promise<void> {
  for (const file of options.files) {
    const text = fillPlaceholders(readFileSync(file, 'utf8'), options.vars ?? {}, file);
    try {
      await kubectl(options, ['apply', '-f', '-'], text);
      if (/^kind:\s*CustomResourceDefinition\s*$/m.test(text)) {
        await kubectl(options, ['wait', '--for=condition=Established', '--timeout=60s', '-f', '-'], text);
      }
    } catch (err) {
      throw new PlatformError(
        'CNPAAS_PLATFORM_COMPONENT_FAILED',
        `applying ${file} failed: ${(err as Error).message}`,
        { hint: 'fix the manifest; kubectl apply -f FILE shows the same error', cause: err },
      );
    }
  }
}

/** `kubectl delete --ignore-not-found` of each file, placeholders filled like apply. */
export async function deleteManifests(options: ApplyOptions): Promise<void> {
  for (const file of options.files) {
    const text = fillPlaceholders(readFileSync(file, 'utf8'), options.vars ?? {}, file);
    await kubectl(options, ['delete', '--ignore-not-found', '--wait=false', '--request-timeout=10s', '-f', '-'], text);
  }
}
