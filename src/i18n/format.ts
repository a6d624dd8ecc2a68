import type { Locale } from './index';

/** Amounts and dates as a Canadian reader of each language expects them: $4,600.00 / 4 600,00 $. */

const TAG: Readonly<Record<Locale, string>> = { en: 'en-CA', fr: 'fr-CA' };

export function formatMoney(cents: number, locale: Locale): string {
  return new Intl.NumberFormat(TAG[locale], { style: 'currency', currency: 'CAD' }).format(cents / 100);
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(TAG[locale], { maximumFractionDigits: 2 }).format(value);
}

/** An ISO date (YYYY-MM-DD) with its weekday, read in UTC so no time zone moves it a day. */
export function formatDate(isoDate: string, locale: Locale): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return isoDate;
  return new Intl.DateTimeFormat(TAG[locale], {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  }).format(d);
}

/** A moment, in Ottawa's time zone: where the department works. */
export function formatDateTime(iso: string, locale: Locale): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(TAG[locale], {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'America/Toronto',
  }).format(d);
}
