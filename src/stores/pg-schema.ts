import { StoreUnavailableError } from '../services/store';
import type { PgAccess, Queryable } from './pg-access';
import { DOCUMENTS_SCHEMA } from './pg-documents';
import { backfillLookback, LOOKBACK_SCHEMA, RECORDS_SCHEMA } from './pg-records';
import { SITE_SCHEMA } from './pg-site';
import { WORKING_SCHEMA } from './pg-working';

/**
 * The PostgreSQL schema, one migration per step, applied in order at start-up. Replicas starting
 * together take turns on an advisory lock, so each migration runs once.
 */
interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Runs after `sql`, in the same transaction: for what SQL cannot compute as the code does. */
  readonly run?: (db: Queryable) => Promise<void>;
}

/** Built when asked: pg-documents.ts imports `migrate` from here, and its table from there would not be set yet. */
const migrations = (): readonly Migration[] => [
  { version: 1, name: 'records, audit and pending notifications', sql: RECORDS_SCHEMA },
  {
    version: 2,
    name: 'working state: drafts, conversations, outbox, activities, leases',
    sql: WORKING_SCHEMA,
  },
  { version: 3, name: 'public site, e-mail and publication log', sql: SITE_SCHEMA },
  { version: 4, name: 'requests’ documents', sql: DOCUMENTS_SCHEMA },
  { version: 5, name: 'look-back columns', sql: LOOKBACK_SCHEMA, run: backfillLookback },
];

export const PG_SCHEMA_VERSION = 5;

/** The database was migrated by a newer release: this one must not write to it. */
export class PgSchemaTooNewError extends StoreUnavailableError {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`the database is at schema version ${found}, newer than this release's ${known}; upgrade the bot`);
    this.name = 'PgSchemaTooNewError';
  }
}

/** Any constant shared by every replica of the bot: the advisory lock's key. */
const MIGRATION_LOCK = 4_719_201;

export async function migrate(access: PgAccess, schema?: string): Promise<void> {
  await access.tx('migrate', async (db) => {
    await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    if (schema) await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await db.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await db.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    const current = rows[0]?.version ?? 0;
    if (current > PG_SCHEMA_VERSION) throw new PgSchemaTooNewError(current, PG_SCHEMA_VERSION);
    for (const m of migrations().filter((m) => m.version > current)) {
      await db.query(m.sql);
      await m.run?.(db);
      await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    // A replica of the previous release, still running through a rolling upgrade, writes records and
    // changes without the look-back's columns: each start fills in what it left.
    if (current >= 5) await backfillLookback(db);
  });
}
