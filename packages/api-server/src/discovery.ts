/**
 * The discovery documents of api.webshop.cnpaas.dev/v1: @cnpaas/service-kit's
 * (`discovery.ts`, which says what the aggregator and kubectl read) for the
 * resources this server serves.
 *
 * Every resource is cluster-scoped with the single verb `create`: kubectl
 * then knows `kubectl create -f` works and `kubectl get registrations` does
 * not. The kind is what a POST answers with (Registration, …).
 */
import {
  apiGroup as kitApiGroup,
  apiGroupDiscoveryList as kitApiGroupDiscoveryList,
  apiGroupList as kitApiGroupList,
  apiResourceList as kitApiResourceList,
  type ServedGroupVersion,
} from '@cnpaas/service-kit';
import { API_GROUP, API_VERSION, LOGINS, REGISTRATIONS, VERIFICATIONS } from './api-group.js';

export { APIGROUP_DISCOVERY_V2, APIGROUP_DISCOVERY_V2BETA1, negotiateDiscovery } from '@cnpaas/service-kit';

/** Every resource this server serves, all POST-only and cluster-scoped. */
export const SERVED_RESOURCES = [REGISTRATIONS, VERIFICATIONS, LOGINS] as const;

/** The group-version as discovery lists it: `kubectl get webshop` names its resources. */
export const SERVED_GROUP_VERSION: ServedGroupVersion = {
  group: API_GROUP,
  version: API_VERSION,
  resources: SERVED_RESOURCES,
  categories: ['webshop'],
};

export const apiResourceList = () => kitApiResourceList(SERVED_GROUP_VERSION);
export const apiGroup = () => kitApiGroup(SERVED_GROUP_VERSION);
export const apiGroupList = () => kitApiGroupList(SERVED_GROUP_VERSION);
export const apiGroupDiscoveryList = (version: 'v2' | 'v2beta1') =>
  kitApiGroupDiscoveryList(SERVED_GROUP_VERSION, version);
