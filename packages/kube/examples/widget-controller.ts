import { KubeConfig, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import {
  Manager,
  ResourceClient,
  isConflict,
  setCondition,
  splitKey,
  withControllerRef,
  type Condition,
  type ResourceRef,
} from '@cnpaas/kube';

type Widget = KubernetesObject & { spec: { size: number }; status?: { conditions?: Condition[] } };
type ConfigMap = KubernetesObject & Pick<V1ConfigMap, 'data'>;
const WIDGETS: ResourceRef = {
  group: 'example.dev',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

const kc = new KubeConfig();
kc.loadFromDefault();
const widgets = new ResourceClient<Widget>(kc, WIDGETS);
const configMaps = new ResourceClient<ConfigMap>(kc, CONFIGMAPS);
const mgr = new Manager({ kubeConfig: kc, leaderElection: { namespace: 'example-system', name: 'widget-operator' } });

mgr
  .controller<Widget>({
    name: 'widget',
    for: WIDGETS,
    reconciler: {
      async reconcile(key, { object: widget }) {
        if (!widget) return; // deleted: the garbage collector removes the ConfigMap it controlled
        const target = splitKey(key); // { namespace, name } of both the Widget and its ConfigMap
        const data = { size: String(widget.spec.size) };
        // The ConfigMap this Widget wants: created if missing, put back if someone changed it.
        const desired = withControllerRef<ConfigMap>(
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...target }, data },
          widget,
        );
        try {
          await configMaps.create(desired);
        } catch (err) {
          if (!isConflict(err)) throw err; // 409: it exists; make sure it says what it should
          const current = await configMaps.get(target);
          if (current.data?.size !== data.size) await configMaps.mergePatch(target, { data });
        }
        const { conditions, changed } = setCondition(widget.status?.conditions, {
          type: 'Ready',
          status: 'True',
          reason: 'ConfigMapInSync',
          message: `ConfigMap ${target.name} holds size ${data.size}`,
          observedGeneration: widget.metadata?.generation,
        });
        // Only a real change is written: a no-op status write would wake this controller again.
        if (changed) await widgets.mergePatch(target, { status: { conditions } }, { subresource: 'status' });
      },
    },
  })
  .owns(CONFIGMAPS); // a changed or deleted ConfigMap wakes the Widget that controls it

process.once('SIGTERM', () => void mgr.stop());
await mgr.start(); // rejects (e.g. CNPAAS_KUBE_LEADERSHIP_LOST): exit non-zero and let the supervisor restart
