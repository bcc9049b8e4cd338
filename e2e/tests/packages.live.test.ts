/**
 * The packages meant for reuse install from their tarballs and their README
 * examples run, in a scratch project outside the workspace: what `npm pack`
 * ships (exports, files, bins, dependencies) is what a user gets, and nothing
 * resolves through the workspace's own node_modules.
 *
 * - @cnpaas/storage-shim: examples/embed.ts starts a store and reads back a write.
 * - @cnpaas/kube: examples/widget-controller.ts runs against a real
 *   kube-apiserver (on cnpaas-store, from @cnpaas/platform/testing) until a Widget it reconciles is Ready,
 *   then stops cleanly on SIGTERM.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startControlPlane, type TestControlPlane } from '@cnpaas/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor } from '../support/kubectl.js';
import { say, step } from '../support/narrate.js';
import { waitFor } from '@cnpaas/service-kit/testing';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const REUSABLE = ['kube', 'service-kit', 'storage-shim'] as const;
/** What the examples import besides the packed packages, at the versions the packages themselves use. */
const PEERS = ['@grpc/grpc-js', '@kubernetes/client-node'];

const manifest = (pkg: string) =>
  JSON.parse(readFileSync(path.join(REPO, 'packages', pkg, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    private?: boolean;
    dependencies?: Record<string, string>;
  };

function peerVersion(name: string): string {
  for (const pkg of REUSABLE) {
    const version = manifest(pkg).dependencies?.[name];
    if (version) return `${name}@${version}`;
  }
  throw new Error(`no reusable package depends on ${name}`);
}

describe('the reusable packages, packed and installed in a scratch project', () => {
  let scratch: string;
  let controlPlane: TestControlPlane | undefined;
  let controller: ChildProcess | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'cnpaas-pack-'));
    step('npm pack the reusable packages and install them in a scratch project');
    const packed = JSON.parse(
      (
        await run(
          'npm',
          ['pack', '--json', '--pack-destination', scratch, ...REUSABLE.flatMap((p) => ['-w', `packages/${p}`])],
          { cwd: REPO, maxBuffer: 64 * 1024 * 1024 },
        )
      ).stdout,
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    for (const p of packed) say(`${p.filename}: ${p.files.length} files`);
    writeFileSync(
      path.join(scratch, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
    );
    const started = Date.now();
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...packed.map((p) => `./${p.filename}`),
        ...PEERS.map(peerVersion),
      ],
      { cwd: scratch, maxBuffer: 64 * 1024 * 1024 },
    );
    say(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  afterAll(async () => {
    controller?.kill('SIGKILL');
    await controlPlane?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('are publishable: not private, one version, exports and files set', () => {
    const versions = new Set(REUSABLE.map((p) => manifest(p).version));
    expect(versions.size, 'the reusable packages are versioned together').toBe(1);
    for (const pkg of REUSABLE) {
      const m = manifest(pkg) as ReturnType<typeof manifest> & { exports?: unknown; files?: string[] };
      expect(m.private, `${m.name} must not be private`).not.toBe(true);
      expect(m.exports, `${m.name} declares exports`).toBeDefined();
      expect(m.files, `${m.name} declares files`).toContain('dist');
    }
  });

  it("runs @cnpaas/storage-shim's README example", async () => {
    step('the store embedded: examples/embed.ts');
    copyFileSync(path.join(REPO, 'packages/storage-shim/examples/embed.ts'), path.join(scratch, 'embed.ts'));
    const { stdout } = await run(process.execPath, ['embed.ts'], { cwd: scratch, timeout: 60_000 });
    for (const line of stdout.trim().split('\n')) say(line);
    expect(stdout).toMatch(/^put at revision (\d+)$/m);
    expect(stdout).toContain('read back {"spec":{"size":3}}');
    expect(stdout).toContain('backends: main, widgets');
  });

  it("runs @cnpaas/kube's README example against a real kube-apiserver until its Widget is Ready", async () => {
    step('a controller from the packed @cnpaas/kube: examples/widget-controller.ts');
    const crd = path.join(REPO, 'packages/kube/examples/widget-crd.yaml');
    const stack = await startControlPlane({ crds: [crd] });
    controlPlane = stack;
    const kubectl = kubectlFor(stack);
    await kubectl(['create', 'namespace', 'example-system']);

    copyFileSync(
      path.join(REPO, 'packages/kube/examples/widget-controller.ts'),
      path.join(scratch, 'widget-controller.ts'),
    );
    const output: string[] = [];
    const child = spawn(process.execPath, ['widget-controller.ts'], {
      cwd: scratch,
      env: { ...process.env, KUBECONFIG: stack.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    controller = child;
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'example.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w1', namespace: 'default' },
        spec: { size: 3 },
      }),
    );
    const ready = await waitFor(
      'the Widget to be Ready and its ConfigMap to hold size 3',
      async () => {
        const widget = JSON.parse(await kubectl(['get', 'widget', 'w1', '-n', 'default', '-o', 'json'])) as {
          metadata: { uid: string };
          status?: { conditions?: Array<{ type: string; status: string; reason: string }> };
        };
        const condition = widget.status?.conditions?.find((c) => c.type === 'Ready');
        if (condition?.status !== 'True') return undefined;
        const cm = JSON.parse(await kubectl(['get', 'configmap', 'w1', '-n', 'default', '-o', 'json'])) as {
          data?: Record<string, string>;
          metadata: { ownerReferences?: Array<{ uid: string; controller?: boolean }> };
        };
        return { widget, condition, cm };
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the controller printed:\n${output.join('')}`);
    });
    say(
      `Widget w1: Ready=${ready.condition.status} (${ready.condition.reason}); ConfigMap w1 size=${ready.cm.data?.size}`,
    );
    expect(ready.cm.data).toEqual({ size: '3' });
    expect(ready.cm.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: ready.widget.metadata.uid, controller: true }),
    ]);

    // Someone edits the ConfigMap: the controller puts it back.
    await kubectl(['patch', 'configmap', 'w1', '-n', 'default', '--type=merge', '-p', '{"data":{"size":"99"}}']);
    await waitFor(
      'the controller to put the ConfigMap back',
      async () =>
        JSON.parse(await kubectl(['get', 'configmap', 'w1', '-n', 'default', '-o', 'json'])).data?.size === '3',
      30_000,
    );

    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
    expect(code, `the controller stops cleanly on SIGTERM; it printed:\n${output.join('')}`).toBe(0);
    controller = undefined;
  });
});
