import { type Locale, t } from '../i18n';
import { formatDateTime } from '../i18n/format';
import type { Step } from '../services/intake';
import { cardAction } from './actions';
import { type Card, expand } from './template';

export interface DraftSummary {
  readonly id: string;
  readonly title: string;
  readonly step: Step;
  readonly updatedAt: string;
}

/** A person's requests in progress, newest first, each with a way back in and a way out. */
export function draftsCard(
  locale: Locale,
  drafts: readonly DraftSummary[],
  timeZone: string,
  notice = '',
): Card {
  return expand('drafts', {
    notice,
    heading: t(locale, 'intake.drafts.heading'),
    intro: t(locale, 'intake.drafts.intro', { count: drafts.length }),
    drafts: drafts.map((d) => ({
      title: d.title.trim() || t(locale, 'intake.drafts.untitled'),
      detail: t(locale, 'intake.drafts.detail', {
        step: t(locale, `intake.steps.${d.step}`),
        when: formatDateTime(d.updatedAt, locale, timeZone),
      }),
      actions: [
        cardAction({
          title: t(locale, 'intake.buttons.resume'),
          verb: 'intake.resume',
          data: { draftId: d.id },
        }),
        cardAction({
          title: t(locale, 'intake.buttons.discard'),
          verb: 'intake.discard',
          data: { draftId: d.id, from: 'list' },
          style: 'destructive',
        }),
      ],
    })),
    actions: [
      cardAction({ title: t(locale, 'intake.buttons.newRequest'), verb: 'intake.new', style: 'positive' }),
    ],
  });
}
