import { businessDaysBetween, type DaysOff, daysBetween } from './business-days';
import { type Opportunity, type Status, STATUSES, stageOf, TERMINAL_STATUSES } from './opportunity';
import { type Party, type WaitKind, waitsOf } from './waits';

/**
 * The pipeline report managers ask for (DOMAIN.md, "Measures the pilot tracked"): what is open at each
 * tracker stage, who is holding what up, how long each status takes, and how the service measures up to
 * the pilot's baselines and targets. Pure: the caller brings the records and the date.
 */

/** The pilot tracker's stage column. */
export type Stage = ReturnType<typeof stageOf>;
export const STAGES: readonly Stage[] = [1, 2, 3, 4, 5];

/** The terminal statuses, as a type; the list itself is TERMINAL_STATUSES. */
export type ClosedStatus = 'paid' | 'terminated' | 'rejected' | 'cancelled';
export type OpenStatus = Exclude<Status, ClosedStatus>;
export const CLOSED_STATUSES = TERMINAL_STATUSES as readonly ClosedStatus[];
export const OPEN_STATUSES = STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s)) as readonly OpenStatus[];

/** The pilot's elapsed times, in calendar days: it counted days on the calendar, not business days. */
export const PILOT_BASELINES = {
  soleSource: { endToEndCalendarDays: 57, toReceiveWorkCalendarDays: 26, toPayCalendarDays: 31 },
  microAcquisitionProjected: {
    endToEndCalendarDays: 30,
    toReceiveWorkCalendarDays: 23,
    toPayCalendarDays: 7,
  },
} as const;

export const PILOT_TARGETS = {
  opportunitiesPostedPerYear: 10,
  /** Strictly more than this many applications per opportunity. */
  applicationsPerOpportunityMoreThan: 1,
  /** Strictly more than this many different suppliers. */
  uniqueSuppliersMoreThan: 10,
  /** Half the sole-source time to pay. */
  timeToPayDecrease: 0.5,
} as const;

export interface Tally {
  readonly count: number;
  /** Sum of the fixed prices, in cents. */
  readonly valueCents: number;
}

/** Both undefined when there is nothing to measure. */
export interface Percentiles {
  readonly median: number | undefined;
  readonly p90: number | undefined;
}

export interface TimeInStatus {
  /** Records that left the status: the sample. */
  readonly records: number;
  readonly businessDays: Percentiles;
}

export interface Elapsed {
  readonly records: number;
  readonly businessDays: Percentiles;
  readonly calendarDays: Percentiles;
}

/** A measure beside the pilot's figures for it, which are calendar days. */
export interface ElapsedVsPilot extends Elapsed {
  readonly soleSourceCalendarDays: number;
  readonly projectedCalendarDays: number;
}

export interface WaitingRequest {
  readonly reference: string;
  readonly title: string;
  readonly wait: WaitKind;
  readonly on: readonly Party[];
  /** Local ISO date the wait began. */
  readonly since: string;
  readonly businessDays: number;
}

export interface PipelineSummary {
  readonly today: string;
  readonly open: {
    readonly total: Tally;
    readonly byStage: Readonly<Record<Stage, Tally>>;
    readonly byStatus: Readonly<Record<OpenStatus, Tally>>;
  };
  /** Outcomes of the records that reached a terminal status. */
  readonly closed: Readonly<Record<ClosedStatus, Tally>>;
  /** Longest wait first. */
  readonly waiting: readonly WaitingRequest[];
  readonly timeInStatus: Readonly<Record<OpenStatus, TimeInStatus>>;
  readonly elapsed: {
    /** First submission → paid, for paid records. */
    readonly endToEnd: ElapsedVsPilot;
    /** First submission → the delivery that was accepted. */
    readonly toReceiveWork: ElapsedVsPilot;
    /** Delivery → paid, for paid records. */
    readonly toPay: ElapsedVsPilot;
    /** Starting the draft → its first submission: the pilot's opportunity text alone took 23 days. */
    readonly draftToSubmission: Elapsed;
  };
  readonly targets: {
    readonly postedThisYear: {
      readonly year: number;
      readonly count: number;
      readonly target: number;
      readonly met: boolean;
    };
    readonly applicationsPerOpportunity: {
      /** Posted opportunities whose applications closed. */
      readonly opportunities: number;
      readonly applications: number;
      readonly average: number | undefined;
      readonly moreThan: number;
      readonly met: boolean | undefined;
    };
    readonly uniqueSuppliers: { readonly count: number; readonly moreThan: number; readonly met: boolean };
    readonly timeToPay: {
      readonly medianCalendarDays: number | undefined;
      readonly targetCalendarDays: number;
      readonly met: boolean | undefined;
    };
  };
}

