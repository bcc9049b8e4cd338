/**
 * The registration flow, docs/design.md "The registration flow" step 2, after authentication and
 * authorization:
 *
 *   create the RegistrationRequest → watch it from the create's
 *   resourceVersion → on its DELETED event, answer 201 with the tenant,
 *   namespace, user and email the operator wrote into its status.
 *
 * Why from the create's resourceVersion: a watch that starts "now" (the
 * original demo, docs/design.md "Origins") misses a DELETED event that
 * happens between the create and the watch, and then hangs. A watch from
 * the create's resourceVersion replays everything after the create, so the
 * operator may finish as fast as it likes. Reconnects continue from the last
 * resourceVersion seen; only if that is compacted away (410) do we GET the
 * object to find out whether it still exists.
 *
 * Whose identity creates it: the server's own (cnpaas-api-server), not the
 * caller's by impersonation. The SubjectAccessReview already decided that
 * the caller may create registrations; impersonation would need the
 * `impersonate` verb on users, groups, uids and extras, which lets whoever
 * holds the server's key act as anyone, system:masters included. Our own
 * identity needs only create/get/watch on registrationrequests. Who asked is
 * recorded in the annotation api.webshop.cnpaas.dev/requested-by.
 *
 * A dry run (`?dryRun=All`) is a server-side dry-run create: the webhooks
 * run and validate (the claim webhook declares NoneOnDryRun and takes no
 * claim), nothing is stored, and there is nothing to wait for. It answers
 * 201 like the real create would (Kubernetes dry runs answer with the
 * status code of the real request) with the would-be Registration.
 *
 * A timeout answers 504 and leaves the RegistrationRequest alone: the
 * operator may still finish it, and deleting it half-way would strand the
 * children it already made. The message names it so the caller can look.
 */
import {
  API_GROUP,
  API_GROUP_VERSION,
  REGISTRATIONS,
  REGISTRATION_REQUESTS,
  REGISTRATION_UID_LABEL,
  REQUESTED_BY_ANNOTATION,
} from './api-group.js';
import { REGISTRATION_REQUEST_RESOURCE } from '@cnpaas/webshop-api';
import { ApiServerError } from './errors.js';
import { awaitCondition, httpStatusOf, isDeleted, KubeApiError, ResourceClient, type KubeClient } from '@cnpaas/kube';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { UserInfo } from './authorizer.js';
import type { RegistrationCondition, RegistrationRequest } from './registration-body.js';
import type { Logger } from './logger.js';
import { failure, httpError, type StatusDetails } from './status.js';
import { kubeApiUnavailable, kubeUnavailable } from './sign-in-failure.js';

/** The answer: a Registration object (so kubectl can print `registration.api.webshop.cnpaas.dev/<name> created`). */
export interface Registration {
  apiVersion: typeof API_GROUP_VERSION;
  kind: typeof REGISTRATIONS.kind;
  metadata: { name: string; uid?: string; creationTimestamp?: string };
  /** The spec as stored (email normalised, company name defaulted), without the password. */
  spec: Record<string, unknown>;
  status: { tenant?: string; namespace?: string; user?: string; email?: string };
}

export interface RegistrationFlowOptions {
  /** @cnpaas/kube's client as this server's identity (RBAC: create, get, watch registrationrequests). */
  client: KubeClient;
  /** The whole budget of one registration, create included. */
  timeoutMs: number;
  log: Logger;
  /** First pause before re-opening a failed watch; doubles up to 2 s. Default 100 ms. */
  retryDelayMs?: number;
}

export interface RegisterInput {
  object: RegistrationRequest;
  user: UserInfo;
  dryRun: boolean;
  /** Aborts when the caller went away: stop watching, nobody is left to answer. */
  signal?: AbortSignal;
}

export interface RegisterOutcome {
  code: 201;
  registration: Registration;
}

/** awaitCondition's own timeout, beyond the registration's deadline (which ends the wait first, as its signal). */
const WATCH_GRACE_MS = 1_000;

export class RegistrationFlow {
  readonly #options: RegistrationFlowOptions;
  readonly #requests: ResourceClient;

  constructor(options: RegistrationFlowOptions) {
    this.#options = options;
    this.#requests = new ResourceClient(options.client, { ...REGISTRATION_REQUESTS, namespaced: false });
  }

