/**
 * The committed src/trigger/generated/ is exactly what @cnpaas/kube/codegen
 * makes from manifests/crds/ today: a CRD changed without `npm run codegen`
 * (or a hand edit to a generated file) fails here, with the command to run.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staleCrdFiles } from '@cnpaas/kube/codegen';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

describe('src/trigger/generated', () => {
  it('matches a fresh run of the generator over manifests/crds/', async () => {
    const stale = await staleCrdFiles({
      crdDir: `${root}/manifests/crds`,
      outDir: `${root}/src/trigger/generated`,
      command: 'npm run codegen',
      root,
    });
    expect(stale, 'stale generated files: run `npm run codegen` in packages/functions and commit the result').toEqual(
      [],
    );
  });
});
