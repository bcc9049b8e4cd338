/**
 * Test certificates, generated per run (real TLS in every server test):
 * the CAs and leaves a local control plane has, plus the impostors the
 * authentication tests need.
 */
import { generate } from 'selfsigned';
import { SERVICE_DNS_NAME } from '../api-group.js';

export interface Pem {
  cert: string;
  key: string;
}

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

async function ca(cn: string): Promise<Pem> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function leaf(options: { cn: string; ca: Pem; usage: 'server' | 'client'; dnsNames?: string[] }): Promise<Pem> {
  const server = options.usage === 'server';
  const pems = await generate([{ name: 'commonName', value: options.cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: options.ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      server ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(server
        ? [{
            name: 'subjectAltName' as const,
            altNames: [...(options.dnsNames ?? ['localhost']).map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }],
          }]
        : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export async function testPki(): Promise<TestPki> {
  const [servingCa, frontProxyCa, clusterCa] = await Promise.all([ca('test-serving-ca'), ca('test-front-proxy-ca'), ca('test-cluster-ca')]);
  const [serving, frontProxyClient, frontProxyOtherName, clusterSignedFrontProxyName, apiServerClient, kubeServing] = await Promise.all([
    leaf({ cn: 'cnpaas-api', ca: servingCa, usage: 'server', dnsNames: [SERVICE_DNS_NAME, 'localhost'] }),
    leaf({ cn: 'front-proxy-client', ca: frontProxyCa, usage: 'client' }),
    leaf({ cn: 'someone-else', ca: frontProxyCa, usage: 'client' }),
    leaf({ cn: 'front-proxy-client', ca: clusterCa, usage: 'client' }),
    leaf({ cn: 'cnpaas-api-server', ca: clusterCa, usage: 'client' }),
    leaf({ cn: 'kube-apiserver', ca: clusterCa, usage: 'server' }),
  ]);
  return { servingCa, serving, frontProxyCa, frontProxyClient, frontProxyOtherName, clusterCa, clusterSignedFrontProxyName, apiServerClient, kubeServing };
}
