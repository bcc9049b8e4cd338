import type { KeyRange } from '../keys.js';
import type { BackendDriver, LabelLookup } from '../mvcc/backend.js';
import type { KeyValue } from '../types.js';
import type { StoreSelector } from './selector.js';
import { readStoredObject } from './stored-object.js';

/**
 * The label index: what a backend records of each stored version so that a
 * label-selected Range reads only the keys that may match instead of every
 * key of the range (src/mvcc/range.ts). A driver writes one row per label of
 * each version it stores, in the same transaction as the version itself, and
 * closes them when the version is superseded or deleted; compaction removes
 * them with the version (sqlite-label-index.ts is SQLite's).
 *
 * A version whose labels cannot be read — a protobuf value, any other
 * non-JSON value, labels that are not a string map — gets one marker row
 * instead (`UNREADABLE`), and every lookup returns the marked keys too:
 * `mayMatch` keeps such a value, so the index must never leave it out. A JSON
 * object without `metadata.labels` has no labels and gets no row at all.
 *
 * A version's rows are found again (to close them) by reading its labels
 * from its value with `labelRowsOf`, so the rows must follow from the value
 * alone: a change to what `labelRowsOf` returns needs the index rebuilt.
 */

/**
 * The marker of a version whose labels cannot be read. The empty name is no
 * valid label key, so no selector can ask for it.
 */
export const UNREADABLE: readonly [string, string] = ['', ''];

/** The index rows of a stored value: one [name, value] per label, or the marker alone. */
export function labelRowsOf(value: Buffer): ReadonlyArray<readonly [string, string]> {
  const labels = readStoredObject(value)?.labels;
  if (!labels) return [UNREADABLE];
  // A label named "" (no valid key, so no selector asks for it) would read as the marker.
  return [...labels].filter(([name]) => name !== '');
}

/**
 * The requirement of `selector` the index answers, or undefined when it has
 * none (only `!=`, `notin`, `!key` or field requirements: those hold for
 * objects without the label, which no label row names). `=`/`==`/`in` come
 * first, as they name values; `key`, `key>n` and `key<n` need the label to
 * exist. The other requirements filter the candidates afterwards.
 */
export function indexLookup(selector: StoreSelector): LabelLookup | undefined {
  let exists: LabelLookup | undefined;
  for (const r of selector.labels.requirements) {
    switch (r.operator) {
      case '=':
      case '==':
      case 'in':
        return { name: r.key, values: r.values };
      case 'exists':
      case '>':
      case '<':
        exists ??= { name: r.key, values: null };
        break;
      default:
        break;
    }
  }
  return exists;
}

/**
 * Each backend's candidates for a selected Range, in key order: from its
 * label index when the selector has a requirement it answers and the driver
 * has one, otherwise every key of the range (the scan). The caller merges
 * them and applies the whole selector.
 */
export function selectedCandidates(
  drivers: readonly BackendDriver[],
  range: KeyRange,
  revision: number | null,
  selector: StoreSelector,
): KeyValue[][] {
  const lookup = indexLookup(selector);
  return drivers.map((d) =>
    lookup && d.rangeByLabel ? d.rangeByLabel(range, revision, lookup) : d.range(range, revision, -1, false),
  );
}
