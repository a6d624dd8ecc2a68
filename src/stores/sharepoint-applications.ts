import { z } from 'zod';
import {
  type Application,
  type ApplicationFigures,
  applicationFiguresOf,
  type ApplicationStore,
  type NewApplication,
  SELF_IDENTIFICATION,
  type SelfIdentification,
  type SubmitOutcome,
} from '../services/applications';
import { ConcurrencyError, StoreUnavailableError } from '../services/store';
import {
  addressKey,
  APPLICATIONS_PAGE_MAX,
  bound,
  countAnswers,
  instant,
  newApplication,
  noAnswers,
  referenceList,
  sameApplicant,
  savedApplication,
  selfIdentification,
  type SelfIdentificationCounts,
  storedApplication,
  storedSelfIdentification,
  type WaitingApplication,
} from './site-records';
import {
  eTagOf,
  GRAPH_PAGE_MAX,
  type GraphItem,
  odataString,
  type SharePointList,
  statusOf,
} from './sharepoint-list';
import { answerColumn } from './sharepoint-schema';

/**
 * Suppliers' applications in the SharePoint list "… Applications" (one item per application, its whole
 * JSON in Record), and their confirmed self-identification in "… Self-identification" (one item per
 * application, an answer per column), kept apart so the statistics can be read without the applications.
 *
 * One application per address per opportunity: the column AddressKey (the reference and the address in
 * lower case) enforces unique values, so SharePoint itself refuses a second item, whichever writer sends
 * it; the refusal is recognised by reading the address back, and the application found is changed
 * instead. The bound on applications never confirmed is kept as the questions' bounds are (see
 * sharepoint-questions.ts): counted before adding, counted again after among those waiting in item id
 * order, withdrawn if over.
 *
 * Queries lead with an indexed equality that selects few items however many apply: an application's id,
 * its address key or its pending token (a lookup each), an opportunity's reference (its applications),
 * or Confirmed = No, which the bound keeps small.
 */

const ITEM_COLUMNS = 'ApplicationId,AddressKey,PendingToken,PendingAnswers,Record';
const ANSWER_COLUMNS = SELF_IDENTIFICATION.map(answerColumn);
/** SharePoint's Yes/No columns are filtered as 1 and 0: `true` and `false` are read as text, wrongly. */
const UNCONFIRMED = 'fields/Confirmed eq 0';
/** How often a write that met another writer's change is tried again on the fresh item. */
const ATTEMPTS = 5;
/** SharePoint matches text whatever its case: a lookup reads a few items and keeps the exact match. */
const LOOKUP_TOP = 10;

const Cursor = z.object({ l: z.string(), a: z.number().int().nonnegative() });

type LookupColumn = 'ApplicationId' | 'AddressKey' | 'PendingToken';

interface Found {
  readonly itemId: string;
  readonly eTag: string;
  readonly application: Application;
  /** The self-identification waiting with the pending change, as stored. */
  readonly pendingAnswers: SelfIdentification;
}

/** The columns of an application's item: the whole application, and the values queries select on. */
export function applicationFields(
  a: Application,
  pendingAnswers?: SelfIdentification,
): Record<string, unknown> {
  return {
    Title: a.reference,
    ApplicationId: a.id,
    Reference: a.reference,
    AddressKey: addressKey(a.reference, a.email),
    PendingToken: a.pending?.token ?? null,
    Confirmed: a.confirmedAt !== undefined,
    Version: a.version,
    Locale: a.locale,
    PendingAnswers: a.pending && pendingAnswers ? JSON.stringify(pendingAnswers) : null,
    Record: JSON.stringify(a),
  };
}

/** The columns of a confirmed self-identification's item: a blank column is a question not answered. */
export function selfIdentificationFields(
  applicationId: string,
  reference: string,
  answers: SelfIdentification,
): Record<string, unknown> {
  return {
    Title: reference,
    ApplicationId: applicationId,
    Reference: reference,
    ...Object.fromEntries(SELF_IDENTIFICATION.map((q) => [answerColumn(q), answers[q] ?? null])),
  };
}

/** A new item is sent without its blank columns. */
function filled(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null));
}

export class SharePointApplications implements ApplicationStore {
  constructor(
    private readonly list: SharePointList,
    private readonly answers: SharePointList,
  ) {}

