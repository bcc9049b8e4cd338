import type { Router } from '../routing/router.js';
import type { BackendDriver } from './backend.js';

/** Stored keys of one backend that the router would look for in another one. */
export interface Misplaced {
  /** The backend that holds them. */
  readonly backend: string;
  readonly count: number;
  /** The first few, in key order, each with the backend the router names for it. */
  readonly sample: ReadonlyArray<{ key: Buffer; routedTo: string }>;
}

const PAGE = 10_000;
const SAMPLE = 3;

/**
 * The keys each of `backends` holds that `router` does not route to it: keys
 * a read would no longer find and a write would shadow in another database.
 * The store moves no data between backends, so a topology that misplaces a key
 * is refused rather than adopted. Reads every current key of each backend once
 * (keys only, a page at a time), so it runs only when the routing changed.
 */
export function misplacedKeys(options: {
  drivers: ReadonlyMap<string, BackendDriver>;
  router: Router;
  /** Which backends to read; all of them by default. */
  backends?: readonly string[];
  /** Keys read per statement. */
  pageSize?: number;
}): Misplaced[] {
  const { drivers, router, pageSize = PAGE } = options;
  const found: Misplaced[] = [];
  for (const name of options.backends ?? [...drivers.keys()]) {
    const driver = drivers.get(name)!;
    let count = 0;
    const sample: Array<{ key: Buffer; routedTo: string }> = [];
    let start = Buffer.from([0]);
    for (;;) {
      const page = driver.range({ start, end: Buffer.alloc(0) }, null, pageSize, true);
      for (const kv of page) {
        const routedTo = router.backendFor(kv.key);
        if (routedTo === name) continue;
        count++;
        if (sample.length < SAMPLE) sample.push({ key: kv.key, routedTo });
      }
      if (page.length < pageSize) break;
      // The next page starts just after the last key: the same key followed by a zero byte.
      start = Buffer.concat([page.at(-1)!.key, Buffer.from([0])]);
    }
    if (count > 0) found.push({ backend: name, count, sample });
  }
  return found;
}

/** One line per backend, for an error message: "tenants holds 2 keys routed elsewhere (/a → main, …)". */
export function describeMisplaced(found: readonly Misplaced[]): string {
  return found
    .map((m) => {
      const keys = m.sample.map((s) => `${s.key.toString()} → ${s.routedTo}`).join(', ');
      const more = m.count > m.sample.length ? ', …' : '';
      return `backend "${m.backend}" holds ${m.count} key(s) routed elsewhere (${keys}${more})`;
    })
    .join('; ');
}
