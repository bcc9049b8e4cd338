/**
 * Runs the CRD generator over a directory and either writes the modules or
 * compares them with what is committed. Both paths produce the same bytes
 * (same generator, same Prettier options), so a package's unit test can
 * regenerate into memory and fail on any difference, naming the command that
 * fixes it.
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type * as Prettier from 'prettier';
import { KubeError } from '../errors.js';
import { generateCrdModule } from './crd-to-typescript.js';

export interface CrdCodegenOptions {
  /** Directory of CRD YAML files (`*.yaml`), one module generated per file. */
  crdDir: string;
  /** Where the modules go: `<file name without .yaml>.ts`. */
  outDir: string;
  /** The command that regenerates, written into each header and every stale-file message. */
  command: string;
  /** Paths in headers are relative to this (the package root), so the output does not depend on the checkout. */
  root: string;
}

/** Output path → formatted TypeScript, in file-name order. */
export async function generateCrdFiles(options: CrdCodegenOptions): Promise<Map<string, string>> {
  const files = (await readdir(options.crdDir)).filter((f) => f.endsWith('.yaml')).sort();
  const out = new Map<string, string>();
  for (const file of files) {
    const source = join(options.crdDir, file);
    const text = generateCrdModule(await readFile(source, 'utf8'), {
      sourceName: relative(options.root, source),
      command: options.command,
    });
    const target = join(options.outDir, `${basename(file, '.yaml')}.ts`);
    out.set(target, await formatTypeScript(text, target));
  }
  return out;
}

/** Prettier with the repository's configuration for `path`, so format:check agrees with the generator. */
export async function formatTypeScript(text: string, path: string): Promise<string> {
  const { format, resolveConfig } = await loadPrettier();
  const config = (await resolveConfig(path)) ?? {};
  return format(text, { ...config, filepath: path });
}

/** Prettier is an optional peer: only code generation needs it, so a controller at run time never loads it. */
async function loadPrettier(): Promise<typeof Prettier> {
  try {
    return await import('prettier');
  } catch (err) {
    throw new KubeError(
      'CNPAAS_KUBE_CODEGEN',
      'the CRD code generator formats its output with Prettier, which is not installed',
      {
        hint: 'npm install -D prettier in the package (or workspace) that runs the generator',
        cause: err,
      },
    );
  }
}

export async function writeCrdFiles(options: CrdCodegenOptions): Promise<string[]> {
  const files = await generateCrdFiles(options);
  await mkdir(options.outDir, { recursive: true });
  for (const [path, text] of files) await writeFile(path, text);
  return [...files.keys()];
}

/** The generated files that are missing or differ from a fresh run; empty when up to date. */
export async function staleCrdFiles(options: CrdCodegenOptions): Promise<string[]> {
  const stale: string[] = [];
  const generated = await generateCrdFiles(options);
  for (const [path, text] of generated) {
    const committed = await readFile(path, 'utf8').catch(() => undefined);
    if (committed !== text) stale.push(relative(options.root, path));
  }
  const present = await readdir(options.outDir).catch(() => [] as string[]);
  for (const file of present) {
    const path = join(options.outDir, file);
    if (file.endsWith('.ts') && !file.endsWith('.test.ts') && file !== 'index.ts' && !generated.has(path))
      stale.push(`${relative(options.root, path)} (no CRD generates it any more)`);
  }
  return stale;
}
