/**
 * HTTPTrigger spec → the plan a runner executes, with defaults applied and
 * everything checked up front, so a broken trigger shows `Ready=False` with
 * the reason instead of failing at each event. The CRD's schema checks
 * shapes; this checks meaning (URL scheme, headers, template, namespaces).
 *
 * Namespaces (a least-privilege rule the original lacks): an HTTPTrigger
 * is namespaced, but whoever may create one would otherwise make the trigger
 * identity read and forward any namespace's objects. So only triggers in a
 * cluster-trigger namespace (default cnpaas-system) may watch other or all
 * namespaces; any other trigger watches its own namespace only.
 */
import type { ResourceRef } from '@cnpaas/kube';
import { FunctionsError, errorMessage } from '../errors.js';
import { refusedTarget, targetPolicy, type TargetPolicy } from './target-policy.js';
import { compileTemplate, type CompiledTemplate } from './template.js';
import { EVENT_TYPES, type EventType, type HTTPTrigger } from './types.js';

export interface DeliverySettings {
  timeoutMs: number;
  /** Attempts after the first; 0 = one attempt. */
  retries: number;
  backoff: { initialMs: number; maxMs: number };
  /** HTTP requests in flight at once for this trigger. */
  concurrency: number;
  /** Keep only the newest not-yet-attempted event per object. */
  coalesce: boolean;
}

export interface TriggerPlan {
  /** namespace/name of the HTTPTrigger. */
  key: string;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  resource: ResourceRef;
  /** undefined: one watch over all namespaces. */
  namespaces: string[] | undefined;
  labelSelector: string | undefined;
  fieldSelector: string | undefined;
  eventTypes: ReadonlySet<EventType>;
  sendInitialEvents: boolean;
  url: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'GET';
  headers: Record<string, string>;
  contentType: string;
  template: CompiledTemplate | undefined;
  delivery: DeliverySettings;
  /** PEM from spec.tls.caBundle, or where to read it. Neither: ca.crt of the client Secret if it has one, else the system's roots. */
  ca: { pem?: string; secretRef?: { namespace: string; name: string; key: string } };
  /** spec.tls.clientSecretRef: the Secret (tls.crt, tls.key, optional ca.crt) whose certificate is presented. Absent: none. */
  clientSecret: { namespace: string; name: string } | undefined;
  /** Identifies the watch; resourceVersions stored under another fingerprint are not resumed from. */
  fingerprint: string;
}

export interface PlanOptions {
  /** Namespaces whose triggers may watch other namespaces. Default [cnpaas-system]. */
  clusterTriggerNamespaces: readonly string[];
  /** Which targets may be called; default: no loopback or link-local address, nothing allowed. */
  targets?: TargetPolicy;
}

export const DEFAULT_DELIVERY: DeliverySettings = {
  // Longer than the email function's 8 s send deadline (its README).
  timeoutMs: 10_000,
  retries: 5,
  backoff: { initialMs: 1_000, maxMs: 60_000 },
  concurrency: 1,
  coalesce: false,
};

/** Headers the trigger sets itself. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'proxy-connection',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_LABEL_OR_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PLURAL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GROUP = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export type PlanResult =
  | { ok: true; plan: TriggerPlan }
  | {
      ok: false;
      reason: 'InvalidSpec' | 'NamespaceNotAllowed' | 'InvalidTemplate' | 'TargetNotAllowed';
      message: string;
    };

function invalid(message: string): never {
  throw new FunctionsError('CNPAAS_FUNCTIONS_TRIGGER_SPEC', message);
}

/** A whole number from `min` to `max` at `field` of the spec, or `fallback` where it is absent. */
function wholeNumber(value: unknown, rule: { field: string; min: number; max: number; fallback: number }): number {
  const { field, min, max, fallback } = rule;
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(`${field} must be a whole number from ${min} to ${max}`);
  return value;
}

/** A whole number of seconds from 1 to `max` at `field` of the spec, in milliseconds (`fallbackMs` where absent). */
function secondsAsMs(value: unknown, rule: { field: string; max: number; fallbackMs: number }): number {
  return wholeNumber(value, { field: rule.field, min: 1, max: rule.max, fallback: rule.fallbackMs / 1000 }) * 1000;
}

