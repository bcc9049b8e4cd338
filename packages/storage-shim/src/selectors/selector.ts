import { badSelector } from '../errors.js';
import { type FieldSelector, parseFieldSelector } from './field-selector.js';
import { type LabelSelector, SelectorSyntaxError, parseLabelSelector } from './label-selector.js';
import { readStoredObject } from './stored-object.js';

/**
 * The label and field selector of one Range or Watch (selector push-down):
 * decides whether the store may leave a stored value out of the answer.
 * `mayMatch` is false only when the object certainly does not match; a value
 * the store cannot read (protobuf, not JSON) is always kept, since
 * kube-apiserver filters again what it receives.
 */
export class StoreSelector {
  constructor(
    readonly labels: LabelSelector,
    readonly fields: FieldSelector,
  ) {}

  mayMatch(value: Buffer): boolean {
    const object = readStoredObject(value);
    if (!object) return true;
    if (!this.labels.empty && object.labels && !this.labels.matches(object.labels)) return false;
    return this.fields.mayMatch(object.field);
  }
}

/** What a request carries: the two selector strings, absent or empty when it has none. */
export interface SelectorStrings {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/**
 * kube-apiserver sends the same few selectors over and over (one per
 * informer), so parsed ones are kept; the cache is dropped whole when full,
 * which bounds it without bookkeeping.
 */
const CACHE_LIMIT = 512;
const cache = new Map<string, StoreSelector>();

function parsed<T>(kind: 'label' | 'field', selector: string, parser: (selector: string) => T): T {
  try {
    return parser(selector);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw badSelector({ kind, selector, reason: err.message });
    throw err;
  }
}

/**
 * The request's selector, or undefined when it selects everything (no
 * selector, or only empty ones). Throws CNPAAS_STORE_BAD_SELECTOR
 * (INVALID_ARGUMENT) for a string Kubernetes would not parse.
 */
export function compileSelector(req: SelectorStrings): StoreSelector | undefined {
  const label = req.labelSelector ?? '';
  const field = req.fieldSelector ?? '';
  if (label === '' && field === '') return undefined;
  const cacheKey = `${label}\u0000${field}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const selector = new StoreSelector(
    parsed('label', label, parseLabelSelector),
    parsed('field', field, parseFieldSelector),
  );
  if (selector.labels.empty && selector.fields.empty) return undefined;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(cacheKey, selector);
  return selector;
}
