/**
 * Our server on real TLS, for the server tests: in front of a real
 * kube-apiserver (`startServer` with the kubeconfig of a control plane from
 * @cnpaas/platform/testing), or in front of a FakeKubeApi (`startStack`) for
 * the faults a real apiserver cannot be made to produce on cue.
 */
import { CallerRateLimiter } from '@cnpaas/service-kit';
import type { KubeConfig } from '@kubernetes/client-node';
import { HttpKubeApi } from '../kube-api.js';
import { ApiServer } from '../server.js';
import { capturingLogger } from './capture-logs.js';
import { FakeKubeApi } from './fake-kube-api.js';
import { call, type CallOptions, type Reply } from './https-call.js';
import type { Pem, TestPki } from './pki.js';

export interface ServerStack {
  server: ApiServer;
  url: string;
  lines: string[];
  /** A request as the aggregator proxies it: front-proxy certificate, X-Remote-* for `user`. */
  proxied(path: string, options?: Partial<CallOptions> & { user?: string; groups?: string[] }): Promise<Reply>;
  /** A request with any (or no) client certificate and headers. */
  direct(path: string, options: Partial<CallOptions> & { client?: Pem | undefined }): Promise<Reply>;
  close(): Promise<void>;
}

export interface TestStack extends ServerStack {
  fake: FakeKubeApi;
}

export interface StackOptions {
  registrationTimeoutMs?: number;
  bodyLimit?: number;
  /** Default: no limit, so the flow tests can register freely as one caller; the rate-limit tests pass their own. */
  registrationLimiter?: CallerRateLimiter;
}

/** Our server acting as the identity in `kubeConfig`. */
export async function startServer(
  pki: TestPki,
  kubeConfig: KubeConfig,
  options: StackOptions = {},
): Promise<ServerStack> {
  const { log, lines } = capturingLogger('trace');
  const server = new ApiServer({
    tls: { key: pki.serving.key, cert: pki.serving.cert, requestheaderCa: pki.frontProxyCa.cert },
    allowedNames: ['front-proxy-client'],
    kube: new HttpKubeApi(kubeConfig, { requestTimeoutMs: 5_000 }),
    log,
    registrationTimeoutMs: options.registrationTimeoutMs ?? 5_000,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    watchRetryDelayMs: 10,
    registrationLimiter: options.registrationLimiter ?? new CallerRateLimiter({ perMinute: 0, burst: 1 }),
  });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    server,
    url,
    lines,
    proxied: (path, o = {}) =>
      call(url, path, {
        ca: pki.servingCa.cert,
        client: pki.frontProxyClient,
        ...o,
        headers: { 'X-Remote-User': o.user ?? 'alice', 'X-Remote-Group': o.groups ?? ['webshop-signup'], ...o.headers },
      }),
    direct: (path, o) => call(url, path, { ca: pki.servingCa.cert, ...o }),
    close: () => server.close(),
  };
}

/** Our server in front of a FakeKubeApi. */
export async function startStack(pki: TestPki, options: StackOptions = {}): Promise<TestStack> {
  const fake = new FakeKubeApi(pki);
  await fake.start();
  const stack = await startServer(pki, fake.kubeConfig(), options);
  return {
    ...stack,
    fake,
    close: async () => {
      await stack.close();
      await fake.close();
    },
  };
}
