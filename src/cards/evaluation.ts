import { inEach, say, t, type Voice } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { type AnonymousApplication, EVALUATION_FORM, RESULTS } from '../services/evaluation';
import type { Problem } from '../services/rules';
import { cardAction, type CardAction } from './actions';
import { type Card, expand } from './template';

/**
 * One application as the requester's team marks it: an applicant number, the evaluation criterion, the
 * answer and the links to past work. Nothing the applicant is (name, address, kind, federal status) is
 * on it. The buttons carry the application's id and version; the rest is read from the store.
 */

export interface EvaluationCardOptions {
  readonly title: string;
  /** The opportunity's evaluation criterion, in the card's language(s). */
  readonly criterion: string;
  readonly timeZone: string;
  /** What the evaluator typed, shown again when the mark could not be saved. */
  readonly typed?: string;
  readonly problems?: readonly Problem[];
  readonly note?: { readonly text: string; readonly tone: 'warning' | 'good' };
}

/** How a link to past work is labelled: its host and path, cut, so a long address cannot stretch the card. */
function linkTitle(url: string): string {
  const { host, pathname } = new URL(url);
  const text = `${host}${pathname === '/' ? '' : pathname}`;
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export function evaluationCard(voice: Voice, a: AnonymousApplication, options: EvaluationCardOptions): Card {
  const open = a.evaluation === undefined;
  const data = { applicationId: a.id, version: String(a.version) };
  const actions: CardAction[] = open
    ? RESULTS.map((result) =>
        cardAction({
          title: say(voice, `evaluation.buttons.${result}`),
          verb: 'application.evaluate',
          data: { ...data, result },
          inputs: 'auto',
          style: result === 'pass' ? 'positive' : 'destructive',
        }),
      )
    : [];
  const mark = a.evaluation;
  return expand('evaluation', {
    style: open ? 'emphasis' : 'default',
    title: say(voice, 'evaluation.title', { number: a.number }),
    opportunity: `${a.reference} · ${options.title}`,
    note: options.note?.text ?? (options.problems?.length ? say(voice, 'evaluation.fix') : ''),
    noteColor: options.note?.tone === 'good' ? 'Good' : 'Warning',
    problems: (options.problems ?? []).map((p) =>
      inEach(voice, (l) =>
        t(l, `intake.problems.${p.code}` as 'intake.problems.required', {
          ...p.params,
          max: EVALUATION_FORM.rationale.max,
        }),
      ),
    ),
    criterionHeading: say(voice, 'evaluation.criterion'),
    criterion: options.criterion,
    answerHeading: say(voice, 'evaluation.answer'),
    answer: a.answer,
    linksHeading: say(voice, 'evaluation.links'),
    links: a.links.map((url) => ({ title: linkTitle(url), url })),
    outcome: mark
      ? inEach(voice, (l) =>
          t(l, `evaluation.outcome.${mark.result}`, {
            name: mark.by.name,
            at: formatDateTime(mark.at, l, options.timeZone),
          }),
        )
      : '',
    rationale: mark?.rationale ?? '',
    open,
    rationaleLabel: say(voice, 'evaluation.rationale'),
    rationaleMax: EVALUATION_FORM.rationale.max,
    rationaleError: say(voice, 'evaluation.rationaleError', { max: EVALUATION_FORM.rationale.max }),
    rationaleTyped: options.typed ?? '',
    actions,
  });
}
