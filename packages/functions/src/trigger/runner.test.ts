/**
 * The watch → delivery → progress wiring on an in-memory apiserver
 * collection (a minimal fake written here: the operator's test support is
 * not exported). It replays history from a resourceVersion like a real
 * watch, answers 410 Gone below its compaction point, and sends bookmarks.
 * That the apiserver behaves the same (bookmarks, 410 on a compacted
 * resourceVersion, RBAC) is proven by the live suites on a real apiserver (e2e/).
 */
import { ApiException, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import {
  FakeClock,
  keyOf,
  type ListerWatcher,
  Manager,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from '@cnpaas/kube';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { testCa, testLeaf } from '@cnpaas/service-kit/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { testPki } from '../test-support.js';
import type { AttemptResult } from './delivery-queue.js';
import { addTriggerController } from './controller.js';
import type { HttpRequest } from './http-delivery.js';
import { TriggerMetrics } from './metrics.js';
import { TriggerRunner, type ListScope } from './runner.js';
import { planTrigger, type TriggerPlan } from './spec.js';
import { TriggerStatusWriter, type StatusPatcher } from './status-writer.js';
import { targetPolicy } from './target-policy.js';
import { TRIGGER_CLASS_LABEL, type HTTPTrigger, type HTTPTriggerSpec } from './types.js';

const log = createLogger({ level: 'silent' });
type Obj = KubernetesObject & { spec?: unknown; status?: object };

interface Active {
  scope: ListScope;
  /** `prev`: the object before a MODIFIED, to tell one that left or entered the scope (as the apiserver does). */
  onEvent(e: WatchEvent<KubernetesObject>, prev?: KubernetesObject): void;
  end(): void;
  fail(err: unknown): void;
}

/** The two forms `triggerSelector` makes, `key=value` and `!key`, as kube-apiserver reads them (comma = and). */
function matchesLabels(o: KubernetesObject, selector: string | undefined): boolean {
  const labels = o.metadata?.labels ?? {};
  return (selector ?? '')
    .split(',')
    .filter(Boolean)
    .every((term) => {
      if (term.startsWith('!')) return !(term.slice(1) in labels);
      const [key, value] = term.split('=');
      if (value === undefined) throw new Error(`the fake reads only key=value and !key, not ${term}`);
      return labels[key!] === value;
    });
}

class FakeApi {
  readonly objects = new Map<string, Obj>();
  readonly history: Array<{ rv: number; event: WatchEvent<KubernetesObject>; prev?: KubernetesObject }> = [];
  rv = 100;
  compactedTo = 0;
  lists = 0;
  readonly watches: string[] = [];
  failNext: Error | undefined;
  readonly #active = new Set<Active>();

  view(scope: ListScope = {}): ListerWatcher<KubernetesObject> {
    const inScope = (o: KubernetesObject) =>
      (!scope.namespace || o.metadata?.namespace === scope.namespace) && matchesLabels(o, scope.labelSelector);
    return {
      list: async (): Promise<KubernetesListObject<KubernetesObject>> => {
        this.lists++;
        this.#maybeFail();
        return {
          metadata: { resourceVersion: String(this.rv) },
          items: [...this.objects.values()].filter(inScope).map((o) => structuredClone(o)),
        };
      },
      watch: (options: WatchOptions, onEvent: (e: WatchEvent<KubernetesObject>) => void): WatchHandle => {
        this.watches.push(`${scope.namespace ?? '*'}@${options.resourceVersion}`);
        let active!: Active;
        const done = new Promise<void>((resolve, reject) => {
          active = {
            scope,
            onEvent: (e, prev) => {
              // kube-apiserver's watch with a selector: an object that leaves it is DELETED, one that enters ADDED.
              const now = inScope(e.object);
              const before = prev !== undefined && inScope(prev);
              if (e.type === 'MODIFIED' && prev !== undefined && now !== before)
                onEvent({ ...e, type: now ? 'ADDED' : 'DELETED' });
              else if (now) onEvent(e);
            },
            end: resolve,
            fail: reject,
          };
        });
        void done.then(
          () => this.#active.delete(active),
          () => this.#active.delete(active),
        );
        queueMicrotask(() => {
          try {
            this.#maybeFail();
            const from = Number(options.resourceVersion);
            if (from < this.compactedTo) throw new ApiException(410, 'too old resource version', '{}', {});
            for (const h of this.history) if (h.rv > from) active.onEvent(structuredClone(h.event), h.prev);
            this.#active.add(active);
          } catch (err) {
            active.fail(err);
          }
        });
        return { done, abort: () => active.end() };
      },
    };
  }

  put(obj: Obj): Obj {
    const key = keyOf(obj);
    const prev = this.objects.get(key);
    const type = prev ? 'MODIFIED' : 'ADDED';
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    if (type === 'ADDED') stored.metadata.uid ??= `uid-${stored.metadata.name}`;
    this.objects.set(key, stored);
    this.#emit({ type, object: stored }, prev);
    return stored;
  }

  remove(key: string): void {
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.#emit({
      type: 'DELETED',
      object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } },
    });
  }

  bookmark(): void {
    const rv = String(++this.rv);
    for (const a of this.#active)
      a.onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: rv, namespace: a.scope.namespace } } });
  }

  /** The server ends every open watch normally (its timeout). */
  endWatches(): void {
    for (const a of [...this.#active]) a.end();
  }

  /** Drops all history: watching from an older resourceVersion answers 410. */
  compact(): void {
    this.compactedTo = this.rv;
    this.history.length = 0;
  }

  #emit(event: WatchEvent<KubernetesObject>, prev?: KubernetesObject): void {
    this.history.push({ rv: this.rv, event: structuredClone(event), ...(prev ? { prev } : {}) });
    for (const a of this.#active) a.onEvent(structuredClone(event), prev);
  }

  #maybeFail(): void {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
  }
}

