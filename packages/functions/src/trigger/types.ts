/**
 * The HTTPTrigger resource (platform.cnpaas.dev/v1, namespaced; docs/design.md
 * "Fixed names"), modelled on HariKube's serverless-kube-watch-trigger
 * (docs/design.md "Origins"), and the fixed names of the trigger process.
 * manifests/crds/httptriggers.yaml is the source of its names and types:
 * src/trigger/generated/ is made from it by @cnpaas/kube/codegen.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceRef } from '@cnpaas/kube';
import { TRIGGER_CLIENT_NAME } from '../function/config.js';
import { HTTP_TRIGGER_RESOURCE, type HTTPTriggerSpec, type HTTPTriggerStatus } from './generated/httptriggers.js';

export const PLATFORM_GROUP = HTTP_TRIGGER_RESOURCE.group;
export const PLATFORM_VERSION = HTTP_TRIGGER_RESOURCE.version;

export const HTTPTRIGGERS_RESOURCE: ResourceRef = {
  group: HTTP_TRIGGER_RESOURCE.group,
  version: HTTP_TRIGGER_RESOURCE.version,
  plural: HTTP_TRIGGER_RESOURCE.plural,
  kind: HTTP_TRIGGER_RESOURCE.kind,
  namespaced: HTTP_TRIGGER_RESOURCE.namespaced,
};

/** The trigger's identity towards kube-apiserver (its client certificate's CN, the RBAC user); never presented to a target. The demo's delivery certificate carries the same CN from another CA. */
export const TRIGGER_NAME = TRIGGER_CLIENT_NAME;
/** Where the leader Lease lives; HTTPTriggers here may watch other namespaces (see spec.ts). */
export const SYSTEM_NAMESPACE = 'cnpaas-system';
export const TRIGGER_LEASE = { namespace: SYSTEM_NAMESPACE, name: TRIGGER_NAME } as const;

/** The watch event types a trigger may send, as the CRD's enum lists them. */
export type EventType = NonNullable<HTTPTriggerSpec['eventTypes']>[number];
export const EVENT_TYPES: readonly EventType[] = ['ADDED', 'MODIFIED', 'DELETED'];

/** Generated from manifests/crds/httptriggers.yaml (`npm run codegen`), with its descriptions. */
export type { HTTPTriggerSpec, HTTPTriggerStatus } from './generated/httptriggers.js';

export type HTTPTrigger = KubernetesObject & { spec: HTTPTriggerSpec; status?: HTTPTriggerStatus };
