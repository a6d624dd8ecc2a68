import { randomUUID } from 'node:crypto';
import type { WorkflowEvent } from '../services/lifecycle';
import { answersLookback, LEFT_OUT, titleWords } from '../services/lookback';
import { type NewOpportunity, Opportunity } from '../services/opportunity';
import { idKey } from '../services/roles';
import { recordWords, searchWords } from '../services/search';
import {
  type AuditEntry,
  ConcurrencyError,
  type CreationEvent,
  type LookbackQuery,
  type LookbackRow,
  type NewAuditEntry,
  type NotificationStore,
  type OpportunityFilter,
  type Page,
  type PageRequest,
  type PendingNotification,
  type RecordStore,
} from '../services/store';
import type { PgAccess, Queryable } from './pg-access';
import {
  AUDIT_COLUMNS,
  auditValues,
  LOOKBACK_COLUMNS,
  type LookbackColumnsRow,
  type NotificationRow,
  numberedRecord,
  PageCursor,
  type PagedRow,
  RECORD_COLUMNS,
  recordColumns,
  type RecordRow,
  RECORDS_PAGE_MAX,
  referenceYear,
  storedLookbackColumns,
  TextCursor,
  toAudit,
  toLookbackRow,
  toNotification,
  toRecord,
} from './record-rows';
import { clamp, decodeCursor, encodeCursor, followsVersion, pageOf, utc } from './rows';

/**
 * The records, their audit trails and the changes whose messages are still to be queued, in PostgreSQL.
 * Every write that must be atomic (counter + record + idempotency key + audit entry + pending
 * notification) is one transaction; the year's counter row is locked by the transaction that takes a
 * number from it, so numbers are handed out one at a time and a rolled-back create gives its number back.
 */

/**
 * Migration 1. JSON is kept as text, byte for byte as written: jsonb would refuse some strings JSON
 * allows (\u0000, lone surrogates) and change numbers' spelling.
 *
 * Text search: `search_text` holds the searched words (title, description, branch, skills) folded as
 * services/search.ts folds them (case and accents aside), one space between words. The stored vector
 * joins those words as they are, for prefix queries (`'word':*`), with their English and French stems,
 * so "study" also finds "studies". Folding in TypeScript needs no `unaccent` extension.
 */
export const RECORDS_SCHEMA = `
  CREATE TABLE opportunities (
    reference text PRIMARY KEY,
    year integer NOT NULL,
    seq integer NOT NULL CHECK (seq >= 1),
    version integer NOT NULL CHECK (version >= 1),
    status text NOT NULL,
    requester_id text NOT NULL,
    branch text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    title text NOT NULL,
    data text NOT NULL,
    -- The order records were first written in: search results come the latest first.
    row_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    search_text text NOT NULL,
    search tsvector GENERATED ALWAYS AS (
      array_to_tsvector(string_to_array(search_text, ' '))
        || to_tsvector('english'::regconfig, search_text)
        || to_tsvector('french'::regconfig, search_text)
    ) STORED,
    UNIQUE (year, seq)
  );
  CREATE INDEX opportunities_status ON opportunities (status, year DESC, seq DESC);
  CREATE INDEX opportunities_requester ON opportunities (requester_id, year DESC, seq DESC);
  CREATE INDEX opportunities_branch ON opportunities (branch, year DESC, seq DESC);
  CREATE INDEX opportunities_search ON opportunities USING gin (search);

  CREATE TABLE reference_counters (
    year integer PRIMARY KEY,
    last_seq integer NOT NULL CHECK (last_seq >= 1)
  );

  CREATE TABLE idempotency_keys (
    key text PRIMARY KEY,
    reference text NOT NULL REFERENCES opportunities (reference)
  );

  -- seq keeps insertion order, which is the trail's order whatever clock wrote "at".
  CREATE TABLE audit_entries (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    reference text NOT NULL REFERENCES opportunities (reference),
    at text NOT NULL,
    actor_id text NOT NULL,
    actor_name text NOT NULL,
    on_behalf_of_id text,
    on_behalf_of_name text,
    action text NOT NULL,
    from_status text,
    to_status text,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'refused')),
    comment text,
    reason text
  );
  CREATE INDEX audit_entries_reference ON audit_entries (reference, seq);

  CREATE TABLE pending_notifications (
    reference text NOT NULL,
    version integer NOT NULL,
    events text NOT NULL,
    at text NOT NULL,
    PRIMARY KEY (reference, version)
  );
  CREATE INDEX pending_notifications_at ON pending_notifications (at, reference, version);
`;

