import type { Locale } from './index';

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
const dateTime = perLocale(
  (tag) =>
    new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/Toronto' }),
);

export function formatMoney(cents: number, locale: Locale): string {
  return money(locale).format(cents / 100);
}

export function formatNumber(value: number, locale: Locale): string {
  return number(locale).format(value);
}

/** An ISO date (YYYY-MM-DD) with its weekday, read in UTC so no time zone moves it a day. */
export function formatDate(isoDate: string, locale: Locale): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return isoDate;
  return date(locale).format(d);
}

/** A moment, in Ottawa's time zone: where the department works. */
export function formatDateTime(iso: string, locale: Locale): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTime(locale).format(d);
}
