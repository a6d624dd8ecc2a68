import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { WorkflowEvent } from '../services/lifecycle';
import { searchWords } from '../services/search';
import { type Delegation, DELEGATIONS_LISTED, isIsoDate, StoredDelegation } from '../services/delegation';
import { type NewOpportunity, Opportunity, Status } from '../services/opportunity';
import { idKey } from '../services/roles';
import {
  type AuditEntry,
  ConcurrencyError,
  type ConversationReferenceJson,
  type CreationEvent,
  type Draft,
  type DueOptions,
  type HandledActivity,
  type PendingNotification,
  type NewAuditEntry,
  type NewOutboxMessage,
  type OpportunityFilter,
  type OutboxMessage,
  type Person,
  type Page,
  type PageRequest,
  type Preferences,
  type Store,
  StoreUnavailableError,
} from '../services/store';
import type { AskOutcome, NewQuestion, Question, QuestionLimits, QuestionState } from '../services/questions';
import type { NewSubscription, SubscribeOutcome, Subscription } from '../services/subscriptions';
import type {
  Application,
  NewApplication,
  SelfIdentification,
  SubmitOutcome,
} from '../services/applications';
import type { DeliveredMail, Mail, NewMail } from '../services/mail';
import { asUnavailable, SqliteAccess, utc } from './sqlite-access';
import { SqliteQuestions } from './sqlite-questions';
import { SqliteSubscriptions } from './sqlite-subscriptions';
import { SqliteApplications } from './sqlite-applications';
import { SqliteMailbox, SqliteMailQueue } from './sqlite-mail';
import { SqlitePublicationLog } from './sqlite-publication-log';

/**
 * The embedded store: one SQLite file, written through better-sqlite3. Every write that must be atomic
 * (record + counter + idempotency key + audit entry) is one IMMEDIATE transaction, so a second process
 * on the same file waits for the write lock up front instead of failing halfway through a transaction.
 */

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

const DEFAULT_BUSY_TIMEOUT_MS = 3_000;
const MAX_PAGE = 100;
const MAX_DUE = 1_000;
/** Errors are kept for operators, not as a log: a stack trace of any length fits in this. */
const MAX_ERROR_CHARS = 2_000;

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

/** A record with its place in the newest-first order. */
interface PagedRow extends RecordRow {
  readonly year: number;
  readonly seq: number;
}

interface RecordRow {
  readonly reference: string;
  readonly version: number;
  readonly created_at: string;
  readonly data: string;
}

const AuditRow = z.object({
  id: z.string(),
  reference: z.string(),
  at: z.string(),
  actor_id: z.string(),
  actor_name: z.string(),
  action: z.string(),
  from_status: Status.nullable(),
  to_status: Status.nullable(),
  outcome: z.enum(['applied', 'refused']),
  comment: z.string().nullable(),
  reason: z.string().nullable(),
  on_behalf_of_id: z.string().nullable(),
  on_behalf_of_name: z.string().nullable(),
});

const DraftRow = z.object({
  id: z.string(),
  owner_id: z.string(),
  step: z.string(),
  data: z.string(),
  version: z.number().int().positive(),
  updated_at: z.string(),
});

const JsonObject = z.record(z.string(), z.unknown());

const NonEmpty = z.string().refine((v) => v.trim() !== '', 'must not be empty');

const NewOutboxRow = z
  .strictObject({
    id: NonEmpty,
    conversationKey: NonEmpty,
    kind: z.enum(['post', 'update']),
    activity: JsonObject,
    messageKey: NonEmpty.optional(),
    createdAt: z.string(),
  })
  .refine((m) => m.kind === 'post' || m.messageKey !== undefined, {
    message: 'an update needs the messageKey under which the posted message id is stored',
    path: ['messageKey'],
  });

const OutboxRow = z.object({
  id: z.string(),
  conversation_key: z.string(),
  kind: z.enum(['post', 'update']),
  activity: z.string(),
  message_key: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  not_before: z.string(),
  state: z.enum(['pending', 'sent', 'dead']),
  last_error: z.string().nullable(),
  created_at: z.string(),
});

/**
 * Stored preferences are read leniently (a setting this release does not know is dropped, so a file
 * written by a later release still opens) but saved strictly: an unknown setting is a caller's mistake.
 */
const StoredPreferences = z.object({ locale: z.enum(['en', 'fr']).optional() });
const NewPreferences = z.strictObject(StoredPreferences.shape);

const Cursor = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/** The reference year is the calendar year written in createdAt, as the requester saw it. */
function yearOf(createdAt: string): number {
  return Number(createdAt.slice(0, 4));
}

function formatReference(year: number, seq: number): string {
  return `MA-${year}-${String(seq).padStart(4, '0')}`;
}

function encodeCursor(row: PagedRow): string {
  return Buffer.from(JSON.stringify([row.year, row.seq]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): readonly [number, number] {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new RangeError('not a page cursor this store issued', { cause });
  }
}

/** Where a text search stopped: search pages go by the full-text index's own order (the order records were written). */
const TextCursor = z.object({ rowid: z.number().int().positive() });

function encodeTextCursor(rowid: number): string {
  return Buffer.from(JSON.stringify({ rowid }), 'utf8').toString('base64url');
}

function decodeTextCursor(cursor: string): number {
  try {
    return TextCursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).rowid;
  } catch (cause) {
    throw new RangeError('not a page cursor this store issued', { cause });
  }
}

