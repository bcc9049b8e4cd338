#!/usr/bin/env node
// Sums vitest JSON reports (one per suite, written by each package's vitest
// config) into the one closing line CI prints: "N passed, N failed, N skipped".
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
const totals = { passed: 0, failed: 0, skipped: 0 };
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load has no failed tests but must still count as a failure.
  if (!report.success && (report.numFailedTests ?? 0) === 0)
    totals.failed += Math.max(1, report.numFailedTestSuites ?? 0);
}
if (files.length === 0) console.log('no test reports found in', dir);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
