/**
 * Summarises a V8 CPU profile (`node --cpu-prof`) of the store over one time
 * window (a benchmark phase): self time by category and the top functions.
 * V8 stamps samples with the same monotonic clock as process.hrtime, so a
 * phase's window recorded by the benchmark cuts the store's profile exactly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled µs inside the window. */
  totalUs: number;
  categories: Array<{ name: string; share: number }>;
  functions: Array<{ name: string; where: string; share: number }>;
}

/**
 * The main thread's profile in dir (the store writes one per thread when it exits:
 * CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread,
 * the others are its worker threads, e.g. the WAL checkpointer).
 */
export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  return (main.length > 0 ? main : files)
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

const SQLITE_NATIVES = new Set([
  'run',
  'get',
  'all',
  'iterate',
  'exec',
  'prepare',
  'pluck',
  'raw',
  'expand',
  'columns',
  'bind',
  'pragma',
  'backup',
  'serialize',
]);

/** Which part of the process a frame's self time belongs to. */
export function category(frame: CallFrame, parent: CallFrame | undefined): string {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return 'idle (waiting for requests)';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'V8 / native outside JS';
  // Statement methods (get, run, all) are native without a frame of their own: their time shows
  // as the calling store function's self time. exec has a JS wrapper: BEGIN IMMEDIATE and COMMIT
  // (the WAL write and its fsync, on the event loop).
  if (url === '' && SQLITE_NATIVES.has(fn) && parent && /better-sqlite3|storage-shim/.test(parent.url))
    return 'better-sqlite3 (BEGIN/COMMIT incl. the fsync)';
  if (url.includes('better-sqlite3')) return 'better-sqlite3 (BEGIN/COMMIT incl. the fsync)';
  if (url.includes('@grpc/grpc-js')) return 'grpc-js';
  if (/node:internal\/http2|node:http2/.test(url)) return 'Node http2';
  if (url.includes('storage-shim/dist') || url.includes('storage-shim/src')) {
    const file = /storage-shim\/(?:dist|src)\/(.*?)\.[jt]s$/.exec(url)?.[1] ?? '?';
    if (/codec|proto|wire/.test(file)) return 'store: codecs';
    if (/metric/.test(file)) return 'store: metrics';
    return 'store code (incl. the SQLite statements it runs)';
  }
  if (url.includes('prom-client')) return 'store: metrics';
  if (url.includes('pino')) return 'logging (pino)';
  if (url.includes('protobufjs') || url.includes('proto-loader')) return 'protobufjs';
  if (url === '') return 'other native (Node bindings)';
  if (url.startsWith('node:')) return 'Node internals (net, streams, timers)';
  return 'other JS';
}

export function summarise(file: string, windowUs: [number, number], top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);

  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < windowUs[0] || t > windowUs[1]) continue;
    // A sample stands for the time until the next one.
    const dur = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dur);
    totalUs += dur;
  }

  const cats = new Map<string, number>();
  const fns = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const cat = category(node.callFrame, parentOf.get(id)?.callFrame);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const parent = parentOf.get(id)?.callFrame;
    const where = url
      ? `${url.replace(/^file:\/\/.*?node_modules\//, '').replace(/^file:\/\/.*?packages\//, '')}:${lineNumber + 1}`
      : parent
        ? `native, called from ${parent.functionName || '(anonymous)'}`
        : 'native';
    const key = `${functionName}|${where}`;
    const entry = fns.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
  }
  const share = (us: number) => (totalUs > 0 ? us / totalUs : 0);
  return {
    file,
    totalUs,
    categories: [...cats].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, share: share(us) })),
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, share: share(f.us) })),
  };
}
