/**
 * What the trigger POSTs. Two shapes are accepted:
 * - the Email object itself (`{apiVersion, kind: "Email", metadata, spec, …}`),
 *   what the original HTTPTrigger's `{{ toJson . }}` body renders
 *   (serverless-kube-watch-trigger, as the original demo configures it);
 * - a watch event `{type, object}` with the Email as `object`.
 *
 * Only the object's namespace, name and uid are used: the function reads
 * the current Email from the API before deciding anything, so a stale or
 * replayed event cannot resurrect a sent Email. DELETED events are ignored.
 */
import { FunctionsError } from '../errors.js';
import type { EmailRef } from '../claim/email-status-store.js';

export interface EmailEvent {
  ref: EmailRef;
  uid: string;
  /** ADDED, MODIFIED, DELETED; undefined for a bare object. */
  type: string | undefined;
}

const UID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

function badEvent(message: string): FunctionsError {
  return new FunctionsError('CNPAAS_FUNCTIONS_BAD_EVENT', message, {
    httpStatus: 422,
    hint: 'POST the Email object, or a watch event {type, object} carrying it',
  });
}

export function parseEmailEvent(body: unknown): EmailEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badEvent('body is not a JSON object');
  const envelope = body as Record<string, unknown>;
  const isEvent = typeof envelope['type'] === 'string' && typeof envelope['object'] === 'object';
  const object = (isEvent ? envelope['object'] : envelope) as Record<string, unknown> | null;
  if (!object || typeof object !== 'object') throw badEvent('event has no object');
  if (object['kind'] !== undefined && object['kind'] !== 'Email') throw badEvent('object is not an Email');
  const meta = (object['metadata'] ?? {}) as Record<string, unknown>;
  const { name, namespace, uid } = meta;
  if (typeof name !== 'string' || name === '' || typeof namespace !== 'string' || namespace === '')
    throw badEvent('metadata.name and metadata.namespace are required');
  if (typeof uid !== 'string' || !UID.test(uid)) throw badEvent('metadata.uid is required');
  return { ref: { namespace, name }, uid, type: isEvent ? (envelope['type'] as string) : undefined };
}
