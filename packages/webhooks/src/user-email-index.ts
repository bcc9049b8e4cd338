/**
 * Users by normalised email, from a watch of Users: the backstop of
 * email-claim.ts without a request per registration.
 *
 * The claim ConfigMap is what keeps two registrations of one address from
 * both succeeding: its create-if-absent is atomic, and every User admitted
 * by the User webhook holds (or shares its registration's) claim for as long
 * as it exists. Looking for Users by email only catches Users that hold no
 * claim, which are Users made before claims existed. Those are old by
 * definition, so they are in any index that has listed once; a User created
 * after the list went through the User webhook and holds a claim, which the
 * create of a second claim runs into whatever this index says. Until the
 * first list is in, `lookup` answers `undefined` and the caller does the
 * consistent LIST it did before.
 *
 * What is kept per User is its namespace, name, registration-uid label and
 * normalised address (the watch's objects are cut down to that as they
 * arrive), not the User objects themselves.
 */
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import {
  Informer,
  keyOf,
  ResourceClient,
  type ListerWatcher,
  type Logger,
  type ObjectKey,
  type WatchEvent,
} from '@cnpaas/kube';
import { normaliseEmail, REGISTRATION_UID_LABEL } from '@cnpaas/webshop-api';
import { USERS, type UserObject, type UserRecord, userRecordOf } from './email-claim.js';

/** What the index keeps of a User: enough for `UserRecord` and for the informer's bookkeeping. */
type SlimUser = KubernetesObject & { spec?: { email?: string } };

export interface UserEmailIndexOptions {
  /** Where Users come from; default a `ResourceClient` for Users on `kubeConfig`. */
  listerWatcher?: ListerWatcher<UserObject>;
  kubeConfig?: KubeConfig;
  log?: Logger;
}

export class UserEmailIndex {
  readonly #informer: Informer<SlimUser>;
  readonly #byEmail = new Map<string, Map<ObjectKey, UserRecord>>();

  constructor(options: UserEmailIndexOptions) {
    const source =
      options.listerWatcher ??
      (options.kubeConfig ? new ResourceClient<UserObject>(options.kubeConfig, USERS) : undefined);
    if (!source) throw new TypeError('UserEmailIndex needs a kubeConfig or a listerWatcher');
    this.#informer = new Informer<SlimUser>({
      resource: USERS,
      listerWatcher: slimming(source),
      // The index is rebuilt from events; re-delivering every User changes nothing.
      resyncPeriodMs: 0,
      ...(options.log ? { log: options.log } : {}),
    });
    this.#informer.addEventHandler({
      onAdd: (user) => this.#add(user),
      onUpdate: (old, user) => {
        this.#remove(old);
        this.#add(user);
      },
      onDelete: (user) => this.#remove(user),
    });
  }

  start(): void {
    this.#informer.start();
  }

  stop(): Promise<void> {
    return this.#informer.stop();
  }

  /** Resolves true once the first list is in (false when `signal` aborts or the index stops first). */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return this.#informer.waitForSync(signal);
  }

  /** Users with `email` (already normalised), or undefined before the first list is in. */
  lookup(email: string): UserRecord[] | undefined {
    if (!this.#informer.hasSynced()) return undefined;
    return [...(this.#byEmail.get(email)?.values() ?? [])];
  }

  #add(user: SlimUser): void {
    const email = user.spec?.email;
    if (email === undefined) return;
    let users = this.#byEmail.get(email);
    if (!users) {
      users = new Map();
      this.#byEmail.set(email, users);
    }
    users.set(keyOf(user), userRecordOf(user));
  }

  #remove(user: SlimUser): void {
    const email = user.spec?.email;
    if (email === undefined) return;
    const users = this.#byEmail.get(email);
    users?.delete(keyOf(user));
    if (users?.size === 0) this.#byEmail.delete(email);
  }
}

/** The informer stores what it is given: cut each User down before it gets there. */
function slimming(source: ListerWatcher<UserObject>): ListerWatcher<SlimUser> {
  return {
    async list(options) {
      const list = await source.list(options);
      const slimmed: KubernetesListObject<SlimUser> = { ...list, items: list.items.map(slim) };
      return slimmed;
    },
    watch(options, onEvent) {
      return source.watch(options, (event: WatchEvent<UserObject>) =>
        // A bookmark carries only a resourceVersion; pass it on as it is.
        onEvent({
          type: event.type,
          object: event.type === 'BOOKMARK' ? (event.object as SlimUser) : slim(event.object),
        }),
      );
    },
  };
}

function slim(user: UserObject): SlimUser {
  const metadata = user.metadata ?? {};
  const registrationUid = metadata.labels?.[REGISTRATION_UID_LABEL];
  const email = user.spec?.email;
  return {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      resourceVersion: metadata.resourceVersion,
      ...(registrationUid ? { labels: { [REGISTRATION_UID_LABEL]: registrationUid } } : {}),
    },
    ...(typeof email === 'string' ? { spec: { email: normaliseEmail(email) } } : {}),
  };
}