/**
 * Migration 5: the look-back's columns (see RecordStore.lookbackRows), found by branch and window, and
 * the version of the record they were computed from. The defaults let a replica of the previous release,
 * still running while others upgrade, go on writing; what it writes (a record, or a change of one) is
 * left with `lookback_version` behind `version`, and `backfillLookback` fills it in.
 */
export const LOOKBACK_SCHEMA = `
  ALTER TABLE opportunities
    ADD COLUMN branch_key text NOT NULL DEFAULT '',
    ADD COLUMN title_words text[] NOT NULL DEFAULT '{}',
    ADD COLUMN supplier_name text,
    ADD COLUMN fixed_price_cents bigint NOT NULL DEFAULT 0,
    ADD COLUMN lookback_version integer NOT NULL DEFAULT 0;
  -- Covering: the look-back reads a branch's year from the index, not the records' JSON.
  CREATE INDEX opportunities_lookback ON opportunities (branch_key, created_at)
    INCLUDE (status, supplier_name, title_words, year, seq, reference, title, branch, fixed_price_cents,
             version, lookback_version);
  -- Empty but for what an older replica wrote since the last start.
  CREATE INDEX opportunities_lookback_stale ON opportunities (created_at) WHERE lookback_version <> version;
`;

/** Rows filled in per statement by the backfill. */
const BACKFILL_SLICE = 500;

/**
 * Fills in the look-back columns of the records stored or changed without them, a slice at a time: the
 * branch and the title's words are folded as services/lookback.ts folds them, which SQL cannot do. Run
 * by migration 5, and again at every start for what a replica of the previous release wrote meanwhile.
 */
export async function backfillLookback(db: Queryable): Promise<void> {
  for (let after = ''; ;) {
    const { rows } = await db.query<{
      reference: string;
      version: number;
      branch: string;
      title: string;
      data: string;
    }>(
      `SELECT reference, version, branch, title, data FROM opportunities
       WHERE lookback_version <> version AND reference > $1 ORDER BY reference LIMIT $2`,
      [after, BACKFILL_SLICE],
    );
    const last = rows.at(-1);
    if (last === undefined) return;
    const filled = rows.map((row) => ({
      reference: row.reference,
      version: row.version,
      ...storedLookbackColumns(row),
    }));
    // Words hold no space, so they go as one text each and are split back into an array. A record
    // changed since it was read keeps its older version's mark, and is filled in again later.
    await db.query(
      `UPDATE opportunities o
       SET branch_key = f.branch_key, title_words = string_to_array(f.words, ' '),
           supplier_name = f.supplier_name, fixed_price_cents = f.fixed_price_cents, lookback_version = f.version
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::integer[])
         AS f (reference, branch_key, words, supplier_name, fixed_price_cents, version)
       WHERE o.reference = f.reference AND o.version = f.version`,
      [
        filled.map((f) => f.reference),
        filled.map((f) => f.branch_key),
        filled.map((f) => f.words.join(' ')),
        filled.map((f) => f.supplier_name),
        filled.map((f) => f.fixed_price_cents),
        filled.map((f) => f.version),
      ],
    );
    after = last.reference;
  }
}

interface SearchRow extends RecordRow {
  /** bigint: the driver gives it as a string. */
  readonly row_id: string;
}

/**
 * A lexeme holds at most 2047 bytes. A searched word is at most 50 characters long, so the first 200 of
 * a record's word are all a search can compare with.
 */
const INDEXED_WORD_CHARS = 200;

/** The searched words of a record, folded, one space between them. */
function searchTextOf(o: Opportunity): string {
  return recordWords(o)
    .map((w) => w.slice(0, INDEXED_WORD_CHARS))
    .join(' ');
}

