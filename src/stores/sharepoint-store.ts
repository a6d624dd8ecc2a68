import { randomUUID } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import {
  type NewOpportunity,
  Opportunity,
  REFERENCE_PATTERN,
  TERMINAL_STATUSES,
} from '../services/opportunity';
import {
  type AuditEntry,
  ConcurrencyError,
  type CreationEvent,
  everyRecord,
  type LookbackQuery,
  type LookbackRow,
  type NewAuditEntry,
  type OpportunityFilter,
  type Page,
  type PageRequest,
  type NotificationStore,
  type PublicSiteStore,
  type RecordStore,
  type Resource,
  type Store,
  StoreUnavailableError,
} from '../services/store';
import { withRecordsIn } from './compose';
import { numberedRecord, referenceYear } from './record-rows';
import { clamp } from './rows';
import type { WorkflowEvent } from '../services/lifecycle';
import type { AskOutcome, NewQuestion, Question, QuestionLimits, QuestionState } from '../services/questions';
import type { NewSubscription, SubscribeOutcome, Subscription } from '../services/subscriptions';
import type {
  Application,
  NewApplication,
  SelfIdentification,
  SubmitOutcome,
} from '../services/applications';
import { answersLookback, lookbackRow } from '../services/lookback';
import { matchesText, searchWords } from '../services/search';
import { idKey } from '../services/roles';
import { LISTS, type ListDefinition, SINGLE_LINE_MAX, STATUS_CHOICES } from './sharepoint-schema';
import { SharePointList, sharePointCall } from './sharepoint-list';
import { SharePointQuestions } from './sharepoint-questions';
import { SharePointSubscriptions } from './sharepoint-subscriptions';
import { SharePointApplications } from './sharepoint-applications';

/**
 * Records in SharePoint lists through Microsoft Graph. The opportunities list holds each record (its
 * whole JSON, plus indexed columns to query on), the audit list its trail, and a counters list the
 * reference numbers. It implements the record and public-site ports only: the bot's working state
 * (drafts, conversations, preferences, the outbox) lives in the working store it is composed with
 * (stores/index.ts), SQLite for one process or PostgreSQL for replicas.
 *
 * The public site's questions, subscriptions and applications are records too, kept in lists of their
 * own (see sharepoint-questions.ts, sharepoint-subscriptions.ts and sharepoint-applications.ts); its
 * e-mail queue, local mailbox and publication log are working state, kept with the outbox.
 *
 * Writes that touch two items go as one JSON batch, the second depending on the first; a batch is not a
 * transaction, so if the audit entry cannot be written after its record was, the record is put back and
 * the caller told the store is unavailable: no record without its audit entry.
 */

export interface SharePointStoreOptions {
  readonly client: Client;
  readonly siteId: string;
  readonly listPrefix: string;
  /** Where a change's messages are noted until queued: the working store (SQLite or PostgreSQL). */
  readonly notifications: Pick<NotificationStore, 'addNotification'>;
}

type ListKey = ListDefinition['key'];

interface ItemRef {
  readonly itemId: string;
  readonly eTag: string;
  readonly version: number;
  /** The record as that item holds it: what to put back if a decision must be undone. */
  readonly record: Opportunity;
}

interface GraphItem {
  readonly id: string;
  readonly eTag?: string;
  readonly '@odata.etag'?: string;
  readonly fields?: Record<string, unknown>;
}

interface BatchResponse {
  readonly id: string;
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** How many times a throttled or failing step is tried before the person is told to try again later. */
const ATTEMPTS = 3;
/**
 * The longest the store waits on a throttled or failing SharePoint within one operation: a person's click
 * is answered in Teams' few seconds, told to try again if need be, never held for minutes.
 */
export const WAIT_BUDGET_MS = 3_000;
const PAGE_MAX = 100;
/** Graph's limit on the requests of one JSON batch. */
const BATCH_MAX = 20;
/**
 * Records per block of references: a query no clause narrows is read one block at a time, and a block's
 * equality selects at most this many items, well under SharePoint's 5,000-item list view threshold.
 */
export const BLOCK_SIZE = 1_000;
/**
 * Blocks a text search looks through per call: SharePoint has no full-text filter on list items, so the
 * words are matched here, and a page comes back after this many blocks, found or not, with a cursor to go on.
 */
const SCAN_BLOCKS = 2;
/** How long a leading clause refused as too broad is not tried again. */
const BROAD_LEAD_MS = 10 * 60_000;
/** Items read per request when a text search has to look through them. */
const TEXT_SCAN_PAGE = 500;
/** A page of a record's audit trail; long trails follow Graph's nextLink. */
const AUDIT_PAGE = 500;

const RETRYABLE = new Set([429, 503, 504]);

/** An OData string literal: quotes doubled, so a value can never close the literal early. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The same record, as stored: what one write saved is what another would save. */
function sameRecord(a: Opportunity, b: Opportunity): boolean {
  return JSON.stringify(Opportunity.parse(a)) === JSON.stringify(Opportunity.parse(b));
}

/** Graph's error code and status, from the SDK's GraphError or a batch response. */
function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown };
  return typeof e?.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
}

