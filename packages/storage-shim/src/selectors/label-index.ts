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
 * The requirements of `selector` the index answers, or none (only `!=`,
 * `notin`, `!key` or field requirements: those hold for objects without the
 * label, which no label row names). `=`/`==`/`in` come first, as they name
 * values and are usually the most selective; `key`, `key>n` and `key<n` need
 * the label to exist. The backend reads one of them (`mostSelective`); the
 * whole selector filters its candidates afterwards.
 */
export function indexLookups(selector: StoreSelector): LabelLookup[] {
  const byValue: LabelLookup[] = [];
  const exists: LabelLookup[] = [];
  for (const r of selector.labels.requirements) {
    switch (r.operator) {
      case '=':
      case '==':
      case 'in':
        byValue.push({ name: r.key, values: r.values });
        break;
      case 'exists':
      case '>':
      case '<':
        if (!exists.some((l) => l.name === r.key)) exists.push({ name: r.key, values: null });
        break;
      default:
        break;
    }
  }
  return [...byValue, ...exists];
}

/** The most rows the first probe of `mostSelective` counts: past it, "large" is all it needs to know. */
export const ESTIMATE_CAP = 10_000;

/**
 * Of several lookups, the one whose label rows are fewest, by `count(lookup,
 * cap)` (the rows, counted up to `cap`). Each probe is capped at the best
 * count so far, so a label every object has costs at most what the winner
 * does; a lookup with no rows ends the search. One lookup is returned as is.
 */
export function mostSelective(
  lookups: readonly LabelLookup[],
  count: (lookup: LabelLookup, cap: number) => number,
): LabelLookup {
  let best = lookups[0]!;
  if (lookups.length === 1) return best;
  let bestRows = count(best, ESTIMATE_CAP);
  for (const candidate of lookups.slice(1)) {
    if (bestRows === 0) break;
    const rows = count(candidate, bestRows);
    if (rows < bestRows) [best, bestRows] = [candidate, rows];
  }
  return best;
}

/**
 * Each backend's candidates for a selected Range, in key order: from its
 * label index when the selector has a requirement it answers and the driver
 * has one (the driver reads the most selective of them), otherwise every key of the range (the scan). The caller merges
 * them and applies the whole selector.
 */
export function selectedCandidates(
  drivers: readonly BackendDriver[],
  range: KeyRange,
  revision: number | null,
  selector: StoreSelector,
): KeyValue[][] {
  const lookups = indexLookups(selector);
  return drivers.map((d) =>
    lookups.length > 0 && d.rangeByLabel
      ? d.rangeByLabel(range, revision, lookups)
      : d.range(range, revision, -1, false),
  );
}
