export { startStoreServer, type StoreServer } from './store-server.js';
export { parseFlags, type StoreConfig } from './config/flags.js';
export { parseTopology, loadTopology, type Topology, type BackendConfig } from './routing/topology.js';
export { Router } from './routing/router.js';
export { RevisionStore } from './mvcc/store.js';
export { EtcdError, StoreError, Errors } from './errors.js';
export { loadEtcdProtos, type EtcdProtos, type EtcdService } from './server/proto.js';
export { EMULATED_ETCD_VERSION } from './server/maintenance.js';
