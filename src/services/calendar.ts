import Holidays from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';
import { addBusinessDays, businessDaysBetween, type DaysOff, isWeekend } from './business-days';

/**
 * The department's calendar: which day it is where the department works (its time zone), when a day
 * ends there, and which days are business days (weekends, the federal public service's designated paid
 * holidays, the province's one more, and the department's own closures). Pure: the time is given.
 */

export const PROVINCES = [
  'AB',
  'BC',
  'MB',
  'NB',
  'NL',
  'NS',
  'NT',
  'NU',
  'ON',
  'PE',
  'QC',
  'SK',
  'YT',
] as const;
export type Province = (typeof PROVINCES)[number];

type Names = { readonly en: string; readonly fr: string };

/**
 * The designated paid holidays of federal public servants (their collective agreements), as date-holidays
 * rules: a holiday on a day off moves to the next working day, as the agreements have it.
 */
const FEDERAL: readonly (readonly [string, Names])[] = [
  ['01-01 and if saturday,sunday then next monday', { en: 'New Year’s Day', fr: 'Jour de l’An' }],
  ['easter -2', { en: 'Good Friday', fr: 'Vendredi saint' }],
  ['easter 1', { en: 'Easter Monday', fr: 'Lundi de Pâques' }],
  ['monday before 05-25', { en: 'Victoria Day', fr: 'Fête de la Reine' }],
  ['07-01 and if saturday,sunday then next monday', { en: 'Canada Day', fr: 'Fête du Canada' }],
  ['1st monday in September', { en: 'Labour Day', fr: 'Fête du Travail' }],
  [
    '09-30 since 2021 and if saturday,sunday then next monday',
    {
      en: 'National Day for Truth and Reconciliation',
      fr: 'Journée nationale de la vérité et de la réconciliation',
    },
  ],
  ['2nd monday in October', { en: 'Thanksgiving', fr: 'Action de grâce' }],
  ['11-11 and if saturday,sunday then next monday', { en: 'Remembrance Day', fr: 'Jour du Souvenir' }],
  ['12-25 and if saturday,sunday then next monday', { en: 'Christmas Day', fr: 'Noël' }],
  [
    '12-26 and if saturday then next monday if sunday,monday then next tuesday',
    { en: 'Boxing Day', fr: 'Lendemain de Noël' },
  ],
];

/** The one more day the agreements give, recognised in the province where the department works. */
const CIVIC_HOLIDAY: readonly [string, Names] = [
  '1st monday in August',
  { en: 'Civic Holiday', fr: 'Congé civique' },
];
const PROVINCIAL: Partial<Record<Province, readonly [string, Names]>> = {
  QC: [
    '06-24 and if sunday then next monday',
    { en: 'Saint-Jean-Baptiste Day', fr: 'Fête nationale du Québec' },
  ],
  // The Monday nearest 12 July.
  NL: [
    '07-12 if tuesday,wednesday then previous monday if thursday,friday,saturday,sunday then next monday',
    { en: 'Orangemen’s Day', fr: 'Fête des orangistes' },
  ],
};

const CLOSURE: Names = { en: 'Department closed', fr: 'Ministère fermé' };
/** Dates' ends a calendar remembers before starting over. */
const ENDS_KEPT = 4_000;

export interface CalendarOptions {
  /** An IANA time zone, e.g. America/Toronto. */
  readonly timeZone: string;
  readonly province: Province;
  /** Days the department is closed besides holidays (the December shutdown, say), as YYYY-MM-DD. */
  readonly closures?: readonly string[];
}

export class Calendar implements DaysOff {
  readonly timeZone: string;
  private readonly engine = new Holidays();
  private readonly rules: readonly (readonly [string, Names])[];
  private readonly closures: ReadonlySet<string>;
  /** Holidays by year: the rules are worked out once a year is first asked about. */
  private readonly years = new Map<number, ReadonlyMap<string, Names>>();
  /** Dates' ends already found (`endOf`): a few years of deadlines. */
  private readonly ends = new Map<string, string>();

  constructor(options: CalendarOptions) {
    if (!IANAZone.isValidZone(options.timeZone)) throw new RangeError(`not a time zone: ${options.timeZone}`);
    this.timeZone = options.timeZone;
    // Stryker disable next-line ArrayDeclaration: no date is spelled like the placeholder a mutant puts here
    this.closures = new Set(options.closures ?? []);
    this.rules = [...FEDERAL, PROVINCIAL[options.province] ?? CIVIC_HOLIDAY];
    for (const [rule, name] of this.rules)
      this.engine.setHoliday(rule, { name: { ...name }, type: 'public' });
  }

  /** The department's date at an instant. */
  dateOf(instant: string | Date): string {
    const at = typeof instant === 'string' ? DateTime.fromISO(instant) : DateTime.fromJSDate(instant);
    if (!at.isValid) throw new RangeError(`not an instant: ${String(instant)}`);
    return at.setZone(this.timeZone).toISODate() as string;
  }

  /** The last instant of a local date, in UTC: what "closes on" a date means (23:59:59 there). */
  endOf(date: string): string {
    // Asked for each request's deadline on every card, wait and report; a date's end never changes.
    let end = this.ends.get(date);
    if (end === undefined) {
      const day = DateTime.fromISO(date, { zone: this.timeZone });
      // Stryker disable next-line Regex: the start anchor is Luxon's too, which reads nothing before a date
      if (!day.isValid || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a date: ${date}`);
      end = day.endOf('day').toUTC().toISO() as string;
      if (this.ends.size >= ENDS_KEPT) this.ends.clear();
      this.ends.set(date, end);
    }
    return end;
  }

  /** Why the department does not work on a date, if it does not (the weekend aside). */
  dayOffName(date: string, locale: 'en' | 'fr'): string | undefined {
    if (this.closures.has(date)) return CLOSURE[locale];
    return this.holidaysOf(Number(date.slice(0, 4))).get(date)?.[locale];
  }

  /** A holiday or a closure: never a business day. */
  has(date: string): boolean {
    return this.dayOffName(date, 'en') !== undefined;
  }

  isBusinessDay(date: string): boolean {
    return !isWeekend(date) && !this.has(date);
  }

  addBusinessDays(date: string, days: number): string {
    return addBusinessDays(date, days, this);
  }

  businessDaysBetween(from: string, to: string): number {
    return businessDaysBetween(from, to, this);
  }

  private holidaysOf(year: number): ReadonlyMap<string, Names> {
    let found = this.years.get(year);
    // Stryker disable next-line ConditionalExpression: working a year out again gives the same days
    if (!found) {
      const days = new Map<string, Names>();
      for (const h of this.engine.getHolidays(year)) {
        const date = h.date.slice(0, 10);
        // A holiday and its day in lieu share a name; the engine names them in English.
        const names = this.rules.find(([, n]) => n.en === h.name)?.[1];
        if (names && !days.has(date)) days.set(date, names);
      }
      found = days;
      this.years.set(year, found);
    }
    return found;
  }
}

/** The one clock: the time `now` gives, read where the department works, on its calendar. */
export interface DepartmentClock {
  now(): Date;
  /** The department's date now. */
  today(): string;
  readonly calendar: Calendar;
}

export function departmentClock(calendar: Calendar, now: () => Date): DepartmentClock {
  return { now, today: () => calendar.dateOf(now()), calendar };
}
