import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { WorkflowEvent } from '../services/lifecycle';
import { type NewOpportunity, Opportunity, Status } from '../services/opportunity';
import { idKey } from '../services/roles';
import { searchWords } from '../services/search';
import {
  type AuditEntry,
  ConcurrencyError,
  type CreationEvent,
  type NewAuditEntry,
  type NotificationStore,
  type OpportunityFilter,
  type Page,
  type PageRequest,
  type PendingNotification,
  type RecordStore,
} from '../services/store';
import { clamp, type SqliteAccess, utc } from './sqlite-access';
import { decodeCursor, encodeCursor, pageOf } from './sqlite-rows';

const MAX_PAGE = 100;

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
        'SELECT reference, version, created_at, data FROM opportunities WHERE reference = ?',
        reference,
      );
      return row && toRecord(row);
    });
  }

  async query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    if (filter.text !== undefined) return this.search(filter, page);
    const limit = clamp(page.limit, MAX_PAGE);
    const where = whereOf(filter, page.cursor === undefined ? undefined : decodeCursor(Cursor, page.cursor));
    return this.access.guard('query', () => {
      // One row more than asked tells whether another page follows.
      const rows = this.access.rows<PagedRow>(
        `SELECT reference, version, created_at, data, year, seq FROM opportunities ${where.sql}
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
    const limit = clamp(page.limit, MAX_PAGE);
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
        `SELECT o.reference, o.version, o.created_at, o.data, t.rowid AS rid
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
    return this.access.write('transition', () => {
      // created_at, year and seq belong to the reference and never change after create.
      const { changes } = this.access
        .sql(
          `UPDATE opportunities
           SET version = @version, status = @status, requester_id = @requester_id, branch = @branch,
               updated_at = @updated_at, title = @title, data = @data
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
    const max = clamp(limit, MAX_PAGE);
    return this.access.guard('pendingNotifications', () =>
      this.access
        .rows<{ reference: string; version: number; events: string; at: string }>(
          'SELECT reference, version, events, at FROM pending_notifications ORDER BY at, reference, version LIMIT ?',
          max,
        )
        .map((row) => ({
          reference: row.reference,
          version: row.version,
          events: JSON.parse(row.events) as WorkflowEvent[],
          at: row.at,
        })),
    );
  }

  async settleNotification(reference: string, version: number): Promise<void> {
    this.access.guard('settleNotification', () => deleteNotification(this.access, reference, version));
  }

  private mustGet(reference: string): Opportunity {
    const row = this.access.row<RecordRow>(
      'SELECT reference, version, created_at, data FROM opportunities WHERE reference = ?',
      reference,
    );
    if (!row) throw new Error(`record ${reference} is missing`);
    return toRecord(row);
  }

  /** Takes the year's next sequence number and inserts the record; call inside a write transaction. */
  private insertRecord(fresh: NewOpportunity): Opportunity {
    const year = yearOf(Opportunity.shape.createdAt.parse(fresh.createdAt));
    const counter = this.access.row<{ last_seq: number }>(
      `INSERT INTO reference_counters (year, last_seq) VALUES (?, 1)
       ON CONFLICT (year) DO UPDATE SET last_seq = last_seq + 1
       RETURNING last_seq`,
      year,
    );
    if (!counter) throw new Error(`no sequence number for ${year}`);
    const seq = counter.last_seq;
    const record = Opportunity.parse({ ...fresh, reference: formatReference(year, seq), version: 1 });
    this.access
      .sql(
        `INSERT INTO opportunities
           (reference, year, seq, version, status, requester_id, branch, created_at, updated_at, title, data)
         VALUES (@reference, @year, @seq, @version, @status, @requester_id, @branch, @created_at, @updated_at,
                 @title, @data)`,
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
      .sql(
        `INSERT INTO audit_entries
           (id, reference, at, actor_id, actor_name, action, from_status, to_status, outcome, comment, reason,
            on_behalf_of_id, on_behalf_of_name)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
    return toAudit(this.access.row('SELECT * FROM audit_entries WHERE id = ?', id));
  }
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

interface RecordRow {
  readonly reference: string;
  readonly version: number;
  readonly created_at: string;
  readonly data: string;
}

/** A record with its place in the newest-first order. */
interface PagedRow extends RecordRow {
  readonly year: number;
  readonly seq: number;
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

/** Where a page of the newest-first order stopped: the last record's year and number. */
const Cursor = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/** Where a text search stopped: search pages go by the full-text index's own order (the order records were written). */
const TextCursor = z.object({ rowid: z.number().int().positive() });

/** The reference year is the calendar year written in createdAt, as the requester saw it. */
function yearOf(createdAt: string): number {
  return Number(createdAt.slice(0, 4));
}

function formatReference(year: number, seq: number): string {
  return `MA-${year}-${String(seq).padStart(4, '0')}`;
}

function columns(o: Opportunity) {
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
