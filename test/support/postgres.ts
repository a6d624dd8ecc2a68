import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * Databases for the PostgreSQL store's tests. Each test process gets a database of its own on the server
 * (scripts/ensure-postgres.sh provides one), dropped when the run ends; a test that needs an empty store
 * takes a fresh schema in it, far cheaper than a database per test.
 */

/** A role allowed to create databases, on the server the tests use. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** `microacq_test_<pid>_<hex>`: the pid tells a later run whether the owner still runs. */
export const RUN_DATABASE_NAME = /^microacq_test_(\d+)_[0-9a-f]+$/;

export interface FreshSchema {
  /** The run database's URL; the store sets search_path to `schema` itself. */
  readonly url: string;
  readonly schema: string;
  /** Drops the schema and everything in it; dropping twice is harmless. */
  drop(): Promise<void>;
}

let runDatabaseName: Promise<string> | undefined;
const availability = new Map<string, Promise<boolean>>();

/** The same server and credentials as `url`, on another database. */
function urlFor(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, only another user's.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Drops the run databases of test processes that no longer run (killed before their `after` hook), so
 * they do not pile up; returns their names. A database still connected to is kept, as DROP refuses it:
 * that also spares a run on another machine sharing the server whose pid happens to be free here.
 */
export async function dropStaleRunDatabases(): Promise<string[]> {
  return withClient(ADMIN_URL, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'microacq\\_test\\_%'",
    );
    const dropped: string[] = [];
    for (const { datname } of rows) {
      const pid = RUN_DATABASE_NAME.exec(datname)?.[1];
      if (pid === undefined || isRunning(Number(pid))) continue;
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)}`);
        dropped.push(datname);
      } catch {
        // Still in use, or a concurrent run dropped it first: a later run tries again.
      }
    }
    return dropped;
  });
}

/** The URL of this test process's own database, created on the first call. */
export async function runDatabase(): Promise<string> {
  runDatabaseName ??= (async () => {
    await dropStaleRunDatabases();
    const name = `microacq_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await withClient(ADMIN_URL, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
    return name;
  })();
  return urlFor(ADMIN_URL, await runDatabaseName);
}

/** Drops this process's database, if it made one; a later runDatabase() makes a new one. */
export async function dropRunDatabase(): Promise<void> {
  const pending = runDatabaseName;
  runDatabaseName = undefined;
  const name = await pending?.catch(() => undefined);
  if (name === undefined) return;
  // FORCE: a store a test forgot to close must not keep the database alive.
  await withClient(ADMIN_URL, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

/** A new, empty schema `s_<hex>` in the run database. */
export async function freshSchema(): Promise<FreshSchema> {
  const url = await runDatabase();
  const schema = `s_${randomBytes(6).toString('hex')}`;
  await withClient(url, (client) => client.query(`CREATE SCHEMA ${client.escapeIdentifier(schema)}`));
  return {
    url,
    schema,
    drop: async () => {
      await withClient(url, (client) =>
        client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`),
      );
    },
  };
}

/** Whether the server at `url` (the admin URL unless given) accepts a connection within 3 s; asked once. */
export function postgresAvailable(url: string = ADMIN_URL): Promise<boolean> {
  let answer = availability.get(url);
  if (answer === undefined) {
    answer = (async () => {
      const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
      try {
        await client.connect();
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
    availability.set(url, answer);
  }
  return answer;
}

/** For a suite's `before`: a PostgreSQL suite fails, never skips, when no server answers. */
export async function requirePostgres(): Promise<void> {
  if (!(await postgresAvailable())) {
    throw new Error(`No PostgreSQL answers at ${ADMIN_URL}: run scripts/ensure-postgres.sh`);
  }
}

/**
 * A database in trouble: every `every` ms, cuts a `share` of the bot's connections to `url`'s database
 * (those named microacq), as a failover or a network blip does. A query on a cut connection fails; the
 * pool opens a new one for the next.
 */
export function cutConnectionsRandomly(
  url: string,
  options: { readonly every: number; readonly share: number; readonly random: () => number },
): { stop(): Promise<number> } {
  let running = true;
  let cut = 0;
  const loop = (async () => {
    const client = new Client({ connectionString: url, application_name: 'microacq-faults' });
    await client.connect();
    try {
      while (running) {
        const { rows } = await client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'microacq' AND pid <> pg_backend_pid()`,
        );
        for (const { pid } of rows) {
          if (options.random() < options.share) {
            await client.query('SELECT pg_terminate_backend($1)', [pid]);
            cut += 1;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, options.every));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    /** Stops cutting; resolves with how many connections were cut. */
    stop: async () => {
      running = false;
      await loop;
      return cut;
    },
  };
}

// Mocha's globals exist only while it loads the specs: this registers on the root suite, so the run
// database goes when the whole run ends. Outside mocha, callers use dropRunDatabase() themselves.
if (typeof after === 'function') {
  after('drop the PostgreSQL run database', async function () {
    this.timeout(30_000);
    await dropRunDatabase();
  });
}
