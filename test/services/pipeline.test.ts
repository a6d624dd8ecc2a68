import { strict as assert } from 'node:assert';
import {
  type Application,
  type ApplicationFigures,
  applicationFiguresOf,
  type SelfIdentificationTotals,
} from '../../src/services/applications';
import { type Opportunity, type Status, TERMINAL_STATUSES } from '../../src/services/opportunity';
import {
  type ApplicationData,
  applicationsToRead,
  CLOSED_STATUSES,
  OPEN_STATUSES,
  percentile,
  PILOT_BASELINES,
  pipelineSummary,
  type PipelineSummary,
  selfIdentificationShare,
} from '../../src/services/pipeline';
import { CALENDAR, INVOICE, submitted } from '../support/opportunities';

/**
 * A hand-made pipeline on Monday 2026-11-23, reminders after 3 business days, with one holiday
 * (Wednesday 2026-11-11). Every step happens at 14:00 UTC, so only dates matter.
 *
 * open    A submitted        $4,000  since Mon 11-16: waits 5 business days on procurement
 *         B in_approval      $2,500  funds pending since Wed 11-18: waits 3 (= the threshold) on finance
 *         C in_approval      $3,000  funds approved, consultation open: waits on no one
 *         D submitted        $1,500  since Fri 11-20: 1 business day, under the threshold
 *         M supplier_selected $3,500 supplier "ADA DEV"
 *         E posted           $5,000
 *         F in_progress      $6,000  supplier "Ada Dev"
 *         L accepted         $9,000  supplier "Cloud Nine", 2 applications
 * closed  G paid             $7,000  supplier "ada  dev ", 4 applications
 *         H paid             $8,000  sent back for changes once; supplier "Byte Co", 1 application
 *         K terminated       $4,500  supplier "Code Shop", 2 applications
 *         I rejected         $2,000
 *         J cancelled        $3,200  posted in 2025, no application (no award)
 *
 * The applications are what the store counted (APPLICATIONS): E, still posted, has 3 confirmed; 7
 * different addresses applied in all, though only 4 suppliers won.
 */
const TODAY = '2026-11-23';
const HOLIDAY = '2026-11-11';
/** Ottawa's dates, and only the one holiday of the hand-made pipeline. */
const dateOf = (instant: string) => CALENDAR.dateOf(instant);
const endOf = (date: string) => CALENDAR.endOf(date);
const OPTIONS = {
  reminderBusinessDays: 3,
  now: `${TODAY}T15:00:00.000Z`,
  calendar: { dateOf, endOf, has: (d: string) => d === HOLIDAY },
};

const at = (date: string) => `${date}T14:00:00.000Z`;

function record(
  reference: string,
  status: Status,
  valueCents: number,
  entered: Partial<Record<Status, string>>,
  extra: Partial<Opportunity> = {},
): Opportunity {
  const base = submitted(reference);
  const timeline = Object.fromEntries(Object.entries(entered).map(([s, date]) => [s, at(date)]));
  return {
    ...base,
    status,
    pricing: { ...base.pricing, fixedPriceCents: valueCents },
    timeline,
    ...(entered.submitted ? { createdAt: at(entered.submitted) } : {}),
    ...extra,
  };
}

function withSupplier(o: Opportunity, supplierName: string, applications?: number): Opportunity {
  return { ...o, selection: { ...o.selection, supplierName, applications } };
}

function withApplications(o: Opportunity, applications: number): Opportunity {
  return { ...o, selection: { ...o.selection, applications } };
}

