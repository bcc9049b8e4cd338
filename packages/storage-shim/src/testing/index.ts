/**
 * `@cnpaas/storage-shim/testing`: throw-away database servers for live tests
 * and demos in other packages (replicas, the mixed topology). The store never
 * imports this.
 */
export * from './postgres.js';
export * from './mariadb.js';
export * from './reference-etcd.js';
