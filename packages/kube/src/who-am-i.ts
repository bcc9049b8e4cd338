/**
 * Who the apiserver says this client is (`kubectl auth whoami`): a
 * SelfSubjectReview, which every authenticated user may create. A component
 * that must name itself in an object it writes (a RoleBinding to itself)
 * asks rather than assumes: the same code is a client certificate's CN under
 * `cnpaas up` and `system:serviceaccount:<ns>:<name>` in a pod.
 */
import type { KubeClient } from './kube-client.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export async function whoAmI(client: KubeClient, signal?: AbortSignal): Promise<UserInfo> {
  const review = await client.json<{ status?: { userInfo?: Partial<UserInfo> } }>({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    ...(signal ? { signal } : {}),
  });
  const info = review.status?.userInfo;
  if (!info?.username) throw new Error('the SelfSubjectReview answer names no user');
  return { username: info.username, groups: info.groups ?? [], ...(info.uid ? { uid: info.uid } : {}) };
}
