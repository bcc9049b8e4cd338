/**
 * The proof that the service template does not rot: in a copy of this
 * workspace, `nx g @cnpaas/nx-plugin:service` writes a package, and that
 * package, untouched, builds, typechecks, lints, is formatted, passes its
 * unit tests and its live test (the bin against a real kube-apiserver on
 * cnpaas-store), and its error codes make a clean catalogue. A second
 * service, generated with `--function --api`, builds, typechecks, lints, is
 * formatted and passes its unit tests (the function's and the API server's
 * among them) and its live test, in which kube-apiserver's aggregator routes
 * the generated API group to it. Then both run together under `cnpaas up
 * --service` (their compositions): an object of the first's kind turns
 * Ready, its webhook refuses a bad one, its key is in its own database; a
 * request POSTed to the second's aggregated API through kube-apiserver
 * creates an object of its kind, which turns Ready, and which the second's
 * own trigger delivers to its function, which records that it handled it.
 * Both install into a real kube-apiserver with `cnpaas install`, the second
 * with its trigger, HTTPTrigger and delivery certificate. Any template
 * change that breaks one of those fails here, loudly, with the command and
 * the end of its output.
 *
 * The copy: the tracked files as they are in the working tree (`git ls-files`,
 * so untracked files are not in it) plus the packages' `dist/` (only to spare
 * `tsc -b` a rebuild; it rebuilds whatever is stale), in a temp dir.
 * node_modules is not installed again: the copy gets a node_modules
 * directory of symlinks to this workspace's entries, except `@cnpaas/*`, which
 * point at the copy's own packages (the generated one included), as npm's
 * workspace links would.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceNames } from './generators/service/generator.js';
import {
  checkedBlock,
  readNewServiceDoc,
  testCountsOf,
  testCountsOfReport,
  type VitestReport,
} from './generators/service/new-service-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NAME = 'stock-keeper';
const KIND = 'StockItem';
/** A second service, with --function and --api: built, linted, unit- and live-tested (the live test adds the aggregated API). */
const FN_NAME = 'shelf-keeper';
const FN_KIND = 'Shelf';
// The plurals as the generator spells them (Shelf is shelves), not re-derived here.
const STOCK = serviceNames({ name: NAME, kind: KIND });
const SHELF = serviceNames({ name: FN_NAME, kind: FN_KIND });

interface Run {
  code: number | null;
  /** stdout and stderr as they came, for failure messages. */
  output: string;
  /** stdout alone: what a command's machine-readable answer is in (Node's own warnings go to stderr). */
  stdout: string;
  ms: number;
}

/** The environment of the outer run without what would steer the inner Nx or vitest (task ids, tiers, workspace root). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(NX_|VITEST|CNPAAS_TEST_TIER$|NODE_OPTIONS$|TEST$|NODE_ENV$|npm_)/.test(key)) continue;
    env[key] = value;
  }
  // No colours: the assertions and a failure's tail read the output as text.
  return { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NO_COLOR: '1' };
}

/** Runs a command in the copy; on a timeout its whole process group (started here, detached) is killed. */
function run(cwd: string, command: string[], timeoutMs: number): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { cwd, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, stdout, ms: Date.now() - started });
    });
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The workspace's tracked files, plus each package's dist/, with modes and times (so tsc -b sees dist up to date). */
async function copyWorkspace(dest: string): Promise<void> {
  // Only tracked packages' dist/: a package generated here and not committed (the test's own name, say) stays out.
  const listed = await run(ROOT, ['git', 'ls-files', '--', 'packages/*/package.json'], 30_000);
  if (listed.code !== 0) throw new Error(`git ls-files failed:\n${tail(listed.output, 20)}`);
  const tracked = new Set(
    listed.output
      .split('\n')
      .filter(Boolean)
      .map((f) => path.dirname(f)),
  );
  const dists = [...tracked].map((p) => path.join(p, 'dist')).filter((d) => existsSync(path.join(ROOT, d)));
  const script = `{ git ls-files -z; printf '%s\\0' ${dists.map((d) => `'${d}'`).join(' ')}; } | tar --null -T - -cf - | tar -xf - -C '${dest}'`;
  const res = await run(ROOT, ['bash', '-c', script], 60_000);
  if (res.code !== 0) throw new Error(`copying the workspace failed:\n${tail(res.output, 20)}`);
}

