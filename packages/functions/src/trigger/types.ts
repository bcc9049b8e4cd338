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

/**
 * The label that hands an HTTPTrigger to one trigger instance, the way
 * `service.kubernetes.io/service-proxy-name` hands a Service to one proxy:
 * an instance started with `--trigger-class NAME` runs only the HTTPTriggers
 * labelled `NAME`, and one started without it runs only those without the
 * label. A service that brings its own trigger (a generated `--function`
 * service: its function listens on loopback, which only its own trigger's
 * `--allow-target` names) labels its HTTPTrigger, and the demo's trigger
 * leaves it alone.
 */
export const TRIGGER_CLASS_LABEL = `${HTTP_TRIGGER_RESOURCE.group}/trigger-class`;

/** A class: a DNS label, so that it is a label value and `cnpaas-trigger-<class>` a Lease name. */
export const TRIGGER_CLASS_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Which HTTPTriggers an instance of `triggerClass` (none: the default instance) runs, as a label selector. */
export function triggerSelector(triggerClass?: string): string {
  return triggerClass ? `${TRIGGER_CLASS_LABEL}=${triggerClass}` : `!${TRIGGER_CLASS_LABEL}`;
}

/** The Lease the replicas of one class campaign for: two classes never wait for each other. */
export function triggerLease(triggerClass?: string): { namespace: string; name: string } {
  return { namespace: SYSTEM_NAMESPACE, name: triggerClass ? `${TRIGGER_NAME}-${triggerClass}` : TRIGGER_NAME };
}

/** The default instance's Lease. */
export const TRIGGER_LEASE = triggerLease();

/** The watch event types a trigger may send, as the CRD's enum lists them. */
export type EventType = NonNullable<HTTPTriggerSpec['eventTypes']>[number];
export const EVENT_TYPES: readonly EventType[] = ['ADDED', 'MODIFIED', 'DELETED'];

/** Generated from manifests/crds/httptriggers.yaml (`npm run codegen`), with its descriptions. */
export type { HTTPTriggerSpec, HTTPTriggerStatus } from './generated/httptriggers.js';

export type HTTPTrigger = KubernetesObject & { spec: HTTPTriggerSpec; status?: HTTPTriggerStatus };