function retryAfterMs(headers: Record<string, string> | undefined): number {
  const raw = headers ? (headers['Retry-After'] ?? headers['retry-after']) : undefined;
  const seconds = raw === undefined ? 1 : Number(raw);
  return Math.max(0, Number.isFinite(seconds) ? seconds * 1000 : 1000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const Entry = z.object({
  id: z.string(),
  reference: z.string(),
  at: z.string(),
  actor: z.object({
    aadObjectId: z.string(),
    name: z.string(),
    onBehalfOf: z.object({ aadObjectId: z.string(), name: z.string() }).optional(),
  }),
  action: z.string(),
  from: z.enum(STATUS_CHOICES).optional(),
  to: z.enum(STATUS_CHOICES).optional(),
  outcome: z.enum(['applied', 'refused']),
  comment: z.string().optional(),
  reason: z.string().optional(),
});

const Cursor = z.object({ s: z.number().int().positive() });

/** A year's counter item: its last number, and who took the last few numbers. */
interface Counter {
  readonly itemId: string;
  readonly eTag: string;
  readonly value: number;
  readonly takers: Readonly<Record<string, number>>;
}

const Takers = z.record(z.string(), z.number());

function counterOf(item: GraphItem): Counter {
  const raw = item.fields?.Takers;
  let takers: Record<string, number> = {};
  try {
    takers = typeof raw === 'string' ? Takers.parse(JSON.parse(raw)) : {};
  } catch {
    // A counter edited by hand keeps its value; only the record of who took numbers is lost.
  }
  return {
    itemId: item.id,
    eTag: String(item.eTag ?? item['@odata.etag'] ?? item.fields?.['@odata.etag']),
    value: Number(item.fields?.Value ?? 0),
    takers,
  };
}

/** The takers of the last numbers, enough to outlast any burst of writers racing for one. */
function recentTakers(takers: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(takers)
      .sort(([, a], [, b]) => b - a)
      .slice(0, 40),
  );
}

/**
 * Where a reference sits in the newest-first order: its serial (year and number as one sortable number,
 * which the reference's text is not past 9,999) and its block.
 */
export function positionOf(reference: string): { serial: number; block: string } {
  const [, year, number] = REFERENCE_PATTERN.exec(reference) ?? [];
  const n = Number(number);
  return { serial: Number(year) * 1_000_000 + n, block: `${year}-${Math.floor(n / BLOCK_SIZE)}` };
}

const fromSerial = (serial: number) => ({ year: Math.floor(serial / 1_000_000), number: serial % 1_000_000 });

/**
 * How a query reads. It may lead with a clause that selects few items whatever the list's size: a
 * person's own requests, or requests in progress (records leave those statuses; only the final ones grow
 * without end). Without such a clause it is read block by block (`readBlocks`).
 */
function planOf(filter: OpportunityFilter): { lead?: string; clauses: string[] } {
  const requester =
    filter.requesterId === undefined
      ? undefined
      : `fields/RequesterId eq ${odataString(idKey(filter.requesterId))}`;
  const statuses =
    filter.statuses === undefined
      ? undefined
      : `(${filter.statuses.map((s) => `fields/Status eq ${odataString(s)}`).join(' or ')})`;
  const branch = filter.branch === undefined ? undefined : `fields/Branch eq ${odataString(filter.branch)}`;
  const since =
    filter.createdSince === undefined
      ? undefined
      : `fields/CreatedKey ge ${odataString(new Date(filter.createdSince).toISOString())}`;
  const inProgress = filter.statuses?.every((s) => !TERMINAL_STATUSES.includes(s)) === true;
  const lead = requester ?? (inProgress ? statuses : undefined);
  const clauses = [requester, statuses, branch, since].filter((c) => c !== undefined && c !== lead);
  return { ...(lead === undefined ? {} : { lead }), clauses: clauses as string[] };
}

/** The columns of a record's item: the whole record, and the values people read and queries select on. */
export function itemFields(o: Opportunity, idempotencyKey?: string): Record<string, unknown> {
  return {
    Title: o.title,
    Reference: o.reference,
    Status: o.status,
    RequesterId: idKey(o.requester.aadObjectId),
    RequesterName: o.requester.name.slice(0, SINGLE_LINE_MAX),
    Branch: o.client.branch,
    CreatedAt: new Date(o.createdAt).toISOString(),
    CreatedKey: new Date(o.createdAt).toISOString(),
    Serial: positionOf(o.reference).serial,
    Block: positionOf(o.reference).block,
    UpdatedAt: new Date(o.updatedAt).toISOString(),
    Version: o.version,
    FixedPrice: o.pricing.fixedPriceCents / 100,
    TranslationConfirmed: o.translationConfirmed,
    Record: JSON.stringify(o),
    ...(idempotencyKey ? { IdempotencyKey: idempotencyKey } : {}),
  };
}

export class SharePointStore implements RecordStore, PublicSiteStore, Resource {
  private readonly lists = new Map<ListKey, string>();
  private questionList: SharePointQuestions | undefined;
  private subscriptionList: SharePointSubscriptions | undefined;
  private applicationLists: SharePointApplications | undefined;
  /** The last item seen of each record: a transition from the version just read needs no second read. */
  private readonly items = new Map<string, ItemRef>();
  private readonly counters = new Map<string, Counter>();
  /** Each year's last reference number, as the counters list last said: the blocks a walk goes through. */
  private lastNumbers: Map<number, number> | undefined;
  /** Leading clauses SharePoint refused as too broad, until when they are not tried again. */
  private readonly broadLeads = new Map<string, number>();

  private constructor(private readonly options: SharePointStoreOptions) {}

  /** Finds the provisioned lists; a missing one means `npm run provision` has not been run on the site. */
  static async open(options: SharePointStoreOptions): Promise<SharePointStore> {
    const store = new SharePointStore(options);
    for (const list of LISTS) {
      const name = list.displayName(options.listPrefix);
      const found = (await store.call('open', () =>
        options.client
          .api(`/sites/${options.siteId}/lists`)
          .filter(encodeURIComponent(`displayName eq ${odataString(name)}`))
          .select('id,displayName')
          .get(),
      )) as { value: { id: string }[] };
      const id = found.value[0]?.id;
      if (!id) {
        throw new StoreUnavailableError(
          `the SharePoint list "${name}" does not exist on site ${options.siteId}: run npm run provision`,
        );
      }
      store.lists.set(list.key, id);
    }
    return store;
  }

  private listOf(key: ListKey): SharePointList {
    return new SharePointList(this.options.client, this.options.siteId, this.lists.get(key) ?? key);
  }

  private get questions(): SharePointQuestions {
    return (this.questionList ??= new SharePointQuestions(this.listOf('questions')));
  }

  private get subscriptions(): SharePointSubscriptions {
    return (this.subscriptionList ??= new SharePointSubscriptions(this.listOf('subscriptions')));
  }

  private get applications(): SharePointApplications {
    return (this.applicationLists ??= new SharePointApplications(
      this.listOf('applications'),
      this.listOf('selfIdentification'),
    ));
  }

  private items$(list: ListKey): string {
    return `/sites/${this.options.siteId}/lists/${this.lists.get(list) ?? list}/items`;
  }

  /** Runs one Graph call; what SharePoint cannot do right now becomes StoreUnavailableError. */
  private call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return sharePointCall(operation, work);
  }

  /** Sends a JSON batch, again while every request in it was throttled; returns the responses by id. */
  private async batch(operation: string, requests: object[]): Promise<Map<string, BatchResponse>> {
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const answer = (await this.call(operation, () =>
        this.options.client.api('/$batch').post({ requests }),
      )) as { responses: BatchResponse[] };
      const byId = new Map(answer.responses.map((r) => [r.id, r]));
      const throttled = answer.responses.filter((r) => RETRYABLE.has(r.status));
      const untouched = answer.responses.every((r) => RETRYABLE.has(r.status) || r.status === 424);
      if (throttled.length === 0 || !untouched) return byId;
      const wait = Math.max(...throttled.map((r) => retryAfterMs(r.headers)));
      // Nothing in the batch was applied: told to try again, the person loses nothing.
      if (attempt >= ATTEMPTS || waited + wait > WAIT_BUDGET_MS) {
        throw new StoreUnavailableError(`SharePoint is busy and could not ${operation}; try again shortly`);
      }
      waited += wait;
      await sleep(wait);
    }
  }

  private async findItem(
    list: ListKey,
    column: string,
    value: string,
    select: string,
  ): Promise<GraphItem | undefined> {
    const found = (await this.call(`read ${list}`, () =>
      this.options.client
        .api(this.items$(list))
        .filter(encodeURIComponent(`fields/${column} eq ${odataString(value)}`))
        .expand(`fields($select=${select})`)
        .top(1)
        .get(),
    )) as { value: GraphItem[] };
    return found.value[0];
  }

  private remember(item: GraphItem, record: Opportunity): Opportunity {
    const eTag = item.eTag ?? item['@odata.etag'] ?? (item.fields?.['@odata.etag'] as string | undefined);
    if (eTag) this.items.set(record.reference, { itemId: item.id, eTag, version: record.version, record });
    return record;
  }

  /**
   * The records of `items`, or those holding the words of `text`: a search reads many items, so each is
   * validated only once its words match.
   */
  private recordsOf(items: readonly GraphItem[], text: string | undefined): Opportunity[] {
    const holds = (item: GraphItem) => {
      try {
        return matchesText(JSON.parse(String(item.fields?.Record)) as Opportunity, text ?? '');
      } catch {
        return true; // not a record: recordOf says so
      }
    };
    return items.filter((item) => text === undefined || holds(item)).map((item) => this.recordOf(item));
  }

  private recordOf(item: GraphItem): Opportunity {
    const raw = item.fields?.Record;
    const parsed = typeof raw === 'string' ? Opportunity.safeParse(JSON.parse(raw)) : undefined;
    if (!parsed?.success) {
      throw new Error(`the SharePoint item ${item.id} does not hold a valid record`, {
        cause: parsed?.error,
      });
    }
    return this.remember(item, parsed.data);
  }

  private auditFields(reference: string, entry: NewAuditEntry, id: string): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      Title: entry.action.slice(0, SINGLE_LINE_MAX),
      EntryId: id,
      Reference: reference,
      At: new Date(entry.at).toISOString(),
      ActorId: entry.actor.aadObjectId,
      ActorName: entry.actor.name.slice(0, SINGLE_LINE_MAX),
      Action: entry.action,
      Outcome: entry.outcome,
    };
    if (entry.from) fields.FromStatus = entry.from;
    if (entry.to) fields.ToStatus = entry.to;
    if (entry.reason) fields.Reason = entry.reason.slice(0, SINGLE_LINE_MAX);
    if (entry.comment) fields.Comment = entry.comment;
    fields.Entry = JSON.stringify({ ...entry, id, reference });
    return fields;
  }

  /** A batch request adding an audit entry, run only if the batch's record request succeeded. */
  private auditRequest(reference: string, audit: NewAuditEntry, id: string): object {
    return {
      id: 'audit',
      dependsOn: ['record'],
      method: 'POST',
      url: this.items$('audit'),
      headers: { 'Content-Type': 'application/json' },
      body: { fields: this.auditFields(reference, audit, id) },
    };
  }

  /**
   * The id of the audit entry of the change that made `version`: one per version, so an entry written by
   * an attempt whose answer was lost is found again, never written twice.
   */
  private static changeEntryId(reference: string, version: number): string {
    return `${reference}:v${version}`;
  }

  /** The next number of a year's sequence: a compare-and-set on the year's counter item. */
  private async nextNumber(year: string): Promise<number> {
    const key = `opportunities-${year}`;
    const taker = randomUUID().slice(0, 13);
    for (let attempt = 1; attempt <= 20; attempt++) {
      let counter = this.counters.get(key);
      if (!counter) {
        const item = await this.findItem('counters', 'CounterKey', key, 'CounterKey,Value,Takers');
        if (item) counter = counterOf(item);
        else {
          try {
            const created = (await this.call('number a record', () =>
              this.options.client
                .api(this.items$('counters'))
                .post({ fields: { Title: key, CounterKey: key, Value: 0 } }),
            )) as GraphItem;
            counter = counterOf(created);
          } catch (err) {
            // A duplicate is answered 409, 500 or 400 depending on the service: whatever the answer, a
            // counter that now exists was created first by someone else, and theirs is read.
            if (!(await this.findItem('counters', 'CounterKey', key, 'CounterKey'))) throw err;
            continue;
          }
        }
      }
      const value = counter.value + 1;
      const takers = recentTakers({ ...counter.takers, [taker]: value });
      try {
        const saved = (await this.call('number a record', () =>
          this.options.client
            .api(`${this.items$('counters')}/${counter.itemId}/fields`)
            .header('If-Match', counter.eTag)
            .patch({ Value: value, Takers: JSON.stringify(takers) }),
        )) as Record<string, unknown>;
        // Without the new eTag in the answer, the next number reads the counter again.
        const eTag = saved['@odata.etag'];
        if (typeof eTag === 'string') this.counters.set(key, { itemId: counter.itemId, eTag, value, takers });
        else this.counters.delete(key);
        return value;
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
        this.counters.delete(key);
        // A retried PATCH that meets its own first attempt, applied though its answer was lost, finds its
        // number among the counter's recent takers; otherwise another writer took it: read and try again.
        const now = await this.findItem('counters', 'CounterKey', key, 'CounterKey,Value,Takers');
        if (now && counterOf(now).takers[taker] === value) return value;
      }
    }
    throw new StoreUnavailableError('SharePoint is too busy to number the record; try again shortly');
  }

  async create(
    record: NewOpportunity,
    audit: NewAuditEntry,
    idempotencyKey: string,
    events: readonly CreationEvent[] = [],
  ): Promise<Opportunity> {
    if (idempotencyKey.trim() === '' || idempotencyKey.length > SINGLE_LINE_MAX) {
      throw new RangeError('an idempotency key must be 1 to 255 characters');
    }
    const seen = await this.findItem('opportunities', 'IdempotencyKey', idempotencyKey, 'Record');
    if (seen) return this.recordOf(seen);
    const year = referenceYear(record);
    const full = numberedRecord(record, year, await this.nextNumber(String(year)));
    const responses = await this.batch('save the record', [
      {
        id: 'record',
        method: 'POST',
        url: this.items$('opportunities'),
        headers: { 'Content-Type': 'application/json' },
        body: { fields: itemFields(full, idempotencyKey) },
      },
      this.auditRequest(full.reference, audit, SharePointStore.changeEntryId(full.reference, 1)),
    ]);
    const saved = responses.get('record');
    if (!saved || saved.status >= 300) {
      // The same submission, created meanwhile by another attempt (or by this one, whose answer was lost),
      // is refused as a duplicate: 409, 500 or 400 depending on the service. Read back by key, that one
      // stands (this number is skipped), with its audit entry.
      const first = await this.findItem('opportunities', 'IdempotencyKey', idempotencyKey, 'Record');
      if (first) {
        const stands = this.recordOf(first);
        await this.appendAuditItem(
          stands.reference,
          audit,
          SharePointStore.changeEntryId(stands.reference, 1),
        );
        return stands;
      }
    }
    if (!saved || saved.status >= 300) throw this.failure('save the record', saved);
    const item = saved.body as GraphItem;
    if ((responses.get('audit')?.status ?? 500) >= 300) {
      const entryId = SharePointStore.changeEntryId(full.reference, 1);
      await this.appendAuditItem(full.reference, audit, entryId).catch(async (err: unknown) => {
        await this.call('undo the record', () =>
          this.options.client.api(`${this.items$('opportunities')}/${item.id}`).delete(),
        ).catch(() => undefined);
        throw err;
      });
    }
    await this.noteChange(
      full,
      events.map((e) => ({ ...e, reference: full.reference })),
      audit.at,
    );
    return this.remember(item, full);
  }

  /**
   * The change is saved in SharePoint and its messages are noted here, in the local file: two places, so
   * not one write. A failure here leaves the caller's own notification, which follows, as the only one.
   */
  private async noteChange(record: Opportunity, events: readonly WorkflowEvent[], at: string): Promise<void> {
    if (events.length === 0) return;
    await this.options.notifications
      .addNotification({ reference: record.reference, version: record.version, events, at })
      .catch(() => undefined);
  }

  private failure(operation: string, response: BatchResponse | undefined): Error {
    const body = response?.body as { error?: { code?: string; message?: string } } | undefined;
    const message =
      `SharePoint could not ${operation}: ${response?.status ?? 'no answer'} ${body?.error?.code ?? ''} ${body?.error?.message ?? ''}`.trim();
    if (!response || response.status >= 500 || RETRYABLE.has(response.status))
      return new StoreUnavailableError(message);
    return new Error(message);
  }

  async get(reference: string): Promise<Opportunity | undefined> {
    if (!REFERENCE_PATTERN.test(reference)) return undefined;
    const item = await this.findItem('opportunities', 'Reference', reference, 'Record');
    return item ? this.recordOf(item) : undefined;
  }

  private async currentItem(reference: string): Promise<ItemRef | undefined> {
    const item = await this.findItem('opportunities', 'Reference', reference, 'Record');
    if (!item) return undefined;
    const record = this.recordOf(item);
    return this.items.get(record.reference);
  }

  async transition(
    next: Opportunity,
    expectedVersion: number,
    audit: NewAuditEntry,
    events: readonly WorkflowEvent[] = [],
  ): Promise<Opportunity> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(`${next.reference}: version ${next.version} does not follow ${expectedVersion}`);
    }
    const record = Opportunity.parse(next);
    let known = this.items.get(record.reference);
    if (!known || known.version !== expectedVersion) known = await this.currentItem(record.reference);
    if (!known) throw new ConcurrencyError(record.reference, expectedVersion, undefined);
    if (known.version !== expectedVersion)
      throw new ConcurrencyError(record.reference, expectedVersion, known.version);

    const entryId = SharePointStore.changeEntryId(record.reference, record.version);
    const responses = await this.batch('save the decision', [
      {
        id: 'record',
        method: 'PATCH',
        url: `${this.items$('opportunities')}/${known.itemId}/fields`,
        headers: { 'Content-Type': 'application/json', 'If-Match': known.eTag },
        body: itemFields(record),
      },
      this.auditRequest(record.reference, audit, entryId),
    ]);
    const saved = responses.get('record');
    if (saved?.status === 412 || saved?.status === 404) {
      this.items.delete(record.reference);
      const now = await this.currentItem(record.reference);
      // A retried write meets its own first attempt, applied though its answer was lost: it stands once.
      if (now && now.version === record.version && sameRecord(now.record, record)) {
        await this.appendAuditItem(record.reference, audit, entryId);
        await this.noteChange(record, events, audit.at);
        return record;
      }
      throw new ConcurrencyError(record.reference, expectedVersion, now?.version);
    }
    if (!saved || saved.status >= 300) throw this.failure('save the decision', saved);
    const fields = saved.body as Record<string, unknown>;
    const eTag = fields['@odata.etag'];
    // Without the new eTag in the answer, the next change reads the item again, eTag and record together:
    // an eTag read alone might already be someone else's.
    if (typeof eTag === 'string') {
      this.items.set(record.reference, { itemId: known.itemId, eTag, version: record.version, record });
    } else this.items.delete(record.reference);
    if ((responses.get('audit')?.status ?? 500) >= 300) {
      await this.appendAuditItem(record.reference, audit, entryId).catch(async (err: unknown) => {
        // Put the previous version back, so no decision stands without its audit entry.
        // Reading it back gives the eTag of this decision's write, whether the answer carried it or not.
        const previous = await this.get(record.reference);
        const current = this.items.get(record.reference)?.eTag;
        if (previous && previous.version === record.version && current) {
          const before = known.record;
          await this.call('undo the decision', () =>
            this.options.client
              .api(`${this.items$('opportunities')}/${known.itemId}/fields`)
              .header('If-Match', current)
              .patch(itemFields(before)),
          ).catch(() => undefined);
          this.items.delete(record.reference);
        }
        throw err;
      });
    }
    await this.noteChange(record, events, audit.at);
    return record;
  }

  /** Posts one audit entry, retrying while SharePoint throttles it. */
  private async appendAuditItem(reference: string, entry: NewAuditEntry, id: string): Promise<AuditEntry> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call('write the audit entry', () =>
          this.options.client
            .api(this.items$('audit'))
            .post({ fields: this.auditFields(reference, entry, id) }),
        );
        return { ...entry, id, reference };
      } catch (err) {
        // A retried post that already landed is refused as a duplicate entry id, however the service
        // answers that: an entry found by its id is written.
        if (await this.findItem('audit', 'EntryId', id, 'EntryId').catch(() => undefined)) {
          return { ...entry, id, reference };
        }
        if (!(err instanceof StoreUnavailableError) || attempt >= ATTEMPTS) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  async appendAudit(reference: string, entry: NewAuditEntry): Promise<AuditEntry> {
    const exists = this.items.has(reference) || (await this.get(reference)) !== undefined;
    if (!exists) throw new RangeError(`no opportunity ${reference} to audit`);
    return this.appendAuditItem(reference, entry, randomUUID());
  }

  async auditTrail(reference: string): Promise<readonly AuditEntry[]> {
    if (!REFERENCE_PATTERN.test(reference)) return [];
    const items: GraphItem[] = [];
    let next: string | undefined;
    let first = true;
    do {
      const page = (await this.call('read the audit trail', () =>
        first
          ? this.options.client
              .api(this.items$('audit'))
              .filter(encodeURIComponent(`fields/Reference eq ${odataString(reference)}`))
              .expand('fields')
              .top(AUDIT_PAGE)
              .get()
          : this.options.client.api(next ?? '').get(),
      )) as { value: GraphItem[]; '@odata.nextLink'?: string };
      first = false;
      items.push(...page.value);
      next = page['@odata.nextLink'];
    } while (next);
    // Item ids grow with each write: their order is the order the entries were written in.
    items.sort((a, b) => Number(a.id) - Number(b.id));
    return items.map((item): AuditEntry => {
      const raw = item.fields?.Entry;
      const parsed = typeof raw === 'string' ? Entry.safeParse(JSON.parse(raw)) : undefined;
      if (!parsed?.success) throw new Error(`the audit item ${item.id} does not hold a valid entry`);
      return parsed.data;
    });
  }

  /**
   * Records newest first (the latest reference first), read so that no request asks SharePoint to look
   * through more than a few thousand items however long the list grows (see `planOf`).
   */
  async query(filter: OpportunityFilter, page: PageRequest): Promise<Page<Opportunity>> {
    const limit = Math.min(PAGE_MAX, Math.max(1, Math.trunc(Number.isNaN(page.limit) ? 1 : page.limit)));
    if (filter.statuses && filter.statuses.length === 0) return { items: [] };
    if (filter.text !== undefined && searchWords(filter.text).length === 0) return { items: [] };
    const after = page.cursor === undefined ? undefined : this.decodeCursor(page.cursor);
    const plan = planOf(filter);
    const clauses = [...plan.clauses, ...(after === undefined ? [] : [`fields/Serial lt ${after}`])];
    const { lead } = plan;
    const all = lead === undefined ? clauses : [lead, ...clauses];
    const byBlocks = () => this.readBlocks(all, limit, filter.text, after, filter.createdSince);
    const ledFirst = lead !== undefined && (this.broadLeads.get(lead) ?? 0) <= Date.now();
    const { records, stoppedAt } = !ledFirst
      ? await byBlocks()
      : await this.readLed(all, limit, filter.text).catch((err: unknown) => {
          // A lead that selects more than SharePoint allows (thousands of requests waiting in one status)
          // is refused, however Graph words it (400, 429 or 500 have been seen): it is read by blocks
          // instead, for a while without asking. Were SharePoint down, the blocks would say so.
          if (!(err instanceof StoreUnavailableError) && statusOf(err) === undefined) throw err;
          this.broadLeads.set(lead, Date.now() + BROAD_LEAD_MS);
          return byBlocks();
        });
    const items = records.slice(0, limit);
    const last = items.at(-1);
    if (records.length > limit && last) {
      return { items, nextCursor: this.encodeCursor(positionOf(last.reference).serial) };
    }
    return stoppedAt === undefined ? { items } : { items, nextCursor: this.encodeCursor(stoppedAt) };
  }

  /**
   * The list keeps no folded branch nor title words to select on (the SQL stores do), so this reads the
   * window's records as `query` pages through them and keeps those that answer (`answersLookback`, the
   * SQL stores' selection as code): what it costs grows with the window, all branches together.
   */
  async lookbackRows(query: LookbackQuery, limit: number): Promise<readonly LookbackRow[]> {
    const most = clamp(limit, Number.MAX_SAFE_INTEGER);
    const rows: LookbackRow[] = [];
    if (query.branchKeys.length === 0) return rows;
    for await (const o of everyRecord(this, { createdSince: query.since }, PAGE_MAX)) {
      if (!answersLookback(o, query)) continue;
      rows.push(lookbackRow(o));
      if (rows.length >= most) break;
    }
    return rows;
  }

  /** `$expand`, `$orderby` and `$filter` of a query on the opportunities list, newest first. */
  private static queryString(clauses: readonly string[], top: number): string {
    return [
      '$expand=fields($select=Reference,Serial,Record)',
      '$orderby=fields/Serial desc',
      `$top=${top}`,
      `$filter=${encodeURIComponent(clauses.join(' and '))}`,
    ].join('&');
  }

  /** A query led by a clause that selects few items: one request, or a few pages of a text search. */
  private async readLed(
    clauses: readonly string[],
    limit: number,
    text: string | undefined,
  ): Promise<{ records: Opportunity[]; stoppedAt?: number }> {
    const scanning = text !== undefined;
    const records: Opportunity[] = [];
    // Text is matched here, not by SharePoint (list items have no full-text filter): read wider pages.
    let next: string | undefined =
      `${this.items$('opportunities')}?${SharePointStore.queryString(clauses, scanning ? TEXT_SCAN_PAGE : limit + 1)}`;
    while (next !== undefined && records.length <= limit) {
      const url: string = next;
      const found = (await this.call('query the records', () => this.options.client.api(url).get())) as {
        value: GraphItem[];
        '@odata.nextLink'?: string;
      };
      records.push(...this.recordsOf(found.value, text));
      next = scanning ? found['@odata.nextLink'] : undefined;
    }
    return { records };
  }

  /**
   * A query no clause narrows, read block by block from the newest: each request is led by one block's
   * equality, which selects at most BLOCK_SIZE items. Blocks go in batches that grow as the page stays
   * short, so a page usually costs one batch and a rare match a few. A text search stops after
   * SCAN_BLOCKS blocks, and says where (`stoppedAt`, a cursor below the last block read).
   */
  private async readBlocks(
    clauses: readonly string[],
    limit: number,
    text: string | undefined,
    after: number | undefined,
    createdSince: string | undefined,
  ): Promise<{ records: Opportunity[]; stoppedAt?: number }> {
    const scanning = text !== undefined;
    // A record is numbered in the department's year, which may be the year before UTC's at its creation
    // (New Year's Eve evening in Canada): the block of the year before may hold what was created since.
    const since = createdSince === undefined ? 0 : new Date(createdSince).getUTCFullYear() - 1;
    const blocks = (await this.blocksFrom(after)).filter((b) => b.year >= since);
    const records: Opportunity[] = [];
    // A text search reads whole blocks: one at a time, so that no answer carries thousands of records.
    const most = scanning ? 1 : BATCH_MAX;
    let read = 0;
    for (let group = 1; read < blocks.length && records.length <= limit; group = Math.min(most, group * 4)) {
      if (scanning && read >= SCAN_BLOCKS) {
        const below = blocks[read - 1];
        return { records, ...(below ? { stoppedAt: below.serial } : {}) };
      }
      const requests = blocks.slice(read, read + group).map((block, j) => ({
        id: String(j),
        method: 'GET',
        url: `${this.items$('opportunities')}?${SharePointStore.queryString(
          [`fields/Block eq ${odataString(block.key)}`, ...clauses],
          scanning ? BLOCK_SIZE : limit + 1,
        )}`,
      }));
      read += requests.length;
      const responses = await this.batch('query the records', requests);
      for (const request of requests) {
        const answer = responses.get(request.id);
        if (!answer || answer.status >= 300) throw this.failure('query the records', answer);
        const body = answer.body as { value: GraphItem[] };
        // Newer blocks come first: once the page is full, older ones are not even read.
        const room = scanning ? body.value.length : limit + 1 - records.length;
        if (room > 0) records.push(...this.recordsOf(body.value.slice(0, room), text));
      }
    }
    return { records };
  }

  /**
   * The blocks that may hold records, newest first, from the counters list (a few items: one per year):
   * every block of each year up to its last number, or from the cursor's block down.
   */
  private async blocksFrom(
    after: number | undefined,
  ): Promise<{ year: number; key: string; serial: number }[]> {
    if (after === undefined || this.lastNumbers === undefined) {
      const found = (await this.call('query the records', () =>
        this.options.client
          .api(this.items$('counters'))
          .expand('fields($select=CounterKey,Value)')
          .top(5000)
          .get(),
      )) as { value: GraphItem[] };
      this.lastNumbers = new Map();
      for (const item of found.value) {
        const year = /^opportunities-(\d{4})$/.exec(String(item.fields?.CounterKey ?? ''))?.[1];
        if (year) this.lastNumbers.set(Number(year), Number(item.fields?.Value ?? 0));
      }
    }
    const from = after === undefined ? undefined : fromSerial(after);
    // Each block with the serial of its lowest number: a cursor there goes on with the block below.
    const blocks: { year: number; key: string; serial: number }[] = [];
    for (const [year, last] of [...this.lastNumbers].sort(([a], [b]) => b - a)) {
      if (from && year > from.year) continue;
      const top = from && year === from.year ? Math.min(from.number - 1, last) : last;
      for (let b = Math.floor(top / BLOCK_SIZE); b >= 0; b--) {
        blocks.push({ year, key: `${year}-${b}`, serial: year * 1_000_000 + b * BLOCK_SIZE });
      }
    }
    return blocks;
  }

  private encodeCursor(serial: number): string {
    return `sp2.${Buffer.from(JSON.stringify({ s: serial })).toString('base64url')}`;
  }

  private decodeCursor(cursor: string): number {
    try {
      if (!cursor.startsWith('sp2.')) throw new Error('unknown prefix');
      return Cursor.parse(JSON.parse(Buffer.from(cursor.slice(4), 'base64url').toString('utf8'))).s;
    } catch (cause) {
      throw new RangeError('not a page cursor this store issued', { cause });
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

  async ping(): Promise<void> {
    await this.call('answer', () =>
      this.options.client.api(`/sites/${this.options.siteId}`).select('id').get(),
    );
  }

  /** Graph holds no connection of ours to close. */
  async close(): Promise<void> {}
}

/**
 * Records and the public site in SharePoint, composed with the working store (SQLite or PostgreSQL) that
 * keeps everything else; closing the result closes the working store too.
 */
export async function openSharePoint(
  options: Omit<SharePointStoreOptions, 'notifications'>,
  working: Store,
): Promise<Store> {
  return withRecordsIn(await SharePointStore.open({ ...options, notifications: working }), working);
}