  async submitApplication(
    application: NewApplication,
    answers: SelfIdentification,
    maxUnconfirmed: number,
  ): Promise<SubmitOutcome> {
    const fresh = newApplication(application);
    const pendingAnswers = selfIdentification(answers);
    const max = bound(maxUnconfirmed, 'maxUnconfirmed');
    const key = addressKey(fresh.reference, fresh.email);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const existing = await this.find('AddressKey', key);
      if (existing) {
        const changed = await this.change(existing, fresh, pendingAnswers);
        if (changed) return { outcome: 'changed', application: changed };
        continue;
      }
      if ((await this.waiting()).length >= max) return { outcome: 'full' };
      const created = await this.add(fresh, pendingAnswers, key);
      // Another writer added this address first: the submission changes theirs.
      if (!created) continue;
      const ahead = (await this.waiting()).filter((itemId) => itemId < Number(created.id));
      if (ahead.length >= max) {
        // Withdrawn only as added: a change another writer made to it meanwhile stays.
        await this.list.removeAll('withdraw the application', [created]);
        return { outcome: 'full' };
      }
      return { outcome: 'created', application: fresh };
    }
    throw new StoreUnavailableError('the application kept changing while being saved; try again shortly');
  }

  async applicationByToken(token: string): Promise<Application | undefined> {
    const found = await this.find('PendingToken', token);
    return found?.application.pending?.token === token ? found.application : undefined;
  }

  async confirmApplication(id: string, expectedVersion: number, at: string): Promise<Application> {
    instant(at, 'the time of confirmation');
    const current = await this.find('ApplicationId', id);
    if (current?.application.version !== expectedVersion) {
      throw new ConcurrencyError(id, expectedVersion, current?.application.version);
    }
    const { pending, ...rest } = current.application;
    if (!pending) throw new RangeError(`application ${id} has no change waiting for confirmation`);
    const confirmed: Application = {
      ...rest,
      content: pending.content,
      confirmedAt: rest.confirmedAt ?? at,
      version: expectedVersion + 1,
    };
    await this.save('confirm the application', current, confirmed, expectedVersion, {
      PendingToken: null,
      PendingAnswers: null,
      Confirmed: true,
    });
    try {
      await this.keepAnswers(confirmed, current.pendingAnswers);
    } catch (err) {
      // No confirmation without its answers: the link works again once SharePoint does.
      await this.putBack(current, confirmed).catch(() => undefined);
      if (err instanceof StoreUnavailableError) throw err;
      throw new StoreUnavailableError('SharePoint could not keep the self-identification', { cause: err });
    }
    return confirmed;
  }

  async getApplication(id: string): Promise<Application | undefined> {
    return (await this.find('ApplicationId', id))?.application;
  }

  async saveApplication(next: Application, expectedVersion: number): Promise<Application> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `${next.id}: the next version must be ${expectedVersion + 1}, not ${next.version}`,
      );
    }
    const saved = savedApplication(next);
    const current = await this.find('ApplicationId', saved.id);
    if (current?.application.version !== expectedVersion) {
      // A retried save meets its own first attempt, applied though its answer was lost: it stands once.
      if (current && same(current.application, saved)) return current.application;
      throw new ConcurrencyError(saved.id, expectedVersion, current?.application.version);
    }
    if (!sameApplicant(current.application, saved)) {
      throw new RangeError(`${saved.id}: a save cannot change the opportunity or the address applied with`);
    }
    // Answers wait with the change they came with, and go if it does.
    const keep = saved.pending !== undefined && saved.pending.token === current.application.pending?.token;
    const { PendingToken, Confirmed } = applicationFields(saved);
    await this.save('save the application', current, saved, expectedVersion, {
      PendingToken,
      Confirmed,
      ...(keep ? {} : { PendingAnswers: null }),
    });
    return saved;
  }

  /**
   * Walks the opportunity's applications in item id order, the order they were first stored in. The
   * cursor holds the Graph page the walk stopped in and the last item given, so a page read again after
   * deletions skips nothing.
   */
  async applicationsOf(
    reference: string,
    options: { readonly confirmedOnly?: boolean },
    page: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ readonly items: readonly Application[]; readonly nextCursor?: string }> {
    const limit = Number.isNaN(page.limit)
      ? 1
      : Math.min(APPLICATIONS_PAGE_MAX, Math.max(1, Math.trunc(page.limit)));
    const confirmedOnly = options.confirmedOnly === true;
    const from = page.cursor === undefined ? undefined : this.decodeCursor(page.cursor);
    const filter = `fields/Reference eq ${odataString(reference)}${confirmedOnly ? ' and fields/Confirmed eq 1' : ''}`;
    let url =
      from?.l ??
      `${this.list.items}?$expand=fields($select=Record)&$filter=${encodeURIComponent(filter)}` +
        `&$top=${Math.min(limit + 1, GRAPH_PAGE_MAX)}`;
    let last = from?.a ?? 0;
    const items: Application[] = [];
    for (;;) {
      const found = await this.list.page('read the applications', url);
      for (const item of found.value) {
        if (Number(item.id) <= last) continue;
        const application = applicationOf(item);
        // SharePoint compares text whatever its case; the reference is the one asked for, exactly.
        if (application.reference !== reference) continue;
        if (confirmedOnly && application.confirmedAt === undefined) continue;
        if (items.length === limit) return { items, nextCursor: this.encodeCursor(url, last) };
        items.push(application);
        last = Number(item.id);
      }
      const next = found['@odata.nextLink'];
      if (next === undefined) return { items };
      if (items.length === limit) return { items, nextCursor: this.encodeCursor(next, last) };
      url = next;
    }
  }

  async deleteApplications(reference: string): Promise<number> {
    const filter = `fields/Reference eq ${odataString(reference)}`;
    const ofReference = (items: readonly GraphItem[]) =>
      items
        .filter((item) => item.fields?.Reference === reference)
        .map((item) => ({ id: item.id, eTag: '*' }));
    // The answers first: none outlives its application, even when the deletion stops halfway.
    const answers = await this.answers.findAll('read the self-identification', filter, 'Reference');
    await this.answers.removeAll('delete the self-identification', ofReference(answers));
    const applications = await this.list.findAll('read the applications', filter, 'Reference');
    return this.list.removeAll('delete the applications', ofReference(applications));
  }

  async selfIdentificationCounts(references: readonly string[]): Promise<SelfIdentificationCounts> {
    const counts = noAnswers();
    // One indexed equality per opportunity: a report covers a few dozen.
    for (const reference of new Set(referenceList(references))) {
      const items = await this.answers.findAll(
        'count the self-identification',
        `fields/Reference eq ${odataString(reference)}`,
        ['Reference', ...ANSWER_COLUMNS].join(','),
      );
      for (const item of items) {
        if (item.fields?.Reference === reference) countAnswers(counts, answersOf(item));
      }
    }
    return counts;
  }

  async applicationFigures(references: readonly string[]): Promise<ApplicationFigures> {
    const wanted = [...new Set(referenceList(references))];
    const confirmed: Application[] = [];
    // One indexed equality per opportunity, read page by page, as for the self-identification counts.
    for (const reference of wanted) {
      const items = await this.list.findAll(
        'count the applications',
        `fields/Reference eq ${odataString(reference)} and fields/Confirmed eq 1`,
        'Record',
      );
      confirmed.push(...items.map(applicationOf));
    }
    // SharePoint compares text whatever its case: the figures keep the references asked for, exactly.
    return applicationFiguresOf(wanted, confirmed);
  }

  /** Replaces the pending change (and its answers) of `existing`; undefined when another writer changed it first. */
  private async change(
    existing: Found,
    fresh: WaitingApplication,
    pendingAnswers: SelfIdentification,
  ): Promise<Application | undefined> {
    // What was confirmed stays; the change (and the language to answer it in) replaces any earlier one.
    const changed: Application = {
      ...existing.application,
      locale: fresh.locale,
      pending: fresh.pending,
      version: existing.application.version + 1,
    };
    const { PendingToken, PendingAnswers, Locale } = applicationFields(changed, pendingAnswers);
    try {
      await this.update('change the application', existing, changed, {
        PendingToken,
        PendingAnswers,
        Locale,
      });
      return changed;
    } catch (err) {
      if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
      const now = await this.find('ApplicationId', changed.id);
      return now && same(now.application, changed) ? changed : undefined;
    }
  }

  /** Adds the application's item; undefined when another writer holds the address already. */
  private async add(
    fresh: WaitingApplication,
    pendingAnswers: SelfIdentification,
    key: string,
  ): Promise<{ id: string; eTag: string } | undefined> {
    let refusal: unknown;
    try {
      const item = await this.list.create(
        'keep the application',
        filled(applicationFields(fresh, pendingAnswers)),
      );
      const eTag = eTagOf(item);
      if (eTag) return { id: item.id, eTag };
    } catch (err) {
      refusal = err;
    }
    // Refused (the address is a unique column), lost, or answered without an eTag: what is stored says.
    const stored = await this.find('AddressKey', key).catch(() => undefined);
    if (stored)
      return stored.application.id === fresh.id ? { id: stored.itemId, eTag: stored.eTag } : undefined;
    if (refusal === undefined)
      throw new Error(`the application ${fresh.id} was added but cannot be read back`);
    if ((await this.find('ApplicationId', fresh.id).catch(() => undefined)) !== undefined) {
      throw new RangeError(`application ${fresh.id}: its id is already in use`);
    }
    throw refusal;
  }

  /** Writes `next` over `current` if it is still as read; another change first is a ConcurrencyError. */
  private async save(
    operation: string,
    current: Found,
    next: Application,
    expectedVersion: number,
    columns: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.update(operation, current, next, columns);
    } catch (err) {
      if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
      const now = await this.find('ApplicationId', next.id);
      // Applied though its answer was lost, the write stands once.
      if (now && same(now.application, next)) return;
      throw new ConcurrencyError(next.id, expectedVersion, now?.application.version);
    }
  }

  private async update(
    operation: string,
    current: Found,
    next: Application,
    columns: Record<string, unknown>,
  ): Promise<void> {
    await this.list.update(operation, current.itemId, current.eTag, {
      ...columns,
      Version: next.version,
      Locale: next.locale,
      Record: JSON.stringify(next),
    });
  }

  /** Undoes a confirmation whose answers could not be kept, unless the application changed since. */
  private async putBack(before: Found, confirmed: Application): Promise<void> {
    const now = await this.find('ApplicationId', confirmed.id);
    if (!now || !same(now.application, confirmed)) return;
    const { PendingToken, PendingAnswers, Confirmed } = applicationFields(
      before.application,
      before.pendingAnswers,
    );
    await this.update('put the application back', now, before.application, {
      PendingToken,
      PendingAnswers,
      Confirmed,
    });
  }

  /** Keeps the answers of a confirmed application in place of any earlier ones. */
  private async keepAnswers(application: Application, answers: SelfIdentification): Promise<void> {
    const fields = selfIdentificationFields(application.id, application.reference, answers);
    // The application's confirmation decided: the answers are written over whatever is stored (If-Match *).
    const stored = await this.findAnswers(application.id);
    if (stored) {
      await this.answers.update('keep the self-identification', stored, '*', fields);
      return;
    }
    try {
      await this.answers.create('keep the self-identification', filled(fields));
    } catch (err) {
      // The id is a unique column: a refusal may be this very item, added by an attempt whose answer was lost.
      const again = await this.findAnswers(application.id).catch(() => undefined);
      if (!again) throw err;
      await this.answers.update('keep the self-identification', again, '*', fields);
    }
  }

  private async findAnswers(applicationId: string): Promise<string | undefined> {
    const items = await this.answers.find(
      'read the self-identification',
      `fields/ApplicationId eq ${odataString(applicationId)}`,
      'ApplicationId',
      LOOKUP_TOP,
    );
    return items.find((item) => item.fields?.ApplicationId === applicationId)?.id;
  }

  /** Applications never confirmed that wait for their link, as item ids: few, as the bound keeps them. */
  private async waiting(): Promise<number[]> {
    const items = await this.list.findAll('count the applications waiting', UNCONFIRMED, 'PendingToken');
    return items
      .filter((item) => typeof item.fields?.PendingToken === 'string' && item.fields.PendingToken !== '')
      .map((item) => Number(item.id));
  }

  private async find(column: LookupColumn, value: string): Promise<Found | undefined> {
    if (typeof value !== 'string' || value === '') return undefined;
    const items = await this.list.find(
      'read the application',
      `fields/${column} eq ${odataString(value)}`,
      ITEM_COLUMNS,
      LOOKUP_TOP,
    );
    // SharePoint matches text whatever its case: a token or an id must match exactly.
    const item = items.find((i) => i.fields?.[column] === value);
    if (!item) return undefined;
    const eTag = eTagOf(item);
    if (!eTag) throw new Error(`the SharePoint item ${item.id} came without an eTag`);
    const raw = item.fields?.PendingAnswers;
    return {
      itemId: item.id,
      eTag,
      application: applicationOf(item),
      pendingAnswers: storedSelfIdentification(
        typeof raw === 'string' && raw !== '' ? raw : '{}',
        `waiting in SharePoint item ${item.id}`,
      ),
    };
  }

  private encodeCursor(url: string, last: number): string {
    return `spa.${Buffer.from(JSON.stringify({ l: url, a: last })).toString('base64url')}`;
  }

  private decodeCursor(cursor: string): { l: string; a: number } {
    try {
      if (!cursor.startsWith('spa.')) throw new Error('unknown prefix');
      const decoded = Cursor.parse(JSON.parse(Buffer.from(cursor.slice(4), 'base64url').toString('utf8')));
      if (!this.list.reads(decoded.l)) throw new Error('not a page of this list');
      return decoded;
    } catch (cause) {
      throw new RangeError('not a page cursor this store issued', { cause });
    }
  }
}

function applicationOf(item: GraphItem): Application {
  return storedApplication(item.fields?.Record, `in SharePoint item ${item.id}`);
}

/** A confirmed self-identification as its columns hold it; an answer SharePoint holds but the bot never gives fails loudly. */
function answersOf(item: GraphItem): SelfIdentification {
  const answers = Object.fromEntries(
    SELF_IDENTIFICATION.flatMap((q) => {
      const value = item.fields?.[answerColumn(q)];
      return typeof value === 'string' && value !== '' ? [[q, value]] : [];
    }),
  );
  return storedSelfIdentification(answers, `in SharePoint item ${item.id}`);
}

function same(a: Application, b: Application): boolean {
  return JSON.stringify(a) === JSON.stringify(savedApplication(b));
}
