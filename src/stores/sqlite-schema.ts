import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../services/store';
import { spacedWords, storedLookbackColumns } from './record-rows';

/**
 * The SQLite file's tables, one numbered migration at a time, and the connection that opens the file
 * and brings it up to date.
 */

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Runs after `sql`, in the same transaction: for what SQL cannot compute as the code does. */
  readonly run?: (db: Database.Database) => void;
}

/**
 * Migration 14: the look-back's columns (see RecordStore.lookbackRows). The branch and the title's words
 * are folded as services/lookback.ts folds them, which SQL cannot do, so existing rows are filled in here.
 * Columns already there are kept: a file whose tables were taken back by hand to an older version (as
 * the migration tests do) still migrates.
 */
function addLookbackColumns(db: Database.Database): void {
  const present = new Set(
    (db.pragma('table_info(opportunities)') as { name: string }[]).map((column) => column.name),
  );
  const columns = [
    ['branch_key', "TEXT NOT NULL DEFAULT ''"],
    ['title_words', "TEXT NOT NULL DEFAULT ' '"],
    ['supplier_name', 'TEXT'],
    ['fixed_price_cents', 'INTEGER NOT NULL DEFAULT 0'],
  ] as const;
  for (const [name, type] of columns) {
    if (!present.has(name)) db.exec(`ALTER TABLE opportunities ADD COLUMN ${name} ${type}`);
  }
  // Covering: the look-back reads a branch's year from the index alone, never the records' JSON (which
  // lies before these columns in each row, so reading past it walks its overflow pages).
  db.exec(
    `CREATE INDEX IF NOT EXISTS opportunities_lookback ON opportunities
       (branch_key, created_at, status, supplier_name, title_words, year, seq, reference, title, branch,
        fixed_price_cents)`,
  );
  const read = db.prepare<[number], { rowid: number; branch: string; title: string; data: string }>(
    'SELECT rowid, branch, title, data FROM opportunities WHERE rowid > ? ORDER BY rowid LIMIT 500',
  );
  const write = db.prepare(
    `UPDATE opportunities SET branch_key = ?, title_words = ?, supplier_name = ?, fixed_price_cents = ?
     WHERE rowid = ?`,
  );
  // In slices: a statement being stepped through keeps the connection from running another.
  for (let rows = read.all(0); rows.length > 0; rows = read.all(rows.at(-1)?.rowid ?? Infinity)) {
    for (const row of rows) {
      const c = storedLookbackColumns(row);
      write.run(c.branch_key, spacedWords(c.words), c.supplier_name, c.fixed_price_cents, row.rowid);
    }
  }
}

