/**
 * The service generator in an in-memory Nx workspace: which files it writes,
 * that every name is substituted, and that bad options are refused before a
 * file is written. That the output builds, lints and passes its own tests is
 * src/generated-service.live.test.ts's job (it needs the real workspace).
 */
// @nx/devkit has no exports map, so an ESM import names the file.
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing.js';
import type { Tree } from '@nx/devkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { kindPluralOf, pluralOf, serviceGenerator, serviceNames, toKebab, toPascal } from './generator.js';

const ROOT = 'packages/stock-keeper';

/** The files the generator wrote under ROOT, as paths in the workspace, sorted. */
function written(tree: Tree): string[] {
  return tree
    .listChanges()
    .map((c) => c.path)
    .filter((p) => p.startsWith(ROOT))
    .sort();
}

/** Asserts that the generator wrote each of `files` under ROOT. */
function expectWritten(tree: Tree, files: string[]): void {
  for (const file of files) expect(tree.exists(`${ROOT}/${file}`), file).toBe(true);
}

/** Asserts that each file the generator wrote under ROOT holds each of its texts (a string, or a pattern it matches). */
function expectFiles(tree: Tree, wanted: Record<string, (string | RegExp)[]>): void {
  for (const [file, texts] of Object.entries(wanted)) {
    const text = tree.read(`${ROOT}/${file}`, 'utf8');
    for (const t of texts) {
      if (typeof t === 'string') expect(text, file).toContain(t);
      else expect(text, file).toMatch(t);
    }
  }
}

/** Asserts that no file the generator wrote under ROOT matches `pattern`. */
function expectNoneMatch(tree: Tree, pattern: RegExp): void {
  for (const file of written(tree)) expect(tree.read(file, 'utf8'), file).not.toMatch(pattern);
}

