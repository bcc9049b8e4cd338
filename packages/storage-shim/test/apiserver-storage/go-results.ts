/**
 * Reads the `go tool test2json` event stream that scripts/k8s/storage-test.sh
 * writes with `--json FILE`, for the vitest suite beside this file.
 */

export interface GoEvent {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
  Elapsed?: number;
}

export interface GoResults {
  /** Top-level tests as `package/TestName`, by outcome. */
  passed: string[];
  failed: string[];
  skipped: string[];
  /** Failed subtests as `package/TestName/sub`. */
  failedSubtests: string[];
  /** Packages whose binary failed outside any test (panic, timeout, build). */
  brokenPackages: string[];
  /** Packages that reported a result at all. */
  packages: string[];
  /** Output of each failed test (top level and subtests), and of broken packages, by name. */
  output: Map<string, string>;
}

export function parseTest2json(text: string): GoResults {
  const r: GoResults = {
    passed: [],
    failed: [],
    skipped: [],
    failedSubtests: [],
    brokenPackages: [],
    packages: [],
    output: new Map(),
  };
  const buffers = new Map<string, string[]>();
  const pkgFailed = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: GoEvent;
    try {
      e = JSON.parse(line) as GoEvent;
    } catch {
      continue;
    }
    const pkg = e.Package ?? '?';
    const name = e.Test ? `${pkg}/${e.Test}` : pkg;
    if (e.Action === 'output') {
      const b = buffers.get(name) ?? [];
      b.push(e.Output ?? '');
      buffers.set(name, b);
      continue;
    }
    if (e.Action !== 'pass' && e.Action !== 'fail' && e.Action !== 'skip') continue;
    if (!e.Test) {
      r.packages.push(pkg);
      pkgFailed.set(pkg, e.Action === 'fail');
      if (e.Action === 'fail') r.output.set(pkg, (buffers.get(pkg) ?? []).join('').slice(-8000));
      continue;
    }
    if (e.Action === 'fail') r.output.set(name, (buffers.get(name) ?? []).join(''));
    buffers.delete(name);
    if (e.Test.includes('/')) {
      if (e.Action === 'fail') r.failedSubtests.push(name);
      continue;
    }
    ({ pass: r.passed, fail: r.failed, skip: r.skipped })[e.Action].push(name);
  }
  for (const [pkg, failed] of pkgFailed) {
    if (failed && !r.failed.some((t) => t.startsWith(`${pkg}/`))) r.brokenPackages.push(pkg);
  }
  return r;
}

/** The failures' output, shortened, for an assertion message. */
export function failureReport(r: GoResults, limit = 12_000): string {
  const names = [...r.failed, ...r.failedSubtests, ...r.brokenPackages];
  let text = '';
  for (const n of names) {
    const out = (r.output.get(n) ?? '').trim();
    if (!out) continue;
    text += `\n--- ${n}\n${out.length > 3000 ? `…${out.slice(-3000)}` : out}\n`;
    if (text.length > limit) return `${text.slice(0, limit)}\n… (more in the --json event file)`;
  }
  return text;
}
