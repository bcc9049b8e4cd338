/**
 * What the browser may see of an object. The console reads with an identity
 * that could read more than a person should see, so every object passes
 * through here on its way out:
 *
 * - `spec.password` (a RegistrationRequest's hash) and Secret `data` /
 *   `stringData` are removed;
 * - any field named like a password or a hash (`password`, `passwordHash`,
 *   …), any annotation whose name says password, and any string shaped like
 *   a PHC hash (`$scrypt$…`, `$argon2…`) anywhere are removed, so a field
 *   added to a CRD later cannot leak one either;
 * - `last-applied-configuration` (a copy of whatever was applied) and
 *   `managedFields` (noise) go too.
 *
 * It returns a copy; the cached object is never changed.
 */
const SECRET_KEY = /pass(word|wd)|hash|secret|token/i;
const HASH_SHAPED = /^\$(scrypt|argon2(id|i|d)?|2[aby]?|pbkdf2[-a-z0-9]*|sha(256|512)?)\$/i;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

interface ObjectLike {
  kind?: unknown;
  metadata?: { annotations?: Record<string, string>; managedFields?: unknown; [k: string]: unknown };
  spec?: Record<string, unknown>;
  data?: unknown;
  stringData?: unknown;
  [k: string]: unknown;
}

export function sanitizeObject<T>(object: T): T {
  if (object === null || typeof object !== 'object') return object;
  const copy = structuredClone(object) as ObjectLike;
  if (copy.kind === 'Secret') {
    delete copy.data;
    delete copy.stringData;
  }
  if (copy.spec && typeof copy.spec === 'object') delete copy.spec['password'];
  const meta = copy.metadata;
  if (meta && typeof meta === 'object') {
    delete meta.managedFields;
    if (meta.annotations) {
      for (const key of Object.keys(meta.annotations))
        if (key === LAST_APPLIED || SECRET_KEY.test(key)) delete meta.annotations[key];
    }
  }
  return scrub(copy) as T;
}

/** Removes password-like keys and hash-shaped strings at any depth (annotations were handled by name above). */
function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !isHashShaped(v)).map(scrub);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(record)) {
    if (SECRET_KEY.test(key) || isHashShaped(v)) delete record[key];
    else record[key] = scrub(v);
  }
  return record;
}

function isHashShaped(value: unknown): boolean {
  return typeof value === 'string' && HASH_SHAPED.test(value);
}
