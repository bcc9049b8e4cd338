import type { FieldLookup } from './field-selector.js';

/**
 * What a selector can see of a stored value: the object's labels and its
 * fields, read from the JSON kube-apiserver wrote
 * (`--storage-media-type=application/json`).
 *
 * The store does not know the resource, so a field is read as a dotted path
 * on the stored object (`spec.color` → `{"spec":{"color":…}}`) and compared
 * in the string form Kubernetes gives a field: a string as it is, a boolean
 * as `true`/`false`, an integer in decimal. Where that reading could differ
 * from the field set kube-apiserver builds for the resource, the answer is
 * "unknown", and an unknown never excludes an object:
 * - a path that is missing, except `metadata.name` and `metadata.namespace`
 *   (kube-apiserver reads those from ObjectMeta, where missing is ""): some
 *   built-in field labels are computed (a Job's `status.successful`, a
 *   Node's `spec.unschedulable` that JSON leaves out when false);
 * - a value that is an object, an array, null or a non-integral number.
 * kube-apiserver applies the selector again to everything the store returns,
 * so returning more than matches costs only bandwidth; leaving out an object
 * that matches would be a bug.
 */
export interface StoredObject {
  /** undefined: the labels cannot be read (not a string map). */
  labels: ReadonlyMap<string, string> | undefined;
  field: FieldLookup;
}

/** kube-apiserver's protobuf envelope starts with these bytes; the store cannot read such a value. */
const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A committed change reaches every live watcher as the same Buffer, and each
 * selecting watcher (a kubelet's `spec.nodeName=…`, say) reads it: the value
 * is parsed once per Buffer, not once per watcher. Keyed by identity, so the
 * entries go with the Buffers.
 */
const parsed = new WeakMap<Buffer, StoredObject | null>();

/** The object a value holds, or undefined when it is not a JSON object (protobuf, other bytes). */
export function readStoredObject(value: Buffer): StoredObject | undefined {
  const known = parsed.get(value);
  if (known !== undefined) return known ?? undefined;
  const object = parse(value);
  parsed.set(value, object ?? null);
  return object;
}

function parse(value: Buffer): StoredObject | undefined {
  if (value.length === 0 || value[0] !== 0x7b /* { */) return undefined;
  if (value.subarray(0, PROTOBUF_MAGIC.length).equals(PROTOBUF_MAGIC)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const root = parsed;
  return { labels: labelsOf(root), field: (path) => fieldOf(root, path) };
}

function labelsOf(root: Record<string, Json>): ReadonlyMap<string, string> | undefined {
  const metadata = root['metadata'];
  if (metadata === undefined) return new Map();
  if (!isObject(metadata)) return undefined;
  const labels = metadata['labels'];
  if (labels === undefined || labels === null) return new Map();
  if (!isObject(labels)) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== 'string') return undefined;
    out.set(k, v);
  }
  return out;
}

/** ObjectMeta fields kube-apiserver reads as "" when they are absent. */
const META_STRINGS = new Set(['metadata.name', 'metadata.namespace']);

function fieldOf(root: Record<string, Json>, path: string): string | undefined {
  let node: Json | undefined = root;
  for (const part of path.split('.')) {
    node = isObject(node) && Object.hasOwn(node, part) ? node[part] : undefined;
    if (node === undefined) return META_STRINGS.has(path) ? '' : undefined;
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'boolean') return node ? 'true' : 'false';
  if (typeof node === 'number' && Number.isSafeInteger(node)) return String(node);
  return undefined;
}
