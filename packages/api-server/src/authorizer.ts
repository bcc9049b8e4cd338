/**
 * Authorization by SubjectAccessReview (authorization.k8s.io/v1): the
 * cluster's authorizers (RBAC, and whatever else kube-apiserver runs) decide
 * for the caller kube-apiserver vouched for. Nothing is special-cased here,
 * not even system:masters: the SAR answers for them as it does for everyone.
 *
 * Decisions are cached briefly, like k8s.io/apiserver's webhook authorizer
 * (--authorization-webhook-cache-authorized-ttl / -unauthorized-ttl, 10 s
 * each by default): the aggregator's availability check alone asks for the
 * same discovery document five times in parallel every few seconds.
 */
import { errorMessage } from './errors.js';
import { KubeApiError, type KubeClient } from '@cnpaas/kube';
import type { ProxiedUser } from '@cnpaas/service-kit';
import type { ApiServerMetrics } from './metrics.js';
import { httpError } from './status.js';

/** The caller kube-apiserver vouched for (@cnpaas/service-kit's front-proxy authentication). */
export type UserInfo = ProxiedUser;

export interface SubjectAccessReviewSpec {
  user: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
  resourceAttributes?: {
    group: string;
    version: string;
    resource: string;
    verb: string;
    name?: string;
    namespace?: string;
  };
  nonResourceAttributes?: { path: string; verb: string };
}

export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** Asks one SubjectAccessReview and returns its status. */
export type AskReview = (spec: SubjectAccessReviewSpec) => Promise<SubjectAccessReviewStatus>;

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** `AskReview` through @cnpaas/kube's client, as this server's identity (RBAC: create subjectaccessreviews). */
export function askReviewWith(client: KubeClient): AskReview {
  return async (spec) => {
    const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
    const review = await client.json<{ status?: SubjectAccessReviewStatus } | undefined>({
      method: 'POST',
      path: SAR_PATH,
      body,
    });
    if (!review?.status || typeof review.status.allowed !== 'boolean') {
      throw new Error('the SubjectAccessReview came back without status.allowed');
    }
    return review.status;
  };
}

export interface ResourceAttributes {
  group: string;
  version: string;
  resource: string;
  verb: string;
  name?: string;
}

export interface NonResourceAttributes {
  path: string;
  verb: string;
}

export type Attributes = { resource: ResourceAttributes } | { nonResource: NonResourceAttributes };

export interface Decision {
  allowed: boolean;
  reason: string;
}

export interface AuthorizerOptions {
  /** Asks the SubjectAccessReview: `askReviewWith(client)`, or a stand-in in the unit tests of the cache. */
  askReview: AskReview;
  metrics?: ApiServerMetrics;
  /** How long a decision is reused; default 10 s for both. 0 disables the cache. */
  allowedTtlMs?: number;
  deniedTtlMs?: number;
  /** Most decisions kept; the oldest go first. Default 1024. */
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  decision: Decision;
  expires: number;
}

export class SubjectAccessReviewAuthorizer {
  readonly #options: AuthorizerOptions;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #now: () => number;

  constructor(options: AuthorizerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The SAR's answer; throws a 500/503 `ApiServerError` when it cannot be asked. */
  async decide(user: UserInfo, attributes: Attributes): Promise<Decision> {
    const spec = reviewSpec(user, attributes);
    const key = JSON.stringify(spec);
    const cached = this.#cache.get(key);
    if (cached && cached.expires > this.#now()) {
      this.#options.metrics?.authorizations.inc({ allowed: String(cached.decision.allowed), cached: 'true' });
      return cached.decision;
    }
    this.#cache.delete(key);
    let status;
    try {
      status = await this.#options.askReview(spec);
    } catch (err) {
      throw authorizerFailure(err);
    }
    const decision: Decision = {
      allowed: status.allowed && status.denied !== true,
      reason: status.reason ?? status.evaluationError ?? '',
    };
    this.#options.metrics?.authorizations.inc({ allowed: String(decision.allowed), cached: 'false' });
    const ttl = decision.allowed ? (this.#options.allowedTtlMs ?? 10_000) : (this.#options.deniedTtlMs ?? 10_000);
    if (ttl > 0) {
      this.#cache.set(key, { decision, expires: this.#now() + ttl });
      const max = this.#options.maxEntries ?? 1024;
      for (const oldest of this.#cache.keys()) {
        if (this.#cache.size <= max) break;
        this.#cache.delete(oldest);
      }
    }
    return decision;
  }

  /** Resolves when allowed; throws a 403 Status in kube-apiserver's wording when not. */
  async authorize(user: UserInfo, attributes: Attributes): Promise<void> {
    const decision = await this.decide(user, attributes);
    if (decision.allowed) return;
    throw httpError('CNPAAS_API_FORBIDDEN', {
      code: 403,
      message: forbiddenMessage(user, attributes, decision.reason),
      ...('resource' in attributes
        ? {
            details: { group: attributes.resource.group, kind: attributes.resource.resource },
            hint: 'ask an administrator to bind you the ClusterRole cnpaas-registrant',
          }
        : {}),
    });
  }
}

/** The SAR spec, with keys in a fixed order so equal requests share a cache key. */
export function reviewSpec(user: UserInfo, attributes: Attributes): SubjectAccessReviewSpec {
  const extra: Record<string, string[]> = {};
  for (const key of Object.keys(user.extra).sort()) extra[key] = [...user.extra[key]!];
  const spec: SubjectAccessReviewSpec = { user: user.username, groups: [...user.groups] };
  if (user.uid) spec.uid = user.uid;
  if (Object.keys(extra).length > 0) spec.extra = extra;
  if ('resource' in attributes) {
    const r = attributes.resource;
    spec.resourceAttributes = {
      group: r.group,
      version: r.version,
      resource: r.resource,
      verb: r.verb,
      ...(r.name ? { name: r.name } : {}),
    };
  } else {
    spec.nonResourceAttributes = { path: attributes.nonResource.path, verb: attributes.nonResource.verb };
  }
  return spec;
}

/** kube-apiserver's own Forbidden wording (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters.forbiddenMessage). */
function forbiddenMessage(user: UserInfo, attributes: Attributes, reason: string): string {
  const who = `User ${JSON.stringify(user.username)}`;
  const base =
    'resource' in attributes
      ? `${attributes.resource.resource}.${attributes.resource.group} is forbidden: ${who} cannot ${attributes.resource.verb} resource ${JSON.stringify(attributes.resource.resource)} in API group ${JSON.stringify(attributes.resource.group)} at the cluster scope`
      : `forbidden: ${who} cannot ${attributes.nonResource.verb} path ${JSON.stringify(attributes.nonResource.path)}`;
  return reason ? `${base}: ${reason}` : base;
}

function authorizerFailure(err: unknown) {
  if (err instanceof KubeApiError && (err.code === 401 || err.code === 403)) {
    return httpError('CNPAAS_API_OWN_PERMISSION', {
      code: 500,
      message: `cnpaas-api-server may not create SubjectAccessReviews (${err.code}: ${err.status?.message ?? err.message})`,
      hint: 'apply packages/api-server/manifests/rbac.yaml and check that --kubeconfig holds the cnpaas-api-server identity',
      cause: err,
    });
  }
  return httpError('CNPAAS_API_AUTHORIZER', {
    code: 503,
    message: `cannot check authorization: the SubjectAccessReview failed: ${errorMessage(err)}`,
    hint: 'retry; if it persists, check that kube-apiserver is reachable from cnpaas-api-server',
    details: { retryAfterSeconds: 1 },
    cause: err,
  });
}
