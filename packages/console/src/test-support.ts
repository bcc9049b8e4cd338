/** Stand-ins for the unit tests: a ConsoleKube over in-memory collections, and a server built on it. */
import { MemoryCollection, silentLog } from '@cnpaas/kube/testing';
import type { ListerWatcher, ResourceRef } from '@cnpaas/kube';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ConsoleKube, EventSubject, RawAnswer, UserKube, UserRead } from './console-kube.js';
import { assembleConsole } from './assemble.js';
import { resourceKey, type Fabric } from './fabric.js';
import type { RegistrationHistory } from './registration-history.js';
import type { Inbox } from './inbox.js';
import { SHOWN_RESOURCES } from './resources.js';
import type { ConsoleServer } from './server.js';
import type { TimelineEvent } from './timeline.js';
import type { BackendMap } from './topology.js';

export class FakeKube implements ConsoleKube {
  readonly collections = new Map<string, MemoryCollection>();
  readonly registered: unknown[] = [];
  readonly reads: string[] = [];
  /** Events as core/v1 would list them; events() filters by involvedObject like the field selector. */
  readonly eventList: TimelineEvent[] = [];
  answer: RawAnswer = { status: 201, body: {} };
  readonly verified: unknown[] = [];
  readonly logins: unknown[] = [];
  verifyAnswer: RawAnswer = { status: 201, body: {} };
  loginAnswer: RawAnswer = { status: 201, body: {} };
  /** Tokens kube-apiserver would accept: who each is, and the objects (`plural/namespace/name`) it may get. */
  readonly people = new Map<string, { username: string; may: Set<string> }>();
  readonly userReads: string[] = [];

  constructor() {
    for (const r of SHOWN_RESOURCES) this.collections.set(resourceKey(r.ref), new MemoryCollection());
  }

  collection(ref: ResourceRef): MemoryCollection {
    return this.collections.get(resourceKey(ref))!;
  }

  async register(body: unknown): Promise<RawAnswer> {
    this.registered.push(body);
    return this.answer;
  }

  async get(ref: ResourceRef, target: { namespace?: string; name: string }): Promise<KubernetesObject | undefined> {
    this.reads.push(`${ref.plural}/${target.namespace ?? ''}/${target.name}`);
    const key = target.namespace ? `${target.namespace}/${target.name}` : target.name;
    return this.collection(ref).objects.get(key);
  }

  async list(ref: ResourceRef, namespace?: string): Promise<KubernetesObject[]> {
    this.reads.push(`${ref.plural}/${namespace ?? ''}`);
    return [...this.collection(ref).objects.values()].filter((o) => !namespace || o.metadata?.namespace === namespace);
  }

  async verify(body: unknown): Promise<RawAnswer> {
    this.verified.push(body);
    return this.verifyAnswer;
  }

  async login(body: unknown): Promise<RawAnswer> {
    this.logins.push(body);
    return this.loginAnswer;
  }

  asUser(token: string): UserKube {
    const person = this.people.get(token);
    return {
      whoAmI: async () =>
        person ? { status: 201, username: person.username } : { status: 401, message: 'Unauthorized' },
      read: async (ref, target): Promise<UserRead> => {
        const id = `${ref.plural}/${target.namespace ?? ''}/${target.name}`;
        this.userReads.push(`${token}:${id}`);
        if (!person) return { status: 401, message: 'Unauthorized' };
        if (!person.may.has(id))
          return {
            status: 403,
            message: `${ref.plural} "${target.name}" is forbidden: User "${person.username}" cannot get resource "${ref.plural}"`,
          };
        const key = target.namespace ? `${target.namespace}/${target.name}` : target.name;
        const object = this.collections.get(resourceKey(ref))?.objects.get(key) ?? { metadata: { name: target.name } };
        return { status: 200, object };
      },
      close: () => undefined,
    };
  }

  listerWatcher(ref: ResourceRef): ListerWatcher<KubernetesObject> {
    return this.collection(ref);
  }

  async events(regarding: EventSubject): Promise<TimelineEvent[]> {
    this.reads.push(`events/${regarding.namespace ?? 'default'}/${regarding.kind}/${regarding.name}`);
    return this.eventList.filter(
      (e) =>
        e.involvedObject?.kind === regarding.kind &&
        e.involvedObject.name === regarding.name &&
        (e.involvedObject.namespace ?? 'default') === (regarding.namespace ?? 'default'),
    );
  }

  close(): void {}
}

/** Tenants, users and emails each in their own backend, like the demo topology. */
export const DEMO_BACKENDS: BackendMap = {
  names: ['main', 'tenants', 'users', 'emails'],
  backendFor: (key) => /^\/registry\/webshop\.cnpaas\.dev\/(tenants|users|emails)\//.exec(key)?.[1] ?? 'main',
};

export interface TestConsole {
  kube: FakeKube;
  fabric: Fabric;
  history: RegistrationHistory;
  server: ConsoleServer;
  close(): Promise<void>;
}

/** kube-apiserver's answer to a refused request: a metav1.Status with `code`, and Retry-After when given. */
export function statusAnswer(
  code: number,
  status: { reason?: string; message: string; details?: unknown; retryAfter?: string },
): RawAnswer {
  const { retryAfter, ...fields } = status;
  return { status: code, body: { kind: 'Status', code, ...fields }, ...(retryAfter ? { retryAfter } : {}) };
}

export function testConsole(options: { host?: string; token?: string; inbox?: Inbox } = {}): TestConsole {
  const kube = new FakeKube();
  const { fabric, history, server } = assembleConsole({
    kube,
    log: silentLog,
    fabric: { backends: DEMO_BACKENDS },
    host: options.host ?? '127.0.0.1',
    token: options.token,
    inbox: options.inbox,
    publicDir: '/nonexistent',
  });
  const close = async () => {
    await server.close();
    await fabric.close();
    history.close();
  };
  return { kube, fabric, history, server, close };
}
