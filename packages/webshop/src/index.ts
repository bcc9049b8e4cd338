/**
 * @cnpaas/webshop: the webshop as a service composition. `cnpaas up` loads
 * `service` (by default) and runs its components; `cnpaas install` takes its
 * cluster part (`service.cluster`: the overlay, the TLS Services, the
 * per-install secrets and the demo trigger). See README.md.
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
export { clusterPart, DEPLOY_DIR, SERVING, SMTP_USER } from './cluster-part.js';
export { WebshopError, type WebshopErrorCode } from './errors.js';
