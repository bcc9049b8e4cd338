/**
 * `ClaimStore` on the Kubernetes API: email claims are ConfigMaps in
 * `cnpaas-system`, Users are listed with a consistent read.
 *
 * Why a ConfigMap for the claim (and not a Lease or a CRD):
 * - it is a core type, present before any CRD is installed and stored in the
 *   default backend, so the lock needs nothing else to exist first;
 * - creating a ConfigMap whose name is taken fails with AlreadyExists
 *   atomically in the store (etcd's create-if-absent txn), which is all the
 *   lock needs; `immutable: true` keeps it from being edited, only deleted;
 * - a Lease would suggest renewal and holders that expire, which claims do
 *   not have, and would sit next to the operator's leader Lease;
 * - an `EmailClaim` CRD would read better in kubectl but needs its own
 *   install, RBAC and a routing decision; `ClaimStore` keeps that swap local.
 * RBAC: create and get on configmaps in cnpaas-system, list on users
 * (manifests/rbac.yaml). RBAC cannot restrict `create` by name, so the
 * webhooks' identity must not be shared.
 *
 * Users are LISTed without a resourceVersion, which the apiserver serves as a
 * quorum read from storage (never from its watch cache), with a field
 * selector on spec.email when the User CRD declares it selectable and a full
 * list filtered here otherwise. The exact-match selector finds every User
 * with the address because the User webhook admits only normalised emails.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { httpStatusOf, ResourceClient, type ResourceRef } from '@cnpaas/kube';
import {
  CLAIM_LABEL,
  CLAIMED_BY_ANNOTATION,
  REGISTRATION_UID_LABEL,
  SYSTEM_NAMESPACE,
  USER_RESOURCE,
  USER_UID_LABEL,
  readEmailClaim,
} from '@cnpaas/webshop-api';
import { type ClaimStore, type EmailClaim, type UserRecord } from './email-claim.js';
import { WebhooksError } from './errors.js';
import { normaliseEmail } from './validation.js';

export const CONFIGMAPS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
};
export const USERS: ResourceRef = {
  group: USER_RESOURCE.group,
  version: USER_RESOURCE.version,
  plural: USER_RESOURCE.plural,
  kind: USER_RESOURCE.kind,
  namespaced: USER_RESOURCE.namespaced,
};

/** The contract's claim label and annotation (@cnpaas/webshop-api), re-exported for the package's own API. */
export { CLAIM_LABEL, USER_UID_LABEL, CLAIMED_BY_ANNOTATION } from '@cnpaas/webshop-api';

export interface ConfigMap extends KubernetesObject {
  data?: Record<string, string>;
  immutable?: boolean;
}

type UserObject = KubernetesObject & { spec?: { email?: unknown } };

/**
 * The claim as a ConfigMap. Labels let the operator's clean-up select claims
 * by owner (`webshop.cnpaas.dev/registration-uid` or `…/user-uid`); the
 * address itself is not stored, only its sha256.
 */
export function claimToConfigMap(claim: EmailClaim, namespace: string = SYSTEM_NAMESPACE): ConfigMap {
  const ownerLabel = claim.owner.uidKind === 'registration' ? REGISTRATION_UID_LABEL : USER_UID_LABEL;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: claim.name,
      namespace,
      labels: {
        'app.kubernetes.io/managed-by': 'cnpaas-webhooks',
        [CLAIM_LABEL]: 'true',
        [ownerLabel]: claim.owner.uid,
      },
      annotations: { [CLAIMED_BY_ANNOTATION]: claim.owner.claimedBy },
    },
    immutable: true,
    data: {
      emailSha256: claim.emailSha256,
      ownerUid: claim.owner.uid,
      ownerUidKind: claim.owner.uidKind,
      claimedBy: claim.owner.claimedBy,
      claimedAt: claim.claimedAt,
    },
  };
}

