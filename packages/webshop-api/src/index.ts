/**
 * @cnpaas/webshop-api: the webshop's contract. The CRDs in `manifests/crds/` are the
 * one source of the schemas; `src/generated/` is made from them (`npm run
 * codegen`); the names below are written here once. See README.md.
 */
export * from './generated/registrationrequests.js';
export * from './generated/tenants.js';
export * from './generated/users.js';
export * from './generated/emails.js';
export * from './generated/emailtemplates.js';
export * from './names.js';
export * from './email-claims.js';
export * from './resource-refs.js';
export * from './conditions.js';
export * from './objects.js';
export * from './crds.js';
