/** @cnpaas/console: the web console's server, for the platform and for tests. See README.md. */
export { ConsoleServer, type ConsoleServerOptions } from './server.js';
export { ConsoleError, type ConsoleErrorCode } from './errors.js';
export { parseConfig, USAGE, DEFAULT_HOST, DEFAULT_PORT, type ConsoleConfig } from './config.js';
export { HttpConsoleKube, type ConsoleKube, type RawAnswer } from './console-kube.js';
export { Fabric, type FabricObject, type FabricChange, type FabricSnapshot } from './fabric.js';
export { DirectoryInbox, type Inbox, type MailMessage, type MailSummary } from './inbox.js';
export { loadBackendMap, singleBackend, type BackendMap } from './topology.js';
export { sanitizeObject } from './sanitize.js';
export { CONSOLE_CLIENT_NAME, manifestPath } from './manifests.js';
export { consoleComponent, type ConsoleComponentOptions } from './component.js';
