import { type Locale, t } from '../i18n';
import { formatMoney } from '../i18n/format';
import { nextActors } from '../services/decisions';
import type { Opportunity } from '../services/opportunity';
import { type CardAction, cardAction } from './actions';
import { rolesInWords } from './opportunity';
import { type Card, expand } from './template';

/** One page of requests: each with where it stands and a button to open its card, and paging buttons. */
export interface ListView {
  readonly locale: Locale;
  readonly heading: string;
  /** What the person searched for, shown as they typed it (never as Markdown). */
  readonly query?: string;
  /** Said when the first page is empty: what to do instead. */
  readonly empty: string;
  /** A line under the heading, such as why the list is narrower than asked. */
  readonly note?: string;
  readonly records: readonly Opportunity[];
  readonly previous?: Readonly<Record<string, string>>;
  readonly next?: Readonly<Record<string, string>>;
}

export function listCard(v: ListView): Card {
  const { locale } = v;
  const paging: CardAction[] = [
    ...(v.previous
      ? [cardAction({ title: t(locale, 'lists.previous'), verb: 'list.page', data: v.previous })]
      : []),
    ...(v.next
      ? [cardAction({ title: t(locale, 'lists.next'), verb: 'list.page', data: v.next, style: 'positive' })]
      : []),
  ];
  return expand('list', {
    heading: v.heading,
    query: v.query ?? '',
    note: v.note ?? '',
    // A page can come back empty with more to look through (a search reads a bounded part of the records
    // per turn), or later empty because what waited was decided meanwhile: each says so, not "none".
    intro:
      v.records.length > 0 || (v.previous && !v.next)
        ? t(locale, 'lists.count', { count: v.records.length })
        : v.next
          ? t(locale, 'lists.noneYet')
          : v.empty,
    items: v.records.map((o) => {
      const next = nextActors(o);
      return {
        reference: o.reference,
        title: o.title,
        detail: t(locale, 'lists.detail', {
          status: t(locale, `statuses.${o.status}`),
          price: formatMoney(o.pricing.fixedPriceCents, locale),
          who:
            next.size > 0
              ? t(locale, 'lists.waitingOn', { who: rolesInWords(locale, next) })
              : t(locale, 'lists.nobody'),
        }),
        actions: [
          cardAction({
            title: t(locale, 'lists.open'),
            verb: 'card.refresh',
            data: { reference: o.reference },
          }),
        ],
      };
    }),
    actions: paging,
  });
}