/** Append only: a released migration never changes; a new schema change is a new entry. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE opportunities (
        reference TEXT PRIMARY KEY,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        status TEXT NOT NULL,
        requester_id TEXT NOT NULL,
        branch TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        title TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data)),
        UNIQUE (year, seq)
      ) STRICT;
      CREATE INDEX opportunities_created ON opportunities (created_at DESC, reference DESC);
      CREATE INDEX opportunities_status ON opportunities (status, created_at DESC, reference DESC);
      CREATE INDEX opportunities_requester ON opportunities (requester_id, created_at DESC, reference DESC);
      CREATE INDEX opportunities_branch ON opportunities (branch, created_at DESC, reference DESC);

      CREATE TABLE reference_counters (
        year INTEGER PRIMARY KEY,
        last_seq INTEGER NOT NULL CHECK (last_seq >= 1)
      ) STRICT;

      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES opportunities (reference)
      ) STRICT;

      -- seq keeps insertion order, which is the trail's order whatever clock wrote "at".
      CREATE TABLE audit_entries (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        reference TEXT NOT NULL REFERENCES opportunities (reference),
        at TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
        comment TEXT,
        reason TEXT
      ) STRICT;
      CREATE INDEX audit_entries_reference ON audit_entries (reference, seq);

      CREATE TABLE drafts (
        owner_id TEXT NOT NULL,
        id TEXT NOT NULL,
        step TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data)),
        version INTEGER NOT NULL CHECK (version >= 1),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner_id, id)
      ) STRICT;
      CREATE INDEX drafts_owner_updated ON drafts (owner_id, updated_at DESC, id DESC);

      CREATE TABLE conversations (
        key TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'preferences',
    sql: `
      CREATE TABLE preferences (
        user_id TEXT PRIMARY KEY,
        data TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object'),
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'outbox',
    sql: `
      CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        conversation_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('post', 'update')),
        activity TEXT NOT NULL CHECK (json_valid(activity) AND json_type(activity) = 'object'),
        message_key TEXT,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        not_before TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (kind = 'post' OR message_key IS NOT NULL)
      ) STRICT;
      -- The due query: pending rows in each conversation's order, and the check for an older one still
      -- waiting. Partial, so the growing list of sent messages is never read.
      CREATE INDEX outbox_pending ON outbox (conversation_key, created_at, id) WHERE state = 'pending';
      CREATE INDEX outbox_dead ON outbox (created_at) WHERE state = 'dead';

      CREATE TABLE message_ids (
        key TEXT PRIMARY KEY,
        activity_id TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'text search',
    // Words of the title, description, branch and skills, accents folded; rows share the record's rowid so
    // keeping them current is a lookup, never a scan.
    sql: `
      CREATE VIRTUAL TABLE opportunities_text USING fts5(
        body, tokenize = 'unicode61 remove_diacritics 2'
      );
      INSERT INTO opportunities_text (rowid, body) SELECT rowid, coalesce(json_extract(opportunities.data, '$.title'), '') || ' ' || coalesce(json_extract(opportunities.data, '$.shortDescription'), '') || ' ' || opportunities.branch || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(opportunities.data, '$.requiredSkills')), '') FROM opportunities;
      CREATE TRIGGER opportunities_text_insert AFTER INSERT ON opportunities BEGIN
        INSERT INTO opportunities_text (rowid, body) VALUES (new.rowid, coalesce(json_extract(new.data, '$.title'), '') || ' ' || coalesce(json_extract(new.data, '$.shortDescription'), '') || ' ' || new.branch || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.data, '$.requiredSkills')), ''));
      END;
      CREATE TRIGGER opportunities_text_update AFTER UPDATE OF data, branch ON opportunities BEGIN
        DELETE FROM opportunities_text WHERE rowid = old.rowid;
        INSERT INTO opportunities_text (rowid, body) VALUES (new.rowid, coalesce(json_extract(new.data, '$.title'), '') || ' ' || coalesce(json_extract(new.data, '$.shortDescription'), '') || ' ' || new.branch || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.data, '$.requiredSkills')), ''));
      END;
      CREATE TRIGGER opportunities_text_delete AFTER DELETE ON opportunities BEGIN
        DELETE FROM opportunities_text WHERE rowid = old.rowid;
      END;
    `,
  },
  {
    version: 5,
    name: 'handled activities',
    sql: `
      CREATE TABLE handled_activities (
        key TEXT PRIMARY KEY,
        response TEXT CHECK (response IS NULL OR (json_valid(response) AND json_type(response) = 'object')),
        at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX handled_activities_at ON handled_activities (at);
    `,
  },
  {
    version: 6,
    name: 'pending notifications',
    sql: `
      CREATE TABLE pending_notifications (
        reference TEXT NOT NULL,
        version INTEGER NOT NULL,
        events TEXT NOT NULL CHECK (json_valid(events) AND json_type(events) = 'array'),
        at TEXT NOT NULL,
        PRIMARY KEY (reference, version)
      ) STRICT;
      -- Whether a card was ever queued to be posted under a key, so updates of cards never posted are not queued.
      CREATE INDEX outbox_posts ON outbox (message_key) WHERE kind = 'post';
      -- Most changes leave the searched words as they were: re-index only when they change.
      DROP TRIGGER opportunities_text_update;
      CREATE TRIGGER opportunities_text_update AFTER UPDATE OF data, branch ON opportunities
      WHEN old.branch IS NOT new.branch
        OR json_extract(old.data, '$.title') IS NOT json_extract(new.data, '$.title')
        OR json_extract(old.data, '$.shortDescription') IS NOT json_extract(new.data, '$.shortDescription')
        OR json_extract(old.data, '$.requiredSkills') IS NOT json_extract(new.data, '$.requiredSkills')
      BEGIN
        DELETE FROM opportunities_text WHERE rowid = old.rowid;
        INSERT INTO opportunities_text (rowid, body) VALUES (new.rowid, coalesce(json_extract(new.data, '$.title'), '') || ' ' || coalesce(json_extract(new.data, '$.shortDescription'), '') || ' ' || new.branch || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.data, '$.requiredSkills')), ''));
      END;
    `,
  },
  {
    version: 7,
    name: 'object ids in one case',
    // Entra ids reach the bot in either case; they are kept in lower case, as the bot now writes them.
    sql: `
      UPDATE opportunities SET requester_id = lower(requester_id);
      UPDATE OR REPLACE drafts SET owner_id = lower(owner_id);
      UPDATE OR REPLACE preferences SET user_id = lower(user_id);
      UPDATE OR REPLACE conversations SET key = 'user:' || lower(substr(key, 6)) WHERE key LIKE 'user:%';
    `,
  },
  {
    version: 8,
    name: 'newest first by reference',
    // Records list by reference, the latest first, in every store: the order SharePoint can page through
    // a large list in.
    sql: `
      DROP INDEX IF EXISTS opportunities_created;
      DROP INDEX IF EXISTS opportunities_status;
      DROP INDEX IF EXISTS opportunities_requester;
      DROP INDEX IF EXISTS opportunities_branch;
      CREATE INDEX opportunities_newest ON opportunities (year DESC, seq DESC);
      CREATE INDEX opportunities_status ON opportunities (status, year DESC, seq DESC);
      CREATE INDEX opportunities_requester ON opportunities (requester_id, year DESC, seq DESC);
      CREATE INDEX opportunities_branch ON opportunities (branch, year DESC, seq DESC);
    `,
  },
  {
    version: 9,
    name: 'public site: questions, subscriptions, e-mail queue, local mailbox, publication log',
    sql: `
      CREATE TABLE questions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        reference TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('asked', 'answered', 'declined')),
        version INTEGER NOT NULL CHECK (version >= 1),
        asked_at TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object')
      ) STRICT;
      CREATE INDEX questions_reference ON questions (reference, asked_at, seq);
      -- The bounds count the questions still waiting, on one request and in all, never the settled ones.
      CREATE INDEX questions_unanswered ON questions (reference) WHERE state = 'asked';

      -- One row per address: email_key is the address in lower case as JavaScript folds it (SQL's lower()
      -- folds ASCII only, and addresses may hold more). seq is never reused, so page cursors stay good.
      CREATE TABLE subscriptions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        email_key TEXT NOT NULL UNIQUE,
        token TEXT NOT NULL UNIQUE,
        confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
        created_at TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object')
      ) STRICT;
      CREATE INDEX subscriptions_unconfirmed ON subscriptions (created_at) WHERE confirmed = 0;
      CREATE INDEX subscriptions_confirmed ON subscriptions (seq) WHERE confirmed = 1;

      -- kind is checked by the code, not here: a new kind of e-mail then needs no table rebuild.
      CREATE TABLE mail (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        locale TEXT NOT NULL CHECK (locale IN ('en', 'fr')),
        recipient TEXT NOT NULL,
        recipient_key TEXT NOT NULL,
        personalisation TEXT NOT NULL
          CHECK (json_valid(personalisation) AND json_type(personalisation) = 'object'),
        reference TEXT,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        not_before TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
        last_error TEXT,
        sent_at TEXT,
        provider_id TEXT,
        given_up INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        -- A message sent or given up keeps nothing personal.
        CHECK (state = 'pending' OR (recipient = '' AND recipient_key = '' AND personalisation = '{}'))
      ) STRICT;
      -- As the outbox's: partial, so the growing list of sent messages is never read.
      CREATE INDEX mail_due ON mail (created_at, seq) WHERE state = 'pending';
      CREATE INDEX mail_pending_to ON mail (recipient_key) WHERE state = 'pending';
      CREATE INDEX mail_dead ON mail (given_up) WHERE state = 'dead';

      CREATE TABLE mailbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        locale TEXT NOT NULL CHECK (locale IN ('en', 'fr')),
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        delivered_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX mailbox_delivered ON mailbox (delivered_at, seq);

      CREATE TABLE publication_log (
        target TEXT NOT NULL,
        reference TEXT NOT NULL,
        digest TEXT NOT NULL,
        published_at TEXT NOT NULL,
        PRIMARY KEY (target, reference)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 10,
    name: 'applications',
    sql: `
      -- One row per address per opportunity: email_key is the address in lower case as JavaScript folds
      -- it. confirmed says the application was confirmed once; pending_token is the secret of the change
      -- waiting for its link (NULL when none), pending_answers the self-identification waiting with it.
      -- seq is never reused, so page cursors stay good across deletions.
      CREATE TABLE applications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        reference TEXT NOT NULL,
        email_key TEXT NOT NULL,
        pending_token TEXT UNIQUE,
        confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
        version INTEGER NOT NULL CHECK (version >= 1),
        created_at TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object'),
        pending_answers TEXT
          CHECK (pending_answers IS NULL OR (json_valid(pending_answers) AND json_type(pending_answers) = 'object')),
        UNIQUE (reference, email_key)
      ) STRICT;
      CREATE INDEX applications_reference ON applications (reference, seq);
      -- The bound counts applications never confirmed that wait for their link.
      CREATE INDEX applications_unconfirmed ON applications (seq)
        WHERE confirmed = 0 AND pending_token IS NOT NULL;

      -- Kept apart from the applications, for the program's statistics: one row per confirmed
      -- application, replaced at each confirmation, gone with the application.
      CREATE TABLE self_identification (
        application_id TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
        reference TEXT NOT NULL,
        answers TEXT NOT NULL CHECK (json_valid(answers) AND json_type(answers) = 'object')
      ) STRICT;
      CREATE INDEX self_identification_reference ON self_identification (reference);
    `,
  },
  {
    version: 11,
    name: 'delegations',
    // Who acts for whom while a colleague is away, kept once ended as the record of it. Person ids are in
    // lower case (idKey); a delegator has at most one delegation not ended.
    sql: `
      CREATE TABLE delegations (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        delegator_id TEXT NOT NULL,
        delegate_id TEXT NOT NULL,
        until TEXT NOT NULL,
        ended_at TEXT,
        data TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object')
      ) STRICT;
      CREATE UNIQUE INDEX delegations_running ON delegations (delegator_id) WHERE ended_at IS NULL;
      CREATE INDEX delegations_to ON delegations (delegate_id, until) WHERE ended_at IS NULL;
      CREATE INDEX delegations_by ON delegations (delegator_id, seq);
    `,
  },
  {
    version: 12,
    name: 'decisions on behalf of a colleague',
    // A delegate's decision names the colleague it was taken for; entries written before name nobody.
    sql: `
      ALTER TABLE audit_entries ADD COLUMN on_behalf_of_id TEXT;
      ALTER TABLE audit_entries ADD COLUMN on_behalf_of_name TEXT;
    `,
  },
  {
    version: 13,
    name: 'claims, leases and rates shared by replicas',
    // An activity claimed and not yet answered has running_until (rows answered before have none); a
    // queued message leased to a replica names it until the lease passes; a named lease says who runs a
    // job; rate events are the recent operations on a rate-limited key, in milliseconds since the epoch.
    sql: `
      ALTER TABLE handled_activities ADD COLUMN running_until TEXT;
      CREATE INDEX handled_activities_running ON handled_activities (running_until)
        WHERE running_until IS NOT NULL;
      ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
      ALTER TABLE outbox ADD COLUMN lease_until TEXT;

      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until TEXT NOT NULL
      ) STRICT;

      CREATE TABLE rate_events (
        key TEXT NOT NULL,
        at_ms INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX rate_events_key ON rate_events (key, at_ms);
    `,
  },
  {
    version: 14,
    name: 'look-back columns',
    sql: '',
    run: addLookbackColumns,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

const DEFAULT_BUSY_TIMEOUT_MS = 3_000;

/** The file was written by a newer release: opening it with older code could corrupt it. */
export class SchemaTooNewError extends StoreUnavailableError {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `the store at ${path} has schema version ${found}, newer than the ${supported} this release ` +
        'understands; run a newer release or restore a backup made by this one',
    );
    this.name = 'SchemaTooNewError';
  }
}

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock; it blocks the event loop meanwhile. */
  readonly busyTimeoutMs?: number;
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the file up to SCHEMA_VERSION; a file already there is left untouched, without a write lock. */
function migrate(db: Database.Database, path: string): void {
  const check = (found: number) => {
    if (found > SCHEMA_VERSION) throw new SchemaTooNewError(path, found, SCHEMA_VERSION);
  };
  const before = userVersion(db);
  check(before);
  if (before === SCHEMA_VERSION) return;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated meanwhile.
    const found = userVersion(db);
    check(found);
    for (const m of MIGRATIONS.filter((m) => m.version > found)) {
      db.exec(m.sql);
      m.run?.(db);
      // Prepared after the first migration has created the table.
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    }
    // PRAGMA takes no bound parameters; the value is this file's own integer constant.
    db.pragma(`user_version = ${Math.trunc(SCHEMA_VERSION)}`);
  }).immediate();
}

/**
 * Opens the file (creating it and its directory if needed) and brings it up to date; ':memory:' for a
 * throwaway. Whatever stops it opening is StoreUnavailableError, naming the path.
 */
export function connect(path: string, options: SqliteStoreOptions = {}): Database.Database {
  try {
    return open(path, options);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreUnavailableError(`cannot open the store at ${path}: ${reason}`, { cause: err });
  }
}

function open(path: string, options: SqliteStoreOptions): Database.Database {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // Safe under WAL: a power cut may lose the last commits but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Deleted content is overwritten, not left in free pages: an unsubscribed or erased address is gone
    // from the file itself once the write-ahead log is checkpointed.
    db.pragma('secure_delete = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
