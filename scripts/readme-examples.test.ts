/**
 * The runnable examples in package READMEs are the files under
 * packages/<pkg>/examples/, word for word: the e2e suite runs the files, so a
 * README that drifted from them would show code nobody ran.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../packages', import.meta.url));

const examples = readdirSync(PACKAGES).flatMap((pkg) => {
  const dir = path.join(PACKAGES, pkg, 'examples');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ pkg, file: path.join(dir, f) }));
});

describe('README examples', () => {
  it('there are examples to check', () => {
    expect(examples.map((e) => e.pkg)).toEqual(expect.arrayContaining(['kube', 'storage-shim']));
  });

  it.each(examples)('$pkg README shows $file verbatim', ({ pkg, file }) => {
    const readme = readFileSync(path.join(PACKAGES, pkg, 'README.md'), 'utf8');
    const code = readFileSync(file, 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks, `paste ${path.relative(PACKAGES, file)} into packages/${pkg}/README.md`).toContain(code);
  });
});
