/** @cnpaas/nx-plugin: the generators of this repository (generators.json). See README.md. */
export { serviceGenerator, serviceNames, type ServiceNames } from './generators/service/generator.js';
export type { ServiceGeneratorSchema } from './generators/service/schema.js';
