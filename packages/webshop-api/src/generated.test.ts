/**
 * The committed src/generated/ is exactly what the generator makes from
 * manifests/crds/ today: a CRD changed without `npm run codegen` (or a hand edit to a
 * generated file) fails here, with the command that fixes it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staleCrdFiles } from '@cnpaas/kube/codegen';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('src/generated', () => {
  it('matches a fresh run of the generator over manifests/crds/', async () => {
    const stale = await staleCrdFiles({
      crdDir: `${root}manifests/crds`,
      outDir: `${root}src/generated`,
      command: 'npm run codegen',
      root: root.replace(/\/$/, ''),
    });
    expect(
      stale,
      `stale generated files: run \`npm run codegen\` in packages/webshop-api and commit the result`,
    ).toEqual([]);
  });
});