/** node_modules of symlinks into this workspace's, with @cnpaas/* pointing at the copy's packages. */
function linkNodeModules(dest: string): void {
  const real = path.join(ROOT, 'node_modules');
  const modules = path.join(dest, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(real)) {
    if (entry === '@cnpaas' || entry.startsWith('.vite')) continue;
    symlinkSync(realpathSync(path.join(real, entry)), path.join(modules, entry));
  }
  relinkWorkspacePackages(dest);
  // A package's own node_modules (a second version npm could not hoist).
  for (const pkg of readdirSync(path.join(ROOT, 'packages'))) {
    const own = path.join(ROOT, 'packages', pkg, 'node_modules');
    // Only packages the copy has (an untracked one is not in it).
    if (existsSync(own) && readdirSync(own).length > 0 && existsSync(path.join(dest, 'packages', pkg)))
      symlinkSync(own, path.join(dest, 'packages', pkg, 'node_modules'));
  }
}

/** `node_modules/@cnpaas/<x>` → the copy's package of that name, as `npm install` would link it. */
function relinkWorkspacePackages(dest: string): void {
  const scope = path.join(dest, 'node_modules', '@cnpaas');
  rmSync(scope, { recursive: true, force: true });
  mkdirSync(scope);
  for (const pkg of readdirSync(path.join(dest, 'packages'))) {
    const manifest = path.join(dest, 'packages', pkg, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
    if (name.startsWith('@cnpaas/')) symlinkSync(path.join(dest, 'packages', pkg), path.join(scope, name.slice(8)));
  }
}

describe('a generated service, untouched, in a copy of the workspace', () => {
  const dest = realpathSync(mkdtempSync(path.join(tmpdir(), 'cnpaas-gen-')));
  const timings: Record<string, number> = {};
  const nx = (args: string[], timeoutMs: number) =>
    run(dest, [process.execPath, path.join(dest, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], timeoutMs);
  /** The copy's own platform CLI (built by the first test). */
  const cnpaas = (args: string[], timeoutMs: number) =>
    run(dest, [process.execPath, path.join(dest, 'packages', 'platform', 'bin', 'cnpaas.js'), ...args], timeoutMs);
  /** Both generated services, as `cnpaas up` and `cnpaas install` take them. */
  const SERVICES = ['--service', `packages/${NAME}`, '--service', `packages/${FN_NAME}`];
  const step = async (label: string, result: Promise<Run>): Promise<Run> => {
    const res = await result;
    timings[label] = res.ms;
    if (res.code !== 0) throw new Error(`${label} failed (exit ${res.code}) in ${dest}:\n${tail(res.output, 60)}`);
    return res;
  };
  const TARGETS = ['build', 'typecheck', 'lint', 'format:check', 'test:unit', 'test:live'];
  /**
   * Runs every target on a generated project and checks that each ran for it; then its unit report
   * and the titles of its live tests that passed, from the JSON reports vitest writes (its console
   * lists only the slow ones).
   */
  const checkProject = async (label: string, name: string) => {
    const checked = await step(
      label,
      nx(['run-many', '-t', TARGETS.join(','), '-p', name, '--output-style=stream', '--parallel=2'], 240_000),
    );
    for (const target of TARGETS) {
      const quoted = target.includes(':') ? `"${target}"` : target; // how Nx prints a target with a colon
      expect(checked.output, target).toContain(`nx run @cnpaas/${name}:${quoted}`);
    }
    const report = (tier: 'unit' | 'live'): unknown =>
      JSON.parse(readFileSync(path.join(dest, 'test-results', `${name}-${tier}.json`), 'utf8'));
    const live = report('live') as {
      testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>;
    };
    const livePassed = live.testResults
      .flatMap((f) => f.assertionResults)
      .filter((a) => a.status === 'passed')
      .map((a) => a.title);
    return { output: checked.output, unit: report('unit') as VitestReport, livePassed };
  };

  afterAll(() => {
    const total = Object.values(timings).reduce((a, b) => a + b, 0);
    console.log(
      `generated-service check: ${Object.entries(timings)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
        .join(', ')}; total ${(total / 1000).toFixed(1)} s`,
    );
    if (process.env.CNPAAS_KEEP_GENERATED === '1') console.log(`kept ${dest}`);
    else rmSync(dest, { recursive: true, force: true });
  });

  it('generates, builds, typechecks, lints, is formatted, and passes its unit and live tests', async () => {
    const t0 = Date.now();
    await copyWorkspace(dest);
    linkNodeModules(dest);
    timings.copy = Date.now() - t0;

    // nx g loads the generator from dist/, as in a fresh clone: build it first (a no-op when dist/ is current).
    await step(
      'build the plugin',
      nx(['run-many', '-t', 'build', '-p', 'nx-plugin', '--output-style=stream'], 120_000),
    );
    const generated = await step(
      'generate',
      nx(['g', '@cnpaas/nx-plugin:service', NAME, '--kind', KIND, '--no-interactive'], 60_000),
    );
    expect(generated.output).toContain(`CREATE packages/${NAME}/src/reconciler.ts`);
    relinkWorkspacePackages(dest);

    const checked = await checkProject('build…test:live', NAME);
    // Its tests really ran (not "no test files").
    expect(checked.output).toMatch(/Tests\s+\d+ passed/);
    // docs/new-service.md shows this run's unit counts (section 2): they must be today's, file by file.
    const doc = readNewServiceDoc();
    expect(
      testCountsOfReport(checked.unit, path.join(dest, 'packages', NAME)),
      'docs/new-service.md section 2',
    ).toEqual(testCountsOf(checkedBlock(doc, 'unit tests')));
    // Each live test passed, by name.
    expect(checked.livePassed.sort()).toEqual(
      [
        `turns a new ${KIND} Ready=True for its generation`,
        'is called by kube-apiserver, which refuses a blank description with the Status the webhook wrote',
        `keeps ${STOCK.kindPlural} in their own database, as topology.yaml routes them`,
        'answers /readyz once it leads, and stops cleanly on SIGTERM',
      ].sort(),
    );

    await step(
      'generate --function --api',
      nx(
        ['g', '@cnpaas/nx-plugin:service', FN_NAME, '--kind', FN_KIND, '--function', '--api', '--no-interactive'],
        60_000,
      ),
    );
    relinkWorkspacePackages(dest);
    const fn = await checkProject('with --function --api: build…test:live', FN_NAME);
    expect(testCountsOfReport(fn.unit, path.join(dest, 'packages', FN_NAME)), 'docs/new-service.md section 6').toEqual(
      testCountsOf(checkedBlock(doc, 'unit tests --function --api')),
    );
    for (const file of ['src/function.test.ts', 'src/api-server.test.ts'])
      expect(
        fn.unit.testResults.filter((f) => f.name.endsWith(file)).map((f) => f.status),
        file,
      ).toEqual(['passed']);
    expect(fn.livePassed).toEqual(
      expect.arrayContaining([
        `is served through kube-apiserver's aggregator: a ${FN_KIND}Request creates a ${FN_KIND}, and a caller without RBAC is refused before the server`,
        `handles a trigger event as its own identity: reads the ${FN_KIND} and records status.handled, once`,
      ]),
    );
    expect(fn.livePassed).toHaveLength(6);

    // Its error codes are documented and each is raised (the same checks as scripts/errors-catalogue.test.ts).
    const catalogue = await step(
      'errors catalogue',
      run(dest, [process.execPath, '--import', 'tsx', 'scripts/errors-catalogue.ts'], 60_000),
    );
    expect(catalogue.output).toMatch(/codes from \d+ registries/);
    const errorsDoc = readFileSync(path.join(dest, 'docs', 'errors.md'), 'utf8');
    expect(errorsDoc).toContain('CNPAAS_STOCK_KEEPER_BAD_FLAG');
    expect(errorsDoc).toContain('CNPAAS_SHELF_KEEPER_BAD_EVENT');
    expect(errorsDoc).toContain('CNPAAS_SHELF_KEEPER_UNAUTHENTICATED');
    await step(
      'errors catalogue test',
      run(
        path.join(dest, 'scripts'),
        [process.execPath, path.join(dest, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'errors-catalogue.test.ts'],
        120_000,
      ),
    );
  });

  it('runs under cnpaas up --service: a new one turns Ready, its webhook refuses a bad one, its row lands in its own database; the --api one answers through kube-apiserver, and its trigger delivers to its function', async () => {
    // The first test left both generated, built packages in the copy; the platform's CLI there runs them, without the webshop.
    expect(existsSync(path.join(dest, 'packages', NAME, 'dist', 'composition.js'))).toBe(true);
    // Short: the store's socket lives in it (at most ~100 bytes).
    const stateDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'cnp-gs-')));
    const manifest = (name: string, description: string) => {
      const file = path.join(stateDir, `${name}.json`);
      const object = {
        apiVersion: `${NAME}.cnpaas.dev/v1`,
        kind: KIND,
        metadata: { name, namespace: 'default' },
        spec: { description },
      };
      writeFileSync(file, JSON.stringify(object));
      return file;
    };
    try {
      const up = await step(
        'cnpaas up --service',
        cnpaas(['up', ...SERVICES, '--ports', 'auto', '--state-dir', stateDir], 180_000),
      );
      expect(up.output).toContain(`✓ services: ${NAME}, ${FN_NAME}`);
      expect(up.output).toMatch(new RegExp(`✓ ${NAME} ready`));
      expect(up.output).toMatch(new RegExp(`✓ ${FN_NAME} ready`));
      expect(up.output).toMatch(new RegExp(`✓ ${FN_NAME}-trigger ready`));
      const plan = JSON.parse(readFileSync(path.join(stateDir, 'run', 'plan.json'), 'utf8')) as { kubectl: string };
      const kubectl = (args: string[]) =>
        run(dest, [plan.kubectl, '--kubeconfig', path.join(stateDir, 'kubeconfig'), ...args], 90_000);
      const resource = `${STOCK.plural}.${NAME}.cnpaas.dev`;

      // Its controller ran: Ready=True for the first generation.
      await step('kubectl create (good)', kubectl(['create', '-f', manifest('first', 'ten boxes of screws')]));
      await step(
        'kubectl wait Ready',
        kubectl(['wait', '--for=condition=Ready', `${resource}/first`, '-n', 'default', '--timeout=60s']),
      );
      // Its webhook ran, called by kube-apiserver with the platform's webhook client certificate.
      const bad = await kubectl(['create', '-f', manifest('blank', '   ')]);
      expect(bad.code).not.toBe(0);
      // kubectl prints the Status's causes: the webhook's rule (the CRD itself only asks for one character).
      expect(bad.output).toContain(`The ${KIND} "blank" is invalid`);
      expect(bad.output).toContain('spec.description: Invalid value: must not be blank');
      expect(bad.output, 'each cause printed once, as field: message').not.toContain(
        'spec.description: spec.description',
      );
      // And the webhook's own log says it was called, by kube-apiserver, and refused.
      const log = readFileSync(path.join(stateDir, 'logs', `${NAME}.log`), 'utf8');
      expect(log).toMatch(
        new RegExp(
          `"webhook":"validate-${STOCK.plural}\\.${NAME}\\.cnpaas\\.dev".*"name":"blank","allowed":false,"code":422`,
        ),
      );

      // The second's aggregated API: the composition started its API server, and the APIService it
      // registered turns Available once kube-apiserver's aggregator reaches it with the front-proxy certificate.
      const apiGroup = `api.${FN_NAME}.cnpaas.dev`;
      await step(
        'kubectl wait APIService Available',
        kubectl(['wait', '--for=condition=Available', `apiservice/v1.${apiGroup}`, '--timeout=60s']),
      );
      const requestFile = path.join(stateDir, 'shelf-request.json');
      writeFileSync(
        requestFile,
        JSON.stringify({
          apiVersion: `${apiGroup}/v1`,
          kind: `${FN_KIND}Request`,
          metadata: { name: 'from-api' },
          spec: { description: 'made through the aggregated API' },
        }),
      );
      const created = await step(
        'kubectl create --raw (aggregated API)',
        kubectl([
          'create',
          '--raw',
          `/apis/${apiGroup}/v1/namespaces/default/${FN_KIND.toLowerCase()}requests`,
          '-f',
          requestFile,
        ]),
      );
      const answer = JSON.parse(created.stdout) as { kind: string; status: { name: string; uid: string } };
      expect(answer.kind).toBe(`${FN_KIND}Request`);
      expect(answer.status.name).toBe('from-api');
      // The object it made, with the uid it named, turns Ready under its controller (kubectl takes the singular).
      const shelves = `${FN_KIND.toLowerCase()}.${FN_NAME}.cnpaas.dev`;
      await step(
        'kubectl wait Ready (made through the API)',
        kubectl(['wait', '--for=condition=Ready', `${shelves}/from-api`, '-n', 'default', '--timeout=60s']),
      );
      const made = await kubectl(['get', shelves, 'from-api', '-n', 'default', '-o', 'jsonpath={.metadata.uid}']);
      expect(made.stdout).toBe(answer.status.uid);

      // Its own trigger (cnpaas-trigger --trigger-class, started by the composition) saw it ADDED and POSTed it,
      // with the delivery certificate, to the function on loopback, which recorded that it handled it.
      await step(
        'kubectl wait handled (trigger → function)',
        kubectl([
          'wait',
          '--for=jsonpath={.status.handled.event}=ADDED',
          `${shelves}/from-api`,
          '-n',
          'default',
          '--timeout=60s',
        ]),
      );
      const handled = await kubectl(['get', shelves, 'from-api', '-n', 'default', '-o', 'jsonpath={.status.handled}']);
      expect(JSON.parse(handled.stdout)).toMatchObject({ generation: 1, event: 'ADDED' });
      const fnLog = readFileSync(path.join(stateDir, 'logs', `${FN_NAME}.log`), 'utf8');
      expect(fnLog).toMatch(/"type":"ADDED","key":"default\/from-api","outcome":"handled","generation":1/);
      const httpTrigger = await kubectl([
        'get',
        'httptrigger',
        FN_NAME,
        '-n',
        'cnpaas-system',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].reason}',
      ]);
      expect(httpTrigger.stdout).toBe('Watching');

      // Each one's object is in its own database, as its topology fragment routes it (merged into one file).
      const status = await step('cnpaas status', cnpaas(['status', '--json', '--state-dir', stateDir], 60_000));
      const report = JSON.parse(status.stdout) as { backendKeys: Record<string, number>; topology: string };
      expect(report.topology).toBe(path.join(stateDir, 'run', 'topology.yaml'));
      expect(report.backendKeys[NAME]).toBe(1);
      expect(report.backendKeys[FN_NAME]).toBe(1);
    } finally {
      const down = await cnpaas(['down', '--purge', '--state-dir', stateDir], 120_000);
      timings['cnpaas down'] = down.ms;
      expect(down.code, down.output).toBe(0);
    }
  });
  it('installs into a cluster with cnpaas install --service: its overlay in the install namespace, the serving certificate, the CA bundles', async () => {
    // The copy's own platform (built by the first test) boots the cluster: a control plane with no nodes,
    // so pods stay Pending and install runs with --no-wait; the objects are what is checked.
    const built = (file: string) => pathToFileURL(path.join(dest, 'packages', 'platform', 'dist', file)).href;
    const { startControlPlane } = (await import(built('testing/index.js'))) as {
      startControlPlane: () => Promise<{ kubeconfig: string; kubectl: string; stop(): Promise<void> }>;
    };
    const { CertificateAuthority } = (await import(built('index.js'))) as {
      CertificateAuthority: {
        loadOrCreate: (dir: string, name: string, cn: string) => Promise<{ files: { cert: string } }>;
      };
    };
    const caDir = realpathSync(mkdtempSync(path.join(tmpdir(), 'cnp-gs-ca-')));
    const cp = await startControlPlane();
    try {
      const ca = await CertificateAuthority.loadOrCreate(caDir, 'webhook-client-ca', 'test webhook client CA');
      const installed = await step(
        'cnpaas install --service',
        cnpaas(
          [
            'install',
            ...SERVICES,
            '--overlay',
            'kind',
            '--no-wait',
            '--kubeconfig',
            cp.kubeconfig,
            '--webhook-client-ca',
            ca.files.cert,
          ],
          180_000,
        ),
      );
      expect(installed.output).toContain(`rendered deploy/overlays/kind`);
      expect(installed.output).toContain('cnpaas is installed');
      expect(installed.output).toContain(`rollout status deployment/${NAME}`);
      expect(installed.output).toContain(`rollout status deployment/${FN_NAME}-trigger`);
      const get = async <T>(args: string[]): Promise<T> => {
        const res = await run(dest, [cp.kubectl, '--kubeconfig', cp.kubeconfig, 'get', ...args, '-o', 'json'], 60_000);
        if (res.code !== 0) throw new Error(`kubectl get ${args.join(' ')}: ${tail(res.output, 10)}`);
        return JSON.parse(res.stdout) as T;
      };
      const NS = 'cnpaas-system';

      // Each service's Deployment, as deploy/base and the kind overlay make it, runs as its ServiceAccount.
      for (const name of [NAME, FN_NAME]) {
        const deployment = await get<{
          spec: {
            replicas: number;
            template: {
              spec: { serviceAccountName: string; containers: Array<{ image: string; imagePullPolicy: string }> };
            };
          };
        }>(['deployment', '-n', NS, name]);
        expect(deployment.spec.replicas).toBe(1);
        expect(deployment.spec.template.spec.serviceAccountName).toBe(name);
        expect(deployment.spec.template.spec.containers[0]).toMatchObject({
          image: `cnpaas/${name}:0.1.0`,
          imagePullPolicy: 'IfNotPresent',
        });
        const binding = await get<{ subjects: unknown[] }>(['clusterrolebinding', name]);
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name, namespace: NS }]);
      }
      // The serving certificate names the Service the webhook configuration points at, and the CA bundle
      // install injected is the CA that signed it.
      const serving = await get<{ type: string; data: Record<string, string> }>([
        'secret',
        '-n',
        NS,
        `${NAME}-serving`,
      ]);
      expect(serving.type).toBe('kubernetes.io/tls');
      const cert = new X509Certificate(Buffer.from(serving.data['tls.crt']!, 'base64'));
      expect(cert.subjectAltName).toContain(`DNS:${NAME}.${NS}.svc`);
      const webhook = await get<{
        webhooks: Array<{ clientConfig: { caBundle: string; service: Record<string, unknown> } }>;
      }>(['validatingwebhookconfiguration', NAME]);
      expect(webhook.webhooks[0]!.clientConfig.service).toMatchObject({ name: NAME, namespace: NS, port: 443 });
      const caBundle = new X509Certificate(Buffer.from(webhook.webhooks[0]!.clientConfig.caBundle, 'base64'));
      expect(cert.verify(caBundle.publicKey)).toBe(true);
      // The --api one's APIService names the same Service, on the API's port, with the same CA bundle.
      const apiService = await get<{ spec: { service: unknown; caBundle: string } }>([
        'apiservice',
        `v1.api.${FN_NAME}.cnpaas.dev`,
      ]);
      expect(apiService.spec.service).toEqual({ name: FN_NAME, namespace: NS, port: 8443 });
      expect(apiService.spec.caBundle).toBe(webhook.webhooks[0]!.clientConfig.caBundle);
      // The CA copies the Deployments mount are in the same namespace.
      await get(['configmap', '-n', NS, 'cnpaas-apiserver-webhook-client-ca']);
      await get(['configmap', '-n', NS, 'cnpaas-front-proxy-ca']);

      // The --function one's trigger: its own Deployment and identity, running only its class.
      const trigger = await get<{
        spec: {
          template: {
            spec: {
              serviceAccountName: string;
              containers: Array<{ image: string; imagePullPolicy: string; args: string[] }>;
            };
          };
        };
      }>(['deployment', '-n', NS, `${FN_NAME}-trigger`]);
      expect(trigger.spec.template.spec.serviceAccountName).toBe(`${FN_NAME}-trigger`);
      expect(trigger.spec.template.spec.containers[0]).toMatchObject({
        image: 'cnpaas/cnpaas-trigger:0.1.0',
        imagePullPolicy: 'IfNotPresent',
      });
      expect(trigger.spec.template.spec.containers[0]!.args.join(' ')).toContain(`--trigger-class ${FN_NAME}`);
      for (const binding of [`clusterrolebinding/${FN_NAME}-trigger`, `rolebinding/${FN_NAME}-trigger`])
        expect((await get<{ subjects: unknown[] }>(['-n', NS, binding])).subjects, binding).toEqual([
          { kind: 'ServiceAccount', name: `${FN_NAME}-trigger`, namespace: NS },
        ]);
      // Its HTTPTrigger, for that class, at the Service, with the CA bundle that verifies the serving certificate.
      const httpTrigger = await get<{
        metadata: { labels: Record<string, string> };
        spec: { service: unknown; tls: { caBundle: string; clientSecretRef: { name: string } } };
      }>(['httptrigger', '-n', NS, FN_NAME]);
      expect(httpTrigger.metadata.labels['platform.cnpaas.dev/trigger-class']).toBe(FN_NAME);
      expect(httpTrigger.spec.service).toEqual({
        name: FN_NAME,
        namespace: NS,
        port: 443,
        path: `/functions/${SHELF.plural}`,
      });
      const fnServing = await get<{ data: Record<string, string> }>(['secret', '-n', NS, `${FN_NAME}-serving`]);
      const fnCert = new X509Certificate(Buffer.from(fnServing.data['tls.crt']!, 'base64'));
      expect(fnCert.subjectAltName).toContain(`DNS:${FN_NAME}.${NS}.svc`);
      expect(fnCert.verify(new X509Certificate(Buffer.from(httpTrigger.spec.tls.caBundle, 'base64')).publicKey)).toBe(
        true,
      );
      // The certificate it presents: from the service's own delivery CA, the one the function mounts.
      const delivery = await get<{ type: string; data: Record<string, string> }>([
        'secret',
        '-n',
        NS,
        httpTrigger.spec.tls.clientSecretRef.name,
      ]);
      expect(delivery.type).toBe('kubernetes.io/tls');
      const deliveryCert = new X509Certificate(Buffer.from(delivery.data['tls.crt']!, 'base64'));
      expect(deliveryCert.subject).toBe(`CN=${FN_NAME}-trigger-delivery`);
      const deliveryCa = await get<{ data: Record<string, string> }>(['configmap', '-n', NS, `${FN_NAME}-delivery-ca`]);
      expect(deliveryCert.verify(new X509Certificate(deliveryCa.data['ca.crt']!).publicKey)).toBe(true);
      const fn = await get<{
        spec: {
          template: { spec: { containers: Array<{ args: string[] }>; volumes: Array<Record<string, unknown>> } };
        };
      }>(['deployment', '-n', NS, FN_NAME]);
      expect(fn.spec.template.spec.containers[0]!.args.join(' ')).toContain(
        `--trigger-ca-file /etc/${FN_NAME}/trigger-ca/ca.crt --allowed-trigger-names ${FN_NAME}-trigger-delivery`,
      );
      expect(fn.spec.template.spec.volumes).toContainEqual({
        name: 'trigger-ca',
        configMap: expect.objectContaining({ name: `${FN_NAME}-delivery-ca` }),
      });
    } finally {
      await cp.stop();
      rmSync(caDir, { recursive: true, force: true });
    }
  });
});