export function planTrigger(trigger: HTTPTrigger, options: PlanOptions): PlanResult {
  try {
    return { ok: true, plan: buildPlan(trigger, options) };
  } catch (err) {
    if (err instanceof FunctionsError && err.code === 'CNPAAS_FUNCTIONS_TRIGGER_TEMPLATE')
      return { ok: false, reason: 'InvalidTemplate', message: err.message };
    if (err instanceof NamespaceError) return { ok: false, reason: 'NamespaceNotAllowed', message: err.message };
    if (err instanceof FunctionsError && err.code === 'CNPAAS_FUNCTIONS_TARGET_REFUSED')
      return { ok: false, reason: 'TargetNotAllowed', message: `${err.message} (it is never called)` };
    return {
      ok: false,
      reason: 'InvalidSpec',
      message: err instanceof FunctionsError ? err.message : errorMessage(err),
    };
  }
}

class NamespaceError extends Error {}

function buildPlan(trigger: HTTPTrigger, options: PlanOptions): TriggerPlan {
  const meta = trigger.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const name = meta.name ?? '';
  const spec = trigger.spec ?? invalid('spec is missing');

  const r = spec.resource ?? invalid('spec.resource is required');
  const group = r.group ?? '';
  if (group !== '' && !GROUP.test(group)) invalid(`spec.resource.group "${group}" is not an API group`);
  if (!r.version || !/^v\d+((alpha|beta)\d+)?$/.test(r.version))
    invalid(`spec.resource.version "${r.version ?? ''}" is not an API version like v1`);
  if (!r.resource || !PLURAL.test(r.resource))
    invalid(`spec.resource.resource "${r.resource ?? ''}" must be the lower-case plural of the URL, e.g. emails`);

  const privileged = options.clusterTriggerNamespaces.includes(namespace);
  const listed = [...new Set(spec.namespaces ?? [])].sort();
  for (const ns of listed) if (!DNS_LABEL.test(ns)) invalid(`spec.namespaces: "${ns}" is not a namespace name`);
  let namespaces: string[] | undefined = listed.length > 0 ? listed : undefined;
  if (!privileged) {
    if (namespaces && namespaces.some((ns) => ns !== namespace)) {
      throw new NamespaceError(
        `a trigger in namespace ${namespace} may watch only its own namespace; watching ${namespaces.join(', ')} needs the trigger to live in ${options.clusterTriggerNamespaces.join(' or ')}`,
      );
    }
    namespaces = [namespace];
  }

  const eventTypes = new Set<EventType>(spec.eventTypes && spec.eventTypes.length > 0 ? spec.eventTypes : EVENT_TYPES);
  for (const t of eventTypes)
    if (!EVENT_TYPES.includes(t)) invalid(`spec.eventTypes: "${t}" is not ADDED, MODIFIED or DELETED`);

  const url = targetUrl(spec, namespace);
  const refused = refusedTarget(new URL(url), options.targets ?? targetPolicy());
  if (refused) throw new FunctionsError('CNPAAS_FUNCTIONS_TARGET_REFUSED', refused);
  const method = spec.method ?? 'POST';
  if (!['POST', 'PUT', 'PATCH', 'GET'].includes(method))
    invalid(`spec.method "${method}" is not POST, PUT, PATCH or GET`);

  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.headers ?? {})) {
    const lower = key.toLowerCase();
    if (!HEADER_NAME.test(key)) invalid(`spec.headers: "${key}" is not a header name`);
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-cnpaas-') || lower === 'content-type') {
      invalid(
        `spec.headers: ${key} is set by the trigger${lower === 'content-type' ? ' (use spec.body.contentType)' : ''}`,
      );
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value))
      invalid(`spec.headers.${key} must be a single-line string`);
    headers[lower] = value;
  }

  const contentType = spec.body?.contentType ?? 'application/json';
  if (/[\r\n\0]/.test(contentType)) invalid('spec.body.contentType must be a single line');
  const template =
    spec.body?.template !== undefined && spec.body.template !== '' ? compileTemplate(spec.body.template) : undefined;

  const d = spec.delivery ?? {};
  const backoff = DEFAULT_DELIVERY.backoff;
  const initialMs = secondsAsMs(d.backoff?.initialSeconds, {
    field: 'spec.delivery.backoff.initialSeconds',
    max: 3600,
    fallbackMs: backoff.initialMs,
  });
  const maxMs = secondsAsMs(d.backoff?.maxSeconds, {
    field: 'spec.delivery.backoff.maxSeconds',
    max: 86_400,
    fallbackMs: backoff.maxMs,
  });
  if (maxMs < initialMs) invalid('spec.delivery.backoff.maxSeconds must not be less than initialSeconds');
  const delivery: DeliverySettings = {
    timeoutMs: secondsAsMs(d.timeoutSeconds, {
      field: 'spec.delivery.timeoutSeconds',
      max: 300,
      fallbackMs: DEFAULT_DELIVERY.timeoutMs,
    }),
    retries: wholeNumber(d.retries, {
      field: 'spec.delivery.retries',
      min: 0,
      max: 100,
      fallback: DEFAULT_DELIVERY.retries,
    }),
    backoff: { initialMs, maxMs },
    concurrency: wholeNumber(d.concurrency, {
      field: 'spec.delivery.concurrency',
      min: 1,
      max: 100,
      fallback: DEFAULT_DELIVERY.concurrency,
    }),
    coalesce: d.coalesce ?? DEFAULT_DELIVERY.coalesce,
  };

  const ca: TriggerPlan['ca'] = {};
  if (spec.tls?.caBundle && spec.tls.caSecretRef) invalid('spec.tls: give caBundle or caSecretRef, not both');
  if (spec.tls?.caBundle) {
    const pem = Buffer.from(spec.tls.caBundle, 'base64').toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) invalid('spec.tls.caBundle must be base64 of PEM certificates');
    ca.pem = pem;
  } else if (spec.tls?.caSecretRef) {
    const ref = spec.tls.caSecretRef;
    if (!ref.name || !DNS_LABEL.test(ref.name))
      invalid(`spec.tls.caSecretRef.name "${ref.name ?? ''}" is not a Secret name`);
    ca.secretRef = { namespace, name: ref.name, key: ref.key ?? 'ca.crt' };
  }
  let clientSecret: TriggerPlan['clientSecret'];
  if (spec.tls?.clientSecretRef) {
    const ref = spec.tls.clientSecretRef;
    if (!ref.name || !DNS_LABEL_OR_SUBDOMAIN.test(ref.name))
      invalid(`spec.tls.clientSecretRef.name "${ref.name ?? ''}" is not a Secret name`);
    clientSecret = { namespace, name: ref.name };
  }

  const resource: ResourceRef = {
    group,
    version: r.version,
    plural: r.resource,
    kind: r.kind ?? '',
    namespaced: namespaces !== undefined,
  };
  const labelSelector = spec.labelSelector?.trim() || undefined;
  const fieldSelector = spec.fieldSelector?.trim() || undefined;
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    uid: meta.uid ?? '',
    generation: meta.generation ?? 0,
    resource,
    namespaces,
    labelSelector,
    fieldSelector,
    eventTypes,
    sendInitialEvents: spec.sendInitialEvents ?? true,
    url,
    method,
    headers,
    contentType,
    template,
    delivery,
    ca,
    clientSecret,
    fingerprint: JSON.stringify([
      group,
      r.version,
      r.resource,
      namespaces ?? '*',
      labelSelector ?? '',
      fieldSelector ?? '',
    ]),
  };
}

