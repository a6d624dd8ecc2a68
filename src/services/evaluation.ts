import type { Application, Evaluation } from './applications';
import type { FormRules } from './forms';
import { evaluatorOf, type Opportunity } from './opportunity';
import { type Actor, sameId } from './roles';

/**
 * The requester's team marks each application pass or fail against the evaluation criterion, without
 * knowing who applied: an evaluator sees an applicant number, the answer and the links to past work,
 * nothing else. The first mark on an application stands; the record's counts are the marks'.
 */

/** What an evaluator types beside the mark. */
export const EVALUATION_FORM = {
  rationale: { kind: 'text', max: 2_000 },
} as const satisfies FormRules;

export const RESULTS = ['pass', 'fail'] as const;
export type Result = (typeof RESULTS)[number];

/** An application as its evaluator sees it: no name, address, kind of applicant or federal status. */
export interface AnonymousApplication {
  readonly id: string;
  readonly reference: string;
  readonly number: number;
  readonly answer: string;
  readonly links: readonly string[];
  readonly evaluation?: Evaluation;
  readonly version: number;
}

/** The view an evaluator gets; undefined for an application not numbered (never confirmed before the close). */
export function anonymised(a: Application): AnonymousApplication | undefined {
  if (a.number === undefined || !a.content) return undefined;
  return {
    id: a.id,
    reference: a.reference,
    number: a.number,
    answer: a.content.answer,
    links: a.content.links,
    ...(a.evaluation ? { evaluation: a.evaluation } : {}),
    version: a.version,
  };
}

/**
 * Who marks an opportunity's applications: its requester, whose team wrote the criterion, or the person
 * procurement gave the marking to instead.
 */
export function mayEvaluate(
  o: Pick<Opportunity, 'requester' | 'selection'>,
  actor: Pick<Actor, 'id'>,
): boolean {
  return sameId(actor.id, evaluatorOf(o).aadObjectId);
}

export type Marking =
  | { readonly ok: true; readonly application: Application }
  /** Someone marked it first (or it is not one to mark): the application as it stands. */
  | { readonly ok: false; readonly settled: Application };

/** The mark, one version later; an application already marked keeps its first mark. */
export function markApplication(
  a: Application,
  result: Result,
  rationale: string,
  by: Evaluation['by'],
  at: string,
): Marking {
  if (a.evaluation || a.number === undefined) return { ok: false, settled: a };
  return {
    ok: true,
    application: { ...a, evaluation: { result, rationale, by, at }, version: a.version + 1 },
  };
}

export interface EvaluationProgress {
  /** Applications to mark: every one confirmed before the close (each gets its number then). */
  readonly applications: number;
  readonly marked: number;
  readonly passed: number;
}

/** The marking so far, over an opportunity's confirmed applications. */
export function evaluationProgress(confirmed: readonly Application[]): EvaluationProgress {
  return {
    applications: confirmed.length,
    marked: confirmed.filter((a) => a.evaluation).length,
    passed: confirmed.filter((a) => a.evaluation?.result === 'pass').length,
  };
}

/** Every numbered application marked: the counts can go on the record. */
export const evaluationComplete = (p: EvaluationProgress): boolean => p.marked === p.applications;
