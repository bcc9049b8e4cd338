/**
 * A mixed write load through kube-apiserver (create, update, delete of
 * ConfigMaps and shirts) that remembers what was acknowledged, so a test can
 * check afterwards that nothing acknowledged was lost.
 *
 * Each worker owns its own names, so the model of each object is exact: an
 * answer 2xx is acknowledged; anything else (5xx, timeouts, resets while the
 * store is down) makes that object uncertain and the worker stops using it.
 */
import type { KubeClient } from '@cnpaas/kube';
import { seededRandom } from '@cnpaas/service-kit/testing';

export interface LoadKind {
  name: string;
  collection(namespace: string): string;
  create(name: string, value: string): unknown;
  patch(value: string): unknown;
  valueOf(object: any): string;
}

export const CONFIGMAPS: LoadKind = {
  name: 'configmaps',
  collection: (ns) => `/api/v1/namespaces/${ns}/configmaps`,
  create: (name, value) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { load: 'true' } },
    data: { v: value },
  }),
  patch: (value) => ({ data: { v: value } }),
  valueOf: (o) => o.data?.v,
};

export const SHIRTS: LoadKind = {
  name: 'shirts',
  collection: (ns) => `/apis/stable.example.com/v1/namespaces/${ns}/shirts`,
  create: (name, value) => ({
    apiVersion: 'stable.example.com/v1',
    kind: 'Shirt',
    metadata: { name, labels: { load: 'true' } },
    spec: { color: value, size: 'M' },
  }),
  patch: (value) => ({ spec: { color: value } }),
  valueOf: (o) => o.spec?.color,
};

export interface LoadOptions {
  http: KubeClient;
  namespace: string;
  kinds: LoadKind[];
  workers: number;
  durationMs: number;
  /** Names per worker and kind. */
  namesPerWorker?: number;
  seed: number;
}

interface Known {
  kind: LoadKind;
  name: string;
  exists: boolean;
  value: string;
}

export interface LoadResult {
  acknowledged: number;
  unacknowledged: number;
  /** Why writes were not acknowledged: "<action> <status> <message>" → count. */
  failures: Record<string, number>;
  /** Objects whose last write was acknowledged. */
  known: Known[];
  /** Answers that contradict the acknowledged model (e.g. 409 on a create of a name acknowledged as deleted). */
  contradictions: string[];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { acknowledged: 0, unacknowledged: 0, failures: {}, known: [], contradictions: [] };
  const deadline = Date.now() + options.durationMs;
  const perWorker = options.namesPerWorker ?? 10;

  const worker = async (w: number) => {
    const random = seededRandom(options.seed * 1000 + w);
    const pool: Known[] = options.kinds.flatMap((kind) =>
      Array.from({ length: perWorker }, (_, i) => ({ kind, name: `load-${w}-${i}`, exists: false, value: '' })),
    );
    let op = 0;
    while (Date.now() < deadline && pool.length > 0) {
      const index = Math.floor(random() * pool.length);
      const obj = pool[index]!;
      const value = `w${w}-op${op++}`;
      const base = obj.kind.collection(options.namespace);
      const action = !obj.exists ? 'create' : random() < 0.7 ? 'update' : 'delete';
      let status: number;
      let message: string;
      try {
        const res =
          action === 'create'
            ? await options.http.request('POST', base, { body: obj.kind.create(obj.name, value) })
            : action === 'update'
              ? await options.http.request('PATCH', `${base}/${obj.name}`, { body: obj.kind.patch(value) })
              : await options.http.request('DELETE', `${base}/${obj.name}`);
        status = res.status;
        message = typeof res.body === 'object' ? String(res.body?.message ?? '') : '';
      } catch (err) {
        status = 0;
        message = (err as Error).message;
      }
      if (status >= 200 && status < 300) {
        result.acknowledged += 1;
        obj.exists = action !== 'delete';
        obj.value = action === 'delete' ? '' : value;
        continue;
      }
      result.unacknowledged += 1;
      const why = `${action} ${status} ${message.replace(/load-\d+-\d+/g, '<name>').slice(0, 160)}`;
      result.failures[why] = (result.failures[why] ?? 0) + 1;
      if ((action === 'create' && status === 409) || (action !== 'create' && status === 404)) {
        result.contradictions.push(
          `${obj.kind.name}/${obj.name}: ${action} answered ${status} although the model says exists=${obj.exists}`,
        );
      }
      // The write may or may not have happened: this object's state is unknown from now on.
      pool.splice(index, 1);
    }
    result.known.push(...pool);
  };
  await Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
  return result;
}

/** Compares acknowledged state with a fresh consistent LIST; returns the differences. */
export async function verifyAcknowledged(http: KubeClient, namespace: string, known: Known[]): Promise<string[]> {
  const actual = new Map<string, string>();
  for (const kind of new Set(known.map((k) => k.kind))) {
    const res = await http.request('GET', `${kind.collection(namespace)}?labelSelector=load%3Dtrue`);
    if (res.status !== 200)
      throw new Error(`LIST ${kind.name} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`);
    for (const item of res.body.items) actual.set(`${kind.name}/${item.metadata.name}`, kind.valueOf(item));
  }
  const problems: string[] = [];
  for (const k of known) {
    const id = `${k.kind.name}/${k.name}`;
    if (k.exists && !actual.has(id)) problems.push(`${id}: acknowledged with value ${k.value} but missing`);
    else if (k.exists && actual.get(id) !== k.value)
      problems.push(`${id}: acknowledged value ${k.value}, found ${actual.get(id)}`);
    else if (!k.exists && actual.has(id))
      problems.push(`${id}: acknowledged as deleted (or never created) but present`);
  }
  return problems;
}
