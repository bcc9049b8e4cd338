/**
 * @cnpaas/operator: the webshop operator (src/webshop/) on the @cnpaas/kube
 * controller runtime, its manifests and its component descriptor. See
 * README.md.
 */
export { OperatorError, type OperatorErrorCode } from './errors.js';

export {
  addWebshopControllers,
  type WebshopControllersOptions,
  type WebshopControllers,
} from './webshop/controllers.js';
export { kubeWebshopApi, kubeObjectApi, type WebshopApi, type ObjectApi } from './webshop/kube-api.js';
export { renderTemplate, type RenderOptions } from './webshop/template.js';
export {
  ARGON2ID_FLOOR,
  ARGON2_LIMITS,
  ARGON2_VERSION,
  DEFAULT_HASH_FLOOR,
  DEFAULT_SCRYPT_PARAMS,
  HASH_PREFIX,
  KEY_BYTES,
  SALT_BYTES,
  SCRYPT_LIMITS,
  SCRYPT_PREFIX,
  argon2AtLeast,
  argon2ParamsInRange,
  classifyPasswordValue,
  describeHashRule,
  formatArgon2Params,
  formatPasswordHash,
  looksLikePasswordHash,
  parsePasswordHash,
  scryptMemoryBytes,
  scryptParamsInRange,
  type Argon2Params,
  type ParsedHash,
  type PasswordHashFloor,
  type PasswordValueKind,
  type ScryptParams,
} from './webshop/password-hash.js';
// The operator's own names; the webshop's fixed names and child naming are @cnpaas/webshop-api's, imported from there.
export { LEADER_LEASE, OPERATOR_NAME, registrationNames } from './webshop/names.js';
export * as webshopResources from './webshop/resources.js';
export type * from './webshop/types.js';
export { MANIFEST_FILES, manifestPath, crdManifests, allManifests } from './manifests.js';
export { operatorComponent, OPERATOR_CLIENT_NAME, type OperatorComponentOptions } from './component.js';
