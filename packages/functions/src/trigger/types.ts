/**
 * The HTTPTrigger resource (platform.cnpaas.dev/v1, namespaced; docs/design.md
 * "Fixed names"), modelled on HariKube's serverless-kube-watch-trigger
 * (docs/design.md "Origins"), and the fixed names of the trigger process.
 * manifests/crds/httptriggers.yaml declares the same fields with a
 * description each.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Condition, ResourceRef } from '@cnpaas/kube';
import { TRIGGER_CLIENT_NAME } from '../function/config.js';

export const PLATFORM_GROUP = 'platform.cnpaas.dev';
export const PLATFORM_VERSION = 'v1';

export const HTTPTRIGGERS_RESOURCE: ResourceRef = {
  group: PLATFORM_GROUP,
  version: PLATFORM_VERSION,
  plural: 'httptriggers',
  kind: 'HTTPTrigger',
  namespaced: true,
};

/** The trigger's identity towards kube-apiserver (its client certificate's CN, the RBAC user); never presented to a target. The demo's delivery certificate carries the same CN from another CA. */
export const TRIGGER_NAME = TRIGGER_CLIENT_NAME;
/** Where the leader Lease lives; HTTPTriggers here may watch other namespaces (see spec.ts). */
export const SYSTEM_NAMESPACE = 'cnpaas-system';
export const TRIGGER_LEASE = { namespace: SYSTEM_NAMESPACE, name: TRIGGER_NAME } as const;

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export const EVENT_TYPES: readonly EventType[] = ['ADDED', 'MODIFIED', 'DELETED'];

export interface HTTPTriggerSpec {
  resource: { group?: string; version: string; resource: string; kind?: string };
  /** Empty: every namespace (only for triggers in a cluster-trigger namespace), else these. */
  namespaces?: string[];
  labelSelector?: string;
  fieldSelector?: string;
  /** Default all three. */
  eventTypes?: EventType[];
  /** On first start (no resume point), deliver the objects that exist as ADDED. Default true. */
  sendInitialEvents?: boolean;
  /** A static https:// URL; exactly one of url and service. */
  url?: string;
  service?: { name: string; namespace?: string; port: number; path?: string };
  method?: 'POST' | 'PUT' | 'PATCH' | 'GET';
  headers?: Record<string, string>;
  body?: { contentType?: string; template?: string };
  delivery?: {
    timeoutSeconds?: number;
    retries?: number;
    backoff?: { initialSeconds?: number; maxSeconds?: number };
    concurrency?: number;
    coalesce?: boolean;
  };
  /**
   * caBundle / caSecretRef: how the target's certificate is checked.
   * clientSecretRef: a Secret in the trigger's namespace (tls.crt, tls.key, optional ca.crt) whose
   * certificate is presented to the target; absent, the trigger presents none.
   */
  tls?: { caBundle?: string; caSecretRef?: { name: string; key?: string }; clientSecretRef?: { name: string } };
}

export interface HTTPTriggerStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** Every event at or before this resourceVersion has been delivered (or given up on). */
  lastDeliveredResourceVersion?: string;
  /** With several namespaces: each namespace's own watch position. */
  namespaceResourceVersions?: Record<string, string>;
  /** The watch (resource, namespaces, selectors) the resourceVersions belong to; a change starts over. */
  watchFingerprint?: string;
  deliveredCount?: number;
  failedCount?: number;
  lastError?: string;
  lastErrorTime?: string;
}

export type HTTPTrigger = KubernetesObject & { spec: HTTPTriggerSpec; status?: HTTPTriggerStatus };
