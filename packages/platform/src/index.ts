/** The platform's API, for tests and for the later kind path. */
export { up, type UpOptions, type UpResult } from './up.js';
export { down, stopStack, type DownOptions } from './down.js';
export { status, formatStatus, type StatusReport, type ComponentReport } from './status.js';
export { statePaths, type StatePaths } from './state-dir.js';
export { resolveKubeBinary, binaryCacheDir, type KubeBinaryName } from './kube-binaries.js';
export { pinnedKubeVersion } from './kube-version.js';
export { CertificateAuthority, type CertificateSpec, type KeyPairFiles } from './pki.js';
export { PlatformError, type PlatformErrorCode } from './errors.js';
export { kubeClientFromPki, type PkiClientOptions } from './pki-client.js';
export { DEFAULT_SERVICES, loadServices, type LoadedService } from './compositions.js';
export { processCpuSeconds } from '@cnpaas/service-kit/process-cpu';
export { runKubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';
export { install, type InstallOptions, type InstallResult } from './install/install.js';
export { uninstall, type UninstallOptions, type UninstallResult } from './install/uninstall.js';
export { INSTALLED_BY, INSTALLED_BY_LABEL, INVENTORY } from './install/names.js';
export { admissionConfig, type WebhookClient } from './admission-config.js';
