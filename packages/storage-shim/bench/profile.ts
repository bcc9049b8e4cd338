import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * `--profile=DIR`: the store runs under `node --cpu-prof`, and its main
 * thread's profile is summarised here, so a missed target comes with where the
 * store's time went. The profile spans the whole run (every row), so it says
 * where the time goes in general, not in one row.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The main thread's profile in DIR: node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile, thread 0 first. */
export function mainThreadProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => f.split('.')[4] === '0') ?? files[0];
  return main === undefined ? undefined : join(dir, main);
}

const frameName = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? ` ${basename(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
};

export interface ProfileSummary {
  totalMs: number;
  /** Functions by their own (self) time, largest first. */
  top: Array<{ name: string; ms: number; share: number }>;
  /** Time with a frame of each named group on the stack (inclusive), as a share of the total. */
  groups: Array<{ name: string; share: number }>;
}

/** Self time per function, and inclusive time per group (`groups` maps a label to a test on frames). */
export function summariseProfile(
  file: string,
  groups: Record<string, (frame: ProfileNode['callFrame']) => boolean>,
  topN = 12,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inGroup = new Map<string, number>(Object.keys(groups).map((g) => [g, 0]));
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || us <= 0) return;
    total += us;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + us);
    for (const [g, test] of Object.entries(groups)) {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (test(byId.get(at)!.callFrame)) {
          inGroup.set(g, inGroup.get(g)! + us);
          break;
        }
      }
    }
  });
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return {
    totalMs: total / 1000,
    top,
    groups: [...inGroup.entries()].map(([name, us]) => ({ name, share: total > 0 ? us / total : 0 })),
  };
}

/** The summary as note lines for the output. */
export function profileLines(s: ProfileSummary): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `store CPU profile (main thread, whole run, ${(s.totalMs / 1000).toFixed(1)} s sampled; share of the time with such a frame on the stack, so groups overlap): ${s.groups.map((g) => `${g.name} ${pct(g.share)}`).join('; ')}`,
    `store CPU profile, top functions by self time: ${s.top.map((t) => `${t.name} ${pct(t.share)}`).join(', ')}`,
  ];
}
