#!/usr/bin/env node
// Sums vitest JSON reports (one per suite, written by each package's vitest
// config) into the closing lines CI prints. Failed tests are named, with the
// first lines of their message, last: CI shows only the tail of a long log.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const dir = process.argv[2] ?? 'test-results';
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load has no failed tests but must still count as a failure.
  if (!report.success && (report.numFailedTests ?? 0) === 0)
    totals.failed += Math.max(1, report.numFailedTestSuites ?? 0);
  for (const suite of report.testResults ?? []) {
    const where = relative(process.cwd(), suite.name ?? '');
    const failed = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
    if (failed.length === 0 && suite.status === 'failed')
      failures.push({ where, title: '(the file failed to load)', message: suite.message ?? '' });
    for (const t of failed)
      failures.push({ where, title: t.fullName ?? t.title, message: (t.failureMessages ?? []).join('\n') });
  }
}
if (files.length === 0) console.log('no test reports found in', dir);
for (const f of failures) {
  console.log(`FAILED ${f.where} › ${f.title}`);
  const lines = f.message
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 8);
  for (const line of lines) console.log(`    ${line.slice(0, 300)}`);
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
