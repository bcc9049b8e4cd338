/**
 * A small fake of kube-apiserver, kept for fault injection only: watches
 * that fail (500) or drop mid-stream, compacted resourceVersions (410 Gone),
 * webhook denials and failed webhook calls as Statuses of our choosing, an
 * "operator" that finishes before the create's response is sent, and
 * SubjectAccessReviews that fail. A real apiserver cannot be made to do
 * these on cue. Everything else (create as our identity, AlreadyExists, the
 * CRD's 422, dry runs, the watch from the create's resourceVersion, DELETED,
 * RBAC refusals) is tested against a real kube-apiserver in
 * registration-flow.live.test.ts.
 *
 * Served over real HTTPS with client-certificate authentication of
 * cnpaas-api-server. What it must get right it does as kube-apiserver does:
 * one global resourceVersion, watches that replay everything after the given
 * resourceVersion (so a DELETE that happened before the watch opened is
 * still delivered), 410 for compacted versions, Status bodies on errors.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { KubeConfig } from '@kubernetes/client-node';
import { REGISTRATION_REQUESTS_PATH } from '../api-group.js';
import type { RegistrationRequestStatus } from '@cnpaas/webshop-api';
import type { SubjectAccessReviewSpec } from '../authorizer.js';
import type { RegistrationRequest } from '../registration-body.js';
import { failure, type KubeStatus } from '../status.js';
import type { TestPki } from './pki.js';
import { completedStatus } from './registrations.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Watcher {
  name: string | undefined;
  res: ServerResponse;
}

export interface SarDecision {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

const OBJECT_STATUS = {
  404: { reason: 'NotFound', what: 'not found' },
  409: { reason: 'AlreadyExists', what: 'already exists' },
} as const;

/** kube-apiserver's answer about one RegistrationRequest by name: AlreadyExists or NotFound, with its details. */
function objectStatus(code: 404 | 409, name: string): KubeStatus {
  const { reason, what } = OBJECT_STATUS[code];
  return failure({
    code,
    reason,
    message: `registrationrequests.webshop.cnpaas.dev "${name}" ${what}`,
    details: { name, group: 'webshop.cnpaas.dev', kind: 'registrationrequests' },
  });
}

export class FakeKubeApi {
  readonly app: FastifyInstance<HttpsServer, IncomingMessage, ServerResponse>;
  readonly objects = new Map<string, RegistrationRequest>();
  readonly history: Array<{ rv: number; type: EventType; object: RegistrationRequest }> = [];
  rv = 100;
  /** Watches from a resourceVersion below this get 410 Gone. */
  compactedRv = 0;

  readonly creates: Array<{
    dryRun: boolean;
    clientCn: string;
    fieldManager: string | undefined;
    object: RegistrationRequest;
  }> = [];
  readonly watches: Array<{
    resourceVersion: string | undefined;
    fieldSelector: string | undefined;
    timeoutSeconds: string | undefined;
  }> = [];
  readonly gets: string[] = [];
  readonly reviews: SubjectAccessReviewSpec[] = [];

  /** Admission: return a Status to refuse the create (a webhook denial), or undefined to admit. */
  admit: ((object: RegistrationRequest, dryRun: boolean) => KubeStatus | undefined) | undefined;
  /** The SubjectAccessReview's answer, or a Status to fail the SAR call itself. */
  decide: (spec: SubjectAccessReviewSpec) => SarDecision | KubeStatus = () => ({ allowed: true });
  /** Runs after a real create is stored, before its response is sent: plays the operator. */
  onCreated: ((object: RegistrationRequest) => void) | undefined;
  /** The next N watches answer 500. */
  failWatches = 0;
  /** The next N watches send headers, then drop the connection. */
  dropWatches = 0;

  readonly #watchers = new Set<Watcher>();
  readonly #pki: TestPki;

