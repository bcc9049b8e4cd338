/**
 * `npx nx run platform:bench [-- OPTIONS]`: kube-apiserver on cnpaas-store
 * and on etcd side by side (compare.ts), or, with `--scale`, how each holds
 * up as custom resources pile up (scale/main.ts). `--help` on either.
 */
if (process.argv.slice(2).includes('--scale')) await import('./scale/main.js');
else await import('./compare.js');
