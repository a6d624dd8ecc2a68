/** Business-day arithmetic on ISO dates (YYYY-MM-DD), in UTC so no time zone shifts a day. */

/** Days that are not business days besides weekends: holidays, closures (a Set of dates will do). */
export interface DaysOff {
  has(date: string): boolean;
}

const DAY_MS = 86_400_000;

function toUtc(isoDate: string): Date {
  const d = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: ${isoDate}`);
  return d;
}

function toIso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function isWeekend(isoDate: string): boolean {
  const day = toUtc(isoDate).getUTCDay();
  return day === 0 || day === 6;
}

/** The date `days` business days after `isoDate` (weekends skipped; holidays are a caller's list). */
export function addBusinessDays(
  isoDate: string,
  days: number,
  holidays: DaysOff = new Set<string>(),
): string {
  let d = toUtc(isoDate);
  let left = days;
  while (left > 0) {
    d = new Date(d.getTime() + DAY_MS);
    const iso = toIso(d);
    if (!isWeekend(iso) && !holidays.has(iso)) left--;
  }
  return toIso(d);
}

/** Business days from `from` (exclusive) to `to` (inclusive); 0 when `to` is not after `from`. */
export function businessDaysBetween(from: string, to: string, holidays: DaysOff = new Set<string>()): number {
  let d = toUtc(from);
  const end = toUtc(to);
  let count = 0;
  while (d < end) {
    d = new Date(d.getTime() + DAY_MS);
    const iso = toIso(d);
    if (!isWeekend(iso) && !holidays.has(iso)) count++;
  }
  return count;
}

/** Calendar days from `from` to `to` (may be negative). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to).getTime() - toUtc(from).getTime()) / DAY_MS);
}

/** The date `days` business days before `isoDate` (weekends and `holidays` skipped). */
export function subtractBusinessDays(
  isoDate: string,
  days: number,
  holidays: DaysOff = new Set<string>(),
): string {
  let d = toUtc(isoDate);
  let left = days;
  while (left > 0) {
    d = new Date(d.getTime() - DAY_MS);
    const iso = toIso(d);
    if (!isWeekend(iso) && !holidays.has(iso)) left--;
  }
  return toIso(d);
}