/** A target whose answer the test decides per object name. */
class FakeTarget {
  readonly requests: HttpRequest[] = [];
  answer: (name: string, request: HttpRequest) => AttemptResult = () => ({ result: 'delivered', status: 200 });
  async send(request: HttpRequest): Promise<AttemptResult> {
    this.requests.push(request);
    return this.answer(nameIn(request), request);
  }
  close(): void {}
  /** "TYPE name" for each request, in order. */
  log(): string[] {
    return this.requests.map(
      (r) => `${r.headers['x-cnpaas-event-type']} ${nameIn(r)}${r.headers['x-cnpaas-synthetic'] ? ' (synthetic)' : ''}`,
    );
  }
}

function nameIn(request: HttpRequest): string {
  return (JSON.parse(request.body!) as { object: { metadata: { name: string } } }).object.metadata.name;
}

const email = (name: string, namespace = 't-1'): Obj => ({
  apiVersion: 'webshop.cnpaas.dev/v1',
  kind: 'Email',
  metadata: { name, namespace },
  spec: { subject: name },
});

function triggerObject(
  spec: Partial<HTTPTriggerSpec> = {},
  meta: { namespace?: string; name?: string; generation?: number } = {},
): HTTPTrigger {
  return {
    apiVersion: 'platform.cnpaas.dev/v1',
    kind: 'HTTPTrigger',
    metadata: {
      name: meta.name ?? 'email',
      namespace: meta.namespace ?? 'cnpaas-system',
      uid: 'trig-1',
      generation: meta.generation ?? 1,
    },
    spec: {
      resource: { group: 'webshop.cnpaas.dev', version: 'v1', resource: 'emails', kind: 'Email' },
      url: 'https://127.0.0.1:8443/email',
      ...spec,
    },
  };
}

