/**
 * AdmissionReview v1, hand-written from `k8s.io/api/admission/v1/types.go`:
 * the apiserver never serves the type, so neither @kubernetes/client-node
 * nor the OpenAPI document has it. Every package that serves an admission
 * webhook (the webshop's webhooks, a generated service's) uses these.
 *
 * The apiserver checks a webhook's answer strictly
 * (`VerifyAdmissionResponse`): the response must carry the request's `uid`,
 * the exact `apiVersion`/`kind`, and a validating webhook must not send a
 * patch. The helpers here build answers that pass those checks.
 */
import type { AdmissionFailure, ErrorFactory } from './errors.js';
import type { GroupVersionKind, GroupVersionResource } from './group-version.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The parts of ObjectMeta the handlers read. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  [key: string]: unknown;
}

/** Any Kubernetes object as it arrives in a review: JSON, untrusted. */
export interface AdmissionObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface AdmissionRequest<T = AdmissionObject> {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  /** null on DELETE. */
  object?: T | null;
  /** null on CREATE and CONNECT. */
  oldObject?: T | null;
  dryRun?: boolean;
  options?: Record<string, unknown> | null;
}

/** The `causes` of a Status: one per field problem, like the apiserver's own 422s. */
export interface StatusCause {
  /** e.g. FieldValueRequired, FieldValueInvalid, FieldValueTooLong, FieldValueDuplicate. */
  reason: string;
  message: string;
  field: string;
}

/** metav1.Status as a webhook returns it on a denial. */
export interface Status {
  status?: 'Success' | 'Failure';
  code: number;
  /** A metav1.StatusReason: Invalid, Conflict, BadRequest, InternalError, ServiceUnavailable... */
  reason: string;
  message: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
  };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  /** base64 of a JSON array of RFC 6902 operations. */
  patch?: string;
  patchType?: 'JSONPatch';
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

export interface AdmissionReview<T = AdmissionObject> {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_KIND;
  request?: AdmissionRequest<T>;
  response?: AdmissionResponse;
}

/** One RFC 6902 operation; the webhooks only ever need these three. */
export type JsonPatchOp = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** What a handler decides for one request; `respond` turns it into the wire form. */
export type AdmissionHandler = (request: AdmissionRequest) => Promise<AdmissionResponse>;

/** What a caller sending a body that is not a review should do instead. */
export const ADMISSION_REVIEW_HINT = `send {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{...}}; the webhook configuration must list admissionReviewVersions [v1]`;

/**
 * What is wrong with a body that should be an AdmissionReview v1 with a
 * request and uid, or undefined when it is one. Such a body is a caller
 * error (HTTP 400), not a denial: without a uid there is nothing the
 * apiserver would accept as an answer. The package raises its own error
 * (`CNPAAS_<PACKAGE>_BAD_REVIEW`) with `ADMISSION_REVIEW_HINT`.
 */
export function admissionReviewProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return 'not a JSON object';
  if (body['apiVersion'] !== ADMISSION_API_VERSION) return `apiVersion must be ${ADMISSION_API_VERSION}`;
  if (body['kind'] !== ADMISSION_KIND) return `kind must be ${ADMISSION_KIND}`;
  const request = body['request'];
  if (!isRecord(request)) return 'request is missing';
  if (typeof request['uid'] !== 'string' || request['uid'] === '') return 'request.uid is missing';
  const operation = request['operation'];
  if (operation !== 'CREATE' && operation !== 'UPDATE' && operation !== 'DELETE' && operation !== 'CONNECT') {
    return 'request.operation must be CREATE, UPDATE, DELETE or CONNECT';
  }
  if (!isRecord(request['kind']) || !isRecord(request['resource']))
    return 'request.kind or request.resource is missing';
  return undefined;
}

/** The body as a review with a request, after `admissionReviewProblem` found nothing wrong. */
export type CheckedAdmissionReview = AdmissionReview & { request: AdmissionRequest };

/** Checks the envelope and returns the review; a body that is not one is the package's BAD_REVIEW error (HTTP 400). */
export function parseAdmissionReview(body: unknown, error: ErrorFactory<AdmissionFailure>): CheckedAdmissionReview {
  const problem = admissionReviewProblem(body);
  if (problem !== undefined) {
    throw error('BAD_REVIEW', `request body is not an AdmissionReview: ${problem}`, {
      hint: ADMISSION_REVIEW_HINT,
      httpStatus: 400,
    });
  }
  return body as CheckedAdmissionReview;
}

/** The review sent back: same apiVersion and kind as the request, only a response. */
export function reviewResponse(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

export function allow(
  request: Pick<AdmissionRequest, 'uid'>,
  options: { warnings?: string[] } = {},
): AdmissionResponse {
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (options.warnings && options.warnings.length > 0) response.warnings = options.warnings;
  return response;
}

/**
 * Allows with a JSON patch. An empty patch is sent as no patch at all: the
 * apiserver treats both alike, and no patch keeps audit logs quieter.
 */
export function allowWithPatch(request: Pick<AdmissionRequest, 'uid'>, ops: readonly JsonPatchOp[]): AdmissionResponse {
  if (ops.length === 0) return allow(request);
  return {
    uid: request.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(ops), 'utf8').toString('base64'),
  };
}

export interface DenyOptions {
  /** HTTP status the client sees: 422 bad input, 409 duplicate, 503 retry later, 500 server fault. */
  code: number;
  /** metav1.StatusReason matching the code (Invalid, Conflict, ServiceUnavailable, InternalError...). */
  reason: string;
  message: string;
  details?: Status['details'];
}

export function deny(request: Pick<AdmissionRequest, 'uid'>, options: DenyOptions): AdmissionResponse {
  const status: Status = { status: 'Failure', code: options.code, reason: options.reason, message: options.message };
  if (options.details) status.details = options.details;
  return { uid: request.uid, allowed: false, status };
}

/** Decodes a response's patch (tests and debugging). */
export function decodePatch(response: AdmissionResponse): JsonPatchOp[] {
  if (!response.patch) return [];
  return JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as JsonPatchOp[];
}

/** Escapes one JSON Pointer segment (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function pointerSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
