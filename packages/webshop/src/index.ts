/**
 * @cnpaas/webshop: the webshop as a service composition. `cnpaas up` loads
 * `service` (by default) and runs its components; `cnpaas install` takes the
 * verification key and the demo trigger from here. See README.md.
 */
export { service, WEBSHOP_PORTS, webshopTopology } from './composition.js';
export { mail, mailCommand, MAIL_DIR } from './mail-command.js';
export {
  isUsableVerificationKey,
  newVerificationKey,
  VERIFICATION_KEY_FILE,
  verificationKeySecret,
} from './verification-key.js';
export { clusterDemoTrigger, type ClusterDemoTriggerOptions } from './cluster-demo-trigger.js';
export { WebshopError, type WebshopErrorCode } from './errors.js';
