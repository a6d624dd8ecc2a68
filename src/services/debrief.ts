import type { Application, Evaluation } from './applications';
import type { FormRules } from './forms';

/**
 * The debrief: an applicant not selected asks for it from the link of the e-mail that told them, and
 * procurement writes it from a card in its channel; the first answer sent is the one e-mailed. The card
 * reads the application through `debriefView`, which leaves out everything that says who applied.
 */

/** What procurement writes: one text, e-mailed to the applicant as it is. */
export const DEBRIEF_FORM = {
  debrief: { kind: 'text', max: 4_000 },
} as const satisfies FormRules;

/** What procurement's channel (not a private place) may read of an application asking for a debrief. */
export interface DebriefView {
  readonly id: string;
  readonly reference: string;
  readonly number: number;
  /** The language the applicant applied in, which the e-mail is written in. */
  readonly locale: 'en' | 'fr';
  readonly evaluation?: Pick<Evaluation, 'result' | 'rationale'>;
  readonly requestedAt: string;
  readonly answer?: NonNullable<NonNullable<Application['debrief']>['answer']>;
  readonly version: number;
}

/** Undefined for an application that did not ask for a debrief (or was never numbered at the close). */
export function debriefView(a: Application): DebriefView | undefined {
  if (a.number === undefined || !a.debrief) return undefined;
  return {
    id: a.id,
    reference: a.reference,
    number: a.number,
    locale: a.locale,
    ...(a.evaluation
      ? { evaluation: { result: a.evaluation.result, rationale: a.evaluation.rationale } }
      : {}),
    requestedAt: a.debrief.requestedAt,
    ...(a.debrief.answer ? { answer: a.debrief.answer } : {}),
    version: a.version,
  };
}

/** The request recorded, one version later; an application that asked already is left as it is. */
export function requestDebrief(a: Application, at: string): Application {
  return a.debrief ? a : { ...a, debrief: { requestedAt: at }, version: a.version + 1 };
}

export type DebriefSending =
  | { readonly ok: true; readonly application: Application }
  /** Not asked for, or answered already: nothing changes. */
  | { readonly ok: false; readonly settled: Application };

/** Procurement's answer, one version later, unless one was sent first. */
export function answerDebrief(
  a: Application,
  text: string,
  by: Evaluation['by'],
  at: string,
): DebriefSending {
  if (!a.debrief || a.debrief.answer) return { ok: false, settled: a };
  return {
    ok: true,
    application: { ...a, debrief: { ...a.debrief, answer: { text, by, at } }, version: a.version + 1 },
  };
}
