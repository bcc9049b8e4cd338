/**
 * EmailStatusStore on the Kubernetes API, through @cnpaas/kube's
 * ResourceClient. Compiled and type-checked here; exercised against a real
 * kube-apiserver by the live task.
 *
 * - `get` is a plain GET: the apiserver serves it from etcd (our store), not
 *   from a cache, so a claim written a moment ago is always seen.
 * - Every write is a JSON merge patch on the /status subresource (the one
 *   patch of StatusPatchStore, which makes it from each record). The claim
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
import { StatusPatchStore, type EmailRef, type StatusPatch, type StatusWrite } from './email-status-store.js';

export const FIELD_MANAGER = 'cnpaas-email-function';

type KubeEmail = EmailObject & { metadata: EmailObject['metadata'] };

/** What a failed write could not do, for its error message. */
const FAILED_WRITE: Record<StatusWrite, string> = {
  claim: 'claim',
  sent: 'record sentTimestamp on',
  error: 'record an error on',
};

export class KubeEmailStatusStore extends StatusPatchStore {
  readonly #client: ResourceClient<KubeEmail>;

  constructor(kc: KubeConfig, options: { requestTimeoutMs?: number } = {}) {
    super();
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

  protected override async patchStatus(ref: EmailRef, patch: StatusPatch): Promise<EmailObject | 'conflict'> {
    const { resourceVersion } = patch;
    const precondition = resourceVersion !== undefined ? { metadata: { resourceVersion } } : {};
    try {
      return await this.#client.mergePatch(
        ref,
        { ...precondition, status: patch.status },
        { subresource: 'status', fieldManager: FIELD_MANAGER },
      );
    } catch (err) {
      // sentTimestamp has no 'conflict' answer: a 409 there is a failure like any other.
      if (patch.write !== 'sent' && isConflict(err)) return 'conflict';
      throw storeError(FAILED_WRITE[patch.write], ref, err);
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
