import { expect, it } from 'vitest';
import {
  ctl,
  normalizeJson,
  normalizeText,
  parseJson,
  parseJsonLines,
  unb64,
  type CtlResult,
  type Side,
} from './etcdctl-harness.js';

/**
 * The table-driven part of the etcdctl suite: a step is one etcdctl command
 * (or a small custom action) run against the store and etcd at the same time,
 * checked on both (so the oracle proves each assertion is right), then
 * compared after normalization.
 */

export interface Step {
  /**
   * The command line after `etcdctl`, split on spaces. `{R+n}` is the scenario's
   * start revision plus n, `{lease:x}` the hex ID of lease x, `''` an empty argument.
   */
  cmd?: string;
  /** Text for etcdctl's stdin (txn); the same placeholders apply. */
  stdin?: string;
  /** A custom action instead of cmd (background watchers, polling); its title is `title`. */
  run?: (side: Side) => Promise<CtlResult>;
  title?: string;
  /** How the two outputs are compared: json (normalized documents), text, or not at all. Default: json for `-w json`, else text. */
  compare?: 'json' | 'text' | 'none';
  /** Removes what legitimately differs for this step (a lease's remaining TTL, Go map order). */
  normalize?: (out: any) => any;
  /** Assertions on one side's result; run on etcd first, then the store. */
  check?: (r: CtlResult, side: Side) => void;
}

export function expand(side: Side, text: string): string {
  return text
    .replace(/\{R\+(\d+)\}/g, (_, n: string) => String(side.rev0 + Number(n)))
    .replace(/\{lease:(\w+)\}/g, (_, name: string) => {
      const id = side.leases.get(name);
      if (id === undefined) throw new Error(`lease ${name} was not granted on ${side.name}`);
      return id.toString(16).padStart(16, '0');
    });
}

export function argv(side: Side, cmd: string): string[] {
  return expand(side, cmd)
    .split(' ')
    .filter((a) => a !== '')
    .map((a) => (a === "''" ? '' : a));
}

function describeResult(r: CtlResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

function attribute(side: Side, title: string, r: CtlResult, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) err.message = `[${side.name}] ${title}: ${err.message}\n${describeResult(r)}`;
    throw err;
  }
}

function comparable(step: Step, side: Side, r: CtlResult, mode: 'json' | 'text'): unknown {
  const stderr = normalizeText(side, r.stderr).trim();
  let stdout: unknown = normalizeText(side, r.stdout);
  if (mode === 'json' && r.code === 0) {
    const docs = (stdout as string).trim().startsWith('[') ? [parseJson(r.stdout)] : parseJsonLines(r.stdout);
    stdout = docs.map((d) => normalizeJson(side, d));
  }
  if (step.normalize) stdout = step.normalize(stdout);
  return { exit: r.code, stdout, stderr };
}

/** Registers one step as a vitest test; steps of a scenario run in order and share the sides' state. */
export function defineStep(sides: () => [Side, Side], step: Step): void {
  const title = step.title ?? step.cmd ?? 'custom step';
  it(title, async () => {
    const [store, etcd] = sides();
    const exec = (side: Side): Promise<CtlResult> => {
      if (step.run) return step.run(side);
      if (!step.cmd) throw new Error('step needs cmd or run');
      return ctl(side, argv(side, step.cmd), step.stdin === undefined ? {} : { stdin: expand(side, step.stdin) });
    };
    const [rs, re] = await Promise.all([exec(store), exec(etcd)]);
    if (step.check) {
      attribute(etcd, title, re, () => step.check!(re, etcd));
      attribute(store, title, rs, () => step.check!(rs, store));
    }
    const mode = step.compare ?? (/-w json/.test(step.cmd ?? '') ? 'json' : 'text');
    if (mode !== 'none') {
      expect(
        comparable(step, store, rs, mode),
        `store differs from etcd for ${title}\n[store] ${describeResult(rs)}\n[etcd] ${describeResult(re)}`,
      ).toEqual(comparable(step, etcd, re, mode));
    }
  });
}

// --- assertion helpers -------------------------------------------------------

/** Asserts success and returns stdout. */
export function ok(r: CtlResult): string {
  expect(r.code, 'exit code').toBe(0);
  return r.stdout;
}

export function json(r: CtlResult): any {
  return parseJson(ok(r));
}

/** Asserts that etcdctl failed with exactly this error line. */
export function fails(r: CtlResult, error: string, code = 1): void {
  expect(r.code, 'exit code').toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('Error:'));
  expect(lines).toEqual([`Error: ${error}`]);
}

export interface Kv {
  key: string;
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: string;
}

/** Decodes an etcdctl JSON KeyValue (base64 bytes, omitted zero fields). */
export function kv(raw: any): Kv {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    create: Number(raw.create_revision ?? 0),
    mod: Number(raw.mod_revision ?? 0),
    version: Number(raw.version ?? 0),
    lease: String(raw.lease ?? 0),
  };
}

export function kvs(doc: any): Kv[] {
  return (doc.kvs ?? []).map(kv);
}

/** A check of the answer's JSON document (`-w json`). */
export function onJson(check: (doc: any, side: Side) => void): NonNullable<Step['check']> {
  return (r, side) => check(json(r), side);
}

/** A check that the answer is at revision rev0 + n of the scenario, then `more` on its JSON document. */
export function atRevision(n: number, more?: (doc: any, side: Side) => void): NonNullable<Step['check']> {
  return onJson((doc, side) => {
    expect(revision(doc)).toBe(side.rev0 + n);
    more?.(doc, side);
  });
}

/** A check that a get found exactly these key-values, written against the side (its rev0, its leases). */
export function found(expected: (side: Side) => Kv[]): NonNullable<Step['check']> {
  return (r, side) => expect(kvs(json(r))).toEqual(expected(side));
}

export function keys(doc: any): string[] {
  return kvs(doc).map((k) => k.key);
}

export function revision(doc: any): number {
  return Number(doc.header?.revision ?? doc.Header?.revision ?? doc.revision);
}
