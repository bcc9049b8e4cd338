/**
 * The names the operator uses. The webshop's fixed names and the naming of
 * every child object are the contract's (@cnpaas/webshop-api, re-exported
 * here); what is the operator's own (its Lease, its identity, its requeue
 * delay) and the UID check that turns a bad object into an operator error
 * stay here.
 */
import { registrationNamesFor, SYSTEM_NAMESPACE, UID_PATTERN, type RegistrationNames } from '@cnpaas/webshop-api';
import { OperatorError } from '../errors.js';

export {
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
  WEBSHOP_API_VERSION,
  SYSTEM_NAMESPACE,
  DEFAULT_TEMPLATE,
  REGISTRATION_UID_LABEL,
  USER_UID_LABEL,
  TENANT_LABEL,
  PASSWORD_ANNOTATION,
  TENANT_FINALIZER,
  USER_FINALIZER,
  CLAIM_LABEL,
  CLAIM_NAME_PREFIX,
  welcomeEmailName,
  passwordSecretName,
  userClusterRbacName,
  apiServerAccessName,
  API_SERVER_USER,
  API_SERVER_SERVICE_ACCOUNT,
  VERIFIED_CONDITION,
  normaliseEmail,
  emailSha256,
  claimNameFor,
  type RegistrationNames,
} from '@cnpaas/webshop-api';

/** Lease `cnpaas-system/cnpaas-operator`: one active operator at a time. */
export const LEADER_LEASE = { namespace: SYSTEM_NAMESPACE, name: 'cnpaas-operator' } as const;

/** The operator's identity: the CN of its client certificate, and its field manager. */
export const OPERATOR_NAME = 'cnpaas-operator';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/**
 * The children's names (`registrationNamesFor` in @cnpaas/webshop-api) of a
 * RegistrationRequest read from the apiserver; an object without a UUID uid
 * is refused, since every name derives from it.
 */
export function registrationNames(uid: string | undefined): RegistrationNames {
  if (!uid || !UID_PATTERN.test(uid)) {
    throw new OperatorError(
      'CNPAAS_OPERATOR_BAD_OBJECT',
      `a RegistrationRequest's metadata.uid must be a UUID, got ${JSON.stringify(uid ?? null)}`,
      {
        hint: 'only objects read from the apiserver carry a UID',
      },
    );
  }
  return registrationNamesFor(uid);
}

/** How soon a controller looks again at a NameConflict (nothing it watches says when the obstacle goes). */
export const NAME_CONFLICT_REQUEUE_MS = 60_000;
