/**
 * EmailStatusStore on the Kubernetes API, through @cnpaas/kube's
 * ResourceClient. Compiled and type-checked here; exercised against a real
 * kube-apiserver by the live task.
 *
 * - `get` is a plain GET: the apiserver serves it from etcd (our store), not
 *   from a cache, so a claim written a moment ago is always seen.
 * - Every write is a JSON merge patch on the /status subresource. The claim
 *   carries `metadata.resourceVersion`: the apiserver compares it with the
 *   stored version before applying the patch (also on /status) and answers
 *   409 Conflict when they differ; that is the claim's compare-and-swap.
 *   (Annotations would not work: a /status write of a custom resource keeps
 *   the old metadata.)
 */
import { isConflict, isNotFound, ResourceClient } from '@cnpaas/kube';
import type { KubeConfig } from '@kubernetes/client-node';
import { EMAILS_RESOURCE, type EmailObject } from '../email-resource.js';
import { FunctionsError, errorMessage } from '../errors.js';
import {
  claimPatch,
  errorPatch,
  sentPatch,
  type ClaimRecord,
  type EmailRef,
  type EmailStatusStore,
  type ErrorRecord,
  type SentRecord,
} from './email-status-store.js';

export const FIELD_MANAGER = 'cnpaas-email-function';

type KubeEmail = EmailObject & { metadata: EmailObject['metadata'] };

export class KubeEmailStatusStore implements EmailStatusStore {
  readonly #client: ResourceClient<KubeEmail>;

  constructor(kc: KubeConfig, options: { requestTimeoutMs?: number } = {}) {
    this.#client = new ResourceClient<KubeEmail>(kc, EMAILS_RESOURCE, {
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    });
  }

  async get(ref: EmailRef): Promise<EmailObject | undefined> {
    try {
      return await this.#client.get(ref);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw storeError('read', ref, err);
    }
  }

  async claim(ref: EmailRef, resourceVersion: string, claim: ClaimRecord): Promise<EmailObject | 'conflict'> {
    try {
      return await this.#client.mergePatch(
        ref,
        { metadata: { resourceVersion }, status: claimPatch(claim) },
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      throw storeError('claim', ref, err);
    }
  }

  async markSent(ref: EmailRef, sent: SentRecord): Promise<void> {
    try {
      await this.#client.mergePatch(
        ref,
        { status: sentPatch(sent) },
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
    } catch (err) {
      throw storeError('record sentTimestamp on', ref, err);
    }
  }

  async recordError(ref: EmailRef, error: ErrorRecord): Promise<'recorded' | 'conflict'> {
    const precondition =
      error.resourceVersion !== undefined ? { metadata: { resourceVersion: error.resourceVersion } } : {};
    try {
      await this.#client.mergePatch(
        ref,
        { ...precondition, status: errorPatch(error) },
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
      return 'recorded';
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      throw storeError('record an error on', ref, err);
    }
  }
}

function storeError(what: string, ref: EmailRef, err: unknown): FunctionsError {
  return new FunctionsError(
    'CNPAAS_FUNCTIONS_STATUS_STORE',
    `cannot ${what} Email ${ref.namespace}/${ref.name}: ${errorMessage(err)}`,
    {
      hint: 'check that kube-apiserver is up and that manifests/rbac.yaml is applied (get emails, patch emails/status)',
      cause: err,
    },
  );
}