/** Builds a WHERE clause: fragments are constants, every value goes through a numbered parameter. */
class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/** The filters other than text, as SQLite applies them. */
function filtered(filter: OpportunityFilter): Where {
  const where = new Where();
  if (filter.statuses) {
    // An empty list matches nothing.
    where.clauses.push(`status = ANY(${where.param([...filter.statuses])}::text[])`);
  }
  if (filter.requesterId !== undefined) {
    where.clauses.push(`requester_id = ${where.param(idKey(filter.requesterId))}`);
  }
  if (filter.branch !== undefined) where.clauses.push(`branch = ${where.param(filter.branch)}`);
  if (filter.createdSince !== undefined) {
    where.clauses.push(`created_at >= ${where.param(utc(filter.createdSince))}`);
  }
  return where;
}

/**
 * Every typed word must begin a word of the record (the prefix query on the words as written) or share
 * its English or French stem. The words hold letters and digits only, so quoting them as lexemes is
 * exact; plainto_tsquery never fails on its input, and a stop word's empty query drops out of the OR.
 */
function textMatch(where: Where, words: readonly string[]): string {
  return words
    .map((word) => {
      const prefix = where.param(`'${word}':*`);
      const plain = where.param(word);
      return (
        `(${prefix}::tsquery || plainto_tsquery('english'::regconfig, ${plain})` +
        ` || plainto_tsquery('french'::regconfig, ${plain}))`
      );
    })
    .join(' && ');
}

/** The create lost the race for its idempotency key: another transaction saved the same submission. */
class KeyTaken extends Error {}

export class PgRecords implements RecordStore, NotificationStore {
  constructor(private readonly db: PgAccess) {}

  async create(
    record: NewOpportunity,
    audit: NewAuditEntry,
    idempotencyKey: string,
    events: readonly CreationEvent[] = [],
  ): Promise<Opportunity> {
    const seen = await this.byKey(idempotencyKey);
    if (seen) return seen;
    try {
      return await this.db.tx('create', async (client) => {
        const created = await this.insertRecord(client, record);
        const { reference } = created;
        // Waits for a transaction holding the same key; once it commits, nothing is inserted here.
        const key = await client.query(
          `INSERT INTO idempotency_keys (key, reference) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING
           RETURNING key`,
          [idempotencyKey, reference],
        );
        // Rolling back gives the year's number back, so the sequence keeps no gap.
        if (key.rowCount === 0) throw new KeyTaken();
        await insertAudit(client, reference, audit);
        if (events.length > 0) {
          await insertNotification(
            client,
            reference,
            1,
            events.map((e) => ({ ...e, reference })),
            audit.at,
          );
        }
        return created;
      });
    } catch (err) {
      if (!(err instanceof KeyTaken)) throw err;
      const first = await this.byKey(idempotencyKey);
      if (!first) throw new Error(`the record of submission ${idempotencyKey} vanished`);
      return first;
    }
  }

