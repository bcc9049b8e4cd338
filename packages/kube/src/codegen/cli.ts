/**
 * `node dist/codegen/cli.js --crds <dir> --out <dir> [--command <text>]`:
 * writes one generated module per CRD file. Packages call it from their
 * `codegen` script; the same options go into their regenerate-and-diff test.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { KubeError } from '../errors.js';
import { writeCrdFiles } from './generate-files.js';

const { values } = parseArgs({
  options: {
    crds: { type: 'string' },
    out: { type: 'string' },
    command: { type: 'string', default: 'npm run codegen' },
  },
});
if (!values.crds || !values.out) {
  process.stderr.write(
    'usage: cnpaas-crd-codegen --crds <dir of CRD YAML> --out <dir for .ts> [--command <regenerate command>]\n',
  );
  process.exit(2);
}
const root = process.cwd();
try {
  const written = await writeCrdFiles({
    crdDir: resolve(root, values.crds),
    outDir: resolve(root, values.out),
    command: values.command,
    root,
  });
  for (const file of written) process.stdout.write(`wrote ${file}\n`);
} catch (err) {
  // A bad CRD or a missing formatter: the message and its fix, not a stack.
  if (!(err instanceof KubeError)) throw err;
  process.stderr.write(`cnpaas-crd-codegen: ${err.describe()}\n`);
  process.exit(2);
}
