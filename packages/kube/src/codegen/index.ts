/**
 * @cnpaas/kube/codegen: CustomResourceDefinition YAML → TypeScript (types,
 * resource names, schemas, limits, printer columns). A build-time tool, kept
 * out of the runtime entry point so servers do not load Prettier.
 */
export {
  generateCrdModule,
  constantName,
  typeOf,
  collectLimits,
  type CrdSchema,
  type GenerateOptions,
} from './crd-to-typescript.js';
export {
  generateCrdFiles,
  writeCrdFiles,
  staleCrdFiles,
  formatTypeScript,
  type CrdCodegenOptions,
} from './generate-files.js';
