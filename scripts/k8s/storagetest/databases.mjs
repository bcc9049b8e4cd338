#!/usr/bin/env node
// Hands out fresh, empty databases to the storage-test overlay
// (storagetest/testserver), one per cnpaas-store a test starts, on the
// PostgreSQL and MariaDB/MySQL servers named in the environment.
// storage-test.sh starts it on a unix socket when a run needs a database and
// stops it at the end; see STORAGE-TESTS.md.
//
//   databases.mjs --socket PATH
//
// Servers (an account that may CREATE and DROP DATABASE, and a database it
// can log in to):
//   CNPAAS_STORAGE_TEST_POSTGRES  postgres://user:password@host:port/postgres?sslmode=disable
//   CNPAAS_STORAGE_TEST_MYSQL     mysql://user:password@tcp(host:port)/mysql
//
// Protocol, HTTP over the socket (the overlay uses only Go's standard library,
// so the committed go.mod, which also builds the kube binaries, gains nothing):
//   POST   /databases?server=postgres|mysql  -> 201 {"name", "endpoint", "bare", "password"}
//          endpoint: the store's endpoint for the new database; bare: the same
//          without the password (for a topology whose backend has passwordEnv)
//   DELETE /databases/NAME?server=...        -> 204 (drops it; the store must be stopped)
// Databases still there when it stops (SIGTERM) are dropped then.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import mysql from 'mysql2/promise';
import pg from 'pg';

const STORE_DIST = new URL('../../../packages/storage-shim/dist/drivers/', import.meta.url);
// The store's own endpoint parsers: the overlay's endpoints mean exactly what the store reads.
const { parsePostgresEndpoint } = await import(new URL('postgres-endpoint.js', STORE_DIST).href);
const { parseMysqlEndpoint } = await import(new URL('mysql-endpoint.js', STORE_DIST).href);

const PROG = 'storagetest/databases.mjs';
const ENV = { postgres: 'CNPAAS_STORAGE_TEST_POSTGRES', mysql: 'CNPAAS_STORAGE_TEST_MYSQL' };

const args = process.argv.slice(2);
const socketAt = args.indexOf('--socket');
if (socketAt < 0 || !args[socketAt + 1]) {
  console.error(`${PROG}: usage: databases.mjs --socket PATH`);
  process.exit(2);
}
const socketPath = args[socketAt + 1];

// Names unique per run, so leftovers of an interrupted run on a shared server never collide.
const runId = randomBytes(3).toString('hex');
let counter = 0;
const newName = () => `cst_${runId}_${++counter}`;

/** A URL endpoint (postgres://, mysql://host) naming database `name`, with or without its password. */
function urlEndpoint(url, name, withPassword) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  if (!withPassword) u.password = '';
  return u.toString();
}

/** One server: how to reach it as admin, and how to spell a database's endpoint. */
async function openPostgres(url) {
  const { config } = parsePostgresEndpoint(url);
  const admin = new pg.Client(config);
  await admin.connect();
  return {
    password: String(config.password ?? ''),
    endpoint: (name, withPassword) => urlEndpoint(url, name, withPassword),
    // WAL_LOG (15's default) writes the whole template through the WAL; FILE_COPY copies its
    // files and checkpoints, which a test server with fsync=off makes cheap (not compared here).
    create: (name) => admin.query(`CREATE DATABASE ${name} STRATEGY = FILE_COPY`),
    drop: (name) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    close: () => admin.end(),
  };
}

async function openMysql(url) {
  const { config } = parseMysqlEndpoint(url);
  const admin = await mysql.createConnection(config);
  // The Go DSN (`user:password@tcp(host:port)/db`) or a plain URL: only the database changes.
  const dsn = /^(mysql:\/\/)(?:([^:@]*)(?::(.*))?@)?((?:tcp|unix)\([^)]*\))\/[^?]*(\?.*)?$/s.exec(url);
  const endpoint = (name, withPassword) => {
    if (dsn) {
      const [, scheme, user = '', password, address, query = ''] = dsn;
      const login = user || password !== undefined ? `${user}${withPassword && password ? `:${password}` : ''}@` : '';
      return `${scheme}${login}${address}/${name}${query}`;
    }
    return urlEndpoint(url, name, withPassword);
  };
  return {
    password: String(config.password ?? ''),
    endpoint,
    create: (name) => admin.query(`CREATE DATABASE ${name}`),
    drop: (name) => admin.query(`DROP DATABASE IF EXISTS ${name}`),
    close: () => admin.end(),
  };
}

const servers = new Map(); // kind -> opened server (lazily, on the first request for it)
const live = new Map(); // name -> kind

async function server(kind) {
  if (!(kind in ENV)) throw Object.assign(new Error(`unknown server "${kind}" (postgres or mysql)`), { status: 400 });
  let s = servers.get(kind);
  if (!s) {
    const url = process.env[ENV[kind]];
    if (!url) {
      throw Object.assign(
        new Error(
          `${ENV[kind]} is not set: a test asked for a ${kind} database. Point it at a server the tests may create databases on (the vitest suite test/apiserver-storage/ starts one)`,
        ),
        { status: 503 },
      );
    }
    s = (kind === 'postgres' ? openPostgres : openMysql)(url);
    servers.set(kind, s);
    s.catch(() => servers.delete(kind));
  }
  return s;
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const http = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://databases');
  const kind = url.searchParams.get('server') ?? '';
  const work = async () => {
    const db = await server(kind);
    if (req.method === 'POST' && url.pathname === '/databases') {
      const name = newName();
      await db.create(name);
      live.set(name, kind);
      return reply(res, 201, {
        name,
        endpoint: db.endpoint(name, true),
        bare: db.endpoint(name, false),
        password: db.password,
      });
    }
    const drop = /^\/databases\/(cst_[0-9a-f]+_\d+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && drop) {
      await db.drop(drop[1]);
      live.delete(drop[1]);
      return reply(res, 204);
    }
    return reply(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  };
  work().catch((err) => reply(res, err.status ?? 500, { error: err.message }));
});

async function shutdown() {
  http.close();
  for (const [name, kind] of live) {
    try {
      await (await servers.get(kind))?.drop(name);
    } catch (err) {
      console.error(`${PROG}: could not drop ${name}: ${err.message}`);
    }
  }
  for (const s of servers.values()) await (await s.catch(() => undefined))?.close().catch(() => undefined);
  rmSync(socketPath, { force: true });
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());

rmSync(socketPath, { force: true });
http.listen(socketPath);