function clampLimit(limit: number): number {
  if (Number.isNaN(limit)) return 1;
  return Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit)));
}

/** Corrupt rows fail loudly, naming the record, rather than reaching the workflow half-valid. */
function toRecord(row: RecordRow): Opportunity {
  let record: Opportunity;
  try {
    record = Opportunity.parse(JSON.parse(row.data));
  } catch (cause) {
    throw new Error(`stored record ${row.reference} is unreadable`, { cause });
  }
  if (record.reference !== row.reference || record.version !== row.version) {
    throw new Error(`stored record ${row.reference} disagrees with its columns`);
  }
  return record;
}

function toAudit(raw: unknown): AuditEntry {
  const row = AuditRow.parse(raw);
  return {
    id: row.id,
    reference: row.reference,
    at: row.at,
    actor: {
      aadObjectId: row.actor_id,
      name: row.actor_name,
      ...(row.on_behalf_of_id !== null
        ? { onBehalfOf: { aadObjectId: row.on_behalf_of_id, name: row.on_behalf_of_name ?? '' } }
        : {}),
    },
    action: row.action,
    ...(row.from_status !== null ? { from: row.from_status } : {}),
    ...(row.to_status !== null ? { to: row.to_status } : {}),
    outcome: row.outcome,
    ...(row.comment !== null ? { comment: row.comment } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
  };
}

function userIdOf(userId: string): string {
  if (typeof userId !== 'string' || userId.trim() === '') {
    throw new RangeError('preferences need the id of the person they belong to');
  }
  return userId;
}

function preferencesJson(preferences: Preferences): string {
  const parsed = NewPreferences.safeParse(preferences);
  if (!parsed.success) {
    throw new RangeError(`not valid preferences: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return JSON.stringify(parsed.data);
}

/** Like records, unreadable preferences fail loudly, naming the person, rather than being guessed at. */
function toPreferences(userId: string, data: string): Preferences {
  let stored: z.infer<typeof StoredPreferences>;
  try {
    stored = StoredPreferences.parse(JSON.parse(data));
  } catch (cause) {
    throw new Error(`stored preferences of ${userId} are unreadable`, { cause });
  }
  return stored.locale === undefined ? {} : { locale: stored.locale };
}

/** A delegation as given, checked; RangeError when it is not one. */
function delegationOf(input: unknown): Delegation {
  const parsed = StoredDelegation.safeParse(input);
  if (!parsed.success) {
    throw new RangeError(`not a valid delegation: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

/** Like records, an unreadable delegation fails loudly rather than granting roles half-read. */
function toDelegation(row: { readonly id: string; readonly data: string }): Delegation {
  try {
    return StoredDelegation.parse(JSON.parse(row.data));
  } catch (cause) {
    throw new Error(`stored delegation ${row.id} is unreadable`, { cause });
  }
}

function toDraft(raw: unknown): Draft {
  const row = DraftRow.parse(raw);
  return {
    id: row.id,
    ownerId: row.owner_id,
    step: row.step,
    data: JsonObject.parse(JSON.parse(row.data)),
    version: row.version,
    updatedAt: row.updated_at,
  };
}

function newOutboxRow(message: NewOutboxMessage) {
  const parsed = NewOutboxRow.safeParse(message);
  if (!parsed.success) {
    throw new RangeError(`not a valid outbox message: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const m = parsed.data;
  const createdAt = utc(m.createdAt);
  return {
    id: m.id,
    conversation_key: m.conversationKey,
    kind: m.kind,
    activity: JSON.stringify(m.activity),
    message_key: m.messageKey ?? null,
    created_at: createdAt,
    not_before: createdAt,
  };
}

/** Like records, an unreadable queued message fails loudly, naming it, rather than being sent half-valid. */
function toOutboxMessage(raw: unknown): OutboxMessage {
  let row: z.infer<typeof OutboxRow>;
  let activity: Record<string, unknown>;
  try {
    row = OutboxRow.parse(raw);
    activity = JsonObject.parse(JSON.parse(row.activity));
  } catch (cause) {
    const id = (raw as { id?: unknown } | undefined)?.id;
    throw new Error(`queued message ${String(id)} is unreadable`, { cause });
  }
  return {
    id: row.id,
    conversationKey: row.conversation_key,
    kind: row.kind,
    activity,
    ...(row.message_key !== null ? { messageKey: row.message_key } : {}),
    attempts: row.attempts,
    notBefore: row.not_before,
    state: row.state,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    createdAt: row.created_at,
  };
}

function nonEmpty(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new RangeError(`${what} must not be empty`);
  return value;
}

function errorText(error: string): string {
  const text = String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/**
 * Typed words as an FTS5 query: each word quoted (so operators and punctuation are only text) and
 * matched as a prefix, all of them required; at most 10 words.
 */
export function ftsQuery(text: string): string | undefined {
  const words = searchWords(text);
  return words.length > 0 ? words.map((w) => `"${w}"*`).join(' ') : undefined;
}

/** The filter as SQL: fragments are constants, every value goes through a placeholder. */
function whereOf(filter: OpportunityFilter, after?: readonly [number, number]) {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.statuses) {
    // An empty list matches nothing, as "status IN ()" would.
    clauses.push(
      filter.statuses.length === 0 ? '0' : `status IN (${filter.statuses.map(() => '?').join(', ')})`,
    );
    params.push(...filter.statuses);
  }
  if (filter.requesterId !== undefined) {
    clauses.push('requester_id = ?');
    params.push(idKey(filter.requesterId));
  }
  if (filter.branch !== undefined) {
    clauses.push('branch = ?');
    params.push(filter.branch);
  }
  if (filter.createdSince !== undefined) {
    clauses.push('created_at >= ?');
    params.push(utc(filter.createdSince));
  }
  if (filter.text !== undefined) {
    const match = ftsQuery(filter.text);
    // Words that hold nothing searchable match nothing, as an empty status list does.
    clauses.push(
      match ? 'rowid IN (SELECT rowid FROM opportunities_text WHERE opportunities_text MATCH ?)' : '0',
    );
    if (match) params.push(match);
  }
  if (after) {
    clauses.push('(year, seq) < (?, ?)');
    params.push(after[0], after[1]);
  }
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
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

function connect(path: string, options: SqliteStoreOptions): Database.Database {
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

export class SqliteStore implements Store {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly access: SqliteAccess;
  private readonly questions: SqliteQuestions;
  private readonly subscriptions: SqliteSubscriptions;
  private readonly applications: SqliteApplications;
  private readonly mail: SqliteMailQueue;
  private readonly localMailbox: SqliteMailbox;
  private readonly publications: SqlitePublicationLog;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    // The public site's tables, each behind its own port, over this same connection.
    this.access = new SqliteAccess(db, path);
    this.questions = new SqliteQuestions(this.access);
    this.subscriptions = new SqliteSubscriptions(this.access);
    this.applications = new SqliteApplications(this.access);
    this.mail = new SqliteMailQueue(this.access);
    this.localMailbox = new SqliteMailbox(this.access);
    this.publications = new SqlitePublicationLog(this.access);
  }

  /** Opens (creating it and its directory if needed) and migrates the file; ':memory:' for a throwaway. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    try {
      return new SqliteStore(connect(path, options), path);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(`cannot open the store at ${path}: ${reason}`, { cause: err });
    }
  }

  async create(
    record: NewOpportunity,
    audit: NewAuditEntry,
    idempotencyKey: string,
    events: readonly CreationEvent[] = [],
  ): Promise<Opportunity> {
    return this.guard('create', () =>
      this.db
        .transaction(() => {
          const seen = this.row<{ reference: string }>(
            'SELECT reference FROM idempotency_keys WHERE key = ?',
            idempotencyKey,
          );
          if (seen) return this.mustGet(seen.reference);
          const created = this.insertRecord(record);
          this.sql('INSERT INTO idempotency_keys (key, reference) VALUES (?, ?)').run(
            idempotencyKey,
            created.reference,
          );
          this.insertAudit(created.reference, audit);
          if (events.length > 0) {
            const { reference } = created;
            this.insertNotification(
              reference,
              1,
              events.map((e) => ({ ...e, reference })),
              audit.at,
            );
          }
          return this.mustGet(created.reference);
        })
        .immediate(),
    );
  }

  async get(reference: string): Promise<Opportunity | undefined> {
    return this.guard('get', () => {
      const row = this.row<RecordRow>(
        'SELECT reference, version, created_at, data FROM opportunities WHERE reference = ?',
        reference,
      );
      return row && toRecord(row);
    });
  }

  async query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    if (filter.text !== undefined) return this.search(filter, page);
    const limit = clampLimit(page.limit);
    const where = whereOf(filter, page.cursor === undefined ? undefined : decodeCursor(page.cursor));
    return this.guard('query', () => {
      // One row more than asked tells whether another page follows.
      const rows = this.sql(
        `SELECT reference, version, created_at, data, year, seq FROM opportunities ${where.sql}
         ORDER BY year DESC, seq DESC LIMIT ?`,
      ).all(...where.params, limit + 1) as PagedRow[];
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toRecord),
        ...(rows.length > limit && last ? { nextCursor: encodeCursor(last) } : {}),
      };
    });
  }

  /**
   * A text search walks the full-text index newest-written first and stops at the page's end, so a word
   * found in every record costs no more than a rare one; the other filters apply along the way.
   */
  private async search(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    const limit = clampLimit(page.limit);
    const match = ftsQuery(filter.text ?? '');
    if (!match) return { items: [] };
    const before = page.cursor === undefined ? undefined : decodeTextCursor(page.cursor);
    const where = whereOf({ ...filter, text: undefined });
    const clauses = [
      'opportunities_text MATCH ?',
      ...(before !== undefined ? ['t.rowid < ?'] : []),
      ...(where.sql ? [where.sql.replace(/^WHERE /, '')] : []),
    ];
    return this.guard('query', () => {
      const rows = this.sql(
        `SELECT o.reference, o.version, o.created_at, o.data, t.rowid AS rid
         FROM opportunities_text t JOIN opportunities o ON o.rowid = t.rowid
         WHERE ${clauses.join(' AND ')}
         ORDER BY t.rowid DESC LIMIT ?`,
      ).all(match, ...(before !== undefined ? [before] : []), ...where.params, limit + 1) as (RecordRow & {
        rid: number;
      })[];
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toRecord),
        ...(rows.length > limit && last ? { nextCursor: encodeTextCursor(last.rid) } : {}),
      };
    });
  }

  async transition(
    next: Opportunity,
    expectedVersion: number,
    audit: NewAuditEntry,
    events: readonly WorkflowEvent[] = [],
  ): Promise<Opportunity> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `${next.reference}: the next version must be ${expectedVersion + 1}, not ${next.version}`,
      );
    }
    const record = Opportunity.parse(next);
    return this.guard('transition', () =>
      this.db
        .transaction(() => {
          // created_at, year and seq belong to the reference and never change after create.
          const { changes } = this.sql(
            `UPDATE opportunities
             SET version = @version, status = @status, requester_id = @requester_id, branch = @branch,
                 updated_at = @updated_at, title = @title, data = @data
             WHERE reference = @reference AND version = @expected`,
          ).run({ ...this.columns(record), expected: expectedVersion });
          if (changes === 0) {
            const actual = this.row<{ version: number }>(
              'SELECT version FROM opportunities WHERE reference = ?',
              record.reference,
            );
            throw new ConcurrencyError(record.reference, expectedVersion, actual?.version);
          }
          this.insertAudit(record.reference, audit);
          if (events.length > 0) this.insertNotification(record.reference, record.version, events, audit.at);
          // Read back so the caller holds exactly what get() will return.
          return this.mustGet(record.reference);
        })
        .immediate(),
    );
  }

  async appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry> {
    return this.guard('appendAudit', () => {
      const exists = this.row('SELECT 1 FROM opportunities WHERE reference = ?', reference);
      if (!exists) throw new RangeError(`no opportunity ${reference} to audit`);
      return this.insertAudit(reference, entry);
    });
  }

  async auditTrail(reference: string): Promise<readonly AuditEntry[]> {
    return this.guard('auditTrail', () =>
      this.sql('SELECT * FROM audit_entries WHERE reference = ? ORDER BY seq').all(reference).map(toAudit),
    );
  }

  async saveDraft(draft: Omit<Draft, 'version'>, expectedVersion?: number): Promise<Draft> {
    const values = {
      owner_id: draft.ownerId,
      id: draft.id,
      step: draft.step,
      data: JSON.stringify(JsonObject.parse(draft.data)),
      updated_at: draft.updatedAt,
    };
    return this.guard('saveDraft', () =>
      this.db
        .transaction(() => {
          if (expectedVersion === undefined) {
            this.sql(
              `INSERT INTO drafts (owner_id, id, step, data, version, updated_at)
               VALUES (@owner_id, @id, @step, @data, 1, @updated_at)
               ON CONFLICT (owner_id, id) DO UPDATE
               SET step = excluded.step, data = excluded.data, version = drafts.version + 1,
                   updated_at = excluded.updated_at`,
            ).run(values);
          } else {
            const { changes } = this.sql(
              `UPDATE drafts SET step = @step, data = @data, version = version + 1, updated_at = @updated_at
               WHERE owner_id = @owner_id AND id = @id AND version = @expected`,
            ).run({ ...values, expected: expectedVersion });
            if (changes === 0) {
              throw new ConcurrencyError(
                draft.id,
                expectedVersion,
                this.draft(draft.ownerId, draft.id)?.version,
              );
            }
          }
          const saved = this.draft(draft.ownerId, draft.id);
          if (!saved) throw new Error(`draft ${draft.id} vanished while being saved`);
          return saved;
        })
        .immediate(),
    );
  }

  async getDraft(ownerId: string, id: string): Promise<Draft | undefined> {
    return this.guard('getDraft', () => this.draft(ownerId, id));
  }

  async listDrafts(ownerId: string): Promise<readonly Draft[]> {
    return this.guard('listDrafts', () =>
      this.sql('SELECT * FROM drafts WHERE owner_id = ? ORDER BY updated_at DESC, id DESC')
        .all(ownerId)
        .map(toDraft),
    );
  }

  async deleteDraft(ownerId: string, id: string): Promise<boolean> {
    return this.guard(
      'deleteDraft',
      () => this.sql('DELETE FROM drafts WHERE owner_id = ? AND id = ?').run(ownerId, id).changes > 0,
    );
  }

  async saveConversation(key: string, reference: ConversationReferenceJson): Promise<void> {
    const data = JSON.stringify(JsonObject.parse(reference));
    this.guard('saveConversation', () =>
      this.sql(
        'INSERT INTO conversations (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data',
      ).run(key, data),
    );
  }

  async getConversation(key: string): Promise<ConversationReferenceJson | undefined> {
    return this.guard('getConversation', () => {
      const row = this.row<{ data: string }>('SELECT data FROM conversations WHERE key = ?', key);
      return row && JsonObject.parse(JSON.parse(row.data));
    });
  }

  async peopleInChat(limit: number): Promise<readonly Person[]> {
    return this.guard('peopleInChat', () =>
      (
        this.sql(
          `SELECT json_extract(data, '$.user.aadObjectId') AS id, json_extract(data, '$.user.name') AS name
           FROM conversations
          WHERE key LIKE 'user:%' AND json_extract(data, '$.user.aadObjectId') IS NOT NULL
          ORDER BY json_extract(data, '$.user.name') IS NULL, lower(json_extract(data, '$.user.name')), key
          LIMIT ?`,
        ).all(limit) as { id: unknown; name: unknown }[]
      ).flatMap((r) =>
        typeof r.id === 'string' && r.id !== ''
          ? [{ aadObjectId: r.id, name: typeof r.name === 'string' && r.name !== '' ? r.name : r.id }]
          : [],
      ),
    );
  }

  async deleteConversation(key: string): Promise<boolean> {
    return this.guard(
      'deleteConversation',
      () => this.sql('DELETE FROM conversations WHERE key = ?').run(key).changes > 0,
    );
  }

  async getPreferences(userId: string): Promise<Preferences> {
    const id = userIdOf(userId);
    return this.guard('getPreferences', () => {
      const row = this.row<{ data: string }>('SELECT data FROM preferences WHERE user_id = ?', id);
      return row ? toPreferences(id, row.data) : {};
    });
  }

  async savePreferences(userId: string, preferences: Preferences): Promise<Preferences> {
    const id = userIdOf(userId);
    const data = preferencesJson(preferences);
    return this.guard('savePreferences', () => {
      // One statement, so the write and what it returns cannot be split by another writer.
      const row = this.row<{ data: string }>(
        `INSERT INTO preferences (user_id, data, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at
         RETURNING data`,
        id,
        data,
        new Date().toISOString(),
      );
      if (!row) throw new Error(`preferences of ${id} vanished while being saved`);
      return toPreferences(id, row.data);
    });
  }

  async saveDelegation(delegation: Delegation): Promise<Delegation> {
    const d = delegationOf(delegation);
    if (d.endedAt !== undefined || d.endedBy !== undefined)
      throw new RangeError(`delegation ${d.id} is saved running, and ended with endDelegation`);
    const delegator = idKey(d.delegator.aadObjectId);
    return this.guard('saveDelegation', () =>
      this.db
        .transaction(() => {
          const known = this.delegation(d.id);
          if (known) return known;
          // The one running before is replaced, in the same write: never two running for one person.
          const running = this.sql(
            'SELECT id, data FROM delegations WHERE delegator_id = ? AND ended_at IS NULL',
          ).all(delegator) as { id: string; data: string }[];
          for (const row of running) this.writeEnd(toDelegation(row), d.delegator, d.createdAt);
          this.sql(
            'INSERT INTO delegations (id, delegator_id, delegate_id, until, data) VALUES (?, ?, ?, ?, ?)',
          ).run(d.id, delegator, idKey(d.delegate.aadObjectId), d.until, JSON.stringify(d));
          const saved = this.delegation(d.id);
          if (!saved) throw new Error(`delegation ${d.id} vanished while being saved`);
          return saved;
        })
        .immediate(),
    );
  }

  async endDelegation(id: string, by: Person, at: string): Promise<boolean> {
    nonEmpty(id, 'a delegation id');
    const who = StoredDelegation.shape.endedBy.safeParse(by);
    const when = StoredDelegation.shape.endedAt.safeParse(at);
    if (!who.success || !who.data || !when.success || !when.data)
      throw new RangeError('a delegation is ended by someone, at an ISO time');
    const [endedBy, endedAt] = [who.data, when.data];
    return this.guard('endDelegation', () =>
      this.db
        .transaction(() => {
          const row = this.row<{ id: string; data: string }>(
            'SELECT id, data FROM delegations WHERE id = ? AND ended_at IS NULL',
            id,
          );
          if (!row) return false;
          this.writeEnd(toDelegation(row), endedBy, endedAt);
          return true;
        })
        .immediate(),
    );
  }

  async delegationsTo(delegateId: string, today: string): Promise<readonly Delegation[]> {
    const id = idKey(nonEmpty(delegateId, 'a delegate id'));
    if (!isIsoDate(today)) throw new RangeError(`not a date: ${today}`);
    return this.guard('delegationsTo', () =>
      (
        this.sql(
          'SELECT id, data FROM delegations WHERE delegate_id = ? AND ended_at IS NULL AND until >= ? ORDER BY seq',
        ).all(id, today) as { id: string; data: string }[]
      ).map(toDelegation),
    );
  }

  async delegationsBy(delegatorId: string): Promise<readonly Delegation[]> {
    const id = idKey(nonEmpty(delegatorId, 'a delegator id'));
    return this.guard('delegationsBy', () =>
      (
        this.sql(
          `SELECT id, data FROM delegations WHERE delegator_id = ?
           ORDER BY ended_at IS NULL DESC, seq DESC LIMIT ?`,
        ).all(id, DELEGATIONS_LISTED) as { id: string; data: string }[]
      ).map(toDelegation),
    );
  }

  private delegation(id: string): Delegation | undefined {
    const row = this.row<{ id: string; data: string }>('SELECT id, data FROM delegations WHERE id = ?', id);
    return row && toDelegation(row);
  }

  /** Marks a delegation ended; call inside a write transaction. */
  private writeEnd(d: Delegation, by: Person, at: string): void {
    const ended: Delegation = {
      ...d,
      endedAt: at,
      endedBy: { aadObjectId: by.aadObjectId, name: by.name },
    };
    this.sql('UPDATE delegations SET ended_at = ?, data = ? WHERE id = ?').run(
      at,
      JSON.stringify(ended),
      d.id,
    );
  }

  async enqueue(message: NewOutboxMessage): Promise<boolean> {
    const row = newOutboxRow(message);
    return this.guard('enqueue', () => this.insertOutbox(row, new Date().toISOString()));
  }

  /** Queues a message unless one with its id exists; true when it was queued. */
  private insertOutbox(row: ReturnType<typeof newOutboxRow>, updatedAt: string): boolean {
    return (
      this.sql(
        `INSERT INTO outbox
           (id, conversation_key, kind, activity, message_key, attempts, not_before, state, created_at,
            updated_at)
         VALUES (@id, @conversation_key, @kind, @activity, @message_key, 0, @not_before, 'pending',
                 @created_at, @updated_at)
         ON CONFLICT (id) DO NOTHING`,
      ).run({ ...row, updated_at: updatedAt }).changes > 0
    );
  }

  async enqueueAll(
    messages: readonly NewOutboxMessage[],
    settles?: { readonly reference: string; readonly version: number },
  ): Promise<number> {
    return this.guard('enqueueAll', () =>
      this.db
        .transaction(() => {
          let queued = 0;
          const updatedAt = new Date().toISOString();
          for (const message of messages) {
            // An update of a card never posted, nor queued to be, would have nothing to update.
            if (
              message.kind === 'update' &&
              message.messageKey !== undefined &&
              !this.posted(message.messageKey)
            )
              continue;
            if (this.insertOutbox(newOutboxRow(message), updatedAt)) queued++;
          }
          if (settles) {
            this.sql('DELETE FROM pending_notifications WHERE reference = ? AND version = ?').run(
              settles.reference,
              settles.version,
            );
          }
          return queued;
        })
        .immediate(),
    );
  }

  /** Whether a message was posted, or queued to be posted, under this key. */
  private posted(messageKey: string): boolean {
    return (
      this.row(
        `SELECT 1 FROM message_ids WHERE key = @key
         UNION ALL SELECT 1 FROM outbox WHERE message_key = @key AND kind = 'post' LIMIT 1`,
        { key: messageKey },
      ) !== undefined
    );
  }

  async dueMessages(now: string, limit: number, options: DueOptions = {}): Promise<readonly OutboxMessage[]> {
    const at = utc(now);
    const max = Number.isNaN(limit) ? 1 : Math.min(MAX_DUE, Math.max(1, Math.trunc(limit)));
    const perConversation =
      options.perConversation === undefined ? max : Math.max(1, Math.trunc(options.perConversation) || 1);
    return this.guard('dueMessages', () =>
      this.sql(
        // Only the first messages of each conversation can be due, so only those are read: the cost follows
        // the number of conversations waiting, not the length of a backlog (Teams' pacing lets one grow).
        `SELECT o.id, o.conversation_key, o.kind, o.activity, o.message_key, o.attempts, o.not_before, o.state,
                o.last_error, o.created_at
         FROM (
           SELECT f.rowid AS seq,
                  -- A message waiting for its retry holds back itself and every newer one of its conversation.
                  SUM(f.not_before > @now) OVER (
                    PARTITION BY f.conversation_key ORDER BY f.created_at, f.rowid ROWS UNBOUNDED PRECEDING
                  ) AS held
           FROM (SELECT DISTINCT conversation_key FROM outbox WHERE state = 'pending') c
           JOIN outbox f ON f.rowid IN (
             SELECT rowid FROM outbox
             WHERE state = 'pending' AND conversation_key = c.conversation_key
             ORDER BY created_at, rowid
             LIMIT @per_conversation
           )
         ) d
         JOIN outbox o ON o.rowid = d.seq
         WHERE d.held = 0
         -- Queued in the same millisecond (one change's lines), messages leave in the order queued.
         ORDER BY o.created_at, o.rowid
         LIMIT @limit`,
      )
        .all({ now: at, per_conversation: perConversation, limit: max })
        .map(toOutboxMessage),
    );
  }

  async markSent(id: string): Promise<void> {
    this.settle('markSent', id, `state = 'sent'`, {});
  }

  async markRetry(id: string, notBefore: string, error: string): Promise<void> {
    this.settle('markRetry', id, 'attempts = attempts + 1, not_before = @not_before, last_error = @error', {
      not_before: utc(notBefore),
      error: errorText(error),
    });
  }

  async markDead(id: string, error: string): Promise<void> {
    this.settle('markDead', id, `attempts = attempts + 1, state = 'dead', last_error = @error`, {
      error: errorText(error),
    });
  }

  async saveMessageId(key: string, activityId: string): Promise<void> {
    nonEmpty(key, 'a message key');
    nonEmpty(activityId, 'a message id');
    this.guard('saveMessageId', () =>
      this.sql(
        `INSERT INTO message_ids (key, activity_id, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET activity_id = excluded.activity_id, updated_at = excluded.updated_at`,
      ).run(key, activityId, new Date().toISOString()),
    );
  }

  async getMessageId(key: string): Promise<string | undefined> {
    return this.guard(
      'getMessageId',
      () =>
        this.row<{ activity_id: string }>('SELECT activity_id FROM message_ids WHERE key = ?', key)
          ?.activity_id,
    );
  }

  async outboxCounts(): Promise<{ pending: number; dead: number }> {
    return this.guard('outboxCounts', () => {
      // Each count reads its partial index, not the ever-growing list of sent messages.
      const row = this.row<{ pending: number; dead: number }>(
        `SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS pending,
                (SELECT COUNT(*) FROM outbox WHERE state = 'dead') AS dead`,
      );
      return { pending: row?.pending ?? 0, dead: row?.dead ?? 0 };
    });
  }

  async rememberActivity(activity: HandledActivity): Promise<void> {
    nonEmpty(activity.key, 'an activity key');
    const response = activity.response === undefined ? null : JSON.stringify(activity.response);
    this.guard('rememberActivity', () =>
      this.sql(
        'INSERT INTO handled_activities (key, response, at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
      ).run(activity.key, response, utc(activity.at)),
    );
  }

  async recallActivity(key: string): Promise<HandledActivity | undefined> {
    return this.guard('recallActivity', () => {
      const row = this.row<{ key: string; response: string | null; at: string }>(
        'SELECT key, response, at FROM handled_activities WHERE key = ?',
        key,
      );
      if (!row) return undefined;
      return {
        key: row.key,
        at: row.at,
        ...(row.response === null ? {} : { response: JsonObject.parse(JSON.parse(row.response)) }),
      };
    });
  }

  async forgetActivities(before: string): Promise<number> {
    const at = utc(before);
    return this.guard(
      'forgetActivities',
      () => this.sql('DELETE FROM handled_activities WHERE at < ?').run(at).changes,
    );
  }

  async ping(): Promise<void> {
    try {
      this.guard('ping', () => this.db.prepare('SELECT 1').get());
    } catch (err) {
      // Whatever stops the store answering means the same to a health check.
      throw (
        asUnavailable(err, `ping of ${this.path}`) ??
        new StoreUnavailableError(`ping of ${this.path} failed`, { cause: err })
      );
    }
  }

  askQuestion(question: NewQuestion, limits: QuestionLimits): Promise<AskOutcome> {
    return this.questions.askQuestion(question, limits);
  }
  getQuestion(id: string): Promise<Question | undefined> {
    return this.questions.getQuestion(id);
  }
  questionsOf(
    reference: string,
    states?: readonly QuestionState[],
    limit?: number,
  ): Promise<readonly Question[]> {
    return this.questions.questionsOf(reference, states, limit);
  }
  settleQuestion(next: Question, expectedVersion: number): Promise<Question> {
    return this.questions.settleQuestion(next, expectedVersion);
  }

  subscribe(subscription: NewSubscription, maxUnconfirmed: number): Promise<SubscribeOutcome> {
    return this.subscriptions.subscribe(subscription, maxUnconfirmed);
  }
  confirmationResent(id: string, at: string): Promise<void> {
    return this.subscriptions.confirmationResent(id, at);
  }
  confirmSubscription(token: string, at: string): Promise<Subscription | undefined> {
    return this.subscriptions.confirmSubscription(token, at);
  }
  unsubscribe(token: string): Promise<Subscription | undefined> {
    return this.subscriptions.unsubscribe(token);
  }
  subscribers(page: { readonly limit: number; readonly cursor?: string }) {
    return this.subscriptions.subscribers(page);
  }
  forgetUnconfirmed(before: string): Promise<number> {
    return this.subscriptions.forgetUnconfirmed(before);
  }
  subscriptionCounts() {
    return this.subscriptions.subscriptionCounts();
  }

  submitApplication(
    application: NewApplication,
    selfIdentification: SelfIdentification,
    maxUnconfirmed: number,
  ): Promise<SubmitOutcome> {
    return this.applications.submitApplication(application, selfIdentification, maxUnconfirmed);
  }
  applicationByToken(token: string): Promise<Application | undefined> {
    return this.applications.applicationByToken(token);
  }
  confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application> {
    return this.applications.confirmApplication(id, expectedVersion, at);
  }
  getApplication(id: string): Promise<Application | undefined> {
    return this.applications.getApplication(id);
  }
  saveApplication(next: Application, expectedVersion: number): Promise<Application> {
    return this.applications.saveApplication(next, expectedVersion);
  }
  applicationsOf(
    reference: string,
    options: { readonly confirmedOnly?: boolean },
    page: { readonly limit: number; readonly cursor?: string },
  ) {
    return this.applications.applicationsOf(reference, options, page);
  }
  deleteApplications(reference: string): Promise<number> {
    return this.applications.deleteApplications(reference);
  }
  selfIdentificationCounts(references: readonly string[]) {
    return this.applications.selfIdentificationCounts(references);
  }
  applicationFigures(references: readonly string[]) {
    return this.applications.applicationFigures(references);
  }

  queueMail(mails: readonly NewMail[]): Promise<number> {
    return this.mail.queueMail(mails);
  }
  dueMail(now: string, limit: number): Promise<readonly Mail[]> {
    return this.mail.dueMail(now, limit);
  }
  markMailSent(id: string, at: string, providerId?: string): Promise<void> {
    return this.mail.markMailSent(id, at, providerId);
  }
  markMailRetry(id: string, notBefore: string, error: string): Promise<void> {
    return this.mail.markMailRetry(id, notBefore, error);
  }
  markMailDead(id: string, error: string): Promise<void> {
    return this.mail.markMailDead(id, error);
  }
  dropMailTo(address: string): Promise<number> {
    return this.mail.dropMailTo(address);
  }
  mailCounts() {
    return this.mail.mailCounts();
  }
  deadMail(limit: number): Promise<readonly Mail[]> {
    return this.mail.deadMail(limit);
  }

  deliverLocally(mail: DeliveredMail): Promise<void> {
    return this.localMailbox.deliverLocally(mail);
  }
  mailbox(limit: number): Promise<readonly DeliveredMail[]> {
    return this.localMailbox.mailbox(limit);
  }

  lastPublished(target: string, reference: string): Promise<string | undefined> {
    return this.publications.lastPublished(target, reference);
  }
  notePublished(target: string, reference: string, digest: string, at: string): Promise<void> {
    return this.publications.notePublished(target, reference, digest, at);
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.access.forget();
    if (this.db.open) this.db.close();
  }

  /** Runs `fn`, turning lock and I/O failures (and use after close) into StoreUnavailableError. */
  private guard<T>(what: string, fn: () => T): T {
    if (!this.db.open) throw new StoreUnavailableError(`the store at ${this.path} is closed`);
    try {
      return fn();
    } catch (err) {
      throw asUnavailable(err, `${what} on ${this.path}`) ?? err;
    }
  }

  /**
   * Applies `assignments` to a pending message. A message already sent or dead is left alone; an id never
   * queued is the caller's mistake. `assignments` is one of this class's constants, never caller text.
   */
  private settle(what: string, id: string, assignments: string, values: Record<string, string>): void {
    nonEmpty(id, 'a message id');
    this.guard(what, () => {
      const { changes } = this.sql(
        `UPDATE outbox SET ${assignments}, updated_at = @updated_at WHERE id = @id AND state = 'pending'`,
      ).run({ ...values, id, updated_at: new Date().toISOString() });
      if (changes === 0 && !this.row('SELECT 1 FROM outbox WHERE id = ?', id)) {
        throw new RangeError(`no queued message ${id}`);
      }
    });
  }

  /** Prepared once per SQL text: preparing costs more than running. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private row<T>(text: string, ...params: unknown[]): T | undefined {
    return this.sql(text).get(...params) as T | undefined;
  }

  private mustGet(reference: string): Opportunity {
    const row = this.row<RecordRow>(
      'SELECT reference, version, created_at, data FROM opportunities WHERE reference = ?',
      reference,
    );
    if (!row) throw new Error(`record ${reference} is missing`);
    return toRecord(row);
  }

  private draft(ownerId: string, id: string): Draft | undefined {
    const row: unknown = this.sql('SELECT * FROM drafts WHERE owner_id = ? AND id = ?').get(ownerId, id);
    return row === undefined ? undefined : toDraft(row);
  }

  private columns(o: Opportunity) {
    return {
      reference: o.reference,
      version: o.version,
      status: o.status,
      requester_id: idKey(o.requester.aadObjectId),
      branch: o.client.branch,
      created_at: utc(o.createdAt),
      updated_at: utc(o.updatedAt),
      title: o.title,
      data: JSON.stringify(o),
    };
  }

  /** Takes the year's next sequence number and inserts the record; call inside a write transaction. */
  private insertRecord(fresh: NewOpportunity): Opportunity {
    const year = yearOf(Opportunity.shape.createdAt.parse(fresh.createdAt));
    const counter = this.row<{ last_seq: number }>(
      `INSERT INTO reference_counters (year, last_seq) VALUES (?, 1)
       ON CONFLICT (year) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
      year,
    );
    if (!counter) throw new Error(`no sequence number for ${year}`);
    const seq = counter.last_seq;
    const record = Opportunity.parse({ ...fresh, reference: formatReference(year, seq), version: 1 });
    this.sql(
      `INSERT INTO opportunities
         (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data)
       VALUES (@reference, @year, @seq, @version, @status, @requester_id, @branch, @created_at, @updated_at,
               @title, @data)`,
    ).run({ ...this.columns(record), year, seq });
    return record;
  }

  private insertNotification(
    reference: string,
    version: number,
    events: readonly WorkflowEvent[],
    at: string,
  ): void {
    this.sql(
      `INSERT INTO pending_notifications (reference, version, events, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (reference, version) DO NOTHING`,
    ).run(reference, version, JSON.stringify(events), utc(at));
  }

  /**
   * For a store whose records live elsewhere (SharePoint): the pending notification of a change already
   * saved there. Not atomic with that change; see SharePointStore.transition.
   */
  async addNotification(notification: PendingNotification): Promise<void> {
    const { reference, version, events, at } = notification;
    this.guard('addNotification', () => this.insertNotification(reference, version, events, at));
  }

  async pendingNotifications(limit: number): Promise<readonly PendingNotification[]> {
    const max = Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit) || 1));
    return this.guard('pendingNotifications', () =>
      (
        this.sql(
          'SELECT reference, version, events, at FROM pending_notifications ORDER BY at, reference, version LIMIT ?',
        ).all(max) as { reference: string; version: number; events: string; at: string }[]
      ).map((row) => ({
        reference: row.reference,
        version: row.version,
        events: JSON.parse(row.events) as WorkflowEvent[],
        at: row.at,
      })),
    );
  }

  async settleNotification(reference: string, version: number): Promise<void> {
    this.guard('settleNotification', () =>
      this.sql('DELETE FROM pending_notifications WHERE reference = ? AND version = ?').run(
        reference,
        version,
      ),
    );
  }

  private insertAudit(reference: string, entry: NewAuditEntry): AuditEntry {
    const id = randomUUID();
    this.sql(
      `INSERT INTO audit_entries
         (id, reference, at, actor_id, actor_name, action, from_status, to_status, outcome, comment, reason,
          on_behalf_of_id, on_behalf_of_name)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      reference,
      entry.at,
      entry.actor.aadObjectId,
      entry.actor.name,
      entry.action,
      entry.from ?? null,
      entry.to ?? null,
      entry.outcome,
      entry.comment ?? null,
      entry.reason ?? null,
      entry.actor.onBehalfOf?.aadObjectId ?? null,
      entry.actor.onBehalfOf?.name ?? null,
    );
    // Read back so the caller gets exactly what auditTrail will show.
    return toAudit(this.sql('SELECT * FROM audit_entries WHERE id = ?').get(id));
  }
}
