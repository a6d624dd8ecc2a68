import { type Locale, t } from './index';

/** Amounts and dates as a Canadian reader of each language expects them: $4,600.00 / 4 600,00 $. */

const TAG: Readonly<Record<Locale, string>> = { en: 'en-CA', fr: 'fr-CA' };

/** Building a formatter costs far more than using one (every card formats several): one per language. */
function perLocale<F>(make: (tag: string) => F): (locale: Locale) => F {
  const made = new Map<Locale, F>();
  return (locale) => {
    let formatter = made.get(locale);
    if (!formatter) {
      formatter = make(TAG[locale]);
      made.set(locale, formatter);
    }
    return formatter;
  };
}

const money = perLocale((tag) => new Intl.NumberFormat(tag, { style: 'currency', currency: 'CAD' }));
const number = perLocale((tag) => new Intl.NumberFormat(tag, { maximumFractionDigits: 2 }));
const lists = {
  conjunction: perLocale((tag) => new Intl.ListFormat(tag, { type: 'conjunction' })),
  disjunction: perLocale((tag) => new Intl.ListFormat(tag, { type: 'disjunction' })),
};
const date = perLocale(
  (tag) =>
    new Intl.DateTimeFormat(tag, {
      weekday: 'long',
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      timeZone: 'UTC',
    }),
);
/** Formatters of times, per language and time zone (one zone per deployment, so few are ever built). */
const timeFormats = new Map<
  string,
  { dateTime: Intl.DateTimeFormat; time: Intl.DateTimeFormat; zone: string }
>();
function timesIn(locale: Locale, timeZone: string) {
  const key = `${locale}|${timeZone}`;
  let found = timeFormats.get(key);
  if (!found) {
    const tag = TAG[locale];
    const zoneName = new Intl.DateTimeFormat(tag, { timeZone, timeZoneName: 'longGeneric' })
      .formatToParts(new Date())
      .find((p) => p.type === 'timeZoneName')?.value;
    found = {
      dateTime: new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone }),
      time: new Intl.DateTimeFormat(tag, { hour: 'numeric', minute: '2-digit', timeZone }),
      zone: zoneName ?? timeZone,
    };
    timeFormats.set(key, found);
  }
  return found;
}

export function formatMoney(cents: number, locale: Locale): string {
  return money(locale).format(cents / 100);
}

export function formatNumber(value: number, locale: Locale): string {
  return number(locale).format(value);
}

/**
 * Names listed inside a sentence as each language lists them ("a, b and c" / "a, b et c"; "a or b" /
 * "a ou b"): the words between them come from the language, never from a translated fragment.
 */
export function formatList(
  items: readonly string[],
  locale: Locale,
  type: 'conjunction' | 'disjunction' = 'conjunction',
): string {
  return lists[type](locale).format(items);
}

/** An ISO date (YYYY-MM-DD) with its weekday, read in UTC so no time zone moves it a day. */
export function formatDate(isoDate: string, locale: Locale): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return isoDate;
  return date(locale).format(d);
}

/**
 * The department's date of a moment, with its weekday: 9 p.m. on March 1 in Toronto is March 1, though
 * UTC has reached March 2. Nothing for a moment not recorded.
 */
export function formatDayOf(
  instant: string | undefined,
  locale: Locale,
  calendar: { dateOf(instant: string): string },
): string {
  return instant === undefined ? '' : formatDate(calendar.dateOf(instant), locale);
}

/** A moment, in the time zone where the department works. */
export function formatDateTime(iso: string, locale: Locale, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return timesIn(locale, timeZone).dateTime.format(d);
}

/**
 * A date something closes on, as its last minute where the department works, with the zone's name:
 * "Thursday, December 10, 2026, 11:59 p.m. Eastern Time" / "jeudi 10 décembre 2026 à 23 h 59, heure de l’Est".
 */
export function formatClosing(
  date: string,
  locale: Locale,
  calendar: { readonly timeZone: string; endOf(date: string): string },
): string {
  // Every request's card shows its deadline, and a date's closing text never changes: the calendar
  // remembers the day's end, this the words and the time as the language says them.
  const key = `${locale} ${calendar.timeZone} ${date}`;
  let text = closings.get(key);
  if (text === undefined) {
    const formats = timesIn(locale, calendar.timeZone);
    const time = formats.time.format(new Date(calendar.endOf(date)));
    text = t(locale, 'time.closing', { date: formatDate(date, locale), time, zone: formats.zone });
    if (closings.size >= CLOSINGS_KEPT) closings.clear();
    closings.set(key, text);
  }
  return text;
}

/** Closings already said, by language, zone and date: a few years of deadlines. */
const closings = new Map<string, string>();
const CLOSINGS_KEPT = 4_000;