function planOf(trigger: HTTPTrigger): TriggerPlan {
  const planned = planTrigger(trigger, {
    clusterTriggerNamespaces: ['cnpaas-system'],
    targets: targetPolicy({ allow: ['127.0.0.1:8443'] }),
  });
  if (!planned.ok) throw new Error(planned.message);
  return planned.plan;
}

class RecordingPatcher implements StatusPatcher {
  readonly patches: Array<Record<string, unknown>> = [];
  async patch(_target: { namespace: string; name: string }, status: Record<string, unknown>): Promise<void> {
    this.patches.push(structuredClone(status));
  }
  last(): Record<string, unknown> | undefined {
    return this.patches.at(-1);
  }
}

/** A fresh clock, in-memory apiserver and delivery target: what a runner (or two in turn) works against. */
const fakes = () => ({ clock: new FakeClock(0), api: new FakeApi(), target: new FakeTarget() });

function runnerFor(options: {
  api: FakeApi;
  target: FakeTarget;
  spec?: Partial<HTTPTriggerSpec>;
  clock: FakeClock;
  patcher?: RecordingPatcher;
  initial?: HTTPTrigger['status'];
}) {
  const trigger = triggerObject(options.spec);
  const plan = planOf(trigger);
  const patcher = options.patcher ?? new RecordingPatcher();
  const streams = plan.namespaces ?? [''];
  const status = new TriggerStatusWriter({
    target: { namespace: 'cnpaas-system', name: 'email' },
    patcher,
    initial: options.initial ?? {},
    generation: 1,
    fingerprint: plan.fingerprint,
    streams,
    intervalMs: 1_000,
    clock: options.clock,
    log,
  });
  const runner = new TriggerRunner({
    plan,
    trigger,
    status,
    log,
    clock: options.clock,
    random: () => 1,
    listerWatcherFor: (_resource, scope) => options.api.view(scope),
    sender: options.target,
    metrics: new TriggerMetrics(),
    watchBackoff: { initialMs: 100, maxMs: 100 },
  });
  return { runner, status, patcher, plan };
}

