/**
 * Which failures of a network database mean that the connection, not the
 * statement, failed: the server is down, restarting or unreachable, and the
 * same request may work once it is back. The worker opens a new connection
 * after one of these (sql-worker-host.ts); the store answers them with a
 * retryable UNAVAILABLE (network-sql-driver.ts).
 */

/** Codes that mean the connection, not the statement, failed: PostgreSQL's SQLSTATE class 08 and 57P0x, sockets, mysql2's. */
const CONNECTION_CODES =
  /^(08|57P0[1-3]$|ECONN|EPIPE$|ETIMEDOUT$|EHOSTUNREACH$|ENETUNREACH$|PROTOCOL_CONNECTION_LOST$|PROTOCOL_SEQUENCE_TIMEOUT$|ER_SERVER_SHUTDOWN$|ER_CON_COUNT_ERROR$|ER_CONNECTION_KILLED$|CONNECTION_LOST$|ENOTFOUND$|EAI_AGAIN$)/;

export function isConnectionError(err: { code?: string; message?: string }): boolean {
  if (err.code !== undefined && CONNECTION_CODES.test(err.code)) return true;
  // pg and mysql2 report a socket that closed under them without a code.
  return /connection terminated|connection is in closed state|not queryable|connection lost|server has gone away/i.test(
    err.message ?? '',
  );
}
