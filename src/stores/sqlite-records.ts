import { randomUUID } from 'node:crypto';
import type { WorkflowEvent } from '../services/lifecycle';
import { LEFT_OUT, titleWords } from '../services/lookback';
import { type NewOpportunity, Opportunity } from '../services/opportunity';
import { idKey } from '../services/roles';
import { searchWords } from '../services/search';
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
  spacedWords,
  TextCursor,
  toAudit,
  toLookbackRow,
  toNotification,
  toRecord,
} from './record-rows';
import { clamp, decodeCursor, encodeCursor, followsVersion, pageOf, utc } from './rows';
import type { SqliteAccess } from './sqlite-access';

/**
 * The records, their audit trails and their pending notifications in the SQLite file. A record, its
 * reference counter, idempotency key, audit entry and pending notification are written in one IMMEDIATE
 * transaction, so a second process on the file waits for the write lock up front instead of failing
 * halfway through.
 */
export class SqliteRecords implements RecordStore, NotificationStore {
  constructor(private readonly access: SqliteAccess) {}

  async create(
    record: NewOpportunity,
    audit: NewAuditEntry,
    idempotencyKey: string,
    events: readonly CreationEvent[] = [],
  ): Promise<Opportunity> {
    return this.access.write('create', () => {
      const seen = this.access.row<{ reference: string }>(
        'SELECT reference FROM idempotency_keys WHERE key = ?',
        idempotencyKey,
      );
      if (seen) return this.mustGet(seen.reference);
      const created = this.insertRecord(record);
      this.access
        .sql('INSERT INTO idempotency_keys (key, reference) VALUES (?, ?)')
        .run(idempotencyKey, created.reference);
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
    });
  }