  async get(reference: string): Promise<Opportunity | undefined> {
    const row = await this.db.row<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM opportunities WHERE reference = $1`,
      reference,
    );
    return row && toRecord(row);
  }

  async query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    if (filter.text !== undefined) return this.search(filter, page);
    const limit = clamp(page.limit, RECORDS_PAGE_MAX);
    const after = page.cursor === undefined ? undefined : decodeCursor(PageCursor, page.cursor);
    const where = filtered(filter);
    if (after) where.clauses.push(`(year, seq) < (${where.param(after[0])}, ${where.param(after[1])})`);
    // One row more than asked tells whether another page follows.
    const rows = await this.db.rows<PagedRow>(
      `SELECT ${RECORD_COLUMNS}, year, seq FROM opportunities ${where.sql}
       ORDER BY year DESC, seq DESC LIMIT ${where.param(limit + 1)}`,
      ...where.params,
    );
    return pageOf(rows, limit, toRecord, (last) => encodeCursor([last.year, last.seq]));
  }

  /** Most recently first written first, as SQLite's full-text index orders them; other filters apply too. */
  private async search(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    const limit = clamp(page.limit, RECORDS_PAGE_MAX);
    const words = searchWords(filter.text ?? '');
    // Text with nothing searchable in it matches nothing.
    if (words.length === 0) return { items: [] };
    const before = page.cursor === undefined ? undefined : decodeCursor(TextCursor, page.cursor).rowid;
    const where = filtered(filter);
    where.clauses.push(`search @@ (${textMatch(where, words)})`);
    if (before !== undefined) where.clauses.push(`row_id < ${where.param(before)}`);
    const rows = await this.db.rows<SearchRow>(
      `SELECT ${RECORD_COLUMNS}, row_id FROM opportunities ${where.sql}
       ORDER BY row_id DESC LIMIT ${where.param(limit + 1)}`,
      ...where.params,
    );
    return pageOf(rows, limit, toRecord, (last) => encodeCursor({ rowid: Number(last.row_id) }));
  }

  /**
   * Led by the (branch_key, created_at) index: a branch's window, whatever the other branches hold. The
   * window's records whose look-back columns are behind (written by a replica of the previous release
   * during a rolling upgrade, until the next start fills them in) are read whole and chosen by the same rule.
   */
  async lookbackRows(query: LookbackQuery, limit: number): Promise<readonly LookbackRow[]> {
    const most = clamp(limit, Number.MAX_SAFE_INTEGER);
    const rows = await this.db.rows<LookbackColumnsRow & { data: string | null }>(
      `(SELECT ${LOOKBACK_COLUMNS}, year, seq, NULL AS data FROM opportunities
        WHERE branch_key = ANY($1::text[]) AND created_at >= $2 AND status <> ALL($3::text[])
          AND (supplier_name IS NOT NULL OR title_words && $4::text[]) AND lookback_version = version
        ORDER BY year DESC, seq DESC LIMIT $5)
       UNION ALL
       (SELECT ${LOOKBACK_COLUMNS}, year, seq, data FROM opportunities
        WHERE lookback_version <> version AND created_at >= $2 AND status <> ALL($3::text[]))
       ORDER BY year DESC, seq DESC`,
      [...query.branchKeys],
      utc(query.since),
      [...LEFT_OUT],
      [...query.words],
      most,
    );
    const found: LookbackRow[] = [];
    for (const { data, ...row } of rows) {
      if (found.length === most) break;
      if (data === null) found.push(toLookbackRow(row));
      else {
        const unfilled = toLookbackRow({ ...row, ...storedLookbackColumns({ ...row, data }) });
        if (answersLookback(unfilled, query)) found.push(unfilled);
      }
    }
    return found;
  }

  async transition(
    next: Opportunity,
    expectedVersion: number,
    audit: NewAuditEntry,
    events: readonly WorkflowEvent[] = [],
  ): Promise<Opportunity> {
    followsVersion(next.reference, next.version, expectedVersion);
    const record = Opportunity.parse(next);
    const c = columns(record);
    return this.db.tx('transition', async (client) => {
      // created_at, year, seq and row_id belong to the reference and never change after create. A
      // concurrent writer holds the row until it commits; this update then sees its version and misses.
      const { rowCount } = await client.query(
        `UPDATE opportunities
         SET version = $2, status = $3, requester_id = $4, branch = $5, updated_at = $6, title = $7,
             data = $8, search_text = $9, branch_key = $11, title_words = $12, supplier_name = $13,
             fixed_price_cents = $14, lookback_version = $2
         WHERE reference = $1 AND version = $10`,
        [
          c.reference,
          c.version,
          c.status,
          c.requester_id,
          c.branch,
          c.updated_at,
          c.title,
          c.data,
          c.search_text,
          expectedVersion,
          c.branch_key,
          c.title_words,
          c.supplier_name,
          c.fixed_price_cents,
        ],
      );
      if (rowCount === 0) {
        const { rows } = await client.query<{ version: number }>(
          'SELECT version FROM opportunities WHERE reference = $1',
          [record.reference],
        );
        throw new ConcurrencyError(record.reference, expectedVersion, rows[0]?.version);
      }
      await insertAudit(client, record.reference, audit);
      if (events.length > 0) {
        await insertNotification(client, record.reference, record.version, events, audit.at);
      }
      // Read back so the caller holds exactly what get() will return.
      return toRecord(c);
    });
  }

  async appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry> {
    const added = await insertAudit(this.db, reference, entry);
    if (!added) throw new RangeError(`no opportunity ${reference} to audit`);
    return added;
  }

  async auditTrail(reference: string): Promise<readonly AuditEntry[]> {
    return (
      await this.db.rows('SELECT * FROM audit_entries WHERE reference = $1 ORDER BY seq', reference)
    ).map(toAudit);
  }

  /**
   * For a store whose records live elsewhere (SharePoint): the pending notification of a change already
   * saved there, not atomic with that change.
   */
  async addNotification(notification: PendingNotification): Promise<void> {
    const { reference, version, events, at } = notification;
    await insertNotification(this.db, reference, version, events, at);
  }

  async pendingNotifications(limit: number): Promise<readonly PendingNotification[]> {
    const max = clamp(limit, RECORDS_PAGE_MAX);
    const rows = await this.db.rows<NotificationRow>(
      'SELECT reference, version, events, at FROM pending_notifications ORDER BY at, reference, version LIMIT $1',
      max,
    );
    return rows.map(toNotification);
  }

  async settleNotification(reference: string, version: number): Promise<void> {
    await this.db.query('DELETE FROM pending_notifications WHERE reference = $1 AND version = $2', [
      reference,
      version,
    ]);
  }

  /** The record first saved under this idempotency key, as it is now. */
  private async byKey(idempotencyKey: string): Promise<Opportunity | undefined> {
    const row = await this.db.row<RecordRow>(
      `SELECT o.reference, o.version, o.data
       FROM idempotency_keys k JOIN opportunities o ON o.reference = k.reference
       WHERE k.key = $1`,
      idempotencyKey,
    );
    return row && toRecord(row);
  }

  /**
   * Takes the year's next number and inserts the record. The counter row stays locked until the
   * transaction ends, so concurrent creates of one year take numbers in turn.
   */
  private async insertRecord(client: Queryable, fresh: NewOpportunity): Promise<Opportunity> {
    const year = referenceYear(fresh);
    const { rows } = await client.query<{ last_seq: number }>(
      `INSERT INTO reference_counters (year, last_seq) VALUES ($1, 1)
       ON CONFLICT (year) DO UPDATE SET last_seq = reference_counters.last_seq + 1
       RETURNING last_seq`,
      [year],
    );
    const seq = rows[0]?.last_seq;
    if (seq === undefined) throw new Error(`no sequence number for ${year}`);
    const record = numberedRecord(fresh, year, seq);
    const c = columns(record);
    await client.query(
      `INSERT INTO opportunities
         (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data,
          search_text, branch_key, title_words, supplier_name, fixed_price_cents, lookback_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $4)`,
      [
        c.reference,
        year,
        seq,
        c.version,
        c.status,
        c.requester_id,
        c.branch,
        c.created_at,
        c.updated_at,
        c.title,
        c.data,
        c.search_text,
        c.branch_key,
        c.title_words,
        c.supplier_name,
        c.fixed_price_cents,
      ],
    );
    // What get() will return: read back from the stored text, without the members JSON leaves out.
    return toRecord(c);
  }
}

/** A record's columns, with the words it is searched by and its title's words for the look-back. */
function columns(o: Opportunity) {
  return { ...recordColumns(o), search_text: searchTextOf(o), title_words: titleWords(o.title) };
}

/** Appends an entry to the trail of a record that exists; undefined when there is no such record. */
async function insertAudit(
  db: Queryable,
  reference: string,
  entry: NewAuditEntry,
): Promise<AuditEntry | undefined> {
  const { rows } = await db.query(
    `INSERT INTO audit_entries (${AUDIT_COLUMNS})
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
     WHERE EXISTS (SELECT 1 FROM opportunities WHERE reference = $2)
     RETURNING *`,
    auditValues(randomUUID(), reference, entry),
  );
  // Read back so the caller gets exactly what auditTrail will show.
  return rows[0] === undefined ? undefined : toAudit(rows[0]);
}

async function insertNotification(
  db: Queryable,
  reference: string,
  version: number,
  events: readonly WorkflowEvent[],
  at: string,
): Promise<void> {
  await db.query(
    `INSERT INTO pending_notifications (reference, version, events, at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (reference, version) DO NOTHING`,
    [reference, version, JSON.stringify(events), utc(at)],
  );
}
