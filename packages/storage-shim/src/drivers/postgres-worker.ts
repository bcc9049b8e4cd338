import { postgresConnector } from './postgres-connector.js';
import { serveQueries } from './sql-worker-host.js';

/**
 * The PostgreSQL connections of one backend, in their own thread
 * (sql-worker-host.ts, which opens a connection again after the server
 * restarts), so that sql-bridge.ts can wait for a query synchronously while
 * it runs here.
 */
serveQueries(postgresConnector);
