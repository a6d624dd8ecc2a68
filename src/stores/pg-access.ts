import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { StoreUnavailableError } from '../services/store';

/**
 * What every PostgreSQL port adapter needs of the one connection pool: queries and transactions, with
 * connection and server failures reported as StoreUnavailableError (the caller may retry), and a
 * transaction that lost a serialization race or a deadlock run again.
 */

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database, as DATABASE_URL gives it. */
  readonly connectionString: string;
  /** Tables live in this schema (created if missing): tests give each store an empty one. */
  readonly schema?: string;
  /** Connections per process; every replica has its own pool. */
  readonly poolSize?: number;
  /** A statement running longer is cancelled and reported as unavailable. */
  readonly statementTimeoutMs?: number;
  /** Waiting longer for a connection from the pool or the server counts as unavailable. */
  readonly connectTimeoutMs?: number;
}

/** Anything queries can run on: the pool, or the client of one transaction. */
export interface Queryable {
  query<R extends QueryResultRow>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * SQLSTATE classes of the connection and the server rather than of our data: 08 connection, 53
 * resources, 57 operator intervention (shutdown, cancelled by timeout), 58 system error; plus the
 * socket's own codes.
 */
const UNAVAILABLE = /^(08|53|57|58)/;
const SOCKET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
/** Lost a race with another transaction: running it again is the answer. */
const RETRY = new Set(['40001', '40P01']);

/** The SQLSTATE of a server error (or a socket's code), if it is one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function asUnavailable(err: unknown, what: string): StoreUnavailableError | undefined {
  if (err instanceof StoreUnavailableError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (
    (code && (UNAVAILABLE.test(code) || SOCKET.has(code))) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
      message,
    )
  ) {
    return new StoreUnavailableError(`${what} failed: ${message}`, { cause: err });
  }
  return undefined;
}

/** A schema name is an identifier we create ourselves; refuse anything else rather than quote it. */
function schemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`not a schema name: ${schema}`);
  return schema;
}

export class PgAccess implements Queryable {
  private closed = false;

  private constructor(
    readonly pool: Pool,
    /** Where the store is, without the password, for messages. */
    readonly label: string,
  ) {}

  static connect(options: PgStoreOptions): PgAccess {
    const schema = options.schema ? schemaName(options.schema) : undefined;
    const pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      // Each connection's own search path, so every query names tables without a schema.
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      application_name: 'microacq',
    });
    // A connection dropped while idle in the pool must not bring the process down; the next query reconnects.
    pool.on('error', () => undefined);
    let label = options.connectionString;
    try {
      const url = new URL(options.connectionString);
      url.password = '';
      label = `${url.host}${url.pathname}${schema ? `#${schema}` : ''}`;
    } catch {
      label = 'the PostgreSQL database';
    }
    return new PgAccess(pool, label);
  }

  async query<R extends QueryResultRow>(
    text: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.guard('query', () => this.pool.query<R>(text, params as unknown[]));
  }

  async rows<R extends QueryResultRow>(text: string, ...params: unknown[]): Promise<R[]> {
    return (await this.query<R>(text, params)).rows;
  }

  async row<R extends QueryResultRow>(text: string, ...params: unknown[]): Promise<R | undefined> {
    return (await this.query<R>(text, params)).rows[0];
  }

  /**
   * One transaction on one connection: committed when `fn` resolves, rolled back when it throws. A
   * serialization failure or deadlock runs it again (a few times), since the other transaction won.
   */
  async tx<T>(what: string, fn: (client: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.guard(what, async () => {
          const client: PoolClient = await this.pool.connect();
          let broken = false;
          // A connection cut while checked out emits 'error' on its client (the pool listens only to idle
          // ones): noted here, it fails this transaction's next query instead of the whole process.
          const cut = () => (broken = true);
          client.on('error', cut);
          try {
            await client.query('BEGIN');
            const result = await fn(client);
            await client.query('COMMIT');
            return result;
          } catch (err) {
            await client.query('ROLLBACK').catch(() => (broken = true));
            throw err;
          } finally {
            client.off('error', cut);
            client.release(broken);
          }
        });
      } catch (err) {
        if (attempt < 5 && RETRY.has(codeOf(err) ?? '')) continue;
        throw err;
      }
    }
  }

  async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`the store at ${this.label} is closed`);
    try {
      return await fn();
    } catch (err) {
      throw asUnavailable(err, `${what} on ${this.label}`) ?? err;
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/**
 * NUL in text (22021) or in JSON (22P05) cannot be kept by PostgreSQL at all, where SQLite keeps it: the
 * input is refused as the caller's mistake rather than reported as a fault of the store. JSON kept in
 * json columns holds it escaped, so only plain text columns (ids, addresses, the mailbox) meet this.
 */
const UNSTORABLE = new Set(['22021', '22P05']);

export async function storable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (UNSTORABLE.has(codeOf(err) ?? '')) {
      throw new RangeError(`${what}: the text holds a character the store cannot keep`, { cause: err });
    }
    throw err;
  }
}