  async get(reference: string): Promise<Opportunity | undefined> {
    return this.access.guard('get', () => {
      const row = this.access.row<RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM opportunities WHERE reference = ?`,
        reference,
      );
      return row && toRecord(row);
    });
  }

  async query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    if (filter.text !== undefined) return this.search(filter, page);
    const limit = clamp(page.limit, RECORDS_PAGE_MAX);
    const where = whereOf(
      filter,
      page.cursor === undefined ? undefined : decodeCursor(PageCursor, page.cursor),
    );
    return this.access.guard('query', () => {
      // One row more than asked tells whether another page follows.
      const rows = this.access.rows<PagedRow>(
        `SELECT ${RECORD_COLUMNS}, year, seq FROM opportunities ${where.sql}
         ORDER BY year DESC, seq DESC LIMIT ?`,
        ...where.params,
        limit + 1,
      );
      return pageOf(rows, limit, toRecord, (last) => encodeCursor([last.year, last.seq]));
    });
  }

  /**
   * A text search walks the full-text index newest-written first and stops at the page's end, so a word
   * found in every record costs no more than a rare one; the other filters apply along the way.
   */
  private async search(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    const limit = clamp(page.limit, RECORDS_PAGE_MAX);
    const match = ftsQuery(filter.text ?? '');
    if (!match) return { items: [] };
    const before = page.cursor === undefined ? undefined : decodeCursor(TextCursor, page.cursor).rowid;
    const where = whereOf({ ...filter, text: undefined });
    const clauses = [
      'opportunities_text MATCH ?',
      ...(before !== undefined ? ['t.rowid < ?'] : []),
      ...(where.sql ? [where.sql.replace(/^WHERE /, '')] : []),
    ];
    return this.access.guard('query', () => {
      const rows = this.access.rows<RecordRow & { rid: number }>(
        `SELECT o.reference, o.version, o.data, t.rowid AS rid
         FROM opportunities_text t JOIN opportunities o ON o.rowid = t.rowid
         WHERE ${clauses.join(' AND ')}
         ORDER BY t.rowid DESC LIMIT ?`,
        match,
        ...(before !== undefined ? [before] : []),
        ...where.params,
        limit + 1,
      );
      return pageOf(rows, limit, toRecord, (last) => encodeCursor({ rowid: last.rid }));
    });
  }

  /**
   * Led by the (branch_key, created_at) index: a branch's window, whatever the other branches hold. The
   * lists go in as JSON (one statement whatever their length), every value through a placeholder.
   */
  async lookbackRows(query: LookbackQuery, limit: number): Promise<readonly LookbackRow[]> {
    // A word holds no space (titleWords); one that did could match across two stored words.
    const words = query.words.filter((w) => w !== '' && !w.includes(' '));
    if (query.branchKeys.length === 0) return [];
    // One placeholder per key and per word (a title has a few dozen words at most): a word tested per row
    // through json_each would parse the list again for each of the branch's rows.
    const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
    const matches = words.map(() => 'instr(title_words, ?) > 0');
    return this.access.guard('lookbackRows', () =>
      this.access
        .rows<LookbackColumnsRow>(
          `SELECT ${LOOKBACK_COLUMNS} FROM opportunities
           WHERE branch_key IN (${marks(query.branchKeys.length)}) AND created_at >= ?
             AND status NOT IN (${marks(LEFT_OUT.length)})
             AND (${['supplier_name IS NOT NULL', ...matches].join(' OR ')})
           ORDER BY year DESC, seq DESC LIMIT ?`,
          ...query.branchKeys,
          utc(query.since),
          ...LEFT_OUT,
          ...words.map((w) => ` ${w} `),
          clamp(limit, Number.MAX_SAFE_INTEGER),
        )
        .map(toLookbackRow),
    );
  }

  async transition(
    next: Opportunity,
    expectedVersion: number,
    audit: NewAuditEntry,
    events: readonly WorkflowEvent[] = [],
  ): Promise<Opportunity> {
    followsVersion(next.reference, next.version, expectedVersion);
    const record = Opportunity.parse(next);
    return this.access.write('transition', () => {
      // created_at, year and seq belong to the reference and never change after create.
      const { changes } = this.access
        .sql(
          `UPDATE opportunities
           SET version = @version, status = @status, requester_id = @requester_id, branch = @branch,
               updated_at = @updated_at, title = @title, data = @data, branch_key = @branch_key,
               title_words = @title_words, supplier_name = @supplier_name,
               fixed_price_cents = @fixed_price_cents
           WHERE reference = @reference AND version = @expected`,
        )
        .run({ ...columns(record), expected: expectedVersion });
      if (changes === 0) {
        const actual = this.access.row<{ version: number }>(
          'SELECT version FROM opportunities WHERE reference = ?',
          record.reference,
        );
        throw new ConcurrencyError(record.reference, expectedVersion, actual?.version);
      }
      this.insertAudit(record.reference, audit);
      if (events.length > 0) this.insertNotification(record.reference, record.version, events, audit.at);
      // Read back so the caller holds exactly what get() will return.
      return this.mustGet(record.reference);
    });
  }

  async appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry> {
    return this.access.guard('appendAudit', () => {
      const exists = this.access.row('SELECT 1 FROM opportunities WHERE reference = ?', reference);
      if (!exists) throw new RangeError(`no opportunity ${reference} to audit`);
      return this.insertAudit(reference, entry);
    });
  }

  async auditTrail(reference: string): Promise<readonly AuditEntry[]> {
    return this.access.guard('auditTrail', () =>
      this.access
        .rows('SELECT * FROM audit_entries WHERE reference = ? ORDER BY seq', reference)
        .map(toAudit),
    );
  }

  /**
   * For a store whose records live elsewhere (SharePoint): the pending notification of a change already
   * saved there. Not atomic with that change; see SharePointStore.transition.
   */
  async addNotification(notification: PendingNotification): Promise<void> {
    const { reference, version, events, at } = notification;
    this.access.guard('addNotification', () => this.insertNotification(reference, version, events, at));
  }

  async pendingNotifications(limit: number): Promise<readonly PendingNotification[]> {
    const max = clamp(limit, RECORDS_PAGE_MAX);
    return this.access.guard('pendingNotifications', () =>
      this.access
        .rows<NotificationRow>(
          'SELECT reference, version, events, at FROM pending_notifications ORDER BY at, reference, version LIMIT ?',
          max,
        )
        .map(toNotification),
    );
  }

  async settleNotification(reference: string, version: number): Promise<void> {
    this.access.guard('settleNotification', () => deleteNotification(this.access, reference, version));
  }

  private mustGet(reference: string): Opportunity {
    const row = this.access.row<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM opportunities WHERE reference = ?`,
      reference,
    );
    if (!row) throw new Error(`record ${reference} is missing`);
    return toRecord(row);
  }

  /** Takes the year's next sequence number and inserts the record; call inside a write transaction. */
  private insertRecord(fresh: NewOpportunity): Opportunity {
    const year = referenceYear(fresh);
    const counter = this.access.row<{ last_seq: number }>(
      `INSERT INTO reference_counters (year, last_seq) VALUES (?, 1)
       ON CONFLICT (year) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
      year,
    );
    if (!counter) throw new Error(`no sequence number for ${year}`);
    const seq = counter.last_seq;
    const record = numberedRecord(fresh, year, seq);
    this.access
      .sql(
        `INSERT INTO opportunities
           (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data,
            branch_key, title_words, supplier_name, fixed_price_cents)
         VALUES (@reference, @year, @seq, @version, @status, @requester_id, @branch, @created_at, @updated_at,
                 @title, @data, @branch_key, @title_words, @supplier_name, @fixed_price_cents)`,
      )
      .run({ ...columns(record), year, seq });
    return record;
  }

  private insertNotification(
    reference: string,
    version: number,
    events: readonly WorkflowEvent[],
    at: string,
  ): void {
    this.access
      .sql(
        `INSERT INTO pending_notifications (reference, version, events, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (reference, version) DO NOTHING`,
      )
      .run(reference, version, JSON.stringify(events), utc(at));
  }

  private insertAudit(reference: string, entry: NewAuditEntry): AuditEntry {
    const id = randomUUID();
    this.access
      .sql(`INSERT INTO audit_entries (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(...auditValues(id, reference, entry));
    // Read back so the caller gets exactly what auditTrail will show.
    return toAudit(this.access.row('SELECT * FROM audit_entries WHERE id = ?', id));
  }
}

/** A record's columns, with its title's words as SQLite keeps them. */
function columns(o: Opportunity) {
  return { ...recordColumns(o), title_words: spacedWords(titleWords(o.title)) };
}

/** Removes a pending notification, its messages queued; the outbox calls it in the write that queues them. */
export function deleteNotification(access: SqliteAccess, reference: string, version: number): void {
  access.sql('DELETE FROM pending_notifications WHERE reference = ? AND version = ?').run(reference, version);
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
