import { type Locale, t } from '../i18n';
import { formatDateTime } from '../i18n/format';
import type { Application } from '../services/applications';
import { type Card, expand } from './template';

/**
 * An opportunity's confirmed applications as procurement reads them, in a personal chat only: who
 * applied, their address, whether they are a federal public servant (a conflict of interest to weigh),
 * and how each was marked. What an applicant typed is shown in TextRuns, where no Markdown is read.
 */

export interface ApplicationsCardInput {
  readonly reference: string;
  readonly applications: readonly Application[];
  /** Confirmed applications in all, of which `applications` are the first. */
  readonly total: number;
  readonly timeZone: string;
}

export function applicationsCard(locale: Locale, input: ApplicationsCardInput): Card {
  return expand('applications', {
    title: t(locale, 'applications.title', { reference: input.reference }),
    summary: t(locale, 'applications.summary', { total: input.total }),
    privacy: t(locale, 'applications.privacy'),
    applications: input.applications.map((a) => ({
      heading:
        a.number === undefined
          ? t(locale, 'applications.unnumbered')
          : t(locale, 'applications.heading', {
              number: a.number,
              result: t(locale, `applications.results.${a.evaluation?.result ?? 'none'}`),
            }),
      who: [a.content?.name ?? '', a.email, a.content?.publicLink ?? ''].filter((x) => x !== '').join(' · '),
      facts: t(locale, 'applications.facts', {
        kind: t(locale, `site.apply.kinds.${a.content?.kind ?? 'individual'}`),
        federal: t(locale, a.content?.federalEmployee ? 'site.apply.yes' : 'site.apply.no'),
        at: formatDateTime(a.confirmedAt ?? a.createdAt, locale, input.timeZone),
      }),
      rationale: a.evaluation?.rationale ?? '',
    })),
    more:
      input.total > input.applications.length
        ? t(locale, 'applications.more', { total: input.total, shown: input.applications.length })
        : '',
  });
}
