import {
  type ApplicationFigures,
  applicationsKeptUntil,
  SELF_IDENTIFICATION,
  type SelfIdentificationQuestion,
  type SelfIdentificationTotals,
} from './applications';
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
  /** Strictly more than this many different bidders: addresses with a confirmed application. */
  uniqueBiddersMoreThan: 10,
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

/**
 * A self-identification question in aggregate: the share of "yes" among those who answered yes or no,
 * shown only once at least `minimum` did, so that a handful of answers never points at anyone. Hidden,
 * it holds no count at all.
 */
export type SelfIdentificationShare =
  | { readonly shown: true; readonly answered: number; readonly yes: number; readonly share: number }
  | { readonly shown: false; readonly minimum: number };

/** What the store read of the applications to the opportunities summarised (see `applicationsToRead`). */
export interface ApplicationData {
  readonly figures: ApplicationFigures;
  readonly selfIdentification: SelfIdentificationTotals;
  /** A self-identification share is shown once at least this many answered yes or no. */
  readonly selfIdentificationMinCount: number;
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
    /** The supplier's invoice → its payment (delivery → paid for records kept before invoices). */
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
    /**
     * The mean of confirmed applications over the opportunities that reached `closed` (and perhaps went
     * further) whose applications were read: those retention deleted are left out, not counted as none.
     */
    readonly applicationsPerOpportunity: {
      readonly opportunities: number;
      /** Confirmed applications to those opportunities. */
      readonly applications: number;
      readonly average: number | undefined;
      readonly moreThan: number;
      readonly met: boolean | undefined;
    };
    /** Different addresses (whatever their case) with a confirmed application. */
    readonly uniqueBidders: { readonly count: number; readonly moreThan: number; readonly met: boolean };
    readonly timeToPay: {
      readonly medianCalendarDays: number | undefined;
      readonly targetCalendarDays: number;
      readonly met: boolean | undefined;
    };
  };
  /** The applications in aggregate, when they were read: never who. */
  readonly applications?: {
    /** Confirmed applications evaluated, those that passed, and the share that passed (undefined of none). */
    readonly evaluated: number;
    readonly passed: number;
    readonly passedShare: number | undefined;
    readonly selfIdentification: Readonly<Record<SelfIdentificationQuestion, SelfIdentificationShare>>;
  };
}

