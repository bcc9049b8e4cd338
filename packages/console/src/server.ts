/**
 * The console's HTTP server (fastify): the browser's static assets (built
 * by Vite into dist/public) and a small JSON API over the console's own
 * Kubernetes identity.
 *
 *   GET  /api/config                 backends, whether a token and an inbox are in play
 *   POST /api/session                the token, once, for a session cookie (only with --token)
 *   POST /api/registrations          the sign-up form → the registrations API; a refusal per form field
 *   POST /api/verifications          a mailed link's token → the verifications API; what came of it
 *   POST /api/logins                 address and password → the logins API; the person's 10-minute token
 *   GET  /api/me                     with X-User-Token: the person's own User, Tenant and Namespace, read as them
 *   GET  /api/me/tenants/:name       with X-User-Token: any Tenant, read as them (someone else's is refused)
 *   GET  /api/tenants/:name          one registration's objects: the Tenant, its Users and Emails
 *   GET  /api/tenants/:name/timeline that registration's steps, each with its time and what marked it
 *   GET  /api/fabric                 the data fabric now (JSON)
 *   GET  /api/fabric/events          the same, then every change (server-sent events)
 *   GET  /api/mail, /api/mail/:id    the demo inbox, newest first; one message's text and HTML
 *   GET  /healthz /livez /readyz /metrics
 *
 * Every object leaves through sanitizeObject (no password, no hash, no
 * Secret data); every name from a URL is checked (names.ts) before it is
 * used; no request body is logged.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifyStatic from '@fastify/static';
import type { Logger } from '@cnpaas/kube';
import { REGISTRATION_UID_LABEL } from '@cnpaas/webshop-api';
import type { KubernetesObject } from '@kubernetes/client-node';
import { addHealthRoutes, listenOrExplain, serveJson, serverUrl } from '@cnpaas/service-kit';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { AccessCheck } from './access.js';
import type { ConsoleKube, UserRead } from './console-kube.js';
import { ConsoleError } from './errors.js';
import type { Fabric, FabricChange } from './fabric.js';
import { isMailId, type Inbox } from './inbox.js';
import { ConsoleMetrics } from './metrics.js';
import { checkName } from './names.js';
import { refusalFromStatus, toRegistrationRequest } from './registration-form.js';
import type { RegistrationHistory } from './registration-history.js';
import { EMAILS, NAMESPACES, TENANTS, USERS } from './resources.js';
import { toLogin, toVerification, userOfServiceAccount, userToken, verificationOutcome } from './sign-in.js';
import { sanitizeObject } from './sanitize.js';
import { buildTimeline } from './timeline.js';

export interface ConsoleServerOptions {
  kube: ConsoleKube;
  fabric: Fabric;
  log: Logger;
  /** Where the server will listen; decides whether a token is required. */
  host: string;
  token?: string | undefined;
  /** Without one the inbox view says so. */
  inbox?: Inbox | undefined;
  /** The RegistrationRequests the console saw; without it a timeline falls back to children and Events. */
  history?: RegistrationHistory | undefined;
  /** The built browser assets; default dist/public next to this file. */
  publicDir?: string;
  metrics?: ConsoleMetrics;
  /** Seconds between keep-alive comments on an event stream (proxies drop silent connections). */
  heartbeatMs?: number;
}

type App = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

/** A registration form is well under 4 KiB; this leaves room and stops abuse. */
const BODY_LIMIT = 16 * 1024;

