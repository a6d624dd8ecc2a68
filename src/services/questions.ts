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
  /** Where the answer goes; removed once the answer (or the refusal) is queued to be sent. */
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