const A = record('MA-2026-0001', 'submitted', 400_000, { submitted: '2026-11-16' });
const B = record('MA-2026-0002', 'in_approval', 250_000, {
  submitted: '2026-11-09',
  in_approval: '2026-11-18',
});
const C = record(
  'MA-2026-0003',
  'in_approval',
  300_000,
  { submitted: '2026-11-19', in_approval: '2026-11-20' },
  { finance: { fundsStatus: 'approved' }, consultation: { status: 'open' } },
);
const D = record('MA-2026-0004', 'submitted', 150_000, { submitted: '2026-11-20' });
const E = record('MA-2026-0005', 'posted', 500_000, {
  submitted: '2026-10-05',
  in_approval: '2026-10-07',
  posted: '2026-10-19',
});
// Only the entry of their status: they add to the counts, not to the times.
const F = withSupplier(
  record('MA-2026-0006', 'in_progress', 600_000, { in_progress: '2026-11-02' }),
  'Ada Dev',
);
const M = withSupplier(
  record('MA-2026-0013', 'supplier_selected', 350_000, { supplier_selected: '2026-11-19' }),
  'ADA DEV',
);
const G = withSupplier(
  record('MA-2026-0007', 'paid', 700_000, {
    submitted: '2026-08-03',
    in_approval: '2026-08-05',
    posted: '2026-08-17',
    closed: '2026-08-31',
    supplier_selected: '2026-09-02',
    in_progress: '2026-09-04',
    delivered: '2026-09-25',
    accepted: '2026-09-29',
    certified: '2026-10-01',
    paid: '2026-10-06',
  }),
  'ada  dev ',
  4,
);
// Sent back on 06-03 and resubmitted on 06-08: timeline.submitted moved, createdAt kept the first day.
const H = withSupplier(
  record(
    'MA-2026-0008',
    'paid',
    800_000,
    {
      changes_requested: '2026-06-03',
      submitted: '2026-06-08',
      in_approval: '2026-06-10',
      posted: '2026-06-15',
      closed: '2026-06-29',
      supplier_selected: '2026-07-01',
      in_progress: '2026-07-03',
      delivered: '2026-07-24',
      accepted: '2026-07-27',
      certified: '2026-07-29',
      paid: '2026-08-05',
    },
    { createdAt: at('2026-06-01') },
  ),
  'Byte Co',
  1,
);
const I = record('MA-2026-0009', 'rejected', 200_000, { submitted: '2026-11-02', rejected: '2026-11-04' });
const J = withApplications(
  record('MA-2025-0010', 'cancelled', 320_000, {
    submitted: '2025-11-03',
    in_approval: '2025-11-05',
    posted: '2025-11-17',
    closed: '2025-12-01',
    cancelled: '2025-12-02',
  }),
  0,
);
const K = withSupplier(
  record('MA-2026-0011', 'terminated', 450_000, {
    submitted: '2026-07-06',
    in_approval: '2026-07-08',
    posted: '2026-07-13',
    closed: '2026-07-27',
    supplier_selected: '2026-07-29',
    in_progress: '2026-07-31',
    terminated: '2026-09-30',
  }),
  'Code Shop',
  2,
);
const L = withSupplier(
  record('MA-2026-0012', 'accepted', 900_000, {
    submitted: '2026-09-14',
    in_approval: '2026-09-16',
    posted: '2026-09-21',
    closed: '2026-10-05',
    supplier_selected: '2026-10-07',
    in_progress: '2026-10-09',
    delivered: '2026-11-13',
    accepted: '2026-11-17',
  }),
  'Cloud Nine',
  2,
);

// B before A: the waiting list must sort them, not keep this order.
const RECORDS = [B, A, C, D, E, F, M, G, H, I, J, K, L];

const NOBODY = { yes: 0, no: 0, unsaid: 0 };
const NO_ANSWERS: SelfIdentificationTotals = {
  newToGovernment: NOBODY,
  outsideNcr: NOBODY,
  equityGroup: NOBODY,
};
const counted = (confirmed: number, evaluated = confirmed, passed = 0) => ({ confirmed, evaluated, passed });
/** What the store read of the posted records' applications. */
const APPLICATIONS: ApplicationData = {
  figures: {
    uniqueBidders: 7,
    perOpportunity: {
      [E.reference]: counted(3, 0),
      [G.reference]: counted(4, 4, 3),
      [H.reference]: counted(1, 1, 1),
      [J.reference]: counted(0),
      [K.reference]: counted(2, 2, 1),
      [L.reference]: counted(2, 2, 1),
    },
  },
  selfIdentification: {
    newToGovernment: { yes: 6, no: 4, unsaid: 2 },
    outsideNcr: { yes: 5, no: 4, unsaid: 3 },
    equityGroup: NOBODY,
  },
  selfIdentificationMinCount: 10,
};
const WITH_APPLICATIONS = { ...OPTIONS, applications: APPLICATIONS };

