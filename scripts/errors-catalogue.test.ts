/**
 * The error catalogue and the registries behind it: docs/errors.md is what
 * the registries say, every registered code is documented and raised
 * somewhere, and nothing raises a code the registry lacks. The last block
 * runs the same checks on a small made-up package to show each one fails
 * when it should.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CATALOGUE,
  COMMAND,
  ROOT,
  cell,
  documentationProblems,
  findRaises,
  readRegistries,
  renderCatalogue,
  type RaiseReport,
  type Registry,
} from './errors-catalogue.js';

const registries = readRegistries();
const withCodes = registries.filter((r) => r.codes.length > 0).map((r) => r.name);

describe('the error registries', () => {
  it('are found for every package, and name their codes', () => {
    expect(registries.map((r) => r.name)).toContain('service-kit');
    expect(withCodes.length).toBeGreaterThanOrEqual(6);
  });

  it('say for every code what it means and what to do (@fix)', () => {
    expect(documentationProblems(registries).map((p) => p.message)).toEqual([]);
  });

  it(`are what ${CATALOGUE} shows`, () => {
    const current = readFileSync(path.join(ROOT, CATALOGUE), 'utf8');
    expect(current === renderCatalogue(registries), `${CATALOGUE} is out of date: run ${COMMAND}`).toBe(true);
  });
});

describe('where codes are raised', () => {
  let reports: RaiseReport[];
  beforeAll(() => {
    reports = findRaises(registries);
  });
  const report = (name: string) => reports.find((r) => r.name === name)!;

  it.each(withCodes)('%s raises every code it registers', (name) => {
    expect(
      report(name).neverRaised,
      `registered in packages/${name}/src/errors.ts but raised nowhere: raise it where it belongs or remove it`,
    ).toEqual([]);
  });

  it.each(withCodes)('%s raises only codes it registers', (name) => {
    const unregistered = report(name).unregistered.map((r) => `${r.code} at ${r.at}`);
    expect(unregistered, `not in packages/${name}/src/errors.ts: register it with what it means and an @fix`).toEqual(
      [],
    );
  });

  it("counts the kit's failures where a package hands its kitError to a kit helper", () => {
    const webhooks = report('webhooks').raised.map((r) => r.code);
    expect(webhooks).toEqual(
      expect.arrayContaining([
        'CNPAAS_WEBHOOKS_TLS',
        'CNPAAS_WEBHOOKS_BODY_NOT_JSON',
        'CNPAAS_WEBHOOKS_CLIENT_NOT_ALLOWED',
      ]),
    );
  });
});

/** A package with one registry, laid out like ours. */
function writeFixture(root: string, files: Record<string, string>): void {
  const dir = path.join(root, 'packages', 'demo');
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '@fixture/demo', type: 'module' }));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext' },
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts'],
    }),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, 'src', name), text);
}

const FIXTURE_ERRORS = `/**
 * The error registry of the demo package.
 */
type ErrorFactory<Kind extends string = 'TLS' | 'LISTEN'> = (kind: Kind, message: string) => Error;

export const DEMO_ERROR_CODES = {
  CNPAAS_DEMO_NO_FILE: { meaning: 'The file is missing.', fix: 'Create it.' },
  CNPAAS_DEMO_TLS: {
    meaning: 'A certificate cannot be read.',
    fix: 'Pass a PEM file.',
  },
  CNPAAS_DEMO_LISTEN: { meaning: 'Cannot listen.', fix: 'Pick a free port.' },
  CNPAAS_DEMO_UNUSED: { meaning: 'Only a meaning, no fix.', fix: '' },
};

export type DemoErrorCode = keyof typeof DEMO_ERROR_CODES;

export class DemoError extends Error {
  constructor(readonly code: DemoErrorCode, message: string) {
    super(message);
  }
}

export const kitError: ErrorFactory = (kind, message) => new DemoError(\`CNPAAS_DEMO_\${kind}\`, message);

export function readPem(file: string, options: { error: ErrorFactory<'TLS'> }): string {
  if (!file) throw options.error('TLS', 'no file');
  return file;
}
`;