/** Reads a claim back; a ConfigMap that does not have the claim's fields is reported, not guessed at. */
export function claimFromConfigMap(cm: ConfigMap): EmailClaim {
  const claim = readEmailClaim(cm);
  if (!claim) {
    throw new WebhooksError(
      'CNPAAS_WEBHOOKS_CLAIM_STORE',
      `ConfigMap ${cm.metadata?.namespace ?? ''}/${cm.metadata?.name ?? ''} is not an email claim (fields missing)`,
      {
        hint: 'delete it: the next registration with that email re-creates it',
      },
    );
  }
  return {
    name: claim.name,
    emailSha256: claim.emailSha256,
    owner: { uid: claim.ownerUid, uidKind: claim.ownerUidKind, claimedBy: claim.claimedBy },
    claimedAt: claim.claimedAt ?? '',
  };
}

export interface KubeClaimStoreOptions {
  /** Where claims live; default cnpaas-system. */
  namespace?: string;
  /** Socket idle timeout per call; well under the webhook's 10 s. Default 4 s. */
  requestTimeoutMs?: number;
}

export class KubeClaimStore implements ClaimStore {
  readonly #kc: KubeConfig;
  readonly #namespace: string;
  readonly #timeoutMs: number;
  readonly #configMaps: ResourceClient<ConfigMap>;
  /** Cleared after the apiserver refused the field selector once (the CRD does not declare spec.email selectable). */
  #fieldSelectorWorks = true;

  constructor(kc: KubeConfig, options: KubeClaimStoreOptions = {}) {
    this.#kc = kc;
    this.#namespace = options.namespace ?? SYSTEM_NAMESPACE;
    this.#timeoutMs = options.requestTimeoutMs ?? 4000;
    this.#configMaps = new ResourceClient<ConfigMap>(kc, CONFIGMAPS, {
      namespace: this.#namespace,
      requestTimeoutMs: this.#timeoutMs,
    });
  }

  async createClaim(claim: EmailClaim): Promise<'created' | 'exists'> {
    try {
      await this.#configMaps.create(claimToConfigMap(claim, this.#namespace), { fieldManager: 'cnpaas-webhooks' });
      return 'created';
    } catch (err) {
      // On a create, 409 means exactly one thing: the name is taken.
      if (httpStatusOf(err) === 409) return 'exists';
      if (httpStatusOf(err) === 404) {
        throw new WebhooksError('CNPAAS_WEBHOOKS_CLAIM_STORE', `namespace ${this.#namespace} does not exist`, {
          hint: `create it (cnpaas up does) before registering the webhooks`,
          cause: err,
        });
      }
      throw err;
    }
  }

  async readClaim(name: string): Promise<EmailClaim | undefined> {
    try {
      return claimFromConfigMap(await this.#configMaps.get({ namespace: this.#namespace, name }));
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async listUsersByEmail(email: string): Promise<UserRecord[]> {
    let items: UserObject[];
    if (this.#fieldSelectorWorks) {
      try {
        items = await this.#listUsers(`spec.email=${email}`);
      } catch (err) {
        // "field label not supported": the User CRD has no selectableFields for spec.email.
        if (httpStatusOf(err) !== 400) throw err;
        this.#fieldSelectorWorks = false;
        items = await this.#listUsers(undefined);
      }
    } else {
      items = await this.#listUsers(undefined);
    }
    return items
      .filter((u) => typeof u.spec?.email === 'string' && normaliseEmail(u.spec.email) === email)
      .map((u) => {
        const record: UserRecord = { namespace: u.metadata?.namespace ?? '', name: u.metadata?.name ?? '' };
        const registrationUid = u.metadata?.labels?.[REGISTRATION_UID_LABEL];
        if (registrationUid) record.registrationUid = registrationUid;
        return record;
      });
  }

  async #listUsers(fieldSelector: string | undefined): Promise<UserObject[]> {
    const client = new ResourceClient<UserObject>(this.#kc, USERS, {
      requestTimeoutMs: this.#timeoutMs,
      ...(fieldSelector ? { fieldSelector } : {}),
    });
    return (await client.list()).items;
  }
}