describe('TriggerRunner: resume semantics', () => {
  it('never moves the resume point past an undelivered event; a restart replays it, nothing is skipped', async () => {
    const { clock, api, target } = fakes();
    let smtpDown = true;
    target.answer = (name) =>
      name === 'a' && smtpDown
        ? { result: 'retry', reason: 'HTTP 503', status: 503 }
        : { result: 'delivered', status: 200 };
    const spec = { delivery: { concurrency: 2, retries: 100, backoff: { initialSeconds: 1, maxSeconds: 1 } } };
    const first = runnerFor({ api, target, spec, clock });
    first.runner.start({ '': '100' });
    await clock.settle();
    api.put(email('a')); // rv 101: keeps failing
    api.put(email('b')); // rv 102: delivered
    api.bookmark(); // rv 103
    await clock.advance(5_000);
    expect(target.log().filter((l) => l === 'ADDED b')).toHaveLength(1);
    expect(target.log().filter((l) => l === 'ADDED a').length).toBeGreaterThan(3);
    expect(first.status.progress()).toEqual({ '': '100' });
    expect(first.patcher.last()).toMatchObject({
      deliveredCount: 1,
      failedCount: 0,
      lastDeliveredResourceVersion: '100',
    });

    // Crash-like stop: the in-flight retry is dropped, unfinished.
    const progress = await first.runner.stop(0);
    expect(progress).toEqual({ '': '100' });
    expect(first.patcher.last()).toMatchObject({ watchFingerprint: first.plan.fingerprint });

    smtpDown = false;
    target.requests.length = 0;
    api.put(email('c')); // rv 104, while no trigger runs
    const second = runnerFor({ api, target, spec, clock, initial: first.status.snapshot() });
    second.runner.start(progress);
    await clock.advance(2_000);
    // a is replayed (and b again: at least once), c is not missed.
    expect(target.log()).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
    expect(api.watches.at(-1)).toBe('*@100');
    expect(second.status.progress()).toEqual({ '': '104' });
    await clock.advance(1_000);
    expect(second.patcher.last()).toMatchObject({ lastDeliveredResourceVersion: '104', deliveredCount: 4 });
    await second.runner.stop();
  });

  it('on 410 Gone at resume: relists and delivers the current objects as synthetic ADDED, then resumes at the list', async () => {
    const { clock, api, target } = fakes();
    api.put(email('old')); // 101
    api.put(email('gone')); // 102
    api.remove('t-1/gone'); // 103
    api.compact();
    const { runner, status } = runnerFor({ api, target, clock, spec: { eventTypes: ['ADDED', 'DELETED'] } });
    runner.start({ '': '101' });
    await clock.advance(1_000);
    expect(api.lists).toBe(1);
    expect(target.log()).toEqual(['ADDED old (synthetic)']);
    expect(target.requests[0]!.headers['x-cnpaas-resource-version']).toBeUndefined();
    expect(status.progress()).toEqual({ '': '103' });
    api.put(email('new')); // 104
    await clock.advance(1_000);
    expect(target.log()).toEqual(['ADDED old (synthetic)', 'ADDED new']);
    expect(target.requests[1]!.headers['x-cnpaas-resource-version']).toBe('104');
    expect(status.progress()).toEqual({ '': '104' });
    await runner.stop();
  });

  it('a relist mid-run synthesizes DELETED for objects that vanished while the watch was gone', async () => {
    const { clock, api, target } = fakes();
    const { runner, status } = runnerFor({ api, target, clock, spec: { eventTypes: ['ADDED', 'DELETED'] } });
    runner.start({ '': '100' });
    await clock.settle();
    api.put(email('x')); // 101
    api.put(email('stays')); // 102
    await clock.advance(2_000);
    // x is deleted while the watch is down, and that history is compacted away.
    api.objects.delete('t-1/x');
    api.rv++; // 103
    api.compact();
    api.endWatches();
    await clock.advance(1_000);
    expect(target.log()).toEqual(['ADDED x', 'ADDED stays', 'ADDED stays (synthetic)', 'DELETED x (synthetic)']);
    expect(status.progress()).toEqual({ '': '103' });
    await runner.stop();
  });

  it('first start: existing objects go out as synthetic ADDED (sendInitialEvents), or not at all when off', async () => {
    for (const sendInitialEvents of [true, false]) {
      const { clock, api, target } = fakes();
      api.put(email('before')); // 101
      const { runner, status } = runnerFor({ api, target, clock, spec: { sendInitialEvents } });
      runner.start({});
      await clock.advance(1_000);
      api.put(email('after')); // 102
      await clock.advance(1_000);
      expect(target.log()).toEqual(sendInitialEvents ? ['ADDED before (synthetic)', 'ADDED after'] : ['ADDED after']);
      expect(status.progress()).toEqual({ '': '102' });
      await runner.stop();
    }
  });

  it('filters event types; unwanted events still move the resume point; synthetic objects go out as MODIFIED for a MODIFIED-only trigger', async () => {
    const { clock, api, target } = fakes();
    api.put(email('existing')); // 101
    const { runner, status } = runnerFor({ api, target, clock, spec: { eventTypes: ['MODIFIED'] } });
    runner.start({});
    await clock.advance(1_000);
    api.put(email('n')); // 102 ADDED: not wanted
    api.put({ ...email('n'), spec: { subject: 'changed' } }); // 103 MODIFIED
    api.remove('t-1/n'); // 104 DELETED: not wanted
    await clock.advance(1_000);
    expect(target.log()).toEqual(['MODIFIED existing (synthetic)', 'MODIFIED n']);
    expect(status.progress()).toEqual({ '': '104' });
    await runner.stop();
  });

  it('gives up on an event after its retries, records it, and goes on', async () => {
    const { clock, api, target } = fakes();
    target.answer = (name) =>
      name === 'bad' ? { result: 'permanent', reason: 'HTTP 422', status: 422 } : { result: 'delivered', status: 200 };
    const { runner, status } = runnerFor({ api, target, clock });
    runner.start({ '': '100' });
    await clock.settle();
    api.put(email('bad')); // 101
    api.put(email('good')); // 102
    await clock.advance(1_000);
    expect(target.log()).toEqual(['ADDED bad', 'ADDED good']);
    const s = status.snapshot();
    expect(s).toMatchObject({ deliveredCount: 1, failedCount: 1, lastDeliveredResourceVersion: '102' });
    expect(s.lastError).toMatch(/ADDED t-1\/bad \(resourceVersion 101\): gave up after 1 attempt\(s\): HTTP 422/);
    expect(s.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'False', reason: 'Delivering' });
    await runner.stop();
  });

  it('with several namespaces keeps one resume point per namespace', async () => {
    const { clock, api, target } = fakes();
    const { runner, status, patcher } = runnerFor({ api, target, clock, spec: { namespaces: ['t-1', 't-2'] } });
    runner.start({ 't-1': '100', 't-2': '100' });
    await clock.settle();
    api.put(email('a', 't-1')); // 101
    api.put(email('b', 't-2')); // 102
    await clock.advance(1_000);
    expect(target.log().sort()).toEqual(['ADDED a', 'ADDED b']);
    expect(status.progress()).toEqual({ 't-1': '101', 't-2': '102' });
    expect(api.watches.sort()).toEqual(['t-1@100', 't-2@100']);
    await runner.stop();
    expect(patcher.last()).toMatchObject({
      namespaceResourceVersions: { 't-1': '101', 't-2': '102' },
      lastDeliveredResourceVersion: '101',
    });
  });

  it('reports a forbidden watch in Ready with the fix, and recovers', async () => {
    const { clock, api, target } = fakes();
    api.failNext = new ApiException(403, 'forbidden', '{}', {});
    const { runner, status } = runnerFor({ api, target, clock });
    runner.start({ '': '100' });
    await clock.settle();
    expect(status.condition('Ready')).toMatchObject({
      status: 'False',
      reason: 'Forbidden',
      message: expect.stringMatching(/may not list\/watch emails\.webshop\.cnpaas\.dev\/v1: grant/),
    });
    await clock.advance(100);
    api.put(email('a'));
    await clock.advance(100);
    expect(target.log()).toEqual(['ADDED a']);
    expect(status.condition('Ready')).toMatchObject({ status: 'True', reason: 'Watching' });
    await runner.stop();
  });
});