const FIXTURE_USE = `import { DemoError, kitError, readPem } from './errors.js';

export function load(file: string, known: Record<string, string>): string {
  if (!(file in known)) throw new DemoError('CNPAAS_DEMO_NO_FILE', file);
  if (file === 'x') throw Object.assign(new Error('odd'), { code: 'CNPAAS_DEMO_ODD' });
  if (file === 'y') throw new DemoError('CNPAAS_DEMO_NEW' as never, file);
  // Neither a comparison nor an environment variable's name is a raise.
  if (process.env.CNPAAS_DEMO_LISTEN === 'CNPAAS_DEMO_LISTEN') return 'CNPAAS_DEMO_UNUSED';
  return readPem(known[file]!, { error: kitError });
}
`;

describe('the checks fail when they should (a made-up package)', () => {
  let root: string;
  let registry: Registry;
  let report: RaiseReport;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'errors-catalogue-'));
    writeFixture(root, {
      'errors.ts': FIXTURE_ERRORS,
      'use.ts': FIXTURE_USE,
      'use.test.ts': `import { DemoError } from './errors.js';\nexport const e = new DemoError('CNPAAS_DEMO_LISTEN', 'only in a test');\n`,
    });
    registry = readRegistries(root)[0]!;
    report = findRaises([registry], root)[0]!;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("reads codes, meanings and fixes from the registry's table", () => {
    expect(registry.codes.map((c) => [c.code, c.meaning, c.fix])).toEqual([
      ['CNPAAS_DEMO_NO_FILE', 'The file is missing.', 'Create it.'],
      ['CNPAAS_DEMO_TLS', 'A certificate cannot be read.', 'Pass a PEM file.'],
      ['CNPAAS_DEMO_LISTEN', 'Cannot listen.', 'Pick a free port.'],
      ['CNPAAS_DEMO_UNUSED', 'Only a meaning, no fix.', ''],
    ]);
  });

  it('refuses an errors.ts with two code tables, which would make the registry ambiguous', () => {
    const other = mkdtempSync(path.join(tmpdir(), 'errors-catalogue-'));
    try {
      writeFixture(other, {
        'errors.ts': `${FIXTURE_ERRORS}\nexport const MORE = { CNPAAS_DEMO_MORE: { meaning: 'm', fix: 'f' } };\n`,
      });
      expect(() => readRegistries(other)).toThrow(
        /packages\/demo\/src\/errors.ts: one code table per registry, found 2/,
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('flags a code without a fix', () => {
    expect(documentationProblems([registry]).map((p) => p.message)).toEqual([
      expect.stringMatching(/^CNPAAS_DEMO_UNUSED .* has no fix/),
    ]);
  });

  it('flags registered codes raised nowhere outside tests (a comparison, an env name or a test does not count)', () => {
    expect(report.neverRaised).toEqual(['CNPAAS_DEMO_LISTEN', 'CNPAAS_DEMO_UNUSED']);
  });

  it('flags raised codes the registry lacks: an error class argument and a code: field', () => {
    expect(report.unregistered.map((r) => r.code).sort()).toEqual(['CNPAAS_DEMO_NEW', 'CNPAAS_DEMO_ODD']);
  });

  it("counts a kit helper's failure kinds as raised under the package's prefix", () => {
    expect(report.raised.map((r) => r.code).sort()).toEqual(['CNPAAS_DEMO_NO_FILE', 'CNPAAS_DEMO_TLS']);
  });

  it('keeps Markdown out of table cells, except in code spans', () => {
    expect(cell('a | b, CNPAAS_API_* or <state-dir>/mail,\n `x*y` and _BURST')).toBe(
      'a \\| b, CNPAAS_API\\_\\* or \\<state-dir>/mail, `x*y` and \\_BURST',
    );
  });

  it('renders a catalogue that changes with the registry', () => {
    const before = renderCatalogue([registry]);
    expect(before).toContain('| `CNPAAS_DEMO_TLS` | A certificate cannot be read. | Pass a PEM file. |');
    expect(before).toMatch(new RegExp(`Generated by \`${COMMAND}\``));
    const changed = {
      ...registry,
      codes: registry.codes.map((c) => (c.code === 'CNPAAS_DEMO_TLS' ? { ...c, fix: 'Pass another PEM file.' } : c)),
    };
    expect(renderCatalogue([changed])).not.toBe(before);
  });
});
