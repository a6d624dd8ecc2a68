import type {
  AskOutcome,
  NewQuestion,
  Question,
  QuestionLimits,
  QuestionState,
  QuestionStore,
} from '../services/questions';
import { ConcurrencyError } from '../services/store';
import { askedQuestion, questionLimits, sameAsking, settledQuestion, storedQuestion } from './site-records';
import { eTagOf, type GraphItem, odataString, type SharePointList, statusOf } from './sharepoint-list';

/**
 * Suppliers' questions in the SharePoint list "… Questions": one item per question (its whole JSON in
 * Record, with indexed columns to query on). Every query leads with an indexed equality that selects few
 * items however long the list grows: a question's id (unique), a request's reference, or the state
 * `asked`, which the bounds keep small.
 *
 * SharePoint has no transaction to count and add in, so the bounds are kept optimistically: a question is
 * added only if the count allows it, then counted again among the questions waiting, in item id order
 * (ids grow with each addition). If more than the bound wait before it, it is withdrawn. Writers racing
 * for the last places agree on who came first, so the bound is never passed; a writer may at worst be
 * refused a place that a racer it counted then gave back.
 */

const ITEM_COLUMNS = 'QuestionId,Version,Record';
const WAITING = `fields/State eq ${odataString('asked')}`;

interface Found {
  readonly itemId: string;
  readonly eTag: string;
  readonly question: Question;
}

interface Waiting {
  readonly itemId: number;
  readonly reference: string;
}

/** The columns of a question's item: the whole question, and the values queries select on. */
export function questionFields(q: Question): Record<string, unknown> {
  return {
    Title: q.reference,
    QuestionId: q.id,
    Reference: q.reference,
    State: q.state,
    AskedAt: new Date(q.askedAt).toISOString(),
    Version: q.version,
    Locale: q.locale,
    Record: JSON.stringify(q),
  };
}

/** Which bound the waiting questions (those before `itemId`, or all) leave no place under, if any. */
function fullness(
  waiting: readonly Waiting[],
  reference: string,
  limits: QuestionLimits,
  itemId?: number,
): 'opportunity' | 'total' | undefined {
  const ahead = itemId === undefined ? waiting : waiting.filter((w) => w.itemId < itemId);
  if (ahead.filter((w) => w.reference === reference).length >= limits.perOpportunity) return 'opportunity';
  if (ahead.length >= limits.total) return 'total';
  return undefined;
}

export class SharePointQuestions implements QuestionStore {
  constructor(private readonly list: SharePointList) {}

  async askQuestion(question: NewQuestion, limits: QuestionLimits): Promise<AskOutcome> {
    const fresh = askedQuestion(question);
    const bounds = questionLimits(limits);
    const first = await this.find(fresh.id);
    if (first) return { ok: true, question: first.question };
    const full = fullness(await this.waiting(), fresh.reference, bounds);
    if (full) return { ok: false, full };
    let itemId: string;
    try {
      itemId = (await this.list.create('keep the question', questionFields(fresh))).id;
    } catch (err) {
      // The id is a unique column: a refusal, however SharePoint words it, may be this very question,
      // stored by a first attempt whose answer was lost, or by another writer given the same id.
      const stored = await this.find(fresh.id).catch(() => undefined);
      if (!stored) throw err;
      if (stored.question.state !== 'asked') return { ok: true, question: stored.question };
      itemId = stored.itemId;
    }
    const over = fullness(await this.waiting(), fresh.reference, bounds, Number(itemId));
    if (over) {
      await this.list.remove('withdraw the question', itemId);
      return { ok: false, full: over };
    }
    return { ok: true, question: fresh };
  }

  async getQuestion(id: string): Promise<Question | undefined> {
    return (await this.find(id))?.question;
  }

  async questionsOf(
    reference: string,
    states?: readonly QuestionState[],
    limit?: number,
  ): Promise<readonly Question[]> {
    if (states?.length === 0) return [];
    const clauses = [`fields/Reference eq ${odataString(reference)}`];
    if (states) clauses.push(`(${states.map((s) => `fields/State eq ${odataString(s)}`).join(' or ')})`);
    const items = await this.list.findAll('read the questions', clauses.join(' and '), 'QuestionId,Record');
    // SharePoint compares text whatever its case; the reference is the one asked for, exactly.
    const found = items
      .map((item) => ({ itemId: Number(item.id), question: questionOf(item) }))
      .filter((f) => f.question.reference === reference)
      .sort((a, b) => Date.parse(a.question.askedAt) - Date.parse(b.question.askedAt) || a.itemId - b.itemId)
      .map((f) => f.question);
    return limit === undefined ? found : found.slice(0, Math.max(0, Math.trunc(limit) || 0));
  }

  async settleQuestion(next: Question, expectedVersion: number): Promise<Question> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `${next.id}: the next version must be ${expectedVersion + 1}, not ${next.version}`,
      );
    }
    const settled = settledQuestion(next);
    const current = await this.find(settled.id);
    if (current?.question.version !== expectedVersion) {
      // A retried settlement meets its own first attempt, applied though its answer was lost: it stands once.
      if (current && same(current.question, settled)) return current.question;
      throw new ConcurrencyError(settled.id, expectedVersion, current?.question.version);
    }
    if (!sameAsking(current.question, settled)) {
      throw new RangeError(`${settled.id}: a settlement cannot change what was asked, or where`);
    }
    try {
      await this.list.update('settle the question', current.itemId, current.eTag, {
        State: settled.state,
        Version: settled.version,
        Record: JSON.stringify(settled),
      });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 412 && status !== 404) throw err;
      const now = await this.find(settled.id);
      if (now && same(now.question, settled)) return settled;
      throw new ConcurrencyError(settled.id, expectedVersion, now?.question.version);
    }
    return settled;
  }

  private async find(id: string): Promise<Found | undefined> {
    if (typeof id !== 'string' || id === '') return undefined;
    const [item] = await this.list.find(
      'read the question',
      `fields/QuestionId eq ${odataString(id)}`,
      ITEM_COLUMNS,
    );
    // SharePoint matches text whatever its case; an id is exact.
    if (!item || item.fields?.QuestionId !== id) return undefined;
    const question = questionOf(item);
    const eTag = eTagOf(item);
    if (!eTag) throw new Error(`the SharePoint item ${item.id} came without an eTag`);
    return { itemId: item.id, eTag, question };
  }

  /** The questions waiting for an answer: few, as the bounds keep them. */
  private async waiting(): Promise<Waiting[]> {
    const items = await this.list.findAll('count the questions waiting', WAITING, 'Reference');
    return items.map((item) => ({
      itemId: Number(item.id),
      reference: String(item.fields?.Reference ?? ''),
    }));
  }
}

function questionOf(item: GraphItem): Question {
  return storedQuestion(item.fields?.Record, `in SharePoint item ${item.id}`);
}

function same(a: Question, b: Question): boolean {
  return JSON.stringify(a) === JSON.stringify(settledQuestion(b));
}
