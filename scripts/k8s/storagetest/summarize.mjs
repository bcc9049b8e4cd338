#!/usr/bin/env node
// Reads `go tool test2json` events (stdin, or a file argument) from the
// storage-test run, prints progress while they stream in and a summary at the
// end. Exit status: 0 when every test passed or skipped itself and at least
// one ran, 1 otherwise. Used by storage-test.sh; see STORAGE-TESTS.md.
//
//   summarize.mjs [FILE] [--target T] [--verbose] [--quiet]
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
let file;
let target = 'store';
let verbose = false;
let quiet = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--target') target = args[++i];
  else if (a === '--verbose') verbose = true;
  else if (a === '--quiet') quiet = true;
  else if (a.startsWith('--')) {
    console.error(`summarize.mjs: unknown flag ${a}`);
    process.exit(2);
  } else file = a;
}

const out = (line) => process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
const key = (e) => `${e.Package}\u0000${e.Test ?? ''}`;
const output = new Map(); // key -> output lines
const results = []; // {pkg, test, action, elapsed}
const pkgResults = new Map(); // pkg -> {action, elapsed}
const skipReasons = new Map(); // "pkg test" -> reason

const fmt = (s) =>
  s === undefined
    ? ''
    : s < 60
      ? `${s.toFixed(1)}s`
      : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

function skipReason(lines) {
  // "    store_test.go:42: reason\n" lines before "--- SKIP:"
  const text = lines
    .filter((l) => !/^(=== |--- SKIP)/.test(l.trimStart()))
    .join('')
    .trim();
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' | ') || '(no reason given)'
  );
}

function onEvent(e) {
  const k = key(e);
  switch (e.Action) {
    case 'output': {
      if (!output.has(k)) output.set(k, []);
      output.get(k).push(e.Output);
      if (verbose) process.stdout.write(e.Output);
      return;
    }
    case 'pass':
    case 'fail':
    case 'skip': {
      if (!e.Test) {
        pkgResults.set(e.Package, { action: e.Action, elapsed: e.Elapsed });
        if (e.Action === 'fail' && !results.some((r) => r.pkg === e.Package && r.action === 'fail')) {
          // The binary failed outside any test (build, panic in init, timeout): show its tail.
          const lines = output.get(k) ?? [];
          if (!verbose) out(lines.slice(-60).join(''));
        }
        if (!quiet) out(`${e.Action === 'fail' ? 'FAIL' : 'ok  '} package ${e.Package} ${fmt(e.Elapsed)}`);
        return;
      }
      results.push({ pkg: e.Package, test: e.Test, action: e.Action, elapsed: e.Elapsed });
      const top = !e.Test.includes('/');
      if (e.Action === 'skip') skipReasons.set(`${e.Package} ${e.Test}`, skipReason(output.get(k) ?? []));
      if (e.Action === 'fail' && !verbose) {
        out(`--- FAIL ${e.Package} ${e.Test} (${fmt(e.Elapsed)}), output:`);
        out((output.get(k) ?? []).join('').trimEnd());
      }
      if (top && !quiet && !verbose) {
        const tag = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[e.Action];
        out(`${tag} ${e.Package} ${e.Test} ${fmt(e.Elapsed)}`);
      }
      // Keep memory bounded: passed tests' output is not needed any more.
      if (e.Action === 'pass') output.delete(k);
      return;
    }
    default:
      return;
  }
}

const input = file ? createReadStream(file) : process.stdin;
const rl = createInterface({ input, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.startsWith('{')) {
    if (line.trim()) out(line);
    continue;
  }
  let e;
  try {
    e = JSON.parse(line);
  } catch {
    out(line);
    continue;
  }
  onEvent(e);
}

const top = results.filter((r) => !r.test.includes('/'));
const sub = results.filter((r) => r.test.includes('/'));
const count = (rs, a) => rs.filter((r) => r.action === a).length;
const failedTests = results.filter((r) => r.action === 'fail');
const failedPkgs = [...pkgResults].filter(([, r]) => r.action === 'fail').map(([p]) => p);

out('');
out(`storage-test summary (${target}):`);
for (const [pkg, r] of pkgResults) {
  const rs = top.filter((t) => t.pkg === pkg);
  out(
    `  ${pkg.padEnd(10)} ${r.action.padEnd(4)} ${String(count(rs, 'pass')).padStart(4)} passed ${String(count(rs, 'fail')).padStart(3)} failed ${String(count(rs, 'skip')).padStart(3)} skipped  ${fmt(r.elapsed)}`,
  );
}
out(`  subtests: ${count(sub, 'pass')} passed, ${count(sub, 'fail')} failed, ${count(sub, 'skip')} skipped`);
for (const [t, reason] of skipReasons) if (!t.includes('/')) out(`  skipped ${t}: ${reason}`);
if (failedTests.length > 0) {
  out('  failed:');
  for (const r of failedTests) out(`    ${r.pkg} ${r.test}`);
}
const packageOnly = failedPkgs.filter((p) => !failedTests.some((r) => r.pkg === p));
for (const p of packageOnly) out(`  package ${p} failed outside any test (see its output above)`);
if (top.length === 0) out('  no test ran');
out(
  `storage-test (${target}): ${count(top, 'pass')} passed, ${count(top, 'fail') + packageOnly.length} failed, ${count(top, 'skip')} skipped`,
);
process.exit(failedTests.length === 0 && failedPkgs.length === 0 && top.length > 0 ? 0 : 1);