  /** 201 with the Registration, or throws an `ApiServerError` carrying the Status to answer. */
  async register(input: RegisterInput): Promise<RegisterOutcome> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('registration timeout')), this.#options.timeoutMs);
    const signals = [deadline.signal, ...(input.signal ? [input.signal] : [])];
    const signal = AbortSignal.any(signals);
    const object = structuredClone(input.object);
    object.metadata.annotations = { ...object.metadata.annotations, [REQUESTED_BY_ANNOTATION]: input.user.username };
    const state: FlowState = { name: object.metadata.name, uid: undefined, last: undefined, created: false };
    try {
      let created: RegistrationRequest;
      try {
        created = (await this.#requests.create(object as unknown as KubernetesObject, {
          fieldManager: 'cnpaas-api-server',
          dryRun: input.dryRun,
          signal,
        })) as unknown as RegistrationRequest;
      } catch (err) {
        if (signal.aborted) throw this.#aborted(deadline.signal, input, state);
        throw createFailure(err);
      }
      state.created = !input.dryRun;
      state.name = created.metadata?.name;
      state.uid = created.metadata?.uid;
      if (input.dryRun) return { code: 201, registration: toRegistration(created) };
      if (!state.name || !created.metadata.resourceVersion) {
        throw httpError('CNPAAS_API_INTERNAL', {
          code: 500,
          message: 'the created RegistrationRequest came back without a name or resourceVersion',
        });
      }
      const deleted = await this.#watchUntilDeleted({
        name: state.name,
        resourceVersion: created.metadata.resourceVersion,
        state,
        signal,
      });
      if (!deleted) throw this.#aborted(deadline.signal, input, state);
      return { code: 201, registration: result(deleted) };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The DELETED object, or undefined when the signal ended the wait. Waits
   * with awaitCondition: a dropped watch resumes from the last
   * resourceVersion; after 410 Gone it reads the object with a GET, and if
   * that finds it gone, its result is lost.
   */
  async #watchUntilDeleted(args: {
    name: string;
    resourceVersion: string;
    state: FlowState;
    signal: AbortSignal;
  }): Promise<RegistrationRequest | undefined> {
    const { name, state, signal } = args;
    const { log } = this.#options;
    const retryDelayMs = this.#options.retryDelayMs ?? 100;
    let deleted: RegistrationRequest | undefined;
    try {
      deleted = (await awaitCondition(this.#requests, { name }, isDeleted(state.uid), {
        fromResourceVersion: args.resourceVersion,
        signal,
        // The registration's deadline ends the wait (as `signal`); this bounds each watch to it.
        timeoutMs: this.#options.timeoutMs + WATCH_GRACE_MS,
        log: log.child({ registrationRequest: name }),
        backoff: { baseMs: retryDelayMs, maxMs: Math.max(retryDelayMs, 2_000) },
        // Our own missing permission: retrying cannot help.
        retryable: (err) => httpStatusOf(err) !== 401 && httpStatusOf(err) !== 403,
        onChange: (object) => {
          // The name is ours until our object is deleted; a UID check guards against anything else.
          if (object && (!state.uid || object.metadata?.uid === state.uid)) state.last = object as RegistrationRequest;
        },
      })) as RegistrationRequest | undefined;
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof KubeApiError && (err.code === 401 || err.code === 403))
        throw ownPermission(err, 'watch registrationrequests');
      throw kubeUnavailable(err, 'waiting for the RegistrationRequest');
    }
    if (!deleted || (state.uid && deleted.metadata?.uid !== state.uid)) {
      // A GET after 410 Gone found it gone (or replaced): the DELETED event with the operator's result was compacted away.
      throw httpError('CNPAAS_API_RESULT_LOST', {
        code: 500,
        message: `RegistrationRequest ${name} is gone, but its result was lost: the watch expired (410 Gone) before its DELETED event was read`,
        hint: `find what it made with: kubectl get tenants -l ${REGISTRATION_UID_LABEL}=${state.uid ?? '<uid>'}`,
        details: { name, group: API_GROUP, kind: REGISTRATIONS.plural, ...(state.uid ? { uid: state.uid } : {}) },
      });
    }
    return deleted;
  }

  /** The Status for a flow the deadline or the caller ended. */
  #aborted(deadline: AbortSignal, input: RegisterInput, state: FlowState): ApiServerError {
    if (!deadline.aborted) {
      return new ApiServerError('CNPAAS_API_TIMEOUT', 'the client went away before the registration finished', {
        status: failure({ code: 499, reason: 'ClientClosedRequest', message: 'client closed the request' }),
      });
    }
    const seconds = Math.round(this.#options.timeoutMs / 100) / 10;
    const what = input.dryRun
      ? 'the dry-run create'
      : state.name
        ? `RegistrationRequest ${state.name}`
        : 'the registration';
    const ready = readyCondition(state.last);
    const progress = ready
      ? `; last state: Ready=${ready.status} ${ready.reason ?? ''}${ready.message ? `: ${ready.message}` : ''}`
      : '';
    const next = state.created
      ? `; it still exists and the operator may finish it: kubectl get ${REGISTRATION_REQUEST_RESOURCE.crdName} ${state.name ?? ''}`.trimEnd()
      : input.dryRun
        ? ''
        : '; it may or may not have been created';
    return httpError('CNPAAS_API_TIMEOUT', {
      code: 504,
      reason: 'Timeout',
      message: `${what} did not finish within ${seconds}s${progress}${next}`,
      details: {
        ...(state.name ? { name: state.name } : {}),
        group: API_GROUP,
        kind: REGISTRATIONS.plural,
        ...(state.uid ? { uid: state.uid } : {}),
        retryAfterSeconds: 5,
      },
    });
  }
}

