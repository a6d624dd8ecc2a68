import { inEach, say, t } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { DEBRIEF_FORM, type DebriefView } from '../services/debrief';
import type { Problem } from '../services/rules';
import { cardAction } from './actions';
import { type Card, expand } from './template';

/**
 * An applicant's request for a debrief as procurement's channel sees it: always in both languages (a
 * channel reads both), with the applicant's number and evaluation but nothing that says who they are
 * (the channel is not private), the text to send while it waits, and who sent what once it is sent. The
 * button carries only the application's id and version; the rest is read from the store.
 */

export interface DebriefCardOptions {
  /** The opportunity's title in each language. */
  readonly titles: { readonly en: string; readonly fr: string };
  readonly timeZone: string;
  /** What the clicker typed, shown again when it could not be sent. */
  readonly typed?: string;
  readonly problems?: readonly Problem[];
  /** A line on what just happened (a stale click, a refusal). */
  readonly note?: { readonly text: string; readonly tone: 'warning' | 'good' };
}

export function debriefCard(d: DebriefView, options: DebriefCardOptions): Card {
  const at = (iso: string, locale: 'en' | 'fr') => formatDateTime(iso, locale, options.timeZone);
  const open = d.answer === undefined;
  const result = d.evaluation?.result ?? 'none';
  const max = DEBRIEF_FORM.debrief.max;
  return expand('debrief', {
    style: open ? 'emphasis' : 'default',
    title: say('bilingual', 'debrief.title', { number: d.number }),
    opportunity: `${d.reference} · ${options.titles.en} / ${options.titles.fr}`,
    note: options.note?.text ?? (options.problems?.length ? say('bilingual', 'debrief.fix') : ''),
    noteColor: options.note?.tone === 'good' ? 'Good' : 'Warning',
    problems: (options.problems ?? []).map((p) =>
      inEach('bilingual', (l) =>
        t(l, `intake.problems.${p.code}` as 'intake.problems.required', { ...p.params, max }),
      ),
    ),
    requestedLine: inEach('bilingual', (l) =>
      t(l, 'debrief.requested', { at: at(d.requestedAt, l), language: t(l, `languages.${d.locale}`) }),
    ),
    evaluationLine: say('bilingual', `debrief.evaluation.${result}`),
    rationale: d.evaluation?.rationale ?? '',
    sentLine: d.answer
      ? inEach('bilingual', (l) =>
          t(l, 'debrief.sent', { name: d.answer?.by.name ?? '', at: at(d.answer?.at ?? '', l) }),
        )
      : '',
    sentText: d.answer?.text ?? '',
    open,
    formIntro: say('bilingual', 'debrief.formIntro'),
    inputLabel: say('bilingual', 'debrief.input'),
    inputMax: max,
    inputError: say('bilingual', 'debrief.inputError', { max }),
    // The evaluator's reasons are where a debrief starts; procurement rewords them for the applicant.
    inputValue: options.typed ?? d.evaluation?.rationale ?? '',
    actions: open
      ? [
          cardAction({
            title: say('bilingual', 'debrief.send'),
            verb: 'debrief.send',
            data: { applicationId: d.id, version: String(d.version) },
            inputs: 'auto',
            style: 'positive',
          }),
        ]
      : [],
  });
}
