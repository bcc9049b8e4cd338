/**
 * Re-formats a Markdown file with the workspace's Prettier settings. The
 * benchmarks append dated sections to docs/benchmarks.md; formatting the file
 * afterwards keeps `format:check` green without each benchmark having to pad
 * its tables by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

export async function formatMarkdownFile(file: string | URL): Promise<void> {
  const filepath = typeof file === 'string' ? file : fileURLToPath(file);
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  const text = readFileSync(filepath, 'utf8');
  writeFileSync(filepath, await prettier.format(text, { ...options, filepath }));
}
