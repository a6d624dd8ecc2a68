import { type DaysOff, subtractBusinessDays } from './business-days';
import type { FormRules, FormValues } from './forms';
import { deadlineInForce, type Opportunity } from './opportunity';

/**
 * Suppliers' questions on a posted opportunity: asked on its public page, answered (in both languages)
 * or declined by procurement from a card in its channel; a published answer shows on both pages, without
 * anything about who asked.
 */

export const QUESTION_STATES = ['asked', 'answered', 'declined'] as const;
export type QuestionState = (typeof QUESTION_STATES)[number];

export const DECLINE_REASONS = ['duplicate', 'out_of_scope'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export interface Bilingual {
  readonly en: string;
  readonly fr: string;
}

export interface Question {
  /** `q-` and a random UUID: never guessable from the page. */
  readonly id: string;
  readonly reference: string;
  /** The language it was asked in: the asker is answered in it. */
  readonly locale: 'en' | 'fr';
  readonly text: string;
  /** Where the answer goes; removed once the e-mail with the answer (or the refusal) is queued. */
  readonly email?: string;
  readonly askedAt: string;
  readonly state: QuestionState;
  /** 1 when asked; every settlement adds one, so a stale card's decision is refused. */
  readonly version: number;
  /** Published: the question as procurement worded it for the pages (anonymised), and the answer. */
  readonly answer?: { readonly question: Bilingual; readonly answer: Bilingual };
  readonly declined?: DeclineReason;
  /** Who answered or declined, and when. */
  readonly settledBy?: { readonly aadObjectId: string; readonly name: string };
  readonly settledAt?: string;
}

export type NewQuestion = Pick<Question, 'id' | 'reference' | 'locale' | 'text' | 'email' | 'askedAt'>;

/** How many unanswered questions a flood may leave waiting before the form stops taking more. */
export interface QuestionLimits {
  readonly perOpportunity: number;
  readonly total: number;
}

export type AskOutcome =
  | { readonly ok: true; readonly question: Question }
  /** Too many questions wait unanswered (on this opportunity, or in all): nothing was stored. */
  | { readonly ok: false; readonly full: 'opportunity' | 'total' };

export interface QuestionStore {
  /**
   * Stores a new question (state `asked`, version 1) unless `limits` unanswered questions already wait on
   * its opportunity or in all. The same id twice stores it once and returns the first.
   */
  askQuestion(question: NewQuestion, limits: QuestionLimits): Promise<AskOutcome>;
  getQuestion(id: string): Promise<Question | undefined>;
  /** A request's questions in these states (all when left out), oldest first; at most `limit`. */
  questionsOf(
    reference: string,
    states?: readonly QuestionState[],
    limit?: number,
  ): Promise<readonly Question[]>;
  /**
   * Replaces the question if it is still at `expectedVersion` (else ConcurrencyError from store.ts);
   * `next.version` must be `expectedVersion + 1`.
   */
  settleQuestion(next: Question, expectedVersion: number): Promise<Question>;
}

/** Questions are taken until this many business days before the application deadline in force. */
export const QUESTION_CUTOFF_BUSINESS_DAYS = 2;

/** The public question form. */
export const ASK_FORM = {
  email: { kind: 'email', max: 254 },
  question: { kind: 'text', max: 2_000 },
} as const satisfies FormRules;

/** Procurement's answer, in both languages: the question as the pages will show it, and the answer. */
export const ANSWER_FORM = {
  questionEn: { kind: 'text', max: 2_000 },
  questionFr: { kind: 'text', max: 2_000 },
  answerEn: { kind: 'text', max: 4_000 },
  answerFr: { kind: 'text', max: 4_000 },
} as const satisfies FormRules;

/** The last day a question is taken: two business days before the deadline in force. */
export function lastDayForQuestions(o: Pick<Opportunity, 'dates'>, daysOff: DaysOff): string {
  return subtractBusinessDays(deadlineInForce(o), QUESTION_CUTOFF_BUSINESS_DAYS, daysOff);
}

/** Whether suppliers may still ask: the opportunity is open, and its last day for questions has not passed. */
export function questionsOpen(
  o: Pick<Opportunity, 'status' | 'dates'>,
  today: string,
  daysOff: DaysOff,
): boolean {
  return o.status === 'posted' && today <= lastDayForQuestions(o, daysOff);
}

export type Settlement =
  | { readonly ok: true; readonly question: Question }
  /** Someone settled it first: the question as they left it. */
  | { readonly ok: false; readonly settled: Question };

type By = NonNullable<Question['settledBy']>;

function settle(
  q: Question,
  change: Pick<Question, 'state' | 'answer' | 'declined'>,
  by: By,
  at: string,
): Settlement {
  if (q.state !== 'asked') return { ok: false, settled: q };
  return { ok: true, question: { ...q, ...change, version: q.version + 1, settledBy: by, settledAt: at } };
}

/**
 * The question without its asker's address: the next version, saved once the e-mail that tells them is
 * queued (the address stays until then, so a failure in between loses no e-mail).
 */
export function withoutAddress(q: Question): Question {
  const { email: _email, ...rest } = q;
  return { ...rest, version: q.version + 1 };
}

export function answerQuestion(
  q: Question,
  answer: FormValues<typeof ANSWER_FORM>,
  by: By,
  at: string,
): Settlement {
  return settle(
    q,
    {
      state: 'answered',
      answer: {
        question: { en: answer.questionEn, fr: answer.questionFr },
        answer: { en: answer.answerEn, fr: answer.answerFr },
      },
    },
    by,
    at,
  );
}

export function declineQuestion(q: Question, reason: DeclineReason, by: By, at: string): Settlement {
  return settle(q, { state: 'declined', declined: reason }, by, at);
}

export interface PublishedAnswer {
  /** 1 for the first answer published, and so on: the pilot's Q1, Q2… */
  readonly number: number;
  readonly question: string;
  readonly answer: string;
  readonly at: string;
}

/** The answers as a page in `locale` shows them, in the order they were published; nothing about who asked. */
export function publishedAnswers(questions: readonly Question[], locale: 'en' | 'fr'): PublishedAnswer[] {
  // Only an answered question holds an answer; its settlement time orders the page.
  const answered = questions.flatMap((q) =>
    q.answer && q.settledAt ? [{ id: q.id, at: q.settledAt, published: q.answer }] : [],
  );
  return answered
    .sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id))
    .map((q, i) => ({
      number: i + 1,
      question: q.published.question[locale],
      answer: q.published.answer[locale],
      at: q.at,
    }));
}
