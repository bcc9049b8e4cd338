/**
 * An HTTPTrigger's TLS material towards its target, from its spec and the
 * Secrets it names (in its own namespace):
 *
 * - the CA bundle: spec.tls.caBundle, or the key of spec.tls.caSecretRef,
 *   or else ca.crt of the client Secret if it has one (else the system's roots);
 * - the client certificate: tls.crt and tls.key of spec.tls.clientSecretRef.
 *   Without that reference the trigger presents no certificate at all.
 *
 * The trigger's own cluster identity is never part of it. Each problem is
 * one message for the HTTPTrigger's Ready condition.
 */
import { errorMessage } from '../errors.js';
import type { DeliveryTls } from './http-delivery.js';
import type { TriggerPlan } from './spec.js';

/** Reads a Secret's data, base64-decoded; undefined when the Secret does not exist. */
export type SecretReader = (ref: { namespace: string; name: string }) => Promise<Record<string, string> | undefined>;

export type TlsLoad =
  | { ok: true; tls: DeliveryTls }
  | { ok: false; reason: 'CABundleUnavailable' | 'ClientCertificateUnavailable'; message: string };

const PEM_CERT = '-----BEGIN CERTIFICATE-----';
const GRANT_HINT =
  'the trigger identity needs get on that Secret (a Role with resourceNames, see manifests/trigger-rbac.yaml)';

async function read(
  readSecret: SecretReader | undefined,
  ref: { namespace: string; name: string },
): Promise<{ data?: Record<string, string>; problem?: string }> {
  if (!readSecret) return { problem: 'this trigger cannot read Secrets' };
  try {
    const data = await readSecret(ref);
    return data ? { data } : { problem: 'not found' };
  } catch (err) {
    return { problem: errorMessage(err) };
  }
}

export async function loadDeliveryTls(
  plan: Pick<TriggerPlan, 'ca' | 'clientSecret'>,
  readSecret: SecretReader | undefined,
): Promise<TlsLoad> {
  const tls: DeliveryTls = {};
  if (plan.clientSecret) {
    const ref = plan.clientSecret;
    const { data, problem } = await read(readSecret, ref);
    const cert = data?.['tls.crt'];
    const key = data?.['tls.key'];
    if (!cert?.includes(PEM_CERT) || !key?.includes('PRIVATE KEY-----')) {
      const why = problem ?? 'needs tls.crt and tls.key, both PEM';
      return {
        ok: false,
        reason: 'ClientCertificateUnavailable',
        message: `client certificate Secret ${ref.namespace}/${ref.name}: ${why} (${GRANT_HINT})`,
      };
    }
    tls.cert = cert;
    tls.key = key;
    if (data?.['ca.crt']?.includes(PEM_CERT)) tls.ca = data['ca.crt'];
  }
  if (plan.ca.pem) tls.ca = plan.ca.pem;
  if (plan.ca.secretRef) {
    const ref = plan.ca.secretRef;
    const { data, problem } = await read(readSecret, ref);
    const pem = data?.[ref.key];
    if (!pem?.includes(PEM_CERT)) {
      return {
        ok: false,
        reason: 'CABundleUnavailable',
        message: `CA bundle Secret ${ref.namespace}/${ref.name} key ${ref.key}: ${problem ?? 'missing or not PEM'} (${GRANT_HINT})`,
      };
    }
    tls.ca = pem;
  }
  return { ok: true, tls };
}

/** Whether two loads carry the same material (a rotation replaces the object the deliverer holds). */
export function sameTls(a: DeliveryTls, b: DeliveryTls): boolean {
  return (
    String(a.ca ?? '') === String(b.ca ?? '') &&
    String(a.cert ?? '') === String(b.cert ?? '') &&
    String(a.key ?? '') === String(b.key ?? '')
  );
}
