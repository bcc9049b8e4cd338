/**
 * docs/new-service.md against the generator: the files it says `nx g` writes
 * (with and without the flags), the next steps it prints, and the options it
 * names are what the generator does today. The test counts the page shows
 * are checked against real runs by src/generated-service.live.test.ts; here
 * only that each block adds up.
 */
// @nx/devkit has no exports map, so an ESM import names the file.
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing.js';
import type { Tree } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { nextSteps, serviceGenerator, serviceNames } from './generator.js';
import { checkedBlock, createdFilesOf, readNewServiceDoc, testCountsOf } from './new-service-doc.js';

const DOC = readNewServiceDoc();
const ROOT = 'packages/inventory';

async function written(options: { function?: boolean; api?: boolean } = {}): Promise<string[]> {
  const tree: Tree = createTreeWithEmptyWorkspace();
  await serviceGenerator(tree, { name: 'inventory', kind: 'Widget', ...options });
  return tree
    .listChanges()
    .filter((c) => c.type === 'CREATE' && c.path.startsWith(`${ROOT}/`))
    .map((c) => c.path.slice(ROOT.length + 1))
    .sort();
}

describe('docs/new-service.md', () => {
  it('lists the files nx g writes, each directory it elides with the right count', async () => {
    const files = await written();
    const { listed, elided } = createdFilesOf(checkedBlock(DOC, 'generate'), ROOT);
    expect(listed.filter((f) => !files.includes(f))).toEqual([]);
    const shown = new Set(listed);
    for (const [dir, count] of Object.entries(elided)) {
      const prefix = `${dir}/`;
      const rest = files.filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/') && !shown.has(f));
      expect(rest, `(${count} more under ${dir}/)`).toHaveLength(count);
      for (const f of rest) shown.add(f);
    }
    expect(files.filter((f) => !shown.has(f))).toEqual([]);
  });

  it('prints the next steps nx g prints', () => {
    expect(checkedBlock(DOC, 'generate')).toContain(
      nextSteps(serviceNames({ name: 'inventory', kind: 'Widget' })).trim(),
    );
  });

  it.each([
    ['function', { function: true }],
    ['api', { api: true }],
  ])('lists exactly the files --%s adds', async (flag, options) => {
    const plain = new Set(await written());
    const added = (await written(options)).filter((f) => !plain.has(f));
    expect(createdFilesOf(checkedBlock(DOC, `generate --${flag}`), ROOT).listed.sort()).toEqual(added);
  });

  it("shows the default plural as the generator spells it, and --plural's rule", () => {
    const options = DOC.slice(DOC.indexOf('Options: `--group`'), DOC.indexOf('What you got'));
    for (const kind of ['Policy', 'Box', 'Shelf']) {
      expect(options).toContain(`\`${serviceNames({ name: 'inventory', kind }).plural}\``);
    }
    expect(options).toContain('DNS-1035');
  });

  it('shows the refusals as the generator words them', () => {
    const refusal = (options: { name: string; kind: string; plural?: string }): string => {
      try {
        serviceNames(options);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`${JSON.stringify(options)} was accepted`);
    };
    expect(DOC).toContain(refusal({ name: 'inventory', kind: 'lowercase' }));
    expect(DOC).toContain(refusal({ name: 'inventory', kind: 'Mouse', plural: 'Mice' }));
  });

  it.each(['unit tests', 'unit tests --function --api'])('adds up its %s block', (marker) => {
    const counts = testCountsOf(checkedBlock(DOC, marker));
    expect(Object.keys(counts.files).length).toBeGreaterThan(0);
    expect(Object.values(counts.files).reduce((a, b) => a + b, 0)).toBe(counts.total);
  });
});