export interface PipelineOptions {
  readonly reminderBusinessDays: number;
  /** The moment of the summary: a delivery is late once its due date is over. */
  readonly now: string;
  /** The department's calendar: the local date of an instant, the end of a local day, its days off. */
  readonly calendar: DaysOff & { dateOf(instant: string): string; endOf(date: string): string };
  /**
   * What the applications say, read by the caller for `applicationsToRead(records, …)`. Without it no
   * application was read: no bidder, applications per opportunity not measured, no aggregate shown.
   */
  readonly applications?: ApplicationData;
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

function addTo(t: { count: number; valueCents: number }, o: Opportunity): void {
  t.count += 1;
  t.valueCents += o.pricing.fixedPriceCents;
}

const isClosed = (s: Status): s is ClosedStatus => TERMINAL_STATUSES.includes(s);

/**
 * The opportunities whose applications a summary reads: those posted (nobody applies before), less those
 * whose applications retention has deleted by `now` (`retentionDays` after they ended).
 */
export function applicationsToRead(
  records: readonly Opportunity[],
  now: string,
  retentionDays: number,
): string[] {
  return records.filter((o) => readsApplications(o, now, retentionDays)).map((o) => o.reference);
}

/** Whether a summary reads this opportunity's applications (see `applicationsToRead`). */
export function readsApplications(o: Opportunity, now: string, retentionDays: number): boolean {
  if (o.timeline.posted === undefined) return false;
  const until = applicationsKeptUntil(o, retentionDays);
  return until === undefined || Date.parse(now) < Date.parse(until);
}

/**
 * The share of "yes" among those who answered yes or no, hidden when fewer than `minimum` did (and
 * always when nobody did: there is no share of nothing).
 */
export function selfIdentificationShare(
  counts: { readonly yes: number; readonly no: number },
  minimum: number,
): SelfIdentificationShare {
  const answered = counts.yes + counts.no;
  if (answered < Math.max(1, minimum)) return { shown: false, minimum };
  return { shown: true, answered, yes: counts.yes, share: counts.yes / answered };
}

function applicationAggregate(data: ApplicationData): NonNullable<PipelineSummary['applications']> {
  const counts = Object.values(data.figures.perOpportunity);
  const evaluated = counts.reduce((sum, c) => sum + c.evaluated, 0);
  const passed = counts.reduce((sum, c) => sum + c.passed, 0);
  return {
    evaluated,
    passed,
    passedShare: evaluated === 0 ? undefined : passed / evaluated,
    selfIdentification: Object.fromEntries(
      SELF_IDENTIFICATION.map((q) => [
        q,
        selfIdentificationShare(data.selfIdentification[q], data.selfIdentificationMinCount),
      ]),
    ) as Record<SelfIdentificationQuestion, SelfIdentificationShare>,
  };
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

/** Elapsed times, each span counted as it is read: the days, not the moments, are kept. */
class Spans {
  private readonly business: number[] = [];
  private readonly calendarDays: number[] = [];

  constructor(private readonly calendar: PipelineOptions['calendar']) {}

  add(from: string, to: string): void {
    const [a, b] = [this.calendar.dateOf(from), this.calendar.dateOf(to)];
    this.business.push(businessDaysBetween(a, b, this.calendar));
    this.calendarDays.push(daysBetween(a, b));
  }

  measured(): Elapsed {
    return {
      records: this.business.length,
      businessDays: percentiles(this.business),
      calendarDays: percentiles(this.calendarDays),
    };
  }

  against(pilot: { soleSource: number; projected: number }): ElapsedVsPilot {
    return {
      ...this.measured(),
      soleSourceCalendarDays: pilot.soleSource,
      projectedCalendarDays: pilot.projected,
    };
  }
}

export function pipelineSummary(
  records: readonly Opportunity[],
  today: string,
  options: PipelineOptions,
): PipelineSummary {
  const tally = pipelineTally(today, options);
  for (const o of records) tally.add(o);
  return tally.summary(options.applications);
}

/**
 * The summary built one record at a time, keeping only counts and day counts: a department's every
 * request can be read page by page without holding them all (100,000 records would take most of a
 * gigabyte). `summary` gives the same as `pipelineSummary` over the records added.
 */
export function pipelineTally(today: string, options: Omit<PipelineOptions, 'applications'>) {
  // The year and every count of days hang on it: a bad date would turn them all to NaN.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today) || Number.isNaN(Date.parse(today))) {
    throw new RangeError(`not an ISO date: ${today}`);
  }
  const { calendar } = options;
  const year = Number(today.slice(0, 4));

  const total = { count: 0, valueCents: 0 };
  const byStage = tallies(STAGES);
  const byStatus = tallies(OPEN_STATUSES);
  const closed = tallies(CLOSED_STATUSES);
  const waiting: WaitingRequest[] = [];
  const daysIn = Object.fromEntries(OPEN_STATUSES.map((status) => [status, [] as number[]])) as Record<
    OpenStatus,
    number[]
  >;
  const endToEnd = new Spans(calendar);
  const toReceiveWork = new Spans(calendar);
  const toPay = new Spans(calendar);
  const drafting = new Spans(calendar);
  let postedThisYear = 0;
  // Applications closed at `closed`; a record that went further keeps that entry in its timeline.
  const closedReferences: string[] = [];

  function add(o: Opportunity): void {
    if (isClosed(o.status)) {
      addTo(closed[o.status], o);
    } else {
      addTo(total, o);
      addTo(byStage[stageOf(o.status)], o);
      addTo(byStatus[o.status], o);
    }
    // The scheduler reminds whoever a request has waited on for the threshold: list the same waits.
    for (const w of waitsOf(o, options.now, calendar)) {
      const since = calendar.dateOf(w.since);
      const businessDays = businessDaysBetween(since, today, calendar);
      if (businessDays >= options.reminderBusinessDays) {
        waiting.push({ reference: o.reference, title: o.title, wait: w.kind, on: w.on, since, businessDays });
      }
    }
    for (const status of OPEN_STATUSES) {
      const entered = o.timeline[status];
      const left = leftAt(o, status);
      if (entered && left)
        daysIn[status].push(businessDaysBetween(calendar.dateOf(entered), calendar.dateOf(left), calendar));
    }
    if (o.draftStartedAt) drafting.add(o.draftStartedAt, o.createdAt);
    // From the first submission: a resubmission moves timeline.submitted, never createdAt. Only a paid
    // record has a payment date.
    const { delivered, accepted, paid } = o.timeline;
    if (paid) endToEnd.add(o.createdAt, paid);
    if (delivered && accepted) toReceiveWork.add(o.createdAt, delivered);
    // The pilot measured the time to pay from the supplier's invoice; records paid before invoices were
    // kept count from the delivery.
    const invoice = o.finance.invoice;
    if (invoice && o.finance.paymentDate)
      toPay.add(calendar.endOf(invoice.date), calendar.endOf(o.finance.paymentDate));
    else if (delivered && paid) toPay.add(delivered, paid);
    if (o.timeline.posted && Number(calendar.dateOf(o.timeline.posted).slice(0, 4)) === year)
      postedThisYear += 1;
    if (o.timeline.closed) closedReferences.push(o.reference);
  }

  function summary(applicationData?: ApplicationData): PipelineSummary {
    waiting.sort(
      (a, b) =>
        b.businessDays - a.businessDays ||
        a.since.localeCompare(b.since) ||
        a.reference.localeCompare(b.reference) ||
        a.wait.localeCompare(b.wait),
    );
    const timeInStatus = Object.fromEntries(
      OPEN_STATUSES.map((status) => [
        status,
        { records: daysIn[status].length, businessDays: percentiles(daysIn[status]) },
      ]),
    ) as Record<OpenStatus, TimeInStatus>;
    const soleSource = PILOT_BASELINES.soleSource;
    const projected = PILOT_BASELINES.microAcquisitionProjected;
    const toPayElapsed = toPay.against({
      soleSource: soleSource.toPayCalendarDays,
      projected: projected.toPayCalendarDays,
    });
    const perOpportunity = applicationData?.figures.perOpportunity ?? {};
    const closedApplications = closedReferences.flatMap((reference) => {
      const counts = perOpportunity[reference];
      return counts ? [counts] : [];
    });
    const applications = closedApplications.reduce((sum, c) => sum + c.confirmed, 0);
    const average = closedApplications.length === 0 ? undefined : applications / closedApplications.length;
    const bidders = applicationData?.figures.uniqueBidders ?? 0;
    const timeToPayTarget = soleSource.toPayCalendarDays * (1 - PILOT_TARGETS.timeToPayDecrease);
    const payMedian = toPayElapsed.calendarDays.median;

    return {
      today,
      open: { total, byStage, byStatus },
      closed,
      waiting,
      timeInStatus,
      elapsed: {
        endToEnd: endToEnd.against({
          soleSource: soleSource.endToEndCalendarDays,
          projected: projected.endToEndCalendarDays,
        }),
        toReceiveWork: toReceiveWork.against({
          soleSource: soleSource.toReceiveWorkCalendarDays,
          projected: projected.toReceiveWorkCalendarDays,
        }),
        toPay: toPayElapsed,
        draftToSubmission: drafting.measured(),
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
        uniqueBidders: {
          count: bidders,
          moreThan: PILOT_TARGETS.uniqueBiddersMoreThan,
          met: bidders > PILOT_TARGETS.uniqueBiddersMoreThan,
        },
        timeToPay: {
          medianCalendarDays: payMedian,
          targetCalendarDays: timeToPayTarget,
          // Stryker disable next-line EqualityOperator: a median of whole days never equals the 15.5-day target
          met: payMedian === undefined ? undefined : payMedian <= timeToPayTarget,
        },
      },
      ...(applicationData ? { applications: applicationAggregate(applicationData) } : {}),
    };
  }

  return { add, summary };
}