describe('service generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });
  /** A file the generator wrote under ROOT. */
  const read = (f: string) => tree.read(`${ROOT}/${f}`, 'utf8')!;

  it('writes the package: CRD, RBAC, webhook configuration, topology, bin launcher, sources and tests, with no template left over', async () => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem' });
    const files = written(tree);
    expect(files).toEqual(
      [
        'README.md',
        'bin/stock-keeper.js',
        'deploy/base/deployment.yaml',
        'deploy/base/kustomization.yaml',
        'deploy/base/networkpolicy.yaml',
        'deploy/base/service.yaml',
        'deploy/base/serviceaccount.yaml',
        'deploy/overlays/cluster/kustomization.yaml',
        'deploy/overlays/kind/kustomization.yaml',
        'manifests/crds/stockitems.yaml',
        'manifests/kustomization.yaml',
        'manifests/namespace.yaml',
        'manifests/rbac.yaml',
        'manifests/validating-webhook-configuration.yaml',
        'package.json',
        'src/cluster-part.ts',
        'src/component.ts',
        'src/composition.ts',
        'src/config.test.ts',
        'src/config.ts',
        'src/controller.ts',
        'src/errors.ts',
        'src/index.ts',
        'src/main.ts',
        'src/manifests.test.ts',
        'src/manifests.ts',
        'src/names.ts',
        'src/reconciler.test.ts',
        'src/reconciler.ts',
        'src/run.ts',
        'src/stock-keeper.live.test.ts',
        'src/types.ts',
        'src/validation.test.ts',
        'src/validation.ts',
        'src/webhook-server.test.ts',
        'src/webhook-server.ts',
        'src/webhook.ts',
        'topology.yaml',
        'tsconfig.json',
        'tsconfig.test.json',
        'vitest.config.ts',
      ].map((f) => `${ROOT}/${f}`),
    );
    for (const file of files) {
      const text = tree.read(file, 'utf8')!;
      expect(text, file).not.toMatch(/<%|%>|__tmpl__|__name__|__plural__/);
    }
  });

  it('substitutes every name: package, bin, group, kind, plural, error codes, env, Lease', async () => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem' });
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.name).toBe('@cnpaas/stock-keeper');
    expect(pkg.bin).toEqual({ 'stock-keeper': 'bin/stock-keeper.js' });
    expect(pkg.nx.targets['test:live'].parallelism).toBe(false);
    expect(read('bin/stock-keeper.js')).toContain("new URL('../dist/main.js', import.meta.url)");
    const crd = read('manifests/crds/stockitems.yaml');
    expect(crd).toContain('name: stockitems.stock-keeper.cnpaas.dev');
    expect(crd).toMatch(/kind: StockItem\n\s+listKind: StockItemList\n\s+plural: stockitems\n\s+singular: stockitem/);
    expectFiles(tree, {
      'src/errors.ts': ['CNPAAS_STOCK_KEEPER_BAD_FLAG: {', 'export const StockKeeperError = defineErrors({'],
      'src/config.ts': ["env: 'CNPAAS_STOCK_KEEPER_LISTEN_HEALTH'"],
      'src/names.ts': ["namespace: 'stock-keeper-system'"],
      'src/reconciler.ts': ['export function stockItemReconciler('],
      'src/component.ts': ['export function stockKeeperComponent('],
    });
    // The package is a service composition: cnpaas up --service runs it.
    expectFiles(tree, {
      'src/composition.ts': [
        'export const service: ServiceComposition = {',
        "health: 'stockKeeperHealth'",
        "webhook: 'stockKeeperWebhook'",
      ],
      'src/index.ts': ["export { service, PORT_NAMES } from './composition.js';"],
      'src/run.ts': ["processMetricsPrefix: 'cnpaas_stock_keeper_'"],
      'manifests/rbac.yaml': ['resources: [stockitems/status]'],
    });
    expect(pkg.files).toContain('topology.yaml');
  });

  it('substitutes the names in the webhook and the topology', async () => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem' });
    const webhook = read('manifests/validating-webhook-configuration.yaml');
    expect(webhook).toContain('- name: validate-stockitems.stock-keeper.cnpaas.dev');
    // Prettier may wrap the flow mapping (the in-memory workspace has no .prettierrc): look for each entry.
    for (const entry of [
      'name: stock-keeper',
      'namespace: stock-keeper-system',
      'port: 443',
      'path: /validate/stockitems',
    ])
      expect(webhook).toContain(entry);
    expect(webhook).toMatch(
      /apiGroups: \[stock-keeper\.cnpaas\.dev\]\n\s+apiVersions: \[v1\]\n\s+resources: \[stockitems\]/,
    );
    expect(webhook).not.toContain('caBundle:');
    expectFiles(tree, {
      'src/webhook.ts': ["path: '/validate/stockitems'", 'export function stockItemValidator('],
      'src/validation.ts': ['export function checkStockItem('],
      'src/webhook-server.ts': ["'CNPAAS_STOCK_KEEPER_BAD_REVIEW'", "name: 'cnpaas_stock_keeper_admission_total'"],
      'src/config.ts': ["env: 'CNPAAS_STOCK_KEEPER_TLS_CERT_FILE'"],
    });
    const topology = read('topology.yaml');
    expect(topology).toContain('endpoint: sqlite://stock-keeper.db');
    expect(topology).toContain('customresource: { group: stock-keeper.cnpaas.dev/v1, kind: stockitems }');
  });

  it.each([
    [
      '--function',
      { function: true },
      [
        'manifests/httptrigger.yaml',
        'manifests/trigger-rbac.yaml',
        'deploy/base/trigger.yaml',
        'src/function.ts',
        'src/function.test.ts',
      ],
    ],
    [
      '--api',
      { api: true },
      ['manifests/apiservice.yaml', 'manifests/api-service.yaml', 'src/api-server.ts', 'src/api-server.test.ts'],
    ],
  ])('%s writes its own files', async (_flag, option, files) => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem', ...option });
    expectWritten(tree, files);
  });

  it('--function adds the HTTPTrigger, its trigger, the function and its test, and wires them in; without it there is no trace of them', async () => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem', function: true });
    const trigger = read('manifests/httptrigger.yaml');
    expect(trigger).toContain('kind: HTTPTrigger');
    expect(trigger).toMatch(
      /group: stock-keeper\.cnpaas\.dev\n\s+version: v1\n\s+resource: stockitems\n\s+kind: StockItem/,
    );
    expect(trigger).toContain('path: /functions/stockitems');
    // Its own trigger runs it, and no other: the class label, the trigger's identity, RBAC and Deployment.
    expect(trigger).toContain('platform.cnpaas.dev/trigger-class: stock-keeper');
    expectFiles(tree, {
      'manifests/trigger-rbac.yaml': ['resourceNames: [cnpaas-trigger-stock-keeper]'],
      'manifests/kustomization.yaml': ['- trigger-rbac.yaml'],
      'deploy/base/trigger.yaml': [/- --trigger-class\n\s+- stock-keeper\n/],
    });
    expect(read('deploy/base/kustomization.yaml')).toContain(
      'labelSelector: app.kubernetes.io/name=stock-keeper-trigger',
    );
    expect(read('deploy/base/networkpolicy.yaml')).toContain('app.kubernetes.io/name: stock-keeper-trigger');
    expect(read('deploy/base/deployment.yaml')).toContain('configMap: { name: stock-keeper-delivery-ca }');
    const composition = read('src/composition.ts');
    expect(composition).toContain("trigger: 'stockKeeperTrigger'");
    expect(composition).toContain('triggerClass: TRIGGER.name');
    expect(composition).toContain('allowTargets: [webhookHostPort]');
    expect(composition).toMatch(/ctx\.ownCa\(\{\s*name: TRIGGER\.deliveryCa,/);
    expectFiles(tree, {
      'src/cluster-part.ts': [/clusterTriggerManifests\(\{\s*namespace: ctx\.namespace,/],
      'src/names.ts': ["identity: 'stock-keeper-trigger'"],
      'package.json': ['"@cnpaas/functions": "0.1.0"'],
      'tsconfig.json': ['{ "path": "../functions" }'],
      'src/function.ts': ['export function addStockItemFunction('],
      'src/types.ts': ['handled?: StockItemHandled;'],
      'manifests/crds/stockitems.yaml': [/\n {16}handled:\n/],
      'src/errors.ts': ['CNPAAS_STOCK_KEEPER_BAD_EVENT: {'],
      'src/config.ts': [
        "env: 'CNPAAS_STOCK_KEEPER_ALLOWED_TRIGGER_NAMES'",
        "env: 'CNPAAS_STOCK_KEEPER_TRIGGER_CA_FILE'",
      ],
      'src/run.ts': ['addStockItemFunction(server.app'],
      'src/manifests.ts': ["httpTrigger: 'httptrigger.yaml'"],
      'README.md': ['## The function (`--function`)'],
    });
    expectNoneMatch(tree, /<%|%>|withFunction/);

    const plain = createTreeWithEmptyWorkspace();
    await serviceGenerator(plain, { name: 'stock-keeper', kind: 'StockItem' });
    expect(plain.exists(`${ROOT}/src/function.ts`)).toBe(false);
    expectNoneMatch(
      plain,
      /HTTPTrigger|BAD_EVENT|function\.js|allowed-trigger-names|trigger-ca-file|trigger-class|@cnpaas\/functions|handled/,
    );
  });

  it('--api adds the APIService, its Service, the API server and its test, and wires them in; without it there is no trace of them', async () => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem', api: true });
    expect(tree.exists(`${ROOT}/src/function.ts`)).toBe(false);
    const apiService = read('manifests/apiservice.yaml');
    expect(apiService).toContain('kind: APIService');
    expect(apiService).toContain('name: v1.api.stock-keeper.cnpaas.dev');
    expect(apiService).toMatch(
      /group: api\.stock-keeper\.cnpaas\.dev\n\s+version: v1\n\s+service:\n\s+name: stock-keeper-api\n\s+namespace: stock-keeper-system\n\s+port: 443/,
    );
    expect(apiService).not.toContain('caBundle:');
    expect(read('manifests/api-service.yaml')).toMatch(/type: ExternalName\n\s+externalName: localhost/);
    const names = read('src/names.ts');
    expect(names).toContain("export const API_GROUP = 'api.stock-keeper.cnpaas.dev';");
    expect(names).toContain("plural: 'stockitemrequests'");
    expect(names).toContain("kind: 'StockItemRequest'");
    expectFiles(tree, {
      'src/api-server.ts': ['export function parseStockItemRequest(', 'authenticateFrontProxy(request.raw'],
      'src/errors.ts': [
        'CNPAAS_STOCK_KEEPER_UNAUTHENTICATED: {',
        'export const proxyError: ErrorFactory<FrontProxyFailure>',
      ],
      'src/config.ts': ["env: 'CNPAAS_STOCK_KEEPER_REQUESTHEADER_CLIENT_CA_FILE'"],
      'src/run.ts': ['new ApiServer({'],
      'src/manifests.ts': ['export function localApiManifests('],
      'manifests/rbac.yaml': ['verbs: [get, list, watch, create]'],
      'src/stock-keeper.live.test.ts': ["'--requestheader-client-ca-file',"],
    });
    // cnpaas up runs the API server too: its port, the front-proxy CA, the local APIService removed on stop.
    const composition = read('src/composition.ts');
    expect(composition).toContain("api: 'stockKeeperApi'");
    expect(composition).toContain('api: { port: apiPort, requestheaderClientCaFile: ctx.frontProxyCaFile }');
    expect(composition).toContain("dnsNames: ['localhost', API_SERVICE_DNS_NAME]");
    expect(composition).toContain('removeOnStop: [apiManifests]');
    expect(read('src/component.ts')).toContain("'--listen-api',");
    expect(read('README.md')).toContain('## The aggregated API (`--api`)');
    expectNoneMatch(tree, /<%|%>|withApi/);

    const plain = createTreeWithEmptyWorkspace();
    await serviceGenerator(plain, { name: 'stock-keeper', kind: 'StockItem', function: true });
    expect(plain.exists(`${ROOT}/src/api-server.ts`)).toBe(false);
    expectNoneMatch(plain, /APIService|requestheader|front-proxy|api-server|REQUESTS\b/);
  });

  it("adds the service's stage to the workspace Dockerfile, once, and leaves a workspace without one alone", async () => {
    tree.write(
      'Dockerfile',
      'FROM node:24 AS build\nFROM node:24 AS app\n\nFROM app AS webhooks\nENTRYPOINT ["node"]\n',
    );
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem' });
    const text = tree.read('Dockerfile', 'utf8')!;
    expect(text).toContain('FROM app AS stock-keeper\nLABEL org.opencontainers.image.title=stock-keeper');
    expect(text).toContain('ENTRYPOINT ["node", "packages/stock-keeper/bin/stock-keeper.js"]');
    expect(text.startsWith('FROM node:24 AS build\nFROM node:24 AS app\n\nFROM app AS webhooks')).toBe(true);
    // The image deploy/base names, built by the package's image target.
    expect(tree.read(`${ROOT}/deploy/base/deployment.yaml`, 'utf8')).toContain('image: cnpaas/stock-keeper:0.1.0');
    expect(JSON.parse(tree.read(`${ROOT}/package.json`, 'utf8')!).nx.targets.image.options.commands).toEqual([
      'bash scripts/image/build.sh stock-keeper stock-keeper',
    ]);

    const other = createTreeWithEmptyWorkspace();
    await serviceGenerator(other, { name: 'stock-keeper', kind: 'StockItem' });
    expect(other.exists('Dockerfile')).toBe(false);
  });

  it('adds the package to the root tsconfig.json references, once', async () => {
    tree.write('tsconfig.json', JSON.stringify({ files: [], references: [{ path: './packages/kube' }] }));
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'StockItem' });
    expect(JSON.parse(tree.read('tsconfig.json', 'utf8')!).references).toEqual([
      { path: './packages/kube' },
      { path: './packages/stock-keeper' },
    ]);
  });

  it('takes --group and --plural', async () => {
    await serviceGenerator(tree, { name: 'stock-keeper', kind: 'Policy', group: 'stock.example.com' });
    expect(tree.exists(`${ROOT}/manifests/crds/policies.yaml`)).toBe(true);
    expect(tree.read(`${ROOT}/topology.yaml`, 'utf8')).toContain('group: stock.example.com/v1, kind: policies');
    expect(tree.read(`${ROOT}/manifests/validating-webhook-configuration.yaml`, 'utf8')).toContain(
      'name: validate-policies.stock.example.com',
    );
    expect(tree.read(`${ROOT}/src/names.ts`, 'utf8')).toContain("export const GROUP = 'stock.example.com';");
    const other = createTreeWithEmptyWorkspace();
    await serviceGenerator(other, { name: 'stock-keeper', kind: 'Mouse', plural: 'mice' });
    expect(other.exists(`${ROOT}/manifests/crds/mice.yaml`)).toBe(true);
    expect(other.read(`${ROOT}/README.md`, 'utf8')).toContain('keeps Mice in');
    // A DNS-1035 label may hold a hyphen: the CRD, the route and the webhook's path take it as it is.
    const hyphen = createTreeWithEmptyWorkspace();
    await serviceGenerator(hyphen, { name: 'stock-keeper', kind: 'Shelf', plural: 'book-shelves' });
    expect(hyphen.read(`${ROOT}/manifests/crds/book-shelves.yaml`, 'utf8')).toContain('plural: book-shelves');
    expect(hyphen.read(`${ROOT}/topology.yaml`, 'utf8')).toContain('kind: book-shelves');
    expect(hyphen.read(`${ROOT}/src/webhook.ts`, 'utf8')).toContain("path: '/validate/book-shelves'");
  });

  it('spells an irregular plural right in every file: Shelf is shelves, and no "shelfs" anywhere', async () => {
    await serviceGenerator(tree, { name: 'library', kind: 'Shelf', function: true, api: true });
    const written = tree.listChanges().filter((c) => c.path.startsWith('packages/library/') && c.content);
    expect(written.map((c) => c.path)).toContain('packages/library/manifests/crds/shelves.yaml');
    // `ShelfSpec` and `ShelfStore` are fine; a word `shelfs`/`Shelfs` is the bug.
    const misspelt = written.filter((c) => /\b[Ss]helfs\b/.test(c.content!.toString())).map((c) => c.path);
    expect(misspelt).toEqual([]);
    expect(tree.read('packages/library/src/library.live.test.ts', 'utf8')).toContain(
      "it('keeps Shelves in their own database",
    );
  });

  it.each([
    [{ name: 'Bad_Name', kind: 'Widget' }, /--name "Bad_Name" is not kebab-case[\s\S]*fix: use --name bad-name/],
    [{ name: 'inventory', kind: 'lowercase' }, /--kind "lowercase" is not PascalCase[\s\S]*fix: use --kind Lowercase/],
    [{ name: 'inventory', kind: 'stock_item' }, /fix: use --kind StockItem/],
    [{ name: 'inventory', kind: 'Manager' }, /--kind Manager clashes/],
    [{ name: 'service', kind: 'Widget' }, /class ServiceError/],
    [{ name: 'inventory', kind: 'Widget', group: 'nodots' }, /--group "nodots" is not a DNS subdomain/],
    [
      { name: 'inventory', kind: 'Widget', plural: 'widget' },
      /--plural "widget" is the singular[\s\S]*fix: use --plural widgets/,
    ],
    [
      { name: 'inventory', kind: 'Shelf', plural: 'Shelves' },
      /--plural "Shelves" is not a DNS-1035 label[\s\S]*fix: use --plural shelves/,
    ],
    [
      { name: 'inventory', kind: 'Shelf', plural: 'book_shelves' },
      /not a DNS-1035 label[\s\S]*fix: use --plural book-shelves/,
    ],
    [{ name: 'inventory', kind: 'Shelf', plural: '-shelves-' }, /not a DNS-1035 label[\s\S]*fix: use --plural shelves/],
    [{ name: 'inventory', kind: 'Shelf', plural: 'x'.repeat(64) }, /not a DNS-1035 label[\s\S]*at most 63/],
    [
      { name: 'inventory', kind: 'Widget', plural: '' },
      /--plural "" is not a DNS-1035 label[\s\S]*fix: use --plural widgets/,
    ],
    [
      { name: 'inventory', kind: `W${'x'.repeat(63)}` },
      /its lowercase form, the CRD's singular name, must be at most 63/,
    ],
    [{ name: `a${'-b'.repeat(30)}`, kind: 'Widget' }, /would exceed 63/],
  ])('refuses %j with the code and a message that names the fix, writing nothing', async (options, message) => {
    await expect(serviceGenerator(tree, options)).rejects.toThrow(message);
    await expect(serviceGenerator(tree, options)).rejects.toMatchObject({ code: 'CNPAAS_NX_PLUGIN_BAD_OPTION' });
    expect(tree.listChanges().filter((c) => c.path.startsWith('packages/'))).toEqual([]);
  });

  it('refuses to overwrite a package that exists', async () => {
    tree.write(`${ROOT}/package.json`, '{}');
    await expect(serviceGenerator(tree, { name: 'stock-keeper', kind: 'Widget' })).rejects.toThrow(
      /packages\/stock-keeper exists already[\s\S]*fix: pick another --name/,
    );
    expect(tree.read(`${ROOT}/package.json`, 'utf8')).toBe('{}');
  });
});

