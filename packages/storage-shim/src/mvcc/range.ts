import type { KeyValue, RangeRequest, RangeResponse, SortTarget } from '../types.js';
import { type KeyRange, NUL, isEmptyRange, mergeByKey } from '../keys.js';
import type { BackendDriver } from './backend.js';
import type { PageCounts } from './page-counts.js';
import { compileSelector } from '../selectors/selector.js';
import { selectedCandidates } from '../selectors/label-index.js';

/**
 * A read of a committed revision (the store's read views, not a batch's):
 * the revision its state is, and the counts of continuations learnt from
 * earlier pages (page-counts.ts).
 */
export interface CommittedRead {
  revision: number;
  counts: PageCounts;
}

/**
 * etcd's Range semantics over one or more backends (apply.go Range and
 * mvcc rangeKeys): count is taken before the min/max filters, `more` after
 * them, and non-key sorts happen on the (limit+1) keys fetched in key order.
 *
 * With a label or field selector (selector push-down) only the keys the
 * selector may match exist for the request: `count` counts them, `limit`
 * and `more` are about them. The candidates come from each backend's label
 * index when the selector has a requirement it answers, otherwise every key
 * of the range is read, with its value (selectors/label-index.ts); either way
 * the whole selector decides.
 */
export function rangeAt(
  drivers: BackendDriver[],
  req: RangeRequest,
  range: KeyRange,
  historical: number | null,
  committed?: CommittedRead,
): Omit<RangeResponse, 'revision'> {
  if (isEmptyRange(range)) return { kvs: [], more: false, count: 0 };
  const plan = planRange(req);
  const { selector, fetchLimit } = plan;
  const known = knownCount(plan, range, committed);
  const countOf = () => known ?? drivers.reduce((n, d) => n + d.count(range, historical), 0);
  if (req.countOnly && !selector) return { kvs: [], more: false, count: countOf() };
  let kvs = mergeByKey(
    selector
      ? selectedCandidates(drivers, range, historical, selector)
      : drivers.map((d) => d.range(range, historical, fetchLimit, plan.dropValues)),
    fetchLimit,
  );
  if (selector) kvs = kvs.filter((kv) => selector.mayMatch(kv.value));
  return remember(plan, range, committed, finishRange(req, kvs, fullPage(plan, kvs) ? countOf() : kvs.length));
}

/** The drivers' asynchronous reads (BackendDriver.rangeAsync and countAsync). */
export type AsyncReader = Required<Pick<BackendDriver, 'rangeAsync' | 'countAsync'>>;

/**
 * `rangeAt` over backends that read without blocking the event loop (a
 * network database): the same rows, counts and answer, with the page's rows
 * and then, only if the page is full, the count each read in one round trip.
 * Without a selector (those are evaluated on the synchronous path).
 */
export async function rangeAtAsync(
  drivers: AsyncReader[],
  req: RangeRequest,
  range: KeyRange,
  historical: number | null,
  committed?: CommittedRead,
): Promise<Omit<RangeResponse, 'revision'>> {
  if (isEmptyRange(range)) return { kvs: [], more: false, count: 0 };
  const plan = planRange(req);
  const known = knownCount(plan, range, committed);
  const countOf = async () =>
    known ?? (await Promise.all(drivers.map((d) => d.countAsync(range, historical)))).reduce((a, b) => a + b, 0);
  if (req.countOnly) return { kvs: [], more: false, count: await countOf() };
  // A page of a list (several keys, a limit) is usually full and then counted: the count is read beside the
  // rows rather than after them, unless the page before left it (page-counts.ts). A point read never fills
  // a page, and is not counted.
  const counting = range.end !== null && plan.fetchLimit > 0 && known === undefined ? countOf() : undefined;
  counting?.catch(() => undefined);
  const pages = await Promise.all(
    drivers.map((d) => d.rangeAsync(range, historical, plan.fetchLimit, plan.dropValues)),
  );
  const kvs = mergeByKey(pages, plan.fetchLimit);
  const count = fullPage(plan, kvs) ? await (counting ?? countOf()) : kvs.length;
  return remember(plan, range, committed, finishRange(req, kvs, count));
}

