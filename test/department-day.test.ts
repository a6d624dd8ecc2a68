import { strict as assert } from 'node:assert';
import { opportunityCard } from '../src/cards';
import { type Locale, LOCALES } from '../src/i18n';
import { formatDate } from '../src/i18n/format';
import { jekyllPosts } from '../src/publish/jekyll';
import type { Opportunity } from '../src/services/opportunity';
import { publicOpportunity } from '../src/services/publication';
import { SqliteStore } from '../src/stores/sqlite-store';
import { opportunityPage } from '../src/web/pages';
import { CALENDAR, submitted, TERMS } from './support/opportunities';
import { storePosted } from './support/published';
import { textOf } from './support/teams';

/**
 * An instant is said as the department's date wherever a person reads it: the evening of March 1 in
 * Toronto is already March 2 in UTC, and a card or page that cut the timestamp would say the wrong day.
 * Each moment below is late in the evening there, at each side of the change to daylight time.
 */

const EVENINGS = [
  // 22:30 EST on Sunday, March 1.
  { at: '2026-03-02T03:30:00.000Z', day: '2026-03-01', utcDay: '2026-03-02' },
  // 23:15 EDT on Sunday, March 8, the day the clocks go forward.
  { at: '2026-03-09T03:15:00.000Z', day: '2026-03-08', utcDay: '2026-03-09' },
  // 20:05 EDT on Saturday, October 31, the eve of the change back.
  { at: '2026-11-01T00:05:00.000Z', day: '2026-10-31', utcDay: '2026-11-01' },
] as const;

const says = (text: string, locale: Locale, day: string) => text.includes(formatDate(day, locale));

describe("an instant said as the department's date", () => {
  let store: SqliteStore;
  let posted: Opportunity;

  before(async () => {
    store = SqliteStore.open(':memory:');
    posted = await storePosted(store);
  });
  after(() => store.close());

  for (const { at, day, utcDay } of EVENINGS) {
    for (const locale of LOCALES) {
      it(`on the public page and the published post: posted and updated at ${at} are ${day} (${locale})`, () => {
        const view = publicOpportunity(posted, locale);
        assert.ok(view);
        const moved = { ...view, postedAt: at, updates: [{ at, event: 'applications_extended' as const }] };
        const page = opportunityPage({ locale, nonce: 'n', calendar: CALENDAR }, moved);
        assert.ok(says(page, locale, day), 'the page says the day in Toronto');
        assert.ok(!says(page, locale, utcDay), 'and never the day in UTC');
        const other = publicOpportunity(posted, locale === 'en' ? 'fr' : 'en');
        assert.ok(other);
        const views = locale === 'en' ? { en: moved, fr: other } : { en: other, fr: moved };
        const post = jekyllPosts(views, { timeZone: CALENDAR.timeZone }).find((p) =>
          p.path.includes(`/${locale}/`),
        );
        assert.ok(post && says(post.content, locale, day), 'the post marks the update on that day');
        assert.ok(!says(post.content, locale, utcDay));
      });

      it(`on the request's card: countersigned and certified at ${at} are ${day} (${locale})`, () => {
        const o = submitted('MA-2026-0009');
        const signed: Opportunity = {
          ...o,
          terms: {
            ...TERMS,
            countersignedBy: { aadObjectId: 'f', name: 'Farah Haddad' },
            countersignedAt: at,
          },
          finance: {
            ...o.finance,
            section34Certifier: { aadObjectId: 'f', name: 'Farah Haddad' },
            section34At: at,
          },
        };
        const text = textOf(opportunityCard(locale, signed, { channel: 'finance' }, { calendar: CALENDAR }));
        assert.ok(says(text, locale, day), text);
        assert.ok(!says(text, locale, utcDay));
      });
    }
  }
});
