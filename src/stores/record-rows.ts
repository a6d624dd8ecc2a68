import { z } from 'zod';
import type { WorkflowEvent } from '../services/lifecycle';
import { ownBranchKey, supplierOf, titleWords } from '../services/lookback';
import { type NewOpportunity, Opportunity, Status, STATUSES } from '../services/opportunity';
import { idKey } from '../services/roles';
import type { AuditEntry, LookbackRow, NewAuditEntry, PendingNotification } from '../services/store';
import { utc } from './rows';

/**
 * The records, their audit trails and their pending notifications as both SQL stores keep them: the
 * same columns in the SQLite file and in PostgreSQL, written and read back the same way.
 */

/** A page of records is at most this long. */
export const RECORDS_PAGE_MAX = 100;

/** What a record is read with: the whole record as JSON text, and the columns it must agree with. */
export const RECORD_COLUMNS = 'reference, version, data';

export interface RecordRow {
  readonly reference: string;
  readonly version: number;
  readonly data: string;
}

/** A record with its place in the newest-first order. */
export interface PagedRow extends RecordRow {
  readonly year: number;
  readonly seq: number;
}

/** Where a page of the newest-first order stopped: the last record's year and number. */
export const PageCursor = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/** Where a text search stopped: search pages go by the order records were first written. */
export const TextCursor = z.object({ rowid: z.number().int().positive() });

/** The year the record is numbered in: the department's at submission (NewOpportunity), checked. */
export function referenceYear(fresh: NewOpportunity): number {
  const year = fresh.referenceYear;
  if (!Number.isSafeInteger(year) || year < 2000 || year > 9999)
    throw new RangeError(`not a reference year: ${year}`);
  return year;
}

/** A new record as first stored: the year's number `seq` makes its reference, at version 1. */
export function numberedRecord(fresh: NewOpportunity, year: number, seq: number): Opportunity {
  const { referenceYear: _year, ...record } = fresh;
  return Opportunity.parse({
    ...record,
    reference: `MA-${year}-${String(seq).padStart(4, '0')}`,
    version: 1,
  });
}

/** The columns of a record's row, besides those that only place it (year, seq). */
export function recordColumns(o: Opportunity) {
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
    ...lookbackColumns(o),
  };
}

/**
 * What the look-back selects on and reads (RecordStore.lookbackRows), kept beside the record so that
 * it is found by an index and read without decoding the record. The title's words are the store's to
 * keep (a text of words in SQLite, an array in PostgreSQL).
 */
function lookbackColumns(o: Pick<LookbackRow, 'client' | 'pricing' | 'selection'>) {
  return {
    branch_key: ownBranchKey(o.client.branch),
    supplier_name: supplierOf(o) ?? null,
    fixed_price_cents: o.pricing.fixedPriceCents,
  };
}

/** The part of a stored record the look-back columns come from, read leniently. */
const StoredLookback = z.object({
  pricing: z.object({ fixedPriceCents: z.number() }).optional(),
  selection: z.object({ supplierName: z.string().optional() }).optional(),
});

/**
 * The look-back columns of a record stored without them, for the migration that fills them in (and
 * PostgreSQL's look-back, for records an older replica writes during a rolling upgrade). A record that
 * cannot be read gets its branch and title words all the same, no supplier and no price: reading it fails
 * loudly elsewhere, and the migration must not stop the store opening.
 */
export function storedLookbackColumns(row: {
  readonly branch: string;
  readonly title: string;
  readonly data: string;
}) {
  let stored: z.infer<typeof StoredLookback> = {};
  try {
    stored = StoredLookback.parse(JSON.parse(row.data));
  } catch {
    // Left without supplier and price, as said above.
  }
  return {
    ...lookbackColumns({
      client: { branch: row.branch },
      pricing: { fixedPriceCents: stored.pricing?.fixedPriceCents ?? 0 },
      selection: { supplierName: stored.selection?.supplierName },
    }),
    words: titleWords(row.title),
  };
}

/** A title's words as SQLite keeps them, between spaces (' w1 w2 '), so a word is found as ' w '. */
export function spacedWords(words: readonly string[]): string {
  return words.length === 0 ? ' ' : ` ${words.join(' ')} `;
}

/** What a look-back row is read with. */
export const LOOKBACK_COLUMNS =
  'reference, title, status, created_at, branch, fixed_price_cents, supplier_name';

export interface LookbackColumnsRow {
  readonly reference: string;
  readonly title: string;
  readonly status: string;
  readonly created_at: string;
  readonly branch: string;
  /** bigint in PostgreSQL: the driver gives it as text. */
  readonly fixed_price_cents: number | string;
  readonly supplier_name: string | null;
}

/**
 * A look-back row from its columns: only the status is checked, as a record's columns agree with it,
 * and the columns are kept as `lookbackRow` gives them (the time in UTC, the supplier trimmed).
 */
export function toLookbackRow(row: LookbackColumnsRow): LookbackRow {
  const status = row.status as Status;
  if (!STATUSES.includes(status)) throw new Error(`stored record ${row.reference} has no known status`);
  return {
    reference: row.reference,
    title: row.title,
    status,
    createdAt: row.created_at,
    client: { branch: row.branch },
    pricing: { fixedPriceCents: Number(row.fixed_price_cents) },
    selection: row.supplier_name === null ? {} : { supplierName: row.supplier_name },
  };
}

/** Corrupt rows fail loudly, naming the record, rather than reaching the workflow half-valid. */
export function toRecord(row: RecordRow): Opportunity {
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

/** The columns an audit entry is written to, in the order of `auditValues`. */
export const AUDIT_COLUMNS = `id, reference, at, actor_id, actor_name, action, from_status, to_status, outcome,
  comment, reason, on_behalf_of_id, on_behalf_of_name`;

/** An entry of `reference`'s trail as the values of AUDIT_COLUMNS. */
export function auditValues(id: string, reference: string, entry: NewAuditEntry): unknown[] {
  return [
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
  ];
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

export function toAudit(raw: unknown): AuditEntry {
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

/** A pending notification's row: its events as JSON text. */
export interface NotificationRow {
  readonly reference: string;
  readonly version: number;
  readonly events: string;
  readonly at: string;
}

export function toNotification(row: NotificationRow): PendingNotification {
  return {
    reference: row.reference,
    version: row.version,
    events: JSON.parse(row.events) as WorkflowEvent[],
    at: row.at,
  };
}
