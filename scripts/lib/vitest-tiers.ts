/**
 * One vitest configuration shape for every package, split into two tiers:
 *
 * - `unit`: everything named `*.test.ts` that is not `*.live.test.ts`. No child
 *   processes, no external servers (in-process loopback servers are fine), so
 *   the whole tier runs in well under two minutes and its result is cached.
 * - `live`: `*.live.test.ts`. Real etcd, cnpaas-store, kube-apiserver, a
 *   component's own bin. Files run one at a time where a package says so,
 *   because each starts its own stack and the CI machine has two cores.
 *
 * The tier comes from CNPAAS_TEST_TIER (set by the `test:unit` and `test:live`
 * scripts); without it both run, as `vitest run` in a package always did.
 * Each tier writes its own JSON report under test-results/, which
 * scripts/test-summary.mjs sums into CI's closing line.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export type TestTier = 'unit' | 'live';

export interface TierOptions {
  /** The package directory's name, used for the report's file name. */
  name: string;
  /** Globs (relative to the package) that hold tests; default `src/**`. */
  roots?: string[];
  /** Per-test (and, when over 20 s, per-hook) timeout in ms for the unit tier. */
  unitTimeout?: number;
  /** Per-test and per-hook timeouts in ms for the live tier. */
  liveTimeout?: number;
  liveHookTimeout?: number;
  /** Live files share one stack each and must not overlap on two cores. */
  liveSerial?: boolean;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tierFromEnv(value = process.env.CNPAAS_TEST_TIER): TestTier | 'all' {
  if (value === undefined || value === '' || value === 'all') return 'all';
  if (value === 'unit' || value === 'live') return value;
  throw new Error(`CNPAAS_TEST_TIER=${value} is not a test tier: use unit, live or all (or leave it unset)`);
}

export function tieredConfig(options: TierOptions): ViteUserConfig {
  const tier = tierFromEnv();
  const roots = options.roots ?? ['src'];
  const live = roots.map((root) => `${root}/**/*.live.test.ts`);
  const all = roots.map((root) => `${root}/**/*.test.ts`);
  const include = tier === 'live' ? live : all;
  const exclude = tier === 'unit' ? live : [];
  const serial = tier !== 'unit' && options.liveSerial === true;
  const timeout = tier === 'unit' ? (options.unitTimeout ?? 20_000) : (options.liveTimeout ?? 60_000);
  return defineConfig({
    test: {
      include,
      exclude: ['**/node_modules/**', '**/dist/**', ...exclude],
      fileParallelism: !serial,
      testTimeout: Math.max(timeout, options.unitTimeout ?? 0),
      // A package that gives its unit tests longer gives its hooks as long: the error
      // catalogue builds its TypeScript programs in a beforeAll.
      hookTimeout: tier === 'unit' ? Math.max(20_000, options.unitTimeout ?? 0) : (options.liveHookTimeout ?? 120_000),
      passWithNoTests: true,
      reporters: ['default', ['json', { outputFile: path.join(ROOT, 'test-results', `${options.name}-${tier}.json`) }]],
    },
  });
}