interface RangePlan {
  selector: ReturnType<typeof compileSelector>;
  /** Keys to read in key order: limit + 1 (to know `more`), or -1 for all when a filter or sort needs them all. */
  fetchLimit: number;
  /** Values are dropped in SQL for keys_only, unless the sort or a selector needs them. */
  dropValues: boolean;
  /**
   * The keys answered are the first keys of the range in key order (a limit, no sort, no revision
   * filter, no selector): the rest of the range after them holds `count` minus their number.
   */
  firstKeys: boolean;
}

function planRange(req: RangeRequest): RangePlan {
  const selector = compileSelector(req);
  const fetchAll = req.sortOrder !== 'NONE' || revisionFiltered(req) || selector !== undefined;
  return {
    selector,
    fetchLimit: !fetchAll && req.limit > 0 ? req.limit + 1 : -1,
    dropValues: req.keysOnly && req.sortTarget !== 'VALUE' && !selector,
    firstKeys: !fetchAll && req.limit > 0 && req.sortTarget === 'KEY',
  };
}

/**
 * The count a page before this one left for its range. `count` does not
 * depend on the limit, the sort or the revision filters (it is taken before
 * them), only on the range, the revision and a selector.
 */
function knownCount(plan: RangePlan, range: KeyRange, committed: CommittedRead | undefined): number | undefined {
  // A single key (a Get) is never a continuation.
  if (!committed || plan.selector || range.end === null) return undefined;
  return committed.counts.get(range, committed.revision);
}

/** A page that has more after it leaves the count of the rest of its range for the page that continues it. */
function remember(
  plan: RangePlan,
  range: KeyRange,
  committed: CommittedRead | undefined,
  page: Omit<RangeResponse, 'revision'>,
): Omit<RangeResponse, 'revision'> {
  if (!page.more || !plan.firstKeys || !committed || range.end === null) return page;
  const last = page.kvs[page.kvs.length - 1]!.key;
  committed.counts.set(
    { start: Buffer.concat([last, NUL]), end: range.end },
    committed.revision,
    page.count - page.kvs.length,
  );
  return page;
}

/** A page that filled its limit does not know how many keys the range holds: they are counted. */
function fullPage(plan: RangePlan, kvs: readonly KeyValue[]): boolean {
  return plan.fetchLimit > 0 && kvs.length >= plan.fetchLimit;
}

/** The revision filters, the sort, the limit and keys_only, on the keys read (count taken before them). */
function finishRange(req: RangeRequest, read: KeyValue[], count: number): Omit<RangeResponse, 'revision'> {
  let kvs = read;
  if (req.countOnly) return { kvs: [], more: false, count };
  if (revisionFiltered(req)) kvs = kvs.filter((kv) => passes(req, kv));
  let order = req.sortOrder;
  if (req.sortTarget !== 'KEY' && order === 'NONE') order = 'ASCEND';
  if (order !== 'NONE' && !(req.sortTarget === 'KEY' && order === 'ASCEND')) {
    const cmp = comparator(req.sortTarget);
    kvs.sort(order === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
  }
  let more = false;
  if (req.limit > 0 && kvs.length > req.limit) {
    kvs = kvs.slice(0, req.limit);
    more = true;
  }
  if (req.keysOnly) kvs = kvs.map((kv) => (kv.value.length === 0 ? kv : { ...kv, value: Buffer.alloc(0) }));
  return { kvs, more, count };
}

function revisionFiltered(req: RangeRequest): boolean {
  return req.minModRevision > 0 || req.maxModRevision > 0 || req.minCreateRevision > 0 || req.maxCreateRevision > 0;
}

function passes(req: RangeRequest, kv: KeyValue): boolean {
  if (req.maxModRevision > 0 && kv.modRevision > req.maxModRevision) return false;
  if (req.minModRevision > 0 && kv.modRevision < req.minModRevision) return false;
  if (req.maxCreateRevision > 0 && kv.createRevision > req.maxCreateRevision) return false;
  if (req.minCreateRevision > 0 && kv.createRevision < req.minCreateRevision) return false;
  return true;
}

function comparator(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'KEY':
      return (a, b) => Buffer.compare(a.key, b.key);
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.createRevision - b.createRevision;
    case 'MOD':
      return (a, b) => a.modRevision - b.modRevision;
    case 'VALUE':
      return (a, b) => Buffer.compare(a.value, b.value);
  }
}