function targetUrl(spec: HTTPTrigger['spec'], namespace: string): string {
  if ((spec.url === undefined) === (spec.service === undefined))
    invalid('give exactly one of spec.url and spec.service');
  if (spec.service) {
    const s = spec.service;
    if (!s.name || !DNS_LABEL.test(s.name)) invalid(`spec.service.name "${s.name ?? ''}" is not a Service name`);
    const ns = s.namespace ?? namespace;
    if (!DNS_LABEL.test(ns)) invalid(`spec.service.namespace "${ns}" is not a namespace name`);
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) invalid('spec.service.port must be 1 to 65535');
    const path = s.path ?? '/';
    if (!path.startsWith('/') || /[\s#]/.test(path))
      invalid(`spec.service.path "${path}" must start with / and hold no spaces or #`);
    return `https://${s.name}.${ns}.svc:${s.port}${path}`;
  }
  let url: URL;
  try {
    url = new URL(spec.url!);
  } catch {
    invalid(`spec.url "${spec.url}" is not a URL`);
  }
  // The trigger always checks the target's certificate, and presents the HTTPTrigger's client certificate when it names one.
  if (url.protocol !== 'https:')
    invalid(`spec.url must be https:// (the trigger checks the target's certificate), not ${url.protocol}//`);
  if (url.username || url.password) invalid('spec.url must not carry credentials');
  if (url.hash) invalid('spec.url must not have a #fragment');
  return url.toString();
}