/**
 * script-src 'self' only: no inline script can run, whatever a name or a mail holds. Mail HTML
 * goes into an iframe whose sandbox forbids scripts; it inherits this policy too.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export class ConsoleServer {
  readonly app: App;
  readonly metrics: ConsoleMetrics;
  readonly access: AccessCheck;
  readonly #options: ConsoleServerOptions;
  readonly #streams = new Set<ServerResponse>();
  #listening = false;

  constructor(options: ConsoleServerOptions) {
    this.#options = options;
    this.access = new AccessCheck({ host: options.host, token: options.token });
    this.metrics = options.metrics ?? new ConsoleMetrics();
    const app: App = Fastify({ loggerInstance: options.log, bodyLimit: BODY_LIMIT, return503OnClosing: true });
    this.app = app;
    serveJson(app, {
      error: ConsoleError.kit,
      isOwn: (error): error is ConsoleError => error instanceof ConsoleError,
      rejected: this.metrics.rejected,
    });
    addHealthRoutes(app, { ready: () => this.#listening, registry: this.metrics.registry });

    app.addHook('onRequest', async (request, reply) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) void reply.header(k, v);
      this.access.checkHost(request.headers.host);
      const path = request.url.split('?')[0]!;
      if (path.startsWith('/api/') && !(path === '/api/session' && request.method === 'POST'))
        this.access.checkCaller(request.headers);
    });

    app.get('/api/config', async () => ({
      backends: options.fabric.snapshot().backends,
      tokenRequired: this.access.tokenRequired,
      inbox: options.inbox !== undefined,
    }));

    app.post('/api/session', async (request, reply) => {
      const token = (request.body as { token?: unknown } | null)?.token;
      return reply.header('Set-Cookie', this.access.signIn(token)).send({ ok: true });
    });

    app.post('/api/registrations', async (request, reply) => {
      const body = toRegistrationRequest(request.body);
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const answer = await options.kube.register(body, gone.signal);
      this.metrics.registrations.inc({ code: String(answer.status) });
      // The person's name and address are personal data and the body holds a password: log the outcome only.
      request.log.info({ code: answer.status }, 'registration');
      if (answer.status === 200 || answer.status === 201) return reply.code(201).send(sanitizeObject(answer.body));
      const refusal = refusalFromStatus(answer.status, answer.body, answer.retryAfter);
      if (refusal.retryAfterSeconds !== undefined) void reply.header('Retry-After', String(refusal.retryAfterSeconds));
      // A 401 here is kube-apiserver refusing the console's own credentials, not the browser's: to the
      // browser it is a bad gateway (its 401 means "sign in to the console").
      const code = answer.status === 401 || answer.status < 400 ? 502 : answer.status;
      return reply.code(code).send({ refusal });
    });

    app.post('/api/verifications', async (request, reply) => {
      const answer = await options.kube.verify(toVerification(request.body));
      const outcome = verificationOutcome(answer.status);
      // Never the token: it is the link.
      request.log.info({ code: answer.status, outcome }, 'verification');
      const message = (answer.body as { message?: unknown } | null)?.message;
      const status = (answer.body as { status?: unknown } | null)?.status;
      const code = outcome === 'verified' ? 201 : outcome === 'unavailable' ? 502 : answer.status;
      return reply.code(code).send({
        outcome,
        ...(typeof message === 'string' ? { message } : {}),
        ...(outcome === 'verified' ? { status } : {}),
      });
    });

    app.post('/api/logins', async (request, reply) => {
      const answer = await options.kube.login(toLogin(request.body));
      // Never the address, the password or the token.
      request.log.info({ code: answer.status }, 'login');
      if (answer.status === 201 || answer.status === 200) {
        const status = (answer.body as { status?: unknown } | null)?.status;
        return reply.code(201).header('Cache-Control', 'no-store').send(status);
      }
      const body = answer.body as { message?: unknown; reason?: unknown; details?: { kind?: unknown } } | null;
      const message =
        typeof body?.message === 'string' ? body.message : `the logins API answered HTTP ${answer.status}`;
      // The API server's own 401 (wrong address or password, details.kind Login) is the person's refusal; any other
      // 401 is kube-apiserver refusing the console's credentials. To the browser 401 means "the console's token".
      const refused = answer.status === 401 && body?.details?.kind === 'Login';
      const code = refused ? 403 : answer.status === 401 || answer.status < 400 ? 502 : answer.status;
      const retry = answer.retryAfter;
      if (retry) void reply.header('Retry-After', retry);
      return reply.code(code).send({ message, reason: refused ? 'LoginFailed' : body?.reason });
    });

    app.get('/api/me', async (request, reply) => {
      const kube = options.kube.asUser(userToken(request.headers));
      try {
        const who = await kube.whoAmI();
        if (who.status === 401) throw signedOut();
        const me = userOfServiceAccount(who.username);
        // Every read with the person's own token: what loads is what their RBAC allows.
        const [user, tenant, namespace] = await Promise.all([
          kube.read(USERS, me),
          kube.read(TENANTS, { name: me.namespace }),
          kube.read(NAMESPACES, { name: me.namespace }),
        ]);
        return reply.header('Cache-Control', 'no-store').send({
          username: who.username,
          user: shown(user),
          tenant: shown(tenant),
          namespace: shown(namespace),
        });
      } finally {
        kube.close();
      }
    });

    app.get('/api/me/tenants/:name', async (request, reply) => {
      const name = checkName((request.params as { name?: unknown }).name, { what: 'tenant', rule: 'label' });
      const kube = options.kube.asUser(userToken(request.headers));
      try {
        const read = await kube.read(TENANTS, { name });
        if (read.status === 401) throw signedOut();
        return reply.header('Cache-Control', 'no-store').send(shown(read));
      } finally {
        kube.close();
      }
    });

    app.get('/api/tenants/:name', async (request) => {
      const tenant = await this.#tenant((request.params as { name?: unknown }).name);
      const name = tenant.metadata?.name ?? '';
      // A tenant's namespace has the tenant's name (docs/design.md "The registration flow").
      const [users, emails] = await Promise.all([options.kube.list(USERS, name), options.kube.list(EMAILS, name)]);
      return {
        tenant: sanitizeObject(tenant),
        users: users.map((u) => sanitizeObject(u)),
        emails: emails.map((e) => sanitizeObject(e)),
      };
    });

    app.get('/api/tenants/:name/timeline', async (request) => {
      const tenant = await this.#tenant((request.params as { name?: unknown }).name);
      const name = tenant.metadata?.name ?? '';
      const uid = tenant.metadata?.labels?.[REGISTRATION_UID_LABEL];
      const [users, emails, events] = await Promise.all([
        options.kube.list(USERS, name),
        options.kube.list(EMAILS, name),
        options.kube.events({ kind: TENANTS.kind, name }),
      ]);
      // Only this registration's children: a tenant namespace may hold more Users later.
      const ours = (o: KubernetesObject): boolean =>
        uid !== undefined && o.metadata?.labels?.[REGISTRATION_UID_LABEL] === uid;
      return buildTimeline({
        tenant: tenant,
        registration: uid ? options.history?.get(uid) : undefined,
        users: users.filter(ours),
        emails: emails.filter(ours),
        events,
      });
    });

    app.get('/api/fabric', async () => options.fabric.snapshot());
    app.get('/api/fabric/events', async (request, reply) => this.#stream(reply));

    app.get('/api/mail', async () => ({
      enabled: options.inbox !== undefined,
      messages: options.inbox ? await options.inbox.list() : [],
    }));
    app.get('/api/mail/:id', async (request) => {
      const param = (request.params as { id?: unknown }).id;
      const id = typeof param === 'string' ? param : '';
      if (!isMailId(id)) {
        throw new ConsoleError('CNPAAS_CONSOLE_BAD_NAME', `${JSON.stringify(id.slice(0, 80))} is not a mail id`, {
          httpStatus: 400,
          hint: 'pick a message from the inbox list',
        });
      }
      if (!options.inbox) {
        throw new ConsoleError('CNPAAS_CONSOLE_NOT_FOUND', 'this console has no inbox', {
          httpStatus: 404,
          hint: 'start it with --mail-dir',
        });
      }
      return options.inbox.read(id);
    });

    const publicDir = options.publicDir ?? new URL('./public/', import.meta.url).pathname;
    if (existsSync(publicDir)) {
      void app.register(fastifyStatic, { root: publicDir, index: ['index.html'], wildcard: false });
      // The target of a mailed verification link: the same page, whose script reads the token from the fragment.
      app.get('/verify', async (_request, reply) => reply.sendFile('index.html'));
    }
  }

  /** The Tenant named in a URL, checked first; a clear 404 when there is none. */
  async #tenant(param: unknown): Promise<KubernetesObject> {
    const name = checkName(param, { what: 'tenant', rule: 'label' });
    const tenant = await this.#options.kube.get(TENANTS, { name });
    if (!tenant) {
      throw new ConsoleError('CNPAAS_CONSOLE_NOT_FOUND', `no tenant ${name}`, {
        httpStatus: 404,
        hint: 'a registration makes its tenant within seconds; check the name',
      });
    }
    return tenant;
  }

  /** Server-sent events: a snapshot on every (re)connect, then each change; a comment now and then to keep it open. */
  #stream(reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
    });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    // EventSource reconnects after `retry` ms; the snapshot it then gets replaces what it had.
    res.write('retry: 1000\n\n');
    send('snapshot', this.#options.fabric.snapshot());
    const unsubscribe = this.#options.fabric.subscribe((change: FabricChange) => send('change', change));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), this.#options.heartbeatMs ?? 15_000);
    this.#streams.add(res);
    this.metrics.streams.set(this.#streams.size);
    res.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.#streams.delete(res);
      this.metrics.streams.set(this.#streams.size);
    });
  }

  async listen(options: { host: string; port: number }): Promise<string> {
    await listenOrExplain(() => this.app.listen(options), { ...options, flag: 'port', error: ConsoleError.kit });
    this.#listening = true;
    return serverUrl(this.app.server, 'http');
  }

  /** Ends the event streams (they would hold the server open), then closes. */
  async close(): Promise<void> {
    this.#listening = false;
    for (const res of this.#streams) res.end();
    await this.app.close();
  }
}

function signedOut(): ConsoleError {
  return new ConsoleError('CNPAAS_CONSOLE_SIGNED_OUT', 'your sign-in has expired', {
    httpStatus: 403,
    hint: 'sign in again',
  });
}

/** A read as the person: the sanitized object, or kube-apiserver's refusal as it said it. */
function shown(read: UserRead): { status: number; object?: unknown; message?: string } {
  return read.object
    ? { status: read.status, object: sanitizeObject(read.object) }
    : { status: read.status, ...(read.message ? { message: read.message } : {}) };
}
