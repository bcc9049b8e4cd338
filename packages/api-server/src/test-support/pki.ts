/**
 * Test certificates, generated per run (real TLS in every server test):
 * the CAs and leaves a local control plane has, plus the impostors the
 * authentication tests need.
 */
import { testCa, testLeaf, type Pem } from '@cnpaas/service-kit/testing';
import { SERVICE_DNS_NAME } from '../api-group.js';

export type { Pem } from '@cnpaas/service-kit/testing';

export interface TestPki {
  /** Signs our serving certificate; its PEM is the APIService caBundle. */
  servingCa: Pem;
  /** DNS cnpaas-api.cnpaas-system.svc and localhost, IP 127.0.0.1. */
  serving: Pem;
  /** kube-apiserver's --requestheader-client-ca-file. */
  frontProxyCa: Pem;
  /** kube-apiserver's --proxy-client-cert-file: CN front-proxy-client. */
  frontProxyClient: Pem;
  /** Signed by the front-proxy CA, but with a CN that is not allowed. */
  frontProxyOtherName: Pem;
  /** The cluster CA (ordinary client certificates, the fake kube API's serving certificate). */
  clusterCa: Pem;
  /** An impostor: CN front-proxy-client, signed by the cluster CA, not the front-proxy CA. */
  clusterSignedFrontProxyName: Pem;
  /** Our own identity towards the kube API: CN cnpaas-api-server, signed by the cluster CA. */
  apiServerClient: Pem;
  /** The fake kube API's serving certificate (127.0.0.1, localhost), signed by the cluster CA. */
  kubeServing: Pem;
}

export async function testPki(): Promise<TestPki> {
  const [servingCa, frontProxyCa, clusterCa] = await Promise.all([
    testCa('test-serving-ca'),
    testCa('test-front-proxy-ca'),
    testCa('test-cluster-ca'),
  ]);
  const [serving, frontProxyClient, frontProxyOtherName, clusterSignedFrontProxyName, apiServerClient, kubeServing] =
    await Promise.all([
      testLeaf({ commonName: 'cnpaas-api', ca: servingCa, usage: 'server', dnsNames: [SERVICE_DNS_NAME, 'localhost'] }),
      testLeaf({ commonName: 'front-proxy-client', ca: frontProxyCa, usage: 'client' }),
      testLeaf({ commonName: 'someone-else', ca: frontProxyCa, usage: 'client' }),
      testLeaf({ commonName: 'front-proxy-client', ca: clusterCa, usage: 'client' }),
      testLeaf({ commonName: 'cnpaas-api-server', ca: clusterCa, usage: 'client' }),
      testLeaf({ commonName: 'kube-apiserver', ca: clusterCa, usage: 'server' }),
    ]);
  return {
    servingCa,
    serving,
    frontProxyCa,
    frontProxyClient,
    frontProxyOtherName,
    clusterCa,
    clusterSignedFrontProxyName,
    apiServerClient,
    kubeServing,
  };
}
