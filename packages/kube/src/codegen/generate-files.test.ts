import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleCrdFiles, writeCrdFiles, type CrdCodegenOptions } from './generate-files.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.example.com }
spec:
  group: example.com
  scope: Cluster
  names: { kind: Gadget, plural: gadgets }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer } } }
`;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup(): CrdCodegenOptions {
  dir = mkdtempSync(path.join(tmpdir(), 'crd-codegen-'));
  mkdirSync(path.join(dir, 'crds'));
  writeFileSync(path.join(dir, 'crds', 'gadgets.yaml'), CRD);
  return { crdDir: path.join(dir, 'crds'), outDir: path.join(dir, 'gen'), command: 'npm run codegen', root: dir };
}

describe('writeCrdFiles / staleCrdFiles', () => {
  it('writes one module per CRD file, and a fresh run finds nothing stale', async () => {
    const options = setup();
    expect(await writeCrdFiles(options)).toEqual([path.join(options.outDir, 'gadgets.ts')]);
    expect(readFileSync(path.join(options.outDir, 'gadgets.ts'), 'utf8')).toContain('export interface GadgetSpec');
    expect(await staleCrdFiles(options)).toEqual([]);
  });

  it('names a hand-edited, a missing-source and an absent generated file', async () => {
    const options = setup();
    await writeCrdFiles(options);
    writeFileSync(path.join(options.outDir, 'gadgets.ts'), '// edited\n');
    writeFileSync(path.join(options.outDir, 'widgets.ts'), '// left over\n');
    expect(await staleCrdFiles(options)).toEqual(['gen/gadgets.ts', 'gen/widgets.ts (no CRD generates it any more)']);
    rmSync(options.outDir, { recursive: true });
    expect(await staleCrdFiles(options)).toEqual(['gen/gadgets.ts']);
  });
});
