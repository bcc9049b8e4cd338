/**
 * The platform's PKI: CAs and the certificates they issue, as PEM files in
 * `<state-dir>/pki/`. ECDSA P-256 everywhere (what kubeadm and envtest use).
 * Generated once: a certificate is reissued only when what it should say
 * (names, addresses, organizations) changed or it expires within 30 days.
 */
import { createPrivateKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { PlatformError } from './errors.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// The library speaks WebCrypto; Node's implementation is the standard one.
x509.cryptoProvider.set(webcrypto as never);

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const RENEW_BEFORE_DAYS = 30;

export interface KeyPairFiles {
  cert: string;
  key: string;
}

export interface CertificateSpec {
  /** File stem under the PKI directory: `<name>.crt`, `<name>.key`. */
  name: string;
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'server+client';
}

function subjectOf(commonName: string, organizations: string[] = []): x509.JsonName {
  return [{ CN: [commonName] }, ...organizations.map((o) => ({ O: [o] }))];
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
}

async function keyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  // Accept any PEM flavour a person may have dropped in (SEC1 or PKCS#8).
  const der = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign']);
}

function pkiError(file: string, err: unknown): PlatformError {
  return new PlatformError('CNPAAS_PLATFORM_PKI', `${file} cannot be used: ${(err as Error).message}`, {
    hint: 'remove the PKI directory (cnpaas down --purge) and run cnpaas up again to regenerate it',
    cause: err,
  });
}

export class CertificateAuthority {
  private constructor(
    readonly files: KeyPairFiles,
    readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  /** Loads `<dir>/<name>.{crt,key}`, creating a new self-signed CA when absent. */
  static async loadOrCreate(dir: string, name: string, commonName: string): Promise<CertificateAuthority> {
    const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
    if (existsSync(files.cert) && existsSync(files.key)) {
      try {
        const certificate = new x509.X509Certificate(readFileSync(files.cert, 'utf8'));
        return new CertificateAuthority(files, certificate, await importSigningKey(readFileSync(files.key, 'utf8')));
      } catch (err) {
        throw pkiError(files.cert, err);
      }
    }
    const keys = await newKeyPair();
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: subjectOf(commonName),
      keys,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + CA_DAYS * DAY_MS),
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    writePrivate(files.key, await keyToPem(keys.privateKey));
    writeFileSync(files.cert, certificate.toString('pem'));
    return new CertificateAuthority(files, certificate, keys.privateKey);
  }

  /** Issues `<dir>/<spec.name>.{crt,key}` unless a current one says the same. */
  async issue(dir: string, spec: CertificateSpec): Promise<KeyPairFiles> {
    const files = { cert: path.join(dir, `${spec.name}.crt`), key: path.join(dir, `${spec.name}.key`) };
    if (existsSync(files.cert) && existsSync(files.key) && (await this.isCurrent(files.cert, spec))) return files;
    const keys = await newKeyPair();
    const now = Date.now();
    const serverAuth = spec.usage !== 'client';
    const clientAuth = spec.usage !== 'server';
    const names = [
      ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const certificate = await x509.X509CertificateGenerator.create({
      subject: subjectOf(spec.commonName, spec.organizations),
      issuer: this.certificate.subject,
      publicKey: keys.publicKey,
      signingKey: this.signingKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([
          ...(serverAuth ? [x509.ExtendedKeyUsage.serverAuth] : []),
          ...(clientAuth ? [x509.ExtendedKeyUsage.clientAuth] : []),
        ]),
        ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
      ],
    });
    writePrivate(files.key, await keyToPem(keys.privateKey));
    writeFileSync(files.cert, certificate.toString('pem'));
    return files;
  }

  private async isCurrent(certFile: string, spec: CertificateSpec): Promise<boolean> {
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(readFileSync(certFile, 'utf8'));
    } catch {
      return false;
    }
    if (cert.notAfter.getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
    if (!(await cert.verify({ publicKey: this.certificate.publicKey, signatureOnly: true }))) return false;
    if (cert.subject !== new x509.Name(subjectOf(spec.commonName, spec.organizations)).toString()) return false;
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const have = (san?.names.items ?? []).map((n) => `${n.type}:${n.value}`).sort();
    const want = [
      ...(spec.dnsNames ?? []).map((v) => `dns:${v}`),
      ...(spec.ipAddresses ?? []).map((v) => `ip:${v}`),
    ].sort();
    return have.join(',') === want.join(',');
  }
}

/**
 * The service-account token key pair: kube-apiserver signs with the private
 * key, verifies with the public one; kube-controller-manager signs the
 * legacy token Secrets with the same private key.
 */
export function ensureServiceAccountKeys(dir: string): { key: string; pub: string } {
  const key = path.join(dir, 'sa.key');
  const pub = path.join(dir, 'sa.pub');
  if (existsSync(key) && existsSync(pub)) return { key, pub };
  const pair = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writePrivate(key, pair.privateKey);
  writeFileSync(pub, pair.publicKey);
  return { key, pub };
}