  constructor(pki: TestPki) {
    this.#pki = pki;
    const app = Fastify({
      https: {
        key: pki.kubeServing.key,
        cert: pki.kubeServing.cert,
        ca: pki.clusterCa.cert,
        requestCert: true,
        rejectUnauthorized: false,
      },
      forceCloseConnections: true,
    });
    this.app = app;
    const status = (reply: { code: (c: number) => { send: (b: unknown) => unknown } }, s: KubeStatus) =>
      reply.code(s.code).send(s);

    app.addHook('onRequest', async (request, reply) => {
      const socket = request.raw.socket as TLSSocket;
      const cn = socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
      if (cn !== 'cnpaas-api-server') return status(reply, failure({ code: 401, message: 'Unauthorized' }));
    });

    app.post(REGISTRATION_REQUESTS_PATH, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      const dryRun = query['dryRun'] === 'All';
      const object = structuredClone(request.body as RegistrationRequest);
      const cn = String((request.raw.socket as TLSSocket).getPeerCertificate().subject?.CN);
      this.creates.push({ dryRun, clientCn: cn, fieldManager: query['fieldManager'], object: structuredClone(object) });
      const meta = object.metadata ?? {};
      if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
      delete meta.generateName;
      const name = meta.name!;
      if (this.objects.has(name)) return status(reply, objectStatus(409, name));
      const denial = this.admit?.(object, dryRun);
      if (denial) return status(reply, denial);
      // What the mutating webhook does: the stored password is a hash.
      const spec = { ...object.spec, password: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' };
      const stored: RegistrationRequest = {
        ...object,
        metadata: { ...meta, uid: randomUUID(), creationTimestamp: new Date().toISOString() },
        spec,
      };
      delete stored.status;
      if (dryRun) return reply.code(201).send(stored);
      this.#record('ADDED', stored);
      this.onCreated?.(stored);
      const created = this.history.find(
        (e) => e.type === 'ADDED' && e.object.metadata.uid === stored.metadata.uid,
      )!.object;
      return reply.code(201).send(created);
    });

    app.get(`${REGISTRATION_REQUESTS_PATH}/:name`, async (request, reply) => {
      const name = (request.params as { name: string }).name;
      this.gets.push(name);
      const object = this.objects.get(name);
      if (!object) return status(reply, objectStatus(404, name));
      return reply.send(object);
    });

    app.get(REGISTRATION_REQUESTS_PATH, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      if (query['watch'] !== 'true') return status(reply, failure({ code: 405, message: 'list is not faked' }));
      this.watches.push({
        resourceVersion: query['resourceVersion'],
        fieldSelector: query['fieldSelector'],
        timeoutSeconds: query['timeoutSeconds'],
      });
      if (this.failWatches > 0) {
        this.failWatches--;
        return status(reply, failure({ code: 500, message: 'etcdserver: leader changed' }));
      }
      const name = /^metadata\.name=(.+)$/.exec(query['fieldSelector'] ?? '')?.[1];
      const from = Number(query['resourceVersion'] ?? '0');
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      if (this.dropWatches > 0) {
        this.dropWatches--;
        res.write('{"type":"MODIF');
        res.destroy();
        return;
      }
      if (from < this.compactedRv) {
        const gone = failure({
          code: 410,
          reason: 'Expired',
          message: `too old resource version: ${from} (${this.compactedRv})`,
        });
        res.end(`${JSON.stringify({ type: 'ERROR', object: gone })}\n`);
        return;
      }
      if (!query['resourceVersion'] || query['resourceVersion'] === '0') {
        // No resourceVersion: kube-apiserver sends the current state as ADDED, then changes from now on. An
        // object deleted before this moment sends nothing, ever: the original demo's hang.
        for (const object of this.objects.values()) {
          if (!name || object.metadata.name === name) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
        }
      } else {
        for (const event of this.history) {
          if (event.rv > from && (!name || event.object.metadata.name === name))
            res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
        }
      }
      const watcher: Watcher = { name, res };
      this.#watchers.add(watcher);
      const timeout = setTimeout(() => res.end(), Number(query['timeoutSeconds'] ?? '60') * 1000);
      res.on('close', () => {
        clearTimeout(timeout);
        this.#watchers.delete(watcher);
      });
    });

    app.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', async (request, reply) => {
      const spec = (request.body as { spec: SubjectAccessReviewSpec }).spec;
      this.reviews.push(spec);
      const decision = this.decide(spec);
      if ('kind' in decision) return status(reply, decision);
      return reply
        .code(201)
        .send({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec, status: decision });
    });
  }

  async start(): Promise<string> {
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    return this.url();
  }

  url(): string {
    const address = this.app.server.address() as { port: number };
    return `https://127.0.0.1:${address.port}`;
  }

  /** A kubeconfig for cnpaas-api-server's identity against this fake. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url(), caData: b64(this.#pki.clusterCa.cert), skipTLSVerify: false }],
      users: [
        {
          name: 'cnpaas-api-server',
          certData: b64(this.#pki.apiServerClient.cert),
          keyData: b64(this.#pki.apiServerClient.key),
        },
      ],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'cnpaas-api-server' }],
      currentContext: 'fake',
    });
    return kc;
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.end();
    await this.app.close();
  }

  // --- playing the operator -------------------------------------------------

  /** A status write (MODIFIED). */
  modify(name: string, status: RegistrationRequestStatus): void {
    const object = this.objects.get(name);
    if (!object) throw new Error(`fake: no RegistrationRequest ${name}`);
    this.#record('MODIFIED', { ...object, status: structuredClone(status) });
  }

  /** A delete (DELETED carries the last state). */
  remove(name: string): void {
    const object = this.objects.get(name);
    if (!object) throw new Error(`fake: no RegistrationRequest ${name}`);
    this.#record('DELETED', object);
  }

  /** What the operator does when it is done: write the four names, then delete. */
  complete(name: string, status: RegistrationRequestStatus = completedStatus(name)): void {
    this.modify(name, status);
    this.remove(name);
  }

  #record(type: EventType, object: RegistrationRequest): void {
    const rv = ++this.rv;
    const versioned = structuredClone({ ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } });
    if (type === 'DELETED') this.objects.delete(versioned.metadata.name!);
    else this.objects.set(versioned.metadata.name!, versioned);
    this.history.push({ rv, type, object: versioned });
    for (const w of this.#watchers) {
      if (!w.name || w.name === versioned.metadata.name)
        w.res.write(`${JSON.stringify({ type, object: versioned })}\n`);
    }
  }
}