/** Applications as a store holds them, to count: `confirmed` says whether the link was followed. */
const applied = (
  reference: string,
  email: string,
  confirmed: boolean,
  result?: 'pass' | 'fail',
): Pick<Application, 'reference' | 'email' | 'confirmedAt' | 'evaluation'> => ({
  reference,
  email,
  ...(confirmed ? { confirmedAt: at('2026-10-01') } : {}),
  ...(result
    ? {
        evaluation: {
          result,
          rationale: 'Read against the criterion.',
          by: { aadObjectId: 'evaluator', name: 'Sam Okafor' },
          at: at('2026-10-06'),
        },
      }
    : {}),
});

describe('pipeline summary', () => {
  const summary = pipelineSummary(RECORDS, TODAY, WITH_APPLICATIONS);

  it('counts open requests and their value per tracker stage', () => {
    assert.deepEqual(summary.open.byStage, {
      1: { count: 4, valueCents: 1_100_000 }, // A 400,000 + B 250,000 + C 300,000 + D 150,000
      2: { count: 1, valueCents: 350_000 }, // M
      3: { count: 1, valueCents: 500_000 }, // E
      4: { count: 1, valueCents: 600_000 }, // F
      5: { count: 1, valueCents: 900_000 }, // L
    });
    // 1,100,000 + 350,000 + 500,000 + 600,000 + 900,000
    assert.deepEqual(summary.open.total, { count: 8, valueCents: 3_450_000 });
  });

  it('counts open requests and their value per status, with every open status present', () => {
    const zero = { count: 0, valueCents: 0 };
    assert.deepEqual(summary.open.byStatus, {
      draft: zero,
      submitted: { count: 2, valueCents: 550_000 }, // A 400,000 + D 150,000
      changes_requested: zero,
      in_approval: { count: 2, valueCents: 550_000 }, // B 250,000 + C 300,000
      posted: { count: 1, valueCents: 500_000 },
      closed: zero,
      supplier_selected: { count: 1, valueCents: 350_000 },
      in_progress: { count: 1, valueCents: 600_000 },
      delivered: zero,
      accepted: { count: 1, valueCents: 900_000 },
      certified: zero,
    });
  });

  it('counts terminal records apart, as outcomes', () => {
    assert.deepEqual(summary.closed, {
      paid: { count: 2, valueCents: 1_500_000 }, // G 700,000 + H 800,000
      terminated: { count: 1, valueCents: 450_000 },
      rejected: { count: 1, valueCents: 200_000 },
      cancelled: { count: 1, valueCents: 320_000 },
    });
  });

  it('lists every wait held for the reminder threshold or longer, longest first, with whom it is on', () => {
    const waited = (o: Opportunity, wait: string, on: string[], since: string, businessDays: number) => ({
      reference: o.reference,
      title: o.title,
      wait,
      on,
      since,
      businessDays,
    });
    assert.deepEqual(summary.waiting, [
      // Mon 11-16 → Mon 11-23: 17, 18, 19, 20, 23 = 5
      waited(A, 'vetting', ['procurement'], '2026-11-16', 5),
      // L accepted Tue 11-17: finance waits for the supplier's invoice 18, 19, 20, 23 = 4
      waited(L, 'invoice', ['finance'], '2026-11-17', 4),
      // Wed 11-18 → Mon 11-23: 19, 20, 23 = 3, the threshold: the funds and the translation check both
      waited(B, 'funds', ['finance'], '2026-11-18', 3),
      waited(B, 'translation', ['procurement'], '2026-11-18', 3),
    ]);
    // C waits on no one past the threshold; D has waited 1 business day (Fri 11-20 → Mon 11-23).
  });

  it('gives the median and 90th percentile of business days spent in each status', () => {
    const stats = (records: number, median?: number, p90?: number) => ({
      records,
      businessDays: { median, p90 },
    });
    assert.deepEqual(summary.timeInStatus, {
      draft: stats(0),
      // B 11-09 → 11-18 = 6 (10, 12, 13, 16, 17, 18: the 11th is a holiday); C 11-19 → 11-20 = 1;
      // E, G, H (06-08 → 06-10, its latest stay), I, J, K, L: 2 each.
      // Sorted [1, 2, 2, 2, 2, 2, 2, 2, 6]: median rank ⌈4.5⌉ = 5 → 2; p90 rank ⌈8.1⌉ = 9 → 6
      submitted: stats(9, 2, 6),
      // H 06-03 → 06-08 (its resubmission): 4, 5, 8 = 3
      changes_requested: stats(1, 3, 3),
      // E 10-07 → 10-19 = 8, G 08-05 → 08-17 = 8, J 2025-11-05 → 11-17 = 8,
      // H 06-10 → 06-15 = 3, K 07-08 → 07-13 = 3, L 09-16 → 09-21 = 3 (B, C still there)
      // Sorted [3, 3, 3, 8, 8, 8]: median rank 3 → 3; p90 rank ⌈5.4⌉ = 6 → 8
      in_approval: stats(6, 3, 8),
      // G, H, J, K, L: two weeks each = 10 (E still posted)
      posted: stats(5, 10, 10),
      // J 12-01 → cancelled 12-02 = 1; G, H, K, L: Mon → Wed = 2. [1, 2, 2, 2, 2]: ranks 3 and 5 → 2, 2
      closed: stats(5, 2, 2),
      // G, H, K, L: Wed → Fri = 2 (M still there)
      supplier_selected: stats(4, 2, 2),
      // G 09-04 → 09-25 = 15, H 07-03 → 07-24 = 15, L 10-09 → 11-13 = 25 − the holiday = 24,
      // K 07-31 → terminated 09-30 = 21 (Aug) + 22 (Sep) = 43.
      // Sorted [15, 15, 24, 43]: median rank 2 → 15; p90 rank ⌈3.6⌉ = 4 → 43
      in_progress: stats(4, 15, 43),
      // H Fri 07-24 → Mon 07-27 = 1; G Fri 09-25 → Tue 09-29 = 2; L Fri 11-13 → Tue 11-17 = 2.
      // Sorted [1, 2, 2]: median rank 2 → 2; p90 rank 3 → 2
      delivered: stats(3, 2, 2),
      // G 09-29 → 10-01 = 2, H 07-27 → 07-29 = 2 (L still there)
      accepted: stats(2, 2, 2),
      // G Thu 10-01 → Tue 10-06 = 3 (2, 5, 6); H Wed 07-29 → Wed 08-05 = 5 (30, 31, 3, 4, 5).
      // [3, 5]: median rank 1 → 3; p90 rank 2 → 5
      certified: stats(2, 3, 5),
    });
  });

  it('measures end to end from the first submission to payment, in calendar and business days', () => {
    // G Mon 08-03 → Tue 10-06: calendar 28 (Aug) + 30 (Sep) + 6 = 64; business 20 + 22 + 4 = 46.
    // H from its first submission Mon 06-01 (createdAt; the resubmission was 06-08) → Wed 08-05:
    // calendar 29 + 31 + 5 = 65; business 21 + 23 + 3 = 47.
    assert.deepEqual(summary.elapsed.endToEnd, {
      records: 2,
      calendarDays: { median: 64, p90: 65 },
      businessDays: { median: 46, p90: 47 },
      soleSourceCalendarDays: 57,
      projectedCalendarDays: 30,
    });
  });

  it('splits the time as the pilot did: to receive the work and to pay', () => {
    // To receive (accepted work): G 08-03 → 09-25: calendar 28 + 25 = 53, business 20 + 19 = 39;
    // H 06-01 → 07-24: calendar 29 + 24 = 53, business 21 + 18 = 39;
    // L 09-14 → 11-13: calendar 16 + 31 + 13 = 60, business 12 + 22 + 9 (10 − the holiday) = 43.
    // Calendar [53, 53, 60] → median rank 2 = 53, p90 rank 3 = 60; business [39, 39, 43] → 39, 43.
    assert.deepEqual(summary.elapsed.toReceiveWork, {
      records: 3,
      calendarDays: { median: 53, p90: 60 },
      businessDays: { median: 39, p90: 43 },
      soleSourceCalendarDays: 26,
      projectedCalendarDays: 23,
    });
    // To pay (paid): G Fri 09-25 → Tue 10-06: calendar 5 + 6 = 11, business 3 + 4 = 7;
    // H Fri 07-24 → Wed 08-05: calendar 7 + 5 = 12, business 5 + 3 = 8.
    assert.deepEqual(summary.elapsed.toPay, {
      records: 2,
      calendarDays: { median: 11, p90: 12 },
      businessDays: { median: 7, p90: 8 },
      soleSourceCalendarDays: 31,
      projectedCalendarDays: 7,
    });
  });

  it('counts the time to pay from the supplier’s invoice to its payment, as the pilot did', () => {
    const invoiced = {
      ...record('MA-2026-0901', 'paid', 400_000, {
        submitted: '2026-06-01',
        delivered: '2026-09-01',
        paid: '2026-10-06',
      }),
    };
    const o = {
      ...invoiced,
      finance: {
        ...invoiced.finance,
        invoice: { ...INVOICE, date: '2026-09-28' },
        paymentDate: '2026-10-02',
      },
    };
    // Mon 09-28 → Fri 10-02: 4 calendar days, 4 business days (not from the delivery of 09-01).
    const { toPay } = pipelineSummary([o], TODAY, OPTIONS).elapsed;
    assert.deepEqual([toPay.records, toPay.calendarDays.median, toPay.businessDays.median], [1, 4, 4]);
  });

  it('sets the pilot targets beside what was achieved', () => {
    assert.deepEqual(summary.targets, {
      // Posted in 2026: E, G, H, K, L = 5 (J was posted in 2025)
      postedThisYear: { year: 2026, count: 5, target: 10, met: false },
      // Confirmed applications where they closed: G 4 + H 1 + J 0 + K 2 + L 2 = 9 over 5 = 1.8 > 1;
      // E's 3 wait for its close.
      applicationsPerOpportunity: { opportunities: 5, applications: 9, average: 1.8, moreThan: 1, met: true },
      // The bidders the store counted, not the 4 suppliers who won
      uniqueBidders: { count: 7, moreThan: 10, met: false },
      // Half the sole-source 31 days = 15.5; the median to pay is 11 calendar days
      timeToPay: { medianCalendarDays: 11, targetCalendarDays: 15.5, met: true },
    });
  });

  /** The targets of a pipeline of `n` records, the i-th made by `make`, with what the store counted. */
  const targetsOf = (
    n: number,
    make: (reference: string, i: number) => Opportunity,
    figures?: ApplicationFigures,
  ) =>
    pipelineSummary(
      Array.from({ length: n }, (_, i) => make(`MA-2026-${String(i + 1).padStart(4, '0')}`, i)),
      TODAY,
      figures ? { ...OPTIONS, applications: { ...APPLICATIONS, figures } } : OPTIONS,
    ).targets;
  const referenceOf = (i: number) => `MA-2026-${String(i + 1).padStart(4, '0')}`;

  it('meets the posting target at exactly ten opportunities posted this year', () => {
    const posted = (reference: string) => record(reference, 'posted', 100_000, { posted: '2026-03-02' });
    assert.deepEqual(
      [9, 10].map((n) => targetsOf(n, posted).postedThisYear.met),
      [false, true],
    );
  });

  it('needs more than one confirmed application per opportunity on average: exactly one is not enough', () => {
    const closedWith = (...counts: number[]) =>
      targetsOf(
        counts.length,
        (reference) => record(reference, 'closed', 100_000, { closed: '2026-11-02' }),
        {
          uniqueBidders: 0,
          perOpportunity: Object.fromEntries(counts.map((c, i) => [referenceOf(i), counted(c, 0)])),
        },
      ).applicationsPerOpportunity;
    assert.deepEqual([closedWith(1, 1).average, closedWith(1, 1).met], [1, false]);
    assert.deepEqual([closedWith(1, 2).average, closedWith(1, 2).met], [1.5, true]);
  });

  it('averages applications over the opportunities that closed, leaving out those whose applications were not read', () => {
    const two = counted(2, 0);
    const targets = targetsOf(
      3,
      (reference, i) =>
        i === 2
          ? record(reference, 'posted', 1, { posted: '2026-11-02' })
          : record(reference, 'paid', 1, { closed: '2026-06-01', paid: '2026-08-01' }),
      // The second paid record's applications were deleted by retention: not asked for, not counted as 0.
      { uniqueBidders: 2, perOpportunity: { [referenceOf(0)]: two, [referenceOf(2)]: two } },
    ).applicationsPerOpportunity;
    assert.deepEqual(targets, { opportunities: 1, applications: 2, average: 2, moreThan: 1, met: true });
  });

  it('needs more than ten different bidders: ten is not enough', () => {
    const working = (reference: string) => record(reference, 'in_progress', 1, {});
    assert.deepEqual(
      [10, 11].map((n) => targetsOf(1, working, { uniqueBidders: n, perOpportunity: {} }).uniqueBidders.met),
      [false, true],
    );
  });

  it('counts bidders, not winners: an address applying twice in different case is one bidder', () => {
    const references = ['MA-2026-0001', 'MA-2026-0002'];
    const figures = applicationFiguresOf(references, [
      applied('MA-2026-0001', 'ana@example.com', true),
      applied('MA-2026-0002', 'ANA@Example.COM', true),
      applied('MA-2026-0002', 'bo@example.com', true),
      // An opportunity the summary does not cover counts for nothing.
      applied('MA-2026-0003', 'cy@example.com', true),
    ]);
    assert.deepEqual(figures, {
      uniqueBidders: 2,
      perOpportunity: { 'MA-2026-0001': counted(1, 0), 'MA-2026-0002': counted(2, 0) },
    });
    // Both opportunities were won by the same supplier: one winner, two bidders.
    const won = (reference: string) =>
      withSupplier(record(reference, 'in_progress', 1, { closed: '2026-10-05' }), 'Ana Tremblay');
    assert.deepEqual(targetsOf(2, won, figures).uniqueBidders, { count: 2, moreThan: 10, met: false });
  });

  it('counts no bidder and no application until the address is confirmed', () => {
    const figures = applicationFiguresOf(
      ['MA-2026-0001'],
      [applied('MA-2026-0001', 'ana@example.com', false), applied('MA-2026-0001', 'bo@example.com', false)],
    );
    assert.deepEqual(figures, { uniqueBidders: 0, perOpportunity: { 'MA-2026-0001': counted(0) } });
    const targets = targetsOf(
      1,
      (reference) => record(reference, 'closed', 1, { closed: '2026-11-02' }),
      figures,
    );
    assert.equal(targets.uniqueBidders.count, 0);
    assert.deepEqual(targets.applicationsPerOpportunity, {
      opportunities: 1,
      applications: 0,
      average: 0,
      moreThan: 1,
      met: false,
    });
  });

  it('gives the share of evaluated applications that passed, and none before any evaluation', () => {
    // G 3 + H 1 + K 1 + L 1 = 6 passed of 4 + 1 + 2 + 2 = 9 evaluated
    assert.deepEqual(
      [summary.applications?.evaluated, summary.applications?.passed, summary.applications?.passedShare],
      [9, 6, 6 / 9],
    );
    const figures = applicationFiguresOf(
      ['MA-2026-0001'],
      [
        applied('MA-2026-0001', 'a@example.com', true, 'pass'),
        applied('MA-2026-0001', 'b@example.com', true, 'fail'),
        applied('MA-2026-0001', 'c@example.com', true, 'fail'),
        applied('MA-2026-0001', 'd@example.com', true),
      ],
    );
    assert.deepEqual(figures.perOpportunity['MA-2026-0001'], { confirmed: 4, evaluated: 3, passed: 1 });
    const shareOf = (f: ApplicationFigures) =>
      pipelineSummary([], TODAY, { ...OPTIONS, applications: { ...APPLICATIONS, figures: f } }).applications
        ?.passedShare;
    assert.equal(shareOf(figures), 1 / 3);
    assert.equal(
      shareOf(applicationFiguresOf(['MA-2026-0001'], [applied('MA-2026-0001', 'a@example.com', true)])),
      undefined,
    );
  });

  it('shows a self-identification share once the minimum answered yes or no, and hides it one short', () => {
    assert.deepEqual(selfIdentificationShare({ yes: 4, no: 5 }, 10), { shown: false, minimum: 10 });
    assert.deepEqual(selfIdentificationShare({ yes: 4, no: 6 }, 10), {
      shown: true,
      answered: 10,
      yes: 4,
      share: 0.4,
    });
    assert.deepEqual(selfIdentificationShare({ yes: 0, no: 0 }, 1), { shown: false, minimum: 1 });
    // Fixture: 6 yes and 4 no of 10 is shown; 5 and 4 (with 3 who would not say) is 9, hidden.
    assert.deepEqual(summary.applications?.selfIdentification, {
      newToGovernment: { shown: true, answered: 10, yes: 6, share: 0.6 },
      outsideNcr: { shown: false, minimum: 10 },
      equityGroup: { shown: false, minimum: 10 },
    });
    // "Prefer not to say" is no answer: it never brings a question to the minimum.
    const unsaid = pipelineSummary([], TODAY, {
      ...OPTIONS,
      applications: {
        ...APPLICATIONS,
        selfIdentification: { ...NO_ANSWERS, equityGroup: { yes: 2, no: 7, unsaid: 40 } },
      },
    }).applications?.selfIdentification.equityGroup;
    assert.deepEqual(unsaid, { shown: false, minimum: 10 });
  });

  it('reads the applications of the opportunities posted, until retention deletes them', () => {
    const now = `${TODAY}T15:00:00.000Z`;
    // Ended (paid) 730 days before now less an hour, and 730 days and an hour before.
    const endedAt = (hours: number) => new Date(Date.parse(now) - 730 * 86_400_000 + hours * 3_600_000);
    const ended = (reference: string, hours: number) => ({
      ...record(reference, 'paid', 1, { posted: '2024-10-01', paid: '2024-11-01' }),
      updatedAt: endedAt(hours).toISOString(),
    });
    assert.deepEqual(
      applicationsToRead(
        [A, E, J, ended('MA-2024-0001', 1), ended('MA-2024-0002', -1), ended('MA-2024-0003', 0)],
        now,
        730,
      ),
      // At the very instant retention ends, the clock deletes them: they are not read.
      [E.reference, J.reference, 'MA-2024-0001'],
    );
  });

  it('misses the time-to-pay target when the median payment takes longer than half the sole-source 31 days', () => {
    const paidOn = (paid: string) =>
      targetsOf(1, (reference) =>
        record(reference, 'paid', 100_000, { submitted: '2026-06-01', delivered: '2026-09-01', paid }),
      ).timeToPay;
    assert.deepEqual(paidOn('2026-09-16'), { medianCalendarDays: 15, targetCalendarDays: 15.5, met: true });
    assert.deepEqual(paidOn('2026-09-17'), { medianCalendarDays: 16, targetCalendarDays: 15.5, met: false });
  });

  it('keeps the pilot baselines in calendar days, as the pilot counted them', () => {
    assert.deepEqual(PILOT_BASELINES, {
      soleSource: { endToEndCalendarDays: 57, toReceiveWorkCalendarDays: 26, toPayCalendarDays: 31 },
      microAcquisitionProjected: {
        endToEndCalendarDays: 30,
        toReceiveWorkCalendarDays: 23,
        toPayCalendarDays: 7,
      },
    });
  });

  it('gives zeros and undefined for an empty pipeline, never NaN', () => {
    const empty = pipelineSummary([], TODAY, OPTIONS);
    assert.deepEqual(empty.open.total, { count: 0, valueCents: 0 });
    assert.deepEqual(empty.open.byStage[3], { count: 0, valueCents: 0 });
    assert.deepEqual(empty.waiting, []);
    assert.deepEqual(empty.timeInStatus.posted, {
      records: 0,
      businessDays: { median: undefined, p90: undefined },
    });
    assert.deepEqual(empty.elapsed.endToEnd.calendarDays, { median: undefined, p90: undefined });
    assert.deepEqual(empty.targets.applicationsPerOpportunity, {
      opportunities: 0,
      applications: 0,
      average: undefined,
      moreThan: 1,
      met: undefined,
    });
    assert.deepEqual(empty.targets.timeToPay, {
      medianCalendarDays: undefined,
      targetCalendarDays: 15.5,
      met: undefined,
    });
    // No application read: no bidder, and nothing said of applications nobody counted.
    assert.deepEqual(empty.targets.uniqueBidders, { count: 0, moreThan: 10, met: false });
    assert.equal(empty.applications, undefined);
    assert.deepEqual(numbersIn(empty).filter(Number.isNaN), []);
    assert.deepEqual(numbersIn(summary).filter(Number.isNaN), []);
  });

  for (const day of [
    '23/11/2026',
    '2026-11-23T00:00:00Z',
    'Mon 2026-11-23',
    '12026-11-23',
    '2026-13-01',
    '',
  ]) {
    it(`refuses "${day}" as the day of the summary`, () => {
      assert.throws(() => pipelineSummary([], day, OPTIONS), {
        name: 'RangeError',
        message: `not an ISO date: ${day}`,
      });
    });
  }

  it('measures each status the same whatever order the timeline lists its entries in', () => {
    const reversed = RECORDS.map((o) => ({
      ...o,
      timeline: Object.fromEntries(Object.entries(o.timeline).reverse()),
    }));
    assert.deepEqual(pipelineSummary(reversed, TODAY, WITH_APPLICATIONS), summary);
  });

  it('lists requests that waited as long by the date they started waiting, then by reference', () => {
    const waitingSince = (reference: string, date: string) =>
      record(reference, 'submitted', 100_000, { submitted: date });
    // Sat 11-14 and Sun 11-15 both count 6 business days to Mon 11-23; two since Mon 11-16 count 5.
    const waiting = pipelineSummary(
      [
        waitingSince('MA-2026-0003', '2026-11-16'),
        waitingSince('MA-2026-0002', '2026-11-16'),
        waitingSince('MA-2026-0004', '2026-11-15'),
        waitingSince('MA-2026-0005', '2026-11-14'),
        waitingSince('MA-2026-0001', '2026-11-18'),
      ],
      TODAY,
      OPTIONS,
    ).waiting;
    assert.deepEqual(
      waiting.map((w) => [w.reference, w.businessDays]),
      [
        ['MA-2026-0005', 6],
        ['MA-2026-0004', 6],
        ['MA-2026-0002', 5],
        ['MA-2026-0003', 5],
        ['MA-2026-0001', 3],
      ],
    );
  });

  it('counts a holiday as a working day unless the caller lists it', () => {
    // B: Wed 11-09 → Wed 11-18 is 7 business days once the 11th is a working day
    const plain = pipelineSummary([B], TODAY, {
      ...OPTIONS,
      calendar: { dateOf, endOf, has: () => false },
    });
    assert.deepEqual(plain.timeInStatus.submitted.businessDays, { median: 7, p90: 7 });
  });

  it('splits statuses into open and closed as the lifecycle does', () => {
    assert.deepEqual([...CLOSED_STATUSES].sort(), [...TERMINAL_STATUSES].sort());
    assert.equal(OPEN_STATUSES.length + CLOSED_STATUSES.length, 15);
    assert.ok(OPEN_STATUSES.every((s) => !TERMINAL_STATUSES.includes(s)));
  });
});

describe('pipeline percentiles (nearest rank)', () => {
  it('picks the value at rank ⌈p/100 × n⌉ of the sorted values', () => {
    assert.equal(percentile([4, 2], 50), 2); // rank ⌈1⌉ = 1
    assert.equal(percentile([5, 1, 3], 50), 3); // rank ⌈1.5⌉ = 2
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9); // rank ⌈9⌉ = 9
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90), 10); // rank ⌈9.9⌉ = 10
    assert.equal(percentile([7], 90), 7);
    assert.equal(percentile([], 50), undefined);
  });
});

function numbersIn(summary: PipelineSummary): number[] {
  const found: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'number') found.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(summary);
  return found;
}
