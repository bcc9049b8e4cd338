/**
 * `LeaseLock` over a real coordination.k8s.io/v1 Lease. Like client-go's
 * `resourcelock.LeaseLock`, it keeps the Lease it last read and replaces only
 * its spec, so labels or annotations others put on the Lease survive.
 */
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { isNotFound } from './errors.js';
import type { LeaderElectionRecord, LeaseLock, VersionedRecord } from './leader-election.js';
import { ResourceClient } from './resource-client.js';
import { microTime } from './timestamps.js';

export const LEASES_RESOURCE = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  kind: 'Lease',
  namespaced: true,
} as const;

interface LeaseSpecJson {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface LeaseJson extends KubernetesObject {
  spec?: LeaseSpecJson;
}

export interface LeaseLockTarget {
  namespace: string;
  name: string;
}

export function toLeaseSpec(record: LeaderElectionRecord): LeaseSpecJson {
  const spec: LeaseSpecJson = {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
  };
  // MicroTime: the apiserver rejects millisecond precision here.
  if (record.acquireTime !== undefined) spec.acquireTime = microTime(record.acquireTime);
  if (record.renewTime !== undefined) spec.renewTime = microTime(record.renewTime);
  return spec;
}

export function fromLeaseSpec(spec: LeaseSpecJson | undefined): LeaderElectionRecord {
  const time = (s: string | undefined): number | undefined => {
    const ms = s ? Date.parse(s) : NaN;
    return Number.isNaN(ms) ? undefined : ms;
  };
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: time(spec?.acquireTime),
    renewTime: time(spec?.renewTime),
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

export function kubeLeaseLock(kc: KubeConfig, target: LeaseLockTarget): LeaseLock {
  const client = new ResourceClient<LeaseJson>(kc, LEASES_RESOURCE);
  let last: LeaseJson | undefined;
  const versioned = (lease: LeaseJson): VersionedRecord => {
    last = lease;
    return { record: fromLeaseSpec(lease.spec), resourceVersion: lease.metadata?.resourceVersion ?? '' };
  };
  return {
    describe: () => `${target.namespace}/${target.name}`,
    async get(signal) {
      try {
        return versioned(await client.get(target, { signal }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record, signal) {
      const lease: LeaseJson = {
        metadata: { namespace: target.namespace, name: target.name },
        spec: toLeaseSpec(record),
      };
      return versioned(await client.create(lease, { signal }));
    },
    async update(record, { resourceVersion, signal }) {
      const base: LeaseJson =
        last?.metadata?.resourceVersion === resourceVersion
          ? last
          : { metadata: { namespace: target.namespace, name: target.name } };
      const lease: LeaseJson = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        ...base,
        metadata: { ...base.metadata, resourceVersion },
        spec: toLeaseSpec(record),
      };
      return versioned(await client.replace(lease, { signal }));
    },
  };
}
