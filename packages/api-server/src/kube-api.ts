/**
 * What verification and sign-in ask of the kube API about Users, as this
 * server's own identity (cnpaas-api-server, from --kubeconfig): read a
 * User, find Users by address, record a verification only if the User is
 * unchanged, read a key of a Secret, and mint a ServiceAccount token.
 * `HttpKubeApi` does it with @cnpaas/kube's client (one keep-alive
 * connection pool, errors that carry the apiserver's `Status` as
 * `KubeApiError`) and hands that client to the registration flow and the
 * authorizer, which use it directly; tests may substitute the interface.
 */
import { isConflict, isNotFound, KubeClient } from '@cnpaas/kube';
import { USER_RESOURCE, type User } from '@cnpaas/webshop-api';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ObjectMeta } from '@cnpaas/service-kit';

/** A webshop User as verification and sign-in read it: the contract's User, always with its identity. */
export type WebshopUser = User & {
  metadata: ObjectMeta & { name: string; namespace: string; uid: string; resourceVersion: string };
};

export interface ObjectKey {
  namespace: string;
  name: string;
}

/** A bound ServiceAccount token from the TokenRequest API. */
export interface IssuedToken {
  token: string;
  expirationTimestamp: string;
}

/** What verification and sign-in need from the kube API (tests may substitute it). */
export interface KubeApi {
  /** @cnpaas/kube's client as this server's identity: the registration flow and the authorizer call it directly. */
  readonly client: KubeClient;
  /** One User (per-User Role `<user>-api-server`); undefined when it does not exist. */
  getUser(key: ObjectKey): Promise<WebshopUser | undefined>;
  /** Every User with this (normalised) address, across namespaces (a field selector on spec.email). */
  findUsersByEmail(email: string): Promise<WebshopUser[]>;
  /**
   * The User `key` read with this server's own `list` on Users (a field selector on metadata.name), for
   * when the per-User Role that lets it GET one is missing: undefined when no such User exists.
   */
  findUser(key: ObjectKey): Promise<WebshopUser | undefined>;
  /**
   * Merge-patches status.verifiedAt, only if the User is still at `resourceVersion`: 'conflict' when someone
   * wrote it meanwhile (the caller reads again), 'gone' when it was deleted.
   */
  recordVerification(
    key: ObjectKey,
    options: { resourceVersion: string; verifiedAt: string },
  ): Promise<WebshopUser | 'conflict' | 'gone'>;
  /** One key of a Secret, decoded; undefined when the Secret or the key does not exist. */
  readSecretKey(key: ObjectKey & { field: string }): Promise<Buffer | undefined>;
  /** A token for a ServiceAccount (TokenRequest), valid for `expirationSeconds`. */
  createServiceAccountToken(key: ObjectKey, options: { expirationSeconds: number }): Promise<IssuedToken>;
}

export interface HttpKubeApiOptions {
  /** Socket idle timeout of ordinary requests. Default 15 s: a registration's whole budget is 30 s by default. */
  requestTimeoutMs?: number;
}

export class HttpKubeApi implements KubeApi {
  readonly #client: KubeClient;

  get client(): KubeClient {
    return this.#client;
  }

  constructor(kc: KubeConfig, options: HttpKubeApiOptions = {}) {
    this.#client = new KubeClient(kc, { requestTimeoutMs: options.requestTimeoutMs ?? 15_000 });
  }

  async getUser(key: ObjectKey): Promise<WebshopUser | undefined> {
    try {
      return await this.#client.json<WebshopUser>({ method: 'GET', path: userPath(key) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async findUsersByEmail(email: string): Promise<WebshopUser[]> {
    const list = await this.#client.json<{ items?: WebshopUser[] }>({
      method: 'GET',
      path: `/apis/${USER_RESOURCE.apiVersion}/${USER_RESOURCE.plural}`,
      query: { fieldSelector: `spec.email=${escapeFieldSelectorValue(email)}` },
    });
    return list.items ?? [];
  }

  async findUser(key: ObjectKey): Promise<WebshopUser | undefined> {
    const list = await this.#client.json<{ items?: WebshopUser[] }>({
      method: 'GET',
      path: `/apis/${USER_RESOURCE.apiVersion}/namespaces/${encodeURIComponent(key.namespace)}/${USER_RESOURCE.plural}`,
      query: { fieldSelector: `metadata.name=${escapeFieldSelectorValue(key.name)}` },
    });
    return list.items?.[0];
  }

  async recordVerification(
    key: ObjectKey,
    options: { resourceVersion: string; verifiedAt: string },
  ): Promise<WebshopUser | 'conflict' | 'gone'> {
    try {
      return await this.#client.json<WebshopUser>({
        method: 'PATCH',
        path: `${userPath(key)}/status`,
        contentType: 'application/merge-patch+json',
        // The resourceVersion makes the patch conditional: two uses of one link cannot both win.
        body: { metadata: { resourceVersion: options.resourceVersion }, status: { verifiedAt: options.verifiedAt } },
        query: { fieldManager: 'cnpaas-api-server' },
      });
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      if (isNotFound(err)) return 'gone';
      throw err;
    }
  }

  async readSecretKey(key: ObjectKey & { field: string }): Promise<Buffer | undefined> {
    try {
      const secret = await this.#client.json<{ data?: Record<string, string> }>({
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(key.namespace)}/secrets/${encodeURIComponent(key.name)}`,
      });
      const value = secret.data?.[key.field];
      return value === undefined ? undefined : Buffer.from(value, 'base64');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async createServiceAccountToken(key: ObjectKey, options: { expirationSeconds: number }): Promise<IssuedToken> {
    const review = await this.#client.json<{ status?: Partial<IssuedToken> }>({
      method: 'POST',
      path: `/api/v1/namespaces/${encodeURIComponent(key.namespace)}/serviceaccounts/${encodeURIComponent(key.name)}/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: options.expirationSeconds },
      },
    });
    const { token, expirationTimestamp } = review.status ?? {};
    if (!token || !expirationTimestamp) throw new Error('the TokenRequest came back without a token');
    return { token, expirationTimestamp };
  }
}

function userPath(key: ObjectKey): string {
  return `/apis/${USER_RESOURCE.apiVersion}/namespaces/${encodeURIComponent(key.namespace)}/${USER_RESOURCE.plural}/${encodeURIComponent(key.name)}`;
}

/** As k8s.io/apimachinery's fields.EscapeValue: `\`, `,` and `=` escaped, so a value cannot add terms to a selector. */
export function escapeFieldSelectorValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}
