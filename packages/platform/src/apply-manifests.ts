/**
 * Applies a component's manifests with kubectl as the admin: `{{NAME}}`
 * placeholders are filled from `vars` (webhook URL, CA bundle), and a file
 * holding CRDs is waited on until they are Established, so the next file may
 * create objects of those kinds.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PlatformError } from './errors.js';

export interface ApplyOptions {
  kubectl: string;
  kubeconfig: string;
  files: string[];
  vars?: Record<string, string>;
}

function kubectl(options: ApplyOptions, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.kubectl, ['--kubeconfig', options.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err.trim() || `exit ${code}`))));
    child.stdin.end(input ?? '');
  });
}

export function fillPlaceholders(text: string, vars: Record<string, string>, file: string): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      throw new PlatformError('CNPAAS_PLATFORM_STATE', `${file} uses {{${name}}}, which the platform does not provide`, 'fix the manifest or the component wiring');
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
      throw new PlatformError('CNPAAS_PLATFORM_COMPONENT_FAILED', `applying ${file} failed: ${(err as Error).message}`,
        'fix the manifest; kubectl apply -f FILE shows the same error', { cause: err });
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