describe('HTTPTrigger controller (runtime Manager, in-memory API)', () => {
  /**
   * real: no test sender, the controller's own HttpDeliverer, with these targets allowed and these Secrets
   * ("namespace/name" → data). instance: its trigger class, and the clock and collections of another
   * instance to share (two trigger processes on one apiserver).
   */
  async function setup(
    real?: { allow: string[]; secrets: Record<string, Record<string, string>> },
    instance: { triggerClass?: string; shared?: { clock: FakeClock; triggers: FakeApi; emails: FakeApi } } = {},
  ) {
    const clock = instance.shared?.clock ?? new FakeClock(0);
    const triggers = instance.shared?.triggers ?? new FakeApi();
    const emails = instance.shared?.emails ?? new FakeApi();
    const target = new FakeTarget();
    const patches: Array<{ key: string; status: Record<string, unknown> }> = [];
    const patcher: StatusPatcher = {
      async patch(t, status) {
        patches.push({ key: `${t.namespace}/${t.name}`, status: structuredClone(status) });
        const current = triggers.objects.get(`${t.namespace}/${t.name}`);
        if (!current) throw new ApiException(404, 'not found', '{}', {});
        const merged = { ...current.status } as Record<string, unknown>;
        for (const [k, v] of Object.entries(status))
          if (v === null) delete merged[k];
          else merged[k] = v;
        triggers.put({ ...current, status: merged }); // a status write is a MODIFIED event, like the apiserver's
      },
    };
    const events: string[] = [];
    const manager = new Manager({
      listerWatcher: (_resource, scope) => triggers.view(scope),
      clock,
      log,
      registry: new Registry(),
      informerDefaults: { resyncPeriodMs: 0, watchTimeoutSeconds: 300 },
    });
    const set = addTriggerController({
      manager,
      ...(instance.triggerClass ? { triggerClass: instance.triggerClass } : {}),
      listerWatcherFor: (_r, scope) => emails.view(scope),
      statusPatcher: patcher,
      ...(real
        ? {
            readSecret: async (ref: { namespace: string; name: string }) =>
              real.secrets[`${ref.namespace}/${ref.name}`],
          }
        : { senderFor: () => target }),
      targets: targetPolicy({
        allow: ['127.0.0.1:8443', ...(real?.allow ?? [])],
        apiserverUrl: 'https://10.0.0.1:6443',
      }),
      events: { publish: async (e) => (events.push(`${e.type} ${e.reason}`), true) },
      metrics: new TriggerMetrics({ registry: manager.metrics.registry }),
      statusIntervalMs: 1_000,
      clock,
      runner: { random: () => 1, watchBackoff: { initialMs: 100, maxMs: 100 } },
      log,
    });
    const running = manager.start();
    return { clock, triggers, emails, target, patches, events, manager, set, running };
  }

  it('runs a valid trigger, writes progress without restarting itself, and resumes after a spec change without redelivering', async () => {
    const { clock, triggers, emails, target, patches, manager, set, running } = await setup();
    emails.put(email('existing')); // 101
    triggers.put(triggerObject()); // rv 101 in its own collection
    await clock.advance(1_000);
    const runner = set.get('cnpaas-system/email');
    expect(runner).toBeDefined();
    expect(target.log()).toEqual(['ADDED existing (synthetic)']);
    emails.put(email('new')); // 102
    await clock.advance(3_000);
    expect(target.log()).toEqual(['ADDED existing (synthetic)', 'ADDED new']);
    expect(set.get('cnpaas-system/email')).toBe(runner); // its own status writes did not restart it
    const stored = triggers.objects.get('cnpaas-system/email')!.status as Record<string, unknown>;
    expect(stored).toMatchObject({
      observedGeneration: 1,
      lastDeliveredResourceVersion: '102',
      deliveredCount: 2,
      failedCount: 0,
    });
    expect(
      (stored['conditions'] as Array<{ type: string; status: string }>).find((c) => c.type === 'Ready')?.status,
    ).toBe('True');
    expect(patches.length).toBeLessThan(6); // rate-limited
    const metrics = await manager.metrics.registry.metrics();
    expect(metrics).toContain('cnpaas_trigger_deliveries_total{trigger="cnpaas-system/email",outcome="delivered"} 2');
    expect(metrics).toContain(
      'cnpaas_trigger_delivery_attempts_total{trigger="cnpaas-system/email",result="delivered"} 2',
    );
    expect(metrics).toMatch(/cnpaas_trigger_delivery_duration_seconds_count\{trigger="cnpaas-system\/email"\} 2/);

    // A spec change (new generation) replaces the runner; same watch, so it resumes: nothing is sent twice.
    const current = triggers.objects.get('cnpaas-system/email')!;
    triggers.put({
      ...current,
      metadata: { ...current.metadata, generation: 2 },
      spec: { ...(current.spec as object), headers: { 'x-team': 'shop' } },
    });
    await clock.advance(1_000);
    expect(set.get('cnpaas-system/email')).not.toBe(runner);
    emails.put(email('third')); // 103
    await clock.advance(1_000);
    expect(target.log()).toEqual(['ADDED existing (synthetic)', 'ADDED new', 'ADDED third']);
    expect(target.requests.at(-1)!.headers['x-team']).toBe('shop');

    triggers.remove('cnpaas-system/email');
    await clock.advance(1_000);
    expect(set.get('cnpaas-system/email')).toBeUndefined();
    await set.stopAll();
    await manager.stop();
    await running;
  });

  it('runs only the HTTPTriggers of its class: the default instance the unlabelled ones, a class instance its own; a relabelled one moves over', async () => {
    const demo = await setup();
    const shelf = await setup(undefined, { triggerClass: 'shelf-keeper', shared: demo });
    const { clock, triggers, emails } = demo;
    const labelled = (name: string, triggerClass: string) => {
      const t = triggerObject({}, { name });
      t.metadata!.uid = `trig-${name}`;
      t.metadata!.labels = { [TRIGGER_CLASS_LABEL]: triggerClass };
      return t;
    };
    emails.put(email('existing'));
    triggers.put(triggerObject());
    triggers.put(labelled('shelf', 'shelf-keeper'));
    triggers.put(labelled('other', 'someone-else'));
    await clock.advance(1_000);
    expect(demo.set.keys()).toEqual(['cnpaas-system/email']);
    expect(shelf.set.keys()).toEqual(['cnpaas-system/shelf']);
    // Each delivered its own trigger's events; nobody wrote the status of a trigger of another class.
    expect(demo.target.log()).toEqual(['ADDED existing (synthetic)']);
    expect(shelf.target.log()).toEqual(['ADDED existing (synthetic)']);
    expect(new Set(demo.patches.map((p) => p.key))).toEqual(new Set(['cnpaas-system/email']));
    expect(new Set(shelf.patches.map((p) => p.key))).toEqual(new Set(['cnpaas-system/shelf']));
    expect(triggers.objects.get('cnpaas-system/other')!.status).toBeUndefined();

    // Without the label, the trigger is the default instance's: the class instance stops it, the default one runs it.
    const moved = structuredClone(triggers.objects.get('cnpaas-system/shelf')!);
    moved.metadata!.labels = {};
    triggers.put(moved);
    await clock.advance(1_000);
    expect(shelf.set.keys()).toEqual([]);
    expect(demo.set.keys().sort()).toEqual(['cnpaas-system/email', 'cnpaas-system/shelf']);

    for (const i of [demo, shelf]) {
      await i.set.stopAll();
      await i.manager.stop();
      await i.running;
    }
  });

  it('reports invalid triggers (also loopback and apiserver targets) in Ready=False with a Warning Event and runs nothing', async () => {
    const { clock, triggers, emails, target, patches, events, manager, set, running } = await setup();
    triggers.put(triggerObject({ url: 'http://127.0.0.1:8443/' }, { name: 'plain-http' }));
    triggers.put(triggerObject({ namespaces: ['t-1'] }, { namespace: 'shop', name: 'peeks' }));
    triggers.put(triggerObject({ body: { template: '{{ .object' } }, { name: 'broken-template' }));
    triggers.put(triggerObject({ url: 'https://127.0.0.1:2379/v3/kv/put' }, { name: 'loopback' }));
    triggers.put(
      triggerObject(
        { url: 'https://10.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/cnpaas-system/leases/cnpaas-trigger' },
        { name: 'apiserver' },
      ),
    );
    emails.put(email('a'));
    await clock.advance(1_000);
    const reasons = Object.fromEntries(
      patches.map((p) => [
        p.key,
        (p.status['conditions'] as Array<{ type: string; reason: string; status: string }>)[0]!,
      ]),
    );
    expect(reasons['cnpaas-system/plain-http']).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(reasons['shop/peeks']).toMatchObject({ status: 'False', reason: 'NamespaceNotAllowed' });
    expect(reasons['cnpaas-system/broken-template']).toMatchObject({ status: 'False', reason: 'InvalidTemplate' });
    expect(reasons['cnpaas-system/loopback']).toMatchObject({
      status: 'False',
      reason: 'TargetNotAllowed',
      message: expect.stringMatching(
        /127\.0\.0\.1:2379: 127\.0\.0\.1 is a loopback address; .*--allow-target 127\.0\.0\.1:2379/,
      ),
    });
    expect(reasons['cnpaas-system/apiserver']).toMatchObject({
      status: 'False',
      reason: 'TargetNotAllowed',
      message: expect.stringContaining("the kube-apiserver's own address"),
    });
    expect(events.sort()).toEqual([
      'Warning InvalidSpec',
      'Warning InvalidTemplate',
      'Warning NamespaceNotAllowed',
      'Warning TargetNotAllowed',
      'Warning TargetNotAllowed',
    ]);
    expect(set.keys()).toEqual([]);
    // Never called: the Email that exists would have gone out as a synthetic ADDED.
    expect(target.requests).toEqual([]);
    // The status writes come back as updates: no second write for the same generation.
    const count = patches.length;
    await clock.advance(5_000);
    expect(patches.length).toBe(count);
    await set.stopAll();
    await manager.stop();
    await running;
  });

  it('as wired, delivers with no client certificate, or with the one the HTTPTrigger names in its own Secret', async () => {
    const pki = await testPki();
    const deliveryCa = await testCa('cnpaas-delivery-ca');
    const deliveryClient = await testLeaf({ commonName: 'cnpaas-trigger', ca: deliveryCa, usage: 'client' });
    const arrived: Array<{ path: string; cn: string | undefined; issuer: string | undefined }> = [];
    // Asks for a client certificate and takes requests without one: it records what the trigger presented.
    const server = https.createServer(
      { key: pki.server.key, cert: pki.server.cert, requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        arrived.push({
          path: req.url ?? '',
          cn: peer.subject?.CN as string | undefined,
          issuer: peer.issuer?.CN as string | undefined,
        });
        req.resume();
        req.on('end', () => res.end('{}'));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const { clock, triggers, emails, manager, set, running } = await setup({
      allow: [host],
      secrets: { 'cnpaas-system/fn-client': { 'tls.crt': deliveryClient.cert, 'tls.key': deliveryClient.key } },
    });
    const caBundle = Buffer.from(pki.ca.cert).toString('base64');
    triggers.put(triggerObject({ url: `https://${host}/plain`, tls: { caBundle } }, { name: 'plain' }));
    triggers.put(
      triggerObject(
        { url: `https://${host}/mtls`, tls: { caBundle, clientSecretRef: { name: 'fn-client' } } },
        { name: 'mtls' },
      ),
    );
    triggers.put(
      triggerObject(
        { url: `https://${host}/missing`, tls: { caBundle, clientSecretRef: { name: 'absent' } } },
        { name: 'missing' },
      ),
    );
    emails.put(email('a'));
    for (let i = 0; i < 100 && arrived.length < 2; i++) {
      await clock.advance(100);
      await sleep(20);
    }
    expect(arrived.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/mtls', cn: 'cnpaas-trigger', issuer: 'cnpaas-delivery-ca' },
      { path: '/plain', cn: undefined, issuer: undefined },
    ]);
    // A named Secret that cannot be read stops that trigger with a reason, rather than sending without it.
    const missing = triggers.objects.get('cnpaas-system/missing')!.status as {
      conditions?: Array<{ type: string; reason: string; message: string }>;
    };
    expect(missing.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      reason: 'ClientCertificateUnavailable',
      message: expect.stringContaining('client certificate Secret cnpaas-system/absent: not found'),
    });
    expect(set.keys().sort()).toEqual(['cnpaas-system/mtls', 'cnpaas-system/plain']);
    await set.stopAll();
    await manager.stop();
    await running;
    await new Promise((resolve) => server.close(resolve));
  });
});