export interface PipelineOptions {
  readonly reminderBusinessDays: number;
  /** The moment of the summary: a delivery is late once its due date is over. */
  readonly now: string;
  /** The department's calendar: the local date of an instant, the end of a local day, its days off. */
  readonly calendar: DaysOff & { dateOf(instant: string): string; endOf(date: string): string };
}

/**
 * Nearest-rank percentile: the smallest observed value with at least p % of the values at or below it,
 * i.e. the value at rank ⌈p/100 × n⌉ (1-based) of the sorted values. It is always a day count that
 * happened, never an interpolation; the median of [2, 4] is 2.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  // Of no values, rank 1 is nothing: undefined.
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function percentiles(values: readonly number[]): Percentiles {
  return { median: percentile(values, 50), p90: percentile(values, 90) };
}

function tallies<K extends string | number>(
  keys: readonly K[],
): Record<K, { count: number; valueCents: number }> {
  return Object.fromEntries(keys.map((k) => [k, { count: 0, valueCents: 0 }])) as Record<
    K,
    { count: number; valueCents: number }
  >;
}

function add(t: { count: number; valueCents: number }, o: Opportunity): void {
  t.count += 1;
  t.valueCents += o.pricing.fixedPriceCents;
}

const isClosed = (s: Status): s is ClosedStatus => TERMINAL_STATUSES.includes(s);

/** A supplier's name as it tells suppliers apart: spacing and case aside. */
function supplierKey(name: string): string {
  // Stryker disable next-line MethodExpression: upper or lower, the names compare the same
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * When the record left `status`: the earliest later entry in its timeline. The timeline keeps only the
 * latest entry into each status, so a status entered twice counts its latest stay, and a stay followed by
 * a status that was entered again later (a supplier who declined, revisions) runs to the next entry kept.
 */
function leftAt(o: Opportunity, status: Status): string | undefined {
  const entered = o.timeline[status];
  if (!entered) return undefined;
  const from = Date.parse(entered);
  const later = Object.values(o.timeline)
    .map((at) => Date.parse(at))
    .filter((t) => t > from);
  return later.length > 0 ? new Date(Math.min(...later)).toISOString() : undefined;
}

function spansOf(
  spans: readonly (readonly [string, string])[],
  calendar: PipelineOptions['calendar'],
): Elapsed {
  const dates = spans.map(([from, to]) => [calendar.dateOf(from), calendar.dateOf(to)] as const);
  return {
    records: spans.length,
    businessDays: percentiles(dates.map(([from, to]) => businessDaysBetween(from, to, calendar))),
    calendarDays: percentiles(dates.map(([from, to]) => daysBetween(from, to))),
  };
}

function elapsed(
  spans: readonly (readonly [string, string])[],
  calendar: PipelineOptions['calendar'],
  pilot: { soleSource: number; projected: number },
): ElapsedVsPilot {
  return {
    ...spansOf(spans, calendar),
    soleSourceCalendarDays: pilot.soleSource,
    projectedCalendarDays: pilot.projected,
  };
}

export function pipelineSummary(
  records: readonly Opportunity[],
  today: string,
  options: PipelineOptions,
): PipelineSummary {
  // The year and every count of days hang on it: a bad date would turn them all to NaN.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(Date.parse(today))) {
    throw new RangeError(`not an ISO date: ${today}`);
  }
  const { calendar } = options;

  const total = { count: 0, valueCents: 0 };
  const byStage = tallies(STAGES);
  const byStatus = tallies(OPEN_STATUSES);
  const closed = tallies(CLOSED_STATUSES);
  for (const o of records) {
    if (isClosed(o.status)) {
      add(closed[o.status], o);
    } else {
      add(total, o);
      add(byStage[stageOf(o.status)], o);
      add(byStatus[o.status], o);
    }
  }

  // The scheduler reminds whoever a request has waited on for the threshold: list the same waits.
  const waiting: WaitingRequest[] = [];
  for (const o of records) {
    for (const w of waitsOf(o, options.now, calendar)) {
      const since = calendar.dateOf(w.since);
      const businessDays = businessDaysBetween(since, today, calendar);
      if (businessDays >= options.reminderBusinessDays) {
        waiting.push({ reference: o.reference, title: o.title, wait: w.kind, on: w.on, since, businessDays });
      }
    }
  }
  waiting.sort(
    (a, b) =>
      b.businessDays - a.businessDays ||
      a.since.localeCompare(b.since) ||
      a.reference.localeCompare(b.reference) ||
      a.wait.localeCompare(b.wait),
  );

  const timeInStatus = Object.fromEntries(
    OPEN_STATUSES.map((status) => {
      const days: number[] = [];
      for (const o of records) {
        const entered = o.timeline[status];
        const left = leftAt(o, status);
        if (entered && left)
          days.push(businessDaysBetween(calendar.dateOf(entered), calendar.dateOf(left), calendar));
      }
      return [status, { records: days.length, businessDays: percentiles(days) }];
    }),
  ) as Record<OpenStatus, TimeInStatus>;

  const endToEnd: (readonly [string, string])[] = [];
  const toReceiveWork: (readonly [string, string])[] = [];
  const toPay: (readonly [string, string])[] = [];
  const drafting: (readonly [string, string])[] = [];
  for (const o of records) {
    if (o.draftStartedAt) drafting.push([o.draftStartedAt, o.createdAt]);
    // From the first submission: a resubmission moves timeline.submitted, never createdAt. Only a paid
    // record has a payment date.
    const { delivered, accepted, paid } = o.timeline;
    if (paid) endToEnd.push([o.createdAt, paid]);
    if (delivered && accepted) toReceiveWork.push([o.createdAt, delivered]);
    if (delivered && paid) toPay.push([delivered, paid]);
  }
  const soleSource = PILOT_BASELINES.soleSource;
  const projected = PILOT_BASELINES.microAcquisitionProjected;
  const toPayElapsed = elapsed(toPay, calendar, {
    soleSource: soleSource.toPayCalendarDays,
    projected: projected.toPayCalendarDays,
  });

  const year = Number(today.slice(0, 4));
  const postedThisYear = records.filter(
    (o) => o.timeline.posted && Number(calendar.dateOf(o.timeline.posted).slice(0, 4)) === year,
  ).length;
  const closedApplications = records.filter((o) => o.timeline.closed);
  const applications = closedApplications.reduce((sum, o) => sum + (o.selection.applications ?? 0), 0);
  const average = closedApplications.length === 0 ? undefined : applications / closedApplications.length;
  const suppliers = new Set(
    records.map((o) => supplierKey(o.selection.supplierName ?? '')).filter((name) => name !== ''),
  );
  const timeToPayTarget = soleSource.toPayCalendarDays * (1 - PILOT_TARGETS.timeToPayDecrease);
  const payMedian = toPayElapsed.calendarDays.median;

  return {
    today,
    open: { total, byStage, byStatus },
    closed,
    waiting,
    timeInStatus,
    elapsed: {
      endToEnd: elapsed(endToEnd, calendar, {
        soleSource: soleSource.endToEndCalendarDays,
        projected: projected.endToEndCalendarDays,
      }),
      toReceiveWork: elapsed(toReceiveWork, calendar, {
        soleSource: soleSource.toReceiveWorkCalendarDays,
        projected: projected.toReceiveWorkCalendarDays,
      }),
      toPay: toPayElapsed,
      draftToSubmission: spansOf(drafting, calendar),
    },
    targets: {
      postedThisYear: {
        year,
        count: postedThisYear,
        target: PILOT_TARGETS.opportunitiesPostedPerYear,
        met: postedThisYear >= PILOT_TARGETS.opportunitiesPostedPerYear,
      },
      applicationsPerOpportunity: {
        opportunities: closedApplications.length,
        applications,
        average,
        moreThan: PILOT_TARGETS.applicationsPerOpportunityMoreThan,
        met: average === undefined ? undefined : average > PILOT_TARGETS.applicationsPerOpportunityMoreThan,
      },
      uniqueSuppliers: {
        count: suppliers.size,
        moreThan: PILOT_TARGETS.uniqueSuppliersMoreThan,
        met: suppliers.size > PILOT_TARGETS.uniqueSuppliersMoreThan,
      },
      timeToPay: {
        medianCalendarDays: payMedian,
        targetCalendarDays: timeToPayTarget,
        // Stryker disable next-line EqualityOperator: a median of whole days never equals the 15.5-day target
        met: payMedian === undefined ? undefined : payMedian <= timeToPayTarget,
      },
    },
  };
}
