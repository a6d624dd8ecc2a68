import { say, t } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { ANSWER_FORM, type Question } from '../services/questions';
import type { Problem } from '../services/rules';
import { sitePath } from '../services/publication';
import { cardAction, type CardAction } from './actions';
import { type Card, expand } from './template';

/**
 * A supplier's question as procurement's channel sees it: always in both languages (a channel reads
 * both), with the form to answer it or the buttons to decline it while it waits, and how it was settled
 * once it is. The buttons carry only the question's id and version; the rest is read from the store.
 */

export interface QuestionCardOptions {
  /** The opportunity's title in each language. */
  readonly titles: { readonly en: string; readonly fr: string };
  readonly timeZone: string;
  /** The public site's address, for the button to the opportunity's page. */
  readonly site: string;
  /** What the clicker typed, shown again when it could not be published. */
  readonly typed?: Readonly<Record<string, string>>;
  readonly problems?: readonly Problem[];
  /** A line on what just happened (a stale click, a refusal). */
  readonly note?: { readonly text: string; readonly tone: 'warning' | 'good' };
}

const FIELDS = Object.keys(ANSWER_FORM) as (keyof typeof ANSWER_FORM)[];

export function questionCard(q: Question, options: QuestionCardOptions): Card {
  const at = (iso: string, locale: 'en' | 'fr') => formatDateTime(iso, locale, options.timeZone);
  const open = q.state === 'asked';
  const by = q.settledBy?.name ?? '';
  const outcomeKey = q.state === 'answered' ? 'answered' : (q.declined ?? 'out_of_scope');
  const data = { questionId: q.id, version: String(q.version) };
  const actions: CardAction[] = [
    ...(open
      ? [
          cardAction({
            title: say('bilingual', 'questions.buttons.answer'),
            verb: 'question.answer',
            data,
            inputs: 'auto',
            style: 'positive',
          }),
          ...(['duplicate', 'out_of_scope'] as const).map((reason) =>
            cardAction({
              title: say('bilingual', `questions.buttons.${reason}`),
              verb: 'question.decline',
              data: { ...data, reason },
            }),
          ),
        ]
      : []),
    {
      type: 'Action.OpenUrl',
      title: say('bilingual', 'questions.buttons.page'),
      url: `${options.site}${sitePath(q.locale, q.reference)}`,
    },
  ];
  const prefilled = (field: (typeof FIELDS)[number]) =>
    options.typed?.[field] ??
    ((field === 'questionEn' && q.locale === 'en') || (field === 'questionFr' && q.locale === 'fr')
      ? q.text
      : '');
  return expand('question', {
    style: open ? 'emphasis' : 'default',
    title: say('bilingual', 'questions.title'),
    opportunity: `${q.reference} · ${options.titles.en} / ${options.titles.fr}`,
    note: options.note?.text ?? (options.problems?.length ? say('bilingual', 'questions.fix') : ''),
    noteColor: options.note?.tone === 'good' ? 'Good' : 'Warning',
    problems: (options.problems ?? []).map((p) =>
      (['en', 'fr'] as const)
        .map(
          (locale) =>
            `${t(locale, `questions.inputs.${p.field as (typeof FIELDS)[number]}`)}: ${t(locale, `intake.problems.${p.code}` as 'intake.problems.required', p.params ?? {})}`,
        )
        .join(' / '),
    ),
    askedLine: (['en', 'fr'] as const)
      .map((locale) =>
        t(locale, 'questions.asked', {
          at: at(q.askedAt, locale),
          language: t(locale, `languages.${q.locale}`),
        }),
      )
      .join(' / '),
    question: q.text,
    outcome:
      open || !q.settledAt
        ? ''
        : (['en', 'fr'] as const)
            .map((locale) =>
              t(locale, `questions.outcome.${outcomeKey}`, { name: by, at: at(q.settledAt ?? '', locale) }),
            )
            .join(' / '),
    published: q.answer
      ? (['en', 'fr'] as const).map((locale) => ({
          heading: t(locale, 'questions.published', { language: t(locale, `languages.${locale}`) }),
          question: q.answer?.question[locale] ?? '',
          answer: q.answer?.answer[locale] ?? '',
        }))
      : [],
    formIntro: say('bilingual', 'questions.formIntro'),
    inputs: open
      ? FIELDS.map((id) => ({
          id,
          label: say('bilingual', `questions.inputs.${id}`),
          max: ANSWER_FORM[id].max,
          errorMessage: say('bilingual', 'questions.inputError', { max: ANSWER_FORM[id].max }),
          value: prefilled(id),
        }))
      : [],
    actions,
  });
}