describe('names', () => {
  it('derives the case variants once', () => {
    expect(serviceNames({ name: 'stock-keeper', kind: 'StockItem' })).toEqual({
      name: 'stock-keeper',
      className: 'StockKeeper',
      propertyName: 'stockKeeper',
      constantName: 'STOCK_KEEPER',
      snakeName: 'stock_keeper',
      kind: 'StockItem',
      kindPropertyName: 'stockItem',
      plural: 'stockitems',
      kindPlural: 'StockItems',
      singular: 'stockitem',
      group: 'stock-keeper.cnpaas.dev',
      apiGroup: 'api.stock-keeper.cnpaas.dev',
      requestKind: 'StockItemRequest',
      requestSingular: 'stockitemrequest',
      requestPlural: 'stockitemrequests',
    });
  });

  it.each([
    ['widget', 'widgets'],
    ['policy', 'policies'],
    ['key', 'keys'],
    ['box', 'boxes'],
    ['bus', 'buses'],
    ['waltz', 'waltzes'],
    ['match', 'matches'],
    ['wish', 'wishes'],
    ['shelf', 'shelves'],
    ['wolf', 'wolves'],
    ['leaf', 'leaves'],
    ['knife', 'knives'],
    ['roof', 'roofs'],
    ['cliff', 'cliffs'],
    ['chief', 'chiefs'],
    ['safe', 'safes'],
    ['motif', 'motifs'],
    ['stockitem', 'stockitems'],
  ])(
    "pluralizes %s as %s by Kubernetes' rules, with -ves for the English -f and -fe that take it",
    (singular, plural) => {
      expect(pluralOf(singular)).toBe(plural);
    },
  );

  it("writes the plural in prose with the kind's capitals, whatever --plural says", () => {
    expect(kindPluralOf('StockItem', 'stockitems')).toBe('StockItems');
    expect(kindPluralOf('Shelf', 'shelves')).toBe('Shelves');
    expect(kindPluralOf('Person', 'people')).toBe('People');
    expect(kindPluralOf('Cow', 'kine')).toBe('Kine');
    expect(serviceNames({ name: 'library', kind: 'Shelf' })).toMatchObject({
      plural: 'shelves',
      kindPlural: 'Shelves',
    });
  });

  it('suggests fixed spellings', () => {
    expect(toKebab('StockKeeper')).toBe('stock-keeper');
    expect(toPascal('stock-item')).toBe('StockItem');
  });
});