interface FlowState {
  name: string | undefined;
  uid: string | undefined;
  /** The newest version seen, for the timeout message. */
  last: RegistrationRequest | undefined;
  /** A real object exists (not a dry run): a timeout must say so. */
  created: boolean;
}

function readyCondition(rr: RegistrationRequest | undefined): RegistrationCondition | undefined {
  return rr?.status?.conditions?.find((c) => c.type === 'Ready');
}

function withoutPassword(spec: Record<string, unknown> | undefined): Record<string, unknown> {
  const { password: _password, ...rest } = spec ?? {};
  return structuredClone(rest);
}

/** A RegistrationRequest as the Registration we answer with (never the password, not even its hash). */
export function toRegistration(rr: RegistrationRequest): Registration {
  const metadata: Registration['metadata'] = { name: rr.metadata?.name ?? '' };
  if (rr.metadata?.uid) metadata.uid = rr.metadata.uid;
  if (rr.metadata?.creationTimestamp) metadata.creationTimestamp = rr.metadata.creationTimestamp;
  const status: Registration['status'] = {};
  for (const key of ['tenant', 'namespace', 'user', 'email'] as const) {
    const value = rr.status?.[key];
    if (typeof value === 'string' && value !== '') status[key] = value;
  }
  return { apiVersion: API_GROUP_VERSION, kind: REGISTRATIONS.kind, metadata, spec: withoutPassword(rr.spec), status };
}

/** The DELETED object must carry the operator's four names; anything else was not the operator finishing. */
function result(deleted: RegistrationRequest): Registration {
  const registration = toRegistration(deleted);
  const missing = (['tenant', 'namespace', 'user', 'email'] as const).filter((k) => !registration.status[k]);
  if (missing.length > 0) {
    const name = registration.metadata.name;
    const ready = readyCondition(deleted);
    throw httpError('CNPAAS_API_DELETED_WITHOUT_RESULT', {
      code: 409,
      reason: 'Conflict',
      message: `RegistrationRequest ${name} was deleted before the operator finished it (status lacks ${missing.join(', ')})${ready ? `; last state: Ready=${ready.status} ${ready.reason ?? ''}` : ''}`,
      hint: 'someone else deleted it; send the registration again',
      details: {
        name,
        group: API_GROUP,
        kind: REGISTRATIONS.plural,
        ...(registration.metadata.uid ? { uid: registration.metadata.uid } : {}),
      },
    });
  }
  return registration;
}

/**
 * A refused create, as the Status to answer. A webhook's denial (400, 409,
 * 422, or 403 when a webhook sets no code) and a taken name (409
 * AlreadyExists) are the caller's to fix: their code, reason, message and
 * causes pass through unchanged. Our own missing permissions, a missing CRD
 * or an unreachable API are not: 500/503 with what to do.
 */
export function createFailure(err: unknown): ApiServerError {
  if (err instanceof ApiServerError) return err;
  if (!(err instanceof KubeApiError)) return kubeUnavailable(err, 'creating the RegistrationRequest');
  const code = err.code;
  const kubeStatus = err.status;
  const message = kubeStatus?.message ?? err.message;
  if (code === 401 || (code === 403 && /\bcannot create resource\b/.test(message)))
    return ownPermission(err, 'create registrationrequests');
  if (code === 404) {
    return httpError('CNPAAS_API_KUBE_UNAVAILABLE', {
      code: 503,
      message: `the kube API does not serve ${REGISTRATION_REQUEST_RESOURCE.crdName} (${message})`,
      hint: 'apply the webshop CRDs (packages/webshop-api/manifests/crds/)',
      cause: err,
    });
  }
  if (code >= 400 && code < 500) {
    return new ApiServerError('CNPAAS_API_CREATE_REFUSED', message, {
      status: failure({
        code,
        message,
        ...(kubeStatus?.reason ? { reason: kubeStatus.reason } : {}),
        // kube-apiserver fills every cause's reason and message (metav1.StatusCause marks them optional on the wire)
        ...(kubeStatus?.details ? { details: kubeStatus.details as StatusDetails } : {}),
      }),
      cause: err,
    });
  }
  // 5xx: typically "failed calling webhook" (the webhook server is down) or an overloaded apiserver.
  return kubeApiUnavailable(err, {
    code: code === 504 ? 504 : 503,
    message: `the kube API could not create the RegistrationRequest: ${message}`,
    hint: 'retry in a moment; if it persists, check that the admission webhooks and kube-apiserver are up',
  });
}

function ownPermission(err: KubeApiError, what: string): ApiServerError {
  return httpError('CNPAAS_API_OWN_PERMISSION', {
    code: 500,
    message: `cnpaas-api-server may not ${what} (${err.code}: ${err.status?.message ?? err.message})`,
    hint: 'apply packages/api-server/manifests/rbac.yaml and check that --kubeconfig holds the cnpaas-api-server identity',
    cause: err,
  });
}
