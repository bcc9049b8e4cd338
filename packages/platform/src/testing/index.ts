/**
 * `@cnpaas/platform/testing`: what live tests import to get a real
 * kube-apiserver. Its own entry point, so a test does not load the CLI.
 */
export {
  startControlPlane,
  type ManifestSource,
  type StartControlPlaneOptions,
  type TestControlPlane,
} from './control-plane.js';
export { widgetCrd, type WidgetCrdOptions } from './widget-crd.js';
