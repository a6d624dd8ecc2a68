import { z } from 'zod';
import { addBusinessDays, type DaysOff } from './business-days';
import { drawWinner } from './draw';
import {
  type Assignable,
  ASSIGNABLE,
  deadlineInForce,
  DocumentRef,
  DrawSeed,
  deliveryDueOn,
  evaluatorOf,
  type NewOpportunity,
  type Opportunity,
  OpportunityContent,
  PAYMENT_METHODS,
  Person,
  type Status,
  TERMINATION_KINDS,
  TERMINAL_STATUSES,
  TranslatedTexts,
  translatedTexts,
  translationLocale,
  VETTING_CHECKS,
} from './opportunity';
import { CEILING_INCL_TAX_CENTS, HIGHEST_TAX_RATE, parseDecimal } from './pricing';
import { type ActingRole, type Actor, type ConfiguredRole, sameId } from './roles';
import { sameBranch } from './role-grants';
import { checkContent, checkDates, type Problem } from './rules';

/**
 * The opportunity lifecycle as a pure state machine: (record, action, actor, clock) → new record and
 * events, or a refusal with a reason. Every rule of who may do what, and when, lives here.
 */

export interface Clock {
  /** The moment of the decision, ISO 8601 with offset. */
  readonly now: string;
  /** The department's date at that moment (its time zone, not UTC's). */
  readonly today: string;
  /** Length of the union consultation, in business days. */
  readonly consultationDays: number;
  /** Holidays and closures: business days skip them as they skip weekends. */
  readonly holidays?: DaysOff;
}

export type EventType =
  | 'submitted'
  | 'resubmitted'
  | 'vetted'
  | 'edits_requested'
  | 'rejected'
  | 'funds_approved'
  | 'consultation_opened'
  | 'consultation_acknowledged'
  | 'concern_raised'
  | 'concern_answered'
  | 'consultation_closed'
  | 'translation_proposed'
  | 'translation_confirmed'
  | 'ready_to_post'
  | 'posted'
  | 'question_recorded'
  | 'dates_amended'
  | 'applications_extended'
  | 'applications_closed'
  | 'evaluation_recorded'
  | 'evaluation_reassigned'
  | 'supplier_selected'
  | 'supplier_declined'
  | 'terms_recorded'
  | 'terms_signed'
  | 'delivered'
  | 'accepted'
  | 'revisions_requested'
  | 'delivery_overdue'
  | 'extended'
  | 'termination_proposed'
  | 'termination_agreed'
  | 'terminated'
  | 'invoice_recorded'
  | 'certified'
  | 'paid'
  | 'cancelled'
  | 'decision_reassigned';

export interface WorkflowEvent {
  readonly type: EventType;
  readonly reference: string;
  readonly at: string;
  readonly actor: Person;
  readonly from: Status;
  readonly to: Status;
  readonly comment?: string;
}

export type RefusalCode =
  'wrong_state' | 'role' | 'own_request' | 'separation_of_duties' | 'assigned' | 'invalid_input' | 'guard';

/**
 * Duties the Directive on Delegation of Spending and Financial Authorities, and the pilot's process, keep in
 * different hands on one request: who vetted it does not approve its funds; who certified it (s.34) does
 * not record its payment.
 */
export type Duty = 'vetted' | 'certified';

export interface Refusal {
  readonly code: RefusalCode;
  /** For separation of duties: the duty the person already held on this request. */
  readonly duty?: Duty;
  /** For guards: which rule; for invalid input: the fields. */
  readonly problems?: readonly Problem[];
  readonly guard?: Guard;
  readonly fields?: readonly string[];
  /** For a decision a team lead gave to a colleague: who takes it. */
  readonly assignee?: Person;
}

/** Every rule that can refuse an action the state and role allow; each one has its message. */
export const GUARDS = [
  'funds_not_approved',
  'funds_already_approved',
  'consultation_not_open',
  'no_concern_raised',
  'consultation_not_closed',
  'translation_already_confirmed',
  'translation_not_confirmed',
  'vetting_checklist_incomplete',
  'consultation_period_running',
  'deadline_passed',
  'applications_still_open',
  'evaluation_not_recorded',
  'evaluation_already_recorded',
  'evaluator_unchanged',
  'passed_exceeds_applications',
  'no_passing_applicant',
  'passing_applicant_exists',
  'draw_mismatch',
  'extension_not_later',
  'deadline_not_later',
  'terms_not_recorded',
  'terms_document_missing',
  'terms_dates',
  'invoice_missing',
  'invoice_total_mismatch',
  'invoice_over_price',
  'invoice_over_ceiling',
  'invoice_tax_too_high',
  'invoice_fund_reservation_mismatch',
  'invoice_date_future',
  'invoice_date_before_terms',
  'payment_date_future',
  'payment_before_invoice',
  'payment_amount_mismatch',
  'percent_required',
  'no_termination_proposed',
  'termination_pending',
  'delivery_not_overdue',
  'review_already_open',
  'not_team_lead',
  'decision_not_pending',
  'assignee_unchanged',
  'content_rules',
] as const;
export type Guard = (typeof GUARDS)[number];

export type Outcome =
  | { readonly ok: true; readonly next: Opportunity; readonly events: readonly WorkflowEvent[] }
  | { readonly ok: false; readonly refusal: Refusal };

const Reason = z.string().trim().min(1).max(4000);
/** Each point of the vetting checklist, ticked or not: go needs them all. */
const Checklist = z.object(
  Object.fromEntries(VETTING_CHECKS.map((c) => [c, z.boolean()])) as {
    [C in (typeof VETTING_CHECKS)[number]]: z.ZodBoolean;
  },
);
const HttpUrl = z.url({ protocol: /^https?$/ });
/** An amount as people type it ("6,500.00", "6 500,00 $"), held in cents. */
const Money = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseDecimal(v);
  if (n === undefined || !Number.isFinite(n) || n < 0 || n > 1_000_000) {
    ctx.addIssue({ code: 'custom', message: 'not_an_amount' });
    return z.NEVER;
  }
  return Math.round(n * 100);
});
/** A whole percentage typed in a form. */
const Percent = z.coerce.number().int().min(1).max(99);

/** Payload schemas, one per action: what a card or command must supply. */
export const PAYLOADS = {
  resubmit: z.object({ content: OpportunityContent }),
  vet_go: Checklist,
  vet_no_go: z.object({ reason: Reason }),
  request_edits: z.object({ comment: Reason }),
  approve_funds: z.object({
    fundReservationNumber: z.string().trim().min(1).max(255),
    costCentre: z.string().trim().max(255).optional(),
  }),
  reject_funds: z.object({ reason: Reason }),
  request_funds_changes: z.object({ comment: Reason }),
  acknowledge: z.object({}),
  raise_concern: z.object({ comment: Reason }),
  answer_concern: z.object({ comment: Reason }),
  close_consultation: z.object({}),
  /** A translation may be proposed or saved in part; it is confirmed only complete. */
  translate: TranslatedTexts.partial(),
  confirm_translation: TranslatedTexts,
  post: z.object({}),
  record_question: z.object({}),
  amend_dates: z.object({
    applicationDeadline: z.iso.date(),
    supplierSelectionDate: z.iso.date(),
    deliveryDate: z.iso.date(),
    comment: Reason.optional(),
  }),
  extend_applications: z.object({
    applicationDeadline: z.iso.date(),
    supplierSelectionDate: z.iso.date(),
    comment: Reason.optional(),
  }),
  close_applications: z.object({ seed: DrawSeed }),
  record_evaluation: z.object({
    applications: z.number().int().nonnegative().max(100_000),
    passed: z.number().int().nonnegative().max(100_000),
  }),
  /**
   * Made from the store, never from a card: the applicants who passed, by number, with the name and link
   * each agreed to publish. The seed is the one fixed at the close; `seed` serves records closed before.
   */
  select_supplier: z.object({
    seed: z.string().min(1).max(255),
    passers: z
      .array(
        z.object({
          number: z.int().positive().max(100_000),
          name: z.string().trim().min(1).max(255),
          link: HttpUrl.optional(),
        }),
      )
      .min(1)
      .max(100_000),
  }),
  /** The person is read from their chat with the bot (who it can reach), never taken from a card. */
  reassign_evaluation: z.object({
    evaluator: z.object({ aadObjectId: z.string().min(1).max(100), name: z.string().min(1).max(255) }),
  }),
  no_award: z.object({}),
  supplier_declined: z.object({ comment: Reason.optional() }),
  /** The one-page terms' blanks as signed; the document is read from the store, never from a card. */
  sign_terms: z.object({
    contractor: z.string().trim().min(1).max(255),
    work: z.string().trim().min(1).max(500),
    startDate: z.iso.date(),
    endDate: z.iso.date(),
    licence: z.string().trim().min(1).max(100),
    document: DocumentRef.optional(),
  }),
  countersign_terms: z.object({}),
  deliver: z.object({ link: HttpUrl }),
  accept: z.object({}),
  request_revisions: z.object({ comment: Reason }),
  open_review: z.object({}),
  extend: z.object({ newDeliveryDate: z.iso.date(), comment: Reason.optional() }),
  terminate: z.object({
    kind: z.enum(TERMINATION_KINDS),
    reason: Reason,
    percentComplete: Percent.optional(),
  }),
  agree_termination: z.object({}),
  record_invoice: z.object({
    invoiceNumber: z.string().trim().min(1).max(100),
    invoiceDate: z.iso.date(),
    amount: Money,
    taxes: Money,
    total: Money,
    fundReservationNumber: z.string().trim().min(1).max(255),
  }),
  certify: z.object({}),
  pay: z.object({ method: z.enum(PAYMENT_METHODS), paymentAmount: Money, paymentDate: z.iso.date() }),
  /** The colleague is resolved from the directory by the edge, never taken from a card as typed. */
  reassign_decision: z.object({ decision: z.enum(ASSIGNABLE), assignee: Person }),
  cancel: z.object({ reason: Reason }),
} as const;

export type ActionName = keyof typeof PAYLOADS;
export type Payload<A extends ActionName> = z.infer<(typeof PAYLOADS)[A]>;
export const ACTIONS = Object.keys(PAYLOADS) as ActionName[];

/** The parts of a record that decisions taken side by side in one status are about. */
export type Aspect =
  | 'funds'
  | 'consultation'
  | 'translation'
  | 'questions'
  | 'dates'
  | 'evaluation'
  | 'terms'
  | 'delivery'
  | 'invoice'
  | 'payment';

interface Step {
  readonly to: Status;
  readonly patch?: (o: Opportunity) => Partial<Opportunity>;
  readonly events: readonly EventType[];
  readonly comment?: string;
}

interface ActionSpec<A extends ActionName> {
  readonly from: readonly Status[];
  readonly roles: readonly ActingRole[];
  /**
   * What the record itself must be for the action to make sense, whatever is typed and whenever: a card
   * offers the action's button exactly when this holds, so a button that could not work is never shown.
   */
  readonly when?: (o: Opportunity) => Guard | undefined;
  /** Rules on what was typed, or on the date; a broken one refuses the action. */
  readonly guard?: (
    o: Opportunity,
    p: Payload<A>,
    clock: Clock,
    actor: Actor,
  ) => Guard | Problem[] | undefined;
  /** The pending decision the action takes: a team lead may give it to a named colleague. */
  readonly decision?: Assignable;
  /** The person who held this other duty on the request may not take this action. */
  readonly notBy?: { readonly duty: Duty; readonly holder: (o: Opportunity) => Person | undefined };
  /**
   * What the action decides on besides the status: a click from a card older than the record goes ahead
   * only if nothing it decides on, and not the status, changed since the card was shown.
   */
  readonly decidesOn: readonly Aspect[];
  readonly step: (o: Opportunity, p: Payload<A>, actor: Person, clock: Clock) => Step;
}

const BEFORE_AWARD: readonly Status[] = ['submitted', 'changes_requested', 'in_approval', 'posted', 'closed'];

const today = (clock: Clock) => clock.today;

/** A resubmission restarts the review: funds and consultation are asked again from scratch. */
const freshReview = (): Pick<Opportunity, 'finance' | 'consultation' | 'translationConfirmed'> => ({
  finance: { fundsStatus: 'pending' },
  consultation: { status: 'pending' },
  translationConfirmed: false,
});

/** Acknowledged by the union, or closed by the clock or by an answered concern. */
function consultationClosed(o: Pick<Opportunity, 'consultation'>): boolean {
  return o.consultation.status === 'acknowledged' || o.consultation.status === 'closed';
}

/** Funds approved, consultation closed without an open concern, translation confirmed: what posting waits for. */
export function readyToPost(
  o: Pick<Opportunity, 'finance' | 'consultation' | 'translationConfirmed'>,
): boolean {
  return o.finance.fundsStatus === 'approved' && consultationClosed(o) && o.translationConfirmed;
}

/** Adds `ready_to_post` when a step inside the approval stage completes the last condition. */
function approvalStep(o: Opportunity, patch: Partial<Opportunity>, event: EventType, comment?: string): Step {
  const after = { ...o, ...patch };
  const events: EventType[] = [event];
  if (!readyToPost(o) && readyToPost(after)) events.push('ready_to_post');
  return { to: 'in_approval', patch: () => patch, events, ...(comment ? { comment } : {}) };
}

/** Posting and cancelling are about the whole request. */
const EVERY_ASPECT: readonly Aspect[] = [
  'funds',
  'consultation',
  'translation',
  'questions',
  'dates',
  'evaluation',
  'delivery',
];

/** The number the draw selected, as published; none before the draw. */
const drawnNumber = (o: Opportunity): string[] => {
  const d = o.selection.draw;
  return d ? d.candidates.slice(d.selectedIndex, d.selectedIndex + 1) : [];
};
/** Passers who have not declined: who a draw can still choose. */
const remainingPassers = (o: Opportunity) => (o.selection.passed ?? 0) - o.selection.declinedSuppliers.length;
/**
 * While the requester weighs a termination for convenience, the contract stands still: no delivery,
 * extension, acceptance or revision until they agree (procurement may price it again).
 */
const noTerminationPending = (o: Opportunity): Guard | undefined =>
  o.delivery.termination?.kind === 'convenience' && !o.delivery.termination.agreedBy
    ? 'termination_pending'
    : undefined;
/** Funds are decided once: after approval, finance's buttons on the request are spent. */
const fundsOpen = (o: Opportunity): Guard | undefined =>
  o.finance.fundsStatus === 'approved' ? 'funds_already_approved' : undefined;

/** The team whose lead gives each pending decision to a colleague. */
export const TEAM_OF: Readonly<Record<Assignable, ConfiguredRole>> = {
  vetting: 'procurement',
  funds: 'finance',
  consultation: 'union',
  certification: 'finance',
  payment: 'finance',
};

/** Whether the record waits on `decision` now: only a decision still to take can be given to someone. */
export function pending(o: Opportunity, decision: Assignable): boolean {
  switch (decision) {
    case 'vetting':
      return o.status === 'submitted';
    case 'funds':
      return o.status === 'in_approval' && o.finance.fundsStatus === 'pending';
    case 'consultation':
      return (
        o.status === 'in_approval' &&
        (o.consultation.status === 'open' || o.consultation.status === 'acknowledged')
      );
    case 'certification':
      return o.status === 'accepted';
    case 'payment':
      return o.status === 'certified';
  }
}

/** The invoice's checks: its sums, the price it may claim, the ceiling, the fund reservation and its date. */
function invoiceProblem(o: Opportunity, p: Payload<'record_invoice'>, clock: Clock): Guard | undefined {
  if (p.amount + p.taxes !== p.total) return 'invoice_total_mismatch';
  if (p.total > CEILING_INCL_TAX_CENTS) return 'invoice_over_ceiling';
  const termination = o.delivery.termination;
  const price =
    termination?.agreedBy && termination.amountCents !== undefined
      ? termination.amountCents
      : o.pricing.fixedPriceCents;
  if (p.amount > price) return 'invoice_over_price';
  if (p.taxes > Math.round(p.amount * HIGHEST_TAX_RATE)) return 'invoice_tax_too_high';
  if (
    o.finance.fundReservationNumber &&
    p.fundReservationNumber.trim().toLowerCase() !== o.finance.fundReservationNumber.trim().toLowerCase()
  )
    return 'invoice_fund_reservation_mismatch';
  if (p.invoiceDate > today(clock)) return 'invoice_date_future';
  const started = o.terms?.startDate;
  return started && p.invoiceDate < started ? 'invoice_date_before_terms' : undefined;
}

const SPECS: { readonly [A in ActionName]: ActionSpec<A> } = {
  resubmit: {
    from: ['changes_requested'],
    roles: ['requester'],
    decidesOn: [],
    guard: (_o, p, clock) => nonEmpty(checkContent(p.content, today(clock))),
    step: (_o, p) => ({
      to: 'submitted',
      patch: () => ({ ...p.content, ...freshReview(), decisionNote: undefined }),
      events: ['resubmitted'],
    }),
  },
  vet_go: {
    from: ['submitted'],
    roles: ['procurement'],
    decision: 'vetting',
    // Vetting judges the request as submitted, its dates included.
    decidesOn: ['dates'],
    guard: (_o, p) => (VETTING_CHECKS.every((c) => p[c]) ? undefined : 'vetting_checklist_incomplete'),
    step: (_o, _p, actor, clock) => ({
      to: 'in_approval',
      patch: () => ({
        vettedBy: actor,
        vettingChecklist: [...VETTING_CHECKS],
        consultation: {
          status: 'open',
          opensAt: clock.now,
          closesOn: addBusinessDays(today(clock), clock.consultationDays, clock.holidays),
        },
      }),
      events: ['vetted', 'consultation_opened'],
    }),
  },
  vet_no_go: {
    from: ['submitted'],
    roles: ['procurement'],
    decision: 'vetting',
    decidesOn: ['dates'],
    step: (_o, p) => ({
      to: 'rejected',
      patch: () => ({ decisionNote: p.reason }),
      events: ['rejected'],
      comment: p.reason,
    }),
  },
  request_edits: {
    from: ['submitted'],
    roles: ['procurement'],
    decision: 'vetting',
    decidesOn: ['dates'],
    step: (_o, p) => ({
      to: 'changes_requested',
      patch: () => ({ decisionNote: p.comment }),
      events: ['edits_requested'],
      comment: p.comment,
    }),
  },
  approve_funds: {
    from: ['in_approval'],
    roles: ['finance'],
    decision: 'funds',
    decidesOn: ['funds'],
    when: fundsOpen,
    notBy: { duty: 'vetted', holder: (o) => o.vettedBy },
    step: (o, p, actor, clock) =>
      approvalStep(
        o,
        {
          finance: {
            ...o.finance,
            fundsStatus: 'approved',
            fundReservationNumber: p.fundReservationNumber,
            ...(p.costCentre ? { costCentre: p.costCentre } : {}),
            section32Approver: actor,
            section32At: clock.now,
          },
        },
        'funds_approved',
      ),
  },
  reject_funds: {
    from: ['in_approval'],
    roles: ['finance'],
    decision: 'funds',
    decidesOn: ['funds'],
    when: fundsOpen,
    step: (_o, p) => ({
      to: 'rejected',
      patch: () => ({ decisionNote: p.reason }),
      events: ['rejected'],
      comment: p.reason,
    }),
  },
  request_funds_changes: {
    from: ['in_approval'],
    roles: ['finance'],
    decision: 'funds',
    decidesOn: ['funds'],
    when: fundsOpen,
    step: (_o, p) => ({
      to: 'changes_requested',
      patch: () => ({ decisionNote: p.comment }),
      events: ['edits_requested'],
      comment: p.comment,
    }),
  },
  acknowledge: {
    from: ['in_approval'],
    roles: ['union'],
    decision: 'consultation',
    decidesOn: ['consultation'],
    when: (o) => (o.consultation.status === 'open' ? undefined : 'consultation_not_open'),
    step: (o) =>
      approvalStep(
        o,
        { consultation: { ...o.consultation, status: 'acknowledged' } },
        'consultation_acknowledged',
      ),
  },
  raise_concern: {
    from: ['in_approval'],
    roles: ['union'],
    decision: 'consultation',
    decidesOn: ['consultation'],
    when: (o) =>
      o.consultation.status === 'open' || o.consultation.status === 'acknowledged'
        ? undefined
        : 'consultation_not_open',
    step: (o, p) => ({
      to: 'in_approval',
      patch: () => ({ consultation: { ...o.consultation, status: 'concern_raised', concern: p.comment } }),
      events: ['concern_raised'],
      comment: p.comment,
    }),
  },
  answer_concern: {
    from: ['in_approval'],
    roles: ['procurement'],
    decidesOn: ['consultation'],
    when: (o) => (o.consultation.status === 'concern_raised' ? undefined : 'no_concern_raised'),
    step: (o, p) =>
      approvalStep(
        o,
        { consultation: { ...o.consultation, status: 'closed', answer: p.comment } },
        'concern_answered',
        p.comment,
      ),
  },
  close_consultation: {
    from: ['in_approval'],
    roles: ['system'],
    decidesOn: ['consultation'],
    when: (o) => (o.consultation.status === 'open' ? undefined : 'consultation_not_open'),
    guard: (o, _p, clock) =>
      // The consultation runs to the end of its last business day, where the department works.
      o.consultation.closesOn && today(clock) <= o.consultation.closesOn
        ? 'consultation_period_running'
        : undefined,
    step: (o) =>
      approvalStep(o, { consultation: { ...o.consultation, status: 'closed' } }, 'consultation_closed'),
  },
  translate: {
    from: ['submitted', 'changes_requested', 'in_approval'],
    roles: ['requester', 'procurement'],
    decidesOn: ['translation'],
    // Saved texts replace the earlier ones field by field; a changed translation must be confirmed again.
    step: (o, p, actor, clock) => ({
      to: o.status,
      patch: () => ({
        translation: { ...translatedTexts(o), ...p, locale: translationLocale(o), by: actor, at: clock.now },
        translationConfirmed: false,
      }),
      events: ['translation_proposed'],
    }),
  },
  confirm_translation: {
    from: ['in_approval'],
    roles: ['procurement'],
    decidesOn: ['translation'],
    when: (o) => (o.translationConfirmed ? 'translation_already_confirmed' : undefined),
    // Procurement confirms the texts it sees in the form, corrected or not: both versions complete.
    step: (o, p, actor, clock) =>
      approvalStep(
        o,
        {
          translation: { ...p, locale: translationLocale(o), by: actor, at: clock.now },
          translationConfirmed: true,
        },
        'translation_confirmed',
      ),
  },
  post: {
    from: ['in_approval'],
    roles: ['procurement'],
    decidesOn: EVERY_ASPECT,
    when: (o) => {
      if (o.finance.fundsStatus !== 'approved') return 'funds_not_approved';
      if (!consultationClosed(o)) return 'consultation_not_closed';
      if (!o.translationConfirmed) return 'translation_not_confirmed';
      return undefined;
    },
    // Before posting the dates are not extended yet: a deadline gone by means amending them.
    guard: (o, _p, clock) => (o.dates.applicationDeadline <= today(clock) ? 'deadline_passed' : undefined),
    step: () => ({ to: 'posted', events: ['posted'] }),
  },
  amend_dates: {
    from: ['submitted', 'in_approval'],
    roles: ['requester', 'procurement'],
    decidesOn: ['dates'],
    // The dates meet the intake's rules; a consultation already running keeps its full period.
    guard: (o, p, clock) =>
      nonEmpty(checkDates(p, o.pricing.estimatedHours, o.pricing.adminHours, today(clock))),
    step: (o, p) => ({
      to: o.status,
      patch: () => ({
        dates: {
          applicationDeadline: p.applicationDeadline,
          supplierSelectionDate: p.supplierSelectionDate,
          deliveryDate: p.deliveryDate,
        },
      }),
      events: ['dates_amended'],
      ...(p.comment ? { comment: p.comment } : {}),
    }),
  },
  extend_applications: {
    from: ['posted'],
    roles: ['procurement'],
    decidesOn: ['dates'],
    guard: (o, p, clock) => {
      if (p.applicationDeadline <= deadlineInForce(o)) return 'deadline_not_later';
      const dates = { ...p, deliveryDate: deliveryDueOn(o) };
      return nonEmpty(checkDates(dates, o.pricing.estimatedHours, o.pricing.adminHours, today(clock)));
    },
    // The published dates stay: the extension is shown as such, as the pilot showed its one.
    step: (o, p) => ({
      to: 'posted',
      patch: () => ({
        dates: {
          ...o.dates,
          extendedApplicationDeadline: p.applicationDeadline,
          extendedSupplierSelectionDate: p.supplierSelectionDate,
        },
      }),
      events: ['applications_extended'],
      ...(p.comment ? { comment: p.comment } : {}),
    }),
  },
  record_question: {
    from: ['posted'],
    roles: ['procurement'],
    decidesOn: ['questions'],
    step: (o) => ({
      to: 'posted',
      patch: () => ({ selection: { ...o.selection, questions: o.selection.questions + 1 } }),
      events: ['question_recorded'],
    }),
  },
  /** The clock closes applications once the deadline in force is over where the department works. */
  close_applications: {
    from: ['posted'],
    roles: ['system'],
    // Stryker disable next-line ArrayDeclaration: the clock acts on the record as it is, never from a card
    decidesOn: ['dates'],
    guard: (o, _p, clock) => (today(clock) <= deadlineInForce(o) ? 'applications_still_open' : undefined),
    // The draw's seed is fixed now, before anyone is evaluated, so no evaluation can be made to pick it.
    step: (o, p) => ({
      to: 'closed',
      patch: () => ({ selection: { ...o.selection, drawSeed: p.seed } }),
      events: ['applications_closed'],
    }),
  },
  /** The clock records the evaluation once every applicant is marked: the counts are the marks'. */
  record_evaluation: {
    from: ['closed'],
    roles: ['system'],
    decidesOn: ['evaluation'],
    guard: (_o, p) => (p.passed > p.applications ? 'passed_exceeds_applications' : undefined),
    step: (o, p) => ({
      to: 'closed',
      patch: () => ({ selection: { ...o.selection, applications: p.applications, passed: p.passed } }),
      events: ['evaluation_recorded'],
    }),
  },
  /** Procurement gives the marking to someone else on the requester's team (leave, workload). */
  reassign_evaluation: {
    from: ['closed'],
    roles: ['procurement'],
    decidesOn: ['evaluation'],
    when: (o) => (o.selection.passed !== undefined ? 'evaluation_already_recorded' : undefined),
    guard: (o, p) =>
      sameId(p.evaluator.aadObjectId, evaluatorOf(o).aadObjectId) ? 'evaluator_unchanged' : undefined,
    step: (o, p) => ({
      to: 'closed',
      patch: () => ({ selection: { ...o.selection, evaluator: p.evaluator } }),
      events: ['evaluation_reassigned'],
    }),
  },
  select_supplier: {
    from: ['closed'],
    roles: ['procurement'],
    // Who passed is what the draw and "no award" rest on.
    decidesOn: ['evaluation'],
    when: (o) =>
      o.selection.passed === undefined
        ? 'evaluation_not_recorded'
        : remainingPassers(o) < 1
          ? 'no_passing_applicant'
          : undefined,
    guard: (o, p) => {
      const numbers = new Set(p.passers.map((c) => c.number));
      return numbers.size !== p.passers.length || numbers.size !== o.selection.passed
        ? 'draw_mismatch'
        : undefined;
    },
    step: (o, p) => {
      // The seed fixed at the close, when there is one: a seed given now could be chosen for its winner.
      const seed = o.selection.drawSeed ?? p.seed;
      const candidates = p.passers
        .map((c) => c.number)
        .sort((a, b) => a - b)
        .map(String);
      // Stryker disable next-line StringLiteral: `when` leaves someone to draw; '' only satisfies the type
      const drawn = drawWinner(seed, candidates, o.selection.declinedSuppliers) ?? '';
      const winner = p.passers.find((c) => String(c.number) === drawn);
      return {
        to: 'supplier_selected',
        patch: () => ({
          selection: {
            ...o.selection,
            draw: { seed, candidates, selectedIndex: candidates.indexOf(drawn) },
            supplierName: winner?.name,
            supplierLink: winner?.link,
          },
        }),
        events: ['supplier_selected'],
      };
    },
  },
  no_award: {
    from: ['closed'],
    roles: ['procurement'],
    // Stryker disable next-line ArrayDeclaration: no other card action can decide on the evaluation while "no award" shows (the counts are the clock's)
    decidesOn: ['evaluation'],
    when: (o) =>
      o.selection.passed === undefined
        ? 'evaluation_not_recorded'
        : remainingPassers(o) > 0
          ? 'passing_applicant_exists'
          : undefined,
    step: () => ({ to: 'cancelled', patch: () => ({ decisionNote: 'no_award' }), events: ['cancelled'] }),
  },
  supplier_declined: {
    from: ['supplier_selected'],
    roles: ['procurement'],
    decidesOn: [],
    step: (o, p) => ({
      to: 'closed',
      patch: () => ({
        selection: {
          ...o.selection,
          // The applicant's number, as published: the draw passes to the next in its order.
          declinedSuppliers: [...o.selection.declinedSuppliers, ...drawnNumber(o)],
          draw: undefined,
          supplierName: undefined,
          supplierLink: undefined,
        },
      }),
      events: ['supplier_declined'],
      ...(p.comment ? { comment: p.comment } : {}),
    }),
  },
  /** Procurement records the terms the supplier signed: their blanks and the signed document. */
  sign_terms: {
    from: ['supplier_selected'],
    roles: ['procurement'],
    decidesOn: ['terms'],
    guard: (_o, p) => (p.startDate > p.endDate ? 'terms_dates' : undefined),
    step: (o, p, actor, clock) => ({
      to: 'supplier_selected',
      patch: () => ({
        terms: {
          contractor: p.contractor,
          work: p.work,
          startDate: p.startDate,
          endDate: p.endDate,
          licence: p.licence,
          ...(p.document
            ? { document: p.document }
            : o.terms?.document
              ? { document: o.terms.document }
              : {}),
          recordedBy: actor,
          recordedAt: clock.now,
        },
      }),
      events: ['terms_recorded'],
    }),
  },
  /** The acquisition card's holder countersigns the signed terms: the work starts. */
  countersign_terms: {
    from: ['supplier_selected'],
    roles: ['finance'],
    decidesOn: ['terms'],
    when: (o) => (!o.terms ? 'terms_not_recorded' : !o.terms.document ? 'terms_document_missing' : undefined),
    step: (o, _p, actor, clock) => ({
      to: 'in_progress',
      patch: () => ({
        // Stryker disable next-line OptionalChaining: `when` holds the terms recorded
        terms: o.terms && { ...o.terms, countersignedBy: actor, countersignedAt: clock.now },
      }),
      events: ['terms_signed'],
    }),
  },
  deliver: {
    from: ['in_progress'],
    roles: ['requester', 'procurement'],
    decidesOn: [],
    when: noTerminationPending,
    step: (o, p) => ({
      to: 'delivered',
      patch: () => ({ delivery: { ...o.delivery, deliveredLink: p.link } }),
      events: ['delivered'],
    }),
  },
  accept: {
    from: ['delivered'],
    roles: ['requester'],
    decidesOn: [],
    when: noTerminationPending,
    step: () => ({ to: 'accepted', events: ['accepted'] }),
  },
  request_revisions: {
    from: ['delivered'],
    roles: ['requester'],
    decidesOn: [],
    when: noTerminationPending,
    step: (o, p) => ({
      to: 'in_progress',
      patch: () => ({ delivery: { ...o.delivery, revisionsRequested: o.delivery.revisionsRequested + 1 } }),
      events: ['revisions_requested'],
      comment: p.comment,
    }),
  },
  /** The clock opens a non-delivery review once the delivery date in force is over: extend or terminate. */
  open_review: {
    from: ['in_progress'],
    roles: ['system'],
    // Stryker disable next-line ArrayDeclaration: the clock acts on the record as it is, never from a card
    decidesOn: ['delivery'],
    when: (o) => (o.delivery.reviewOpenedOn ? 'review_already_open' : undefined),
    guard: (o, _p, clock) => (today(clock) <= deliveryDueOn(o) ? 'delivery_not_overdue' : undefined),
    step: (o, _p, _actor, clock) => ({
      to: 'in_progress',
      patch: () => ({ delivery: { ...o.delivery, reviewOpenedOn: today(clock) } }),
      events: ['delivery_overdue'],
    }),
  },
  extend: {
    from: ['in_progress'],
    roles: ['procurement'],
    decidesOn: ['delivery'],
    when: noTerminationPending,
    guard: (o, p) => (p.newDeliveryDate <= deliveryDueOn(o) ? 'extension_not_later' : undefined),
    // A new date closes the review: another one opens if that date goes by too.
    step: (o, p) => ({
      to: 'in_progress',
      patch: () => ({
        dates: { ...o.dates, extendedDeliveryDate: p.newDeliveryDate },
        delivery: { ...o.delivery, reviewOpenedOn: undefined },
      }),
      events: ['extended'],
      ...(p.comment ? { comment: p.comment } : {}),
    }),
  },
  /**
   * For default the contract ends unpaid; for convenience procurement prices the share of the work
   * completed, which the requester must agree to before it is invoiced, certified and paid.
   */
  terminate: {
    from: ['in_progress', 'delivered'],
    roles: ['procurement'],
    decidesOn: ['delivery'],
    guard: (_o, p) =>
      p.kind === 'convenience' && p.percentComplete === undefined ? 'percent_required' : undefined,
    step: (o, p, actor, clock) => {
      const share = p.kind === 'convenience' ? p.percentComplete : undefined;
      const termination = {
        kind: p.kind,
        ...(share !== undefined
          ? { percentComplete: share, amountCents: Math.round((o.pricing.fixedPriceCents * share) / 100) }
          : {}),
        proposedBy: actor,
        proposedAt: clock.now,
      };
      const delivery = { ...o.delivery, terminationReason: p.reason, termination };
      return share === undefined
        ? { to: 'terminated', patch: () => ({ delivery }), events: ['terminated'], comment: p.reason }
        : { to: o.status, patch: () => ({ delivery }), events: ['termination_proposed'], comment: p.reason };
    },
  },
  /** The requester agrees to the share procurement priced: it is invoiced, certified and paid like a delivery. */
  agree_termination: {
    from: ['in_progress', 'delivered'],
    roles: ['requester'],
    decidesOn: ['delivery'],
    when: (o) =>
      o.delivery.termination?.kind === 'convenience' && !o.delivery.termination.agreedBy
        ? undefined
        : 'no_termination_proposed',
    step: (o, _p, actor, clock) => ({
      to: 'accepted',
      patch: () => ({
        delivery: {
          ...o.delivery,
          // Stryker disable next-line OptionalChaining: `when` holds a termination proposed
          termination: o.delivery.termination && {
            ...o.delivery.termination,
            agreedBy: actor,
            agreedAt: clock.now,
          },
        },
      }),
      events: ['termination_agreed'],
    }),
  },
  /** Finance records the supplier's invoice, checked against the price (or the agreed share) and the ceiling. */
  record_invoice: {
    from: ['accepted'],
    roles: ['finance'],
    decision: 'certification',
    decidesOn: ['invoice'],
    guard: (o, p, clock) => invoiceProblem(o, p, clock),
    step: (o, p, actor, clock) => ({
      to: 'accepted',
      patch: () => ({
        finance: {
          ...o.finance,
          invoice: {
            number: p.invoiceNumber,
            date: p.invoiceDate,
            amountCents: p.amount,
            taxCents: p.taxes,
            totalCents: p.total,
            fundReservationNumber: p.fundReservationNumber,
            recordedBy: actor,
            recordedAt: clock.now,
          },
        },
      }),
      events: ['invoice_recorded'],
    }),
  },
  /** Section 34: the work was received and the terms met, against the supplier's invoice. */
  certify: {
    from: ['accepted'],
    roles: ['finance'],
    decision: 'certification',
    decidesOn: ['invoice'],
    when: (o) => (o.finance.invoice ? undefined : 'invoice_missing'),
    step: (o, _p, actor, clock) => ({
      to: 'certified',
      patch: () => ({ finance: { ...o.finance, section34Certifier: actor, section34At: clock.now } }),
      events: ['certified'],
    }),
  },
  pay: {
    from: ['certified'],
    roles: ['finance'],
    decision: 'payment',
    decidesOn: ['payment'],
    notBy: { duty: 'certified', holder: (o) => o.finance.section34Certifier },
    guard: (o, p, clock) => {
      if (p.paymentDate > today(clock)) return 'payment_date_future';
      if (o.finance.invoice && p.paymentDate < o.finance.invoice.date) return 'payment_before_invoice';
      return o.finance.invoice && p.paymentAmount !== o.finance.invoice.totalCents
        ? 'payment_amount_mismatch'
        : undefined;
    },
    step: (o, p, actor) => ({
      to: 'paid',
      patch: () => ({
        finance: {
          ...o.finance,
          paymentMethod: p.method,
          paymentDate: p.paymentDate,
          paymentAmountCents: p.paymentAmount,
          paidBy: actor,
        },
      }),
      events: ['paid'],
    }),
  },
  /** A team lead gives a pending decision of their team to a named colleague (leave, workload). */
  reassign_decision: {
    from: ['submitted', 'in_approval', 'accepted', 'certified'],
    roles: ['lead'],
    // Who may take a decision changes: a click from a card shown before is judged again on the record.
    decidesOn: ['dates', 'funds', 'consultation', 'invoice', 'payment'],
    when: (o) => (ASSIGNABLE.some((d) => pending(o, d)) ? undefined : 'decision_not_pending'),
    guard: (o, p, _clock, actor) => {
      if (!actor.leads?.has(TEAM_OF[p.decision])) return 'not_team_lead';
      if (!pending(o, p.decision)) return 'decision_not_pending';
      return sameId(o.assignments?.[p.decision]?.aadObjectId, p.assignee.aadObjectId)
        ? 'assignee_unchanged'
        : undefined;
    },
    step: (o, p) => ({
      to: o.status,
      patch: () => ({ assignments: { ...o.assignments, [p.decision]: p.assignee } }),
      events: ['decision_reassigned'],
    }),
  },
  cancel: {
    from: BEFORE_AWARD,
    roles: ['requester', 'procurement'],
    decidesOn: EVERY_ASPECT,
    step: (_o, p) => ({
      to: 'cancelled',
      patch: () => ({ decisionNote: p.reason }),
      events: ['cancelled'],
      comment: p.reason,
    }),
  },
};

function nonEmpty(problems: Problem[]): Problem[] | undefined {
  return problems.length > 0 ? problems : undefined;
}

/** Whether `actor`'s `role` holds for `o`'s client branch: a role limited to some branches holds for those only. */
function holdsFor(actor: Actor, role: ConfiguredRole | 'system', o: Pick<Opportunity, 'client'>): boolean {
  const branches = role === 'system' ? undefined : actor.branches?.[role];
  return branches === undefined || branches.some((b) => sameBranch(b, o.client.branch));
}

/**
 * The roles `actor` holds toward `o`: their configured roles that hold for its branch, plus "requester" on
 * their own record.
 */
export function actingRoles(o: Pick<Opportunity, 'requester' | 'client'>, actor: Actor): Set<ActingRole> {
  const roles = new Set<ActingRole>([...actor.roles].filter((r) => holdsFor(actor, r, o)));
  if (sameId(actor.id, o.requester.aadObjectId)) roles.add('requester');
  if (actor.leads?.size) roles.add('lead');
  return roles;
}

/**
 * Who `actor` acts for when taking `action` on `o`: nobody when a role of their own allows it, else the
 * colleague whose role they hold as delegate.
 */
export function actingFor(
  o: Pick<Opportunity, 'requester' | 'client'>,
  action: ActionName,
  actor: Actor,
): Person | undefined {
  const held = actingRoles(o, actor);
  // The colleague of each usable role held only as their delegate; none when a role is the actor's own.
  const delegators = SPECS[action].roles
    .filter((r) => held.has(r))
    .map((r) => (r === 'requester' || r === 'system' || r === 'lead' ? undefined : actor.delegatedBy?.[r]));
  const delegator = delegators.every((d) => d !== undefined) ? delegators[0] : undefined;
  return delegator ? { aadObjectId: delegator.aadObjectId, name: delegator.name } : undefined;
}

export function specOf(action: ActionName): {
  from: readonly Status[];
  roles: readonly ActingRole[];
  decidesOn: readonly Aspect[];
} {
  return SPECS[action];
}

/** A change applied to a record, as its audit trail keeps it. */
export interface AppliedChange {
  readonly action: string;
  readonly actorId: string;
  readonly from?: Status;
  readonly to?: Status;
}

export type SinceCard<C extends AppliedChange = AppliedChange> =
  /** Nothing the click decides on changed since its card: judge it on the record as it is. */
  | { readonly kind: 'current' }
  /** The same person already did this since the card: the click counts once. */
  | { readonly kind: 'duplicate'; readonly change: C }
  /** Someone decided first on what the click decides on: the click is not applied. */
  | { readonly kind: 'decided'; readonly change: C };

/**
 * The first decision wins: a click from a card older than the record (two people on one card, a double
 * click, a card left open) is judged against the changes applied since, oldest first. A change of status,
 * or of anything the click's action decides on, means the click answered a question that is no longer
 * asked; changes to other parts (finance and the union acting side by side) leave it standing.
 */
export function sinceCard<C extends AppliedChange>(
  action: ActionName,
  actorId: string,
  changes: readonly C[],
): SinceCard<C> {
  const same = changes.find((c) => c.action === action && sameId(c.actorId, actorId));
  if (same) return { kind: 'duplicate', change: same };
  const mine = SPECS[action].decidesOn;
  const clash = changes.find(
    (c) =>
      c.from !== c.to ||
      // Stryker disable next-line MethodExpression: only posting and cancelling decide on several parts, and they move the status
      (c.action in SPECS && SPECS[c.action as ActionName].decidesOn.some((a) => mine.includes(a))),
  );
  return clash ? { kind: 'decided', change: clash } : { kind: 'current' };
}

/** Whether the record is in a shape where `action` can work: what decides if its button is shown. */
export function offeredNow(o: Opportunity, action: ActionName): boolean {
  return SPECS[action].when?.(o) === undefined;
}

/** The actions `actor` may attempt on `o` now (state and role allow them; guards are checked on the attempt). */
export function availableActions(o: Opportunity, actor: Actor): ActionName[] {
  return ACTIONS.filter((a) => authorize(o, a, actor) === undefined);
}

function authorize(o: Opportunity, action: ActionName, actor: Actor): RefusalCode | undefined {
  const spec = SPECS[action];
  if (TERMINAL_STATUSES.includes(o.status) || !spec.from.includes(o.status)) return 'wrong_state';
  const held = actingRoles(o, actor);
  if (!spec.roles.some((r) => held.has(r))) return 'role';
  // Separation of duties: on their own record a person acts only as its requester; a delegate acts as the
  // colleague they stand for, who is held to the same rules.
  const forWhom = actingFor(o, action, actor);
  const people = [actor.id, ...(forWhom ? [forWhom.aadObjectId] : [])];
  const isOwn = people.some((id) => sameId(id, o.requester.aadObjectId));
  if (isOwn && !spec.roles.includes('requester')) return 'own_request';
  const holder = spec.notBy?.holder(o);
  if (
    holder &&
    people.some((id) => sameId(id, holder.aadObjectId) || sameId(id, holder.onBehalfOf?.aadObjectId))
  )
    return 'separation_of_duties';
  const assignee = spec.decision && o.assignments?.[spec.decision];
  if (assignee && !people.some((id) => sameId(id, assignee.aadObjectId))) return 'assigned';
  return undefined;
}

/** Applies `action` by `actor` to `o`. Pure: the same inputs always give the same outcome. */
export function decide(
  o: Opportunity,
  action: ActionName,
  rawPayload: unknown,
  actor: Actor,
  clock: Clock,
): Outcome {
  const denied = authorize(o, action, actor);
  if (denied === 'separation_of_duties') {
    return { ok: false, refusal: { code: denied, duty: SPECS[action].notBy?.duty } };
  }
  if (denied === 'assigned') {
    const decision = SPECS[action].decision;
    const assignee = decision && o.assignments?.[decision];
    return { ok: false, refusal: { code: denied, ...(assignee ? { assignee } : {}) } };
  }
  if (denied) return { ok: false, refusal: { code: denied } };
  const unfit = SPECS[action].when?.(o);
  if (unfit) return { ok: false, refusal: { code: 'guard', guard: unfit } };

  const parsed = PAYLOADS[action].safeParse(rawPayload ?? {});
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))];
    return { ok: false, refusal: { code: 'invalid_input', fields } };
  }
  // The table is keyed by action, so the spec and the payload always agree.
  const spec = SPECS[action] as ActionSpec<ActionName>;
  const payload = parsed.data as Payload<ActionName>;
  const broken = spec.guard?.(o, payload, clock, actor);
  if (typeof broken === 'string') return { ok: false, refusal: { code: 'guard', guard: broken } };
  if (broken) return { ok: false, refusal: { code: 'guard', guard: 'content_rules', problems: broken } };

  const forWhom = actingFor(o, action, actor);
  const who: Person = {
    aadObjectId: actor.id,
    name: actor.name,
    ...(forWhom ? { onBehalfOf: forWhom } : {}),
  };
  // A decision taken by the one it was given to is no longer pending on anyone.
  const decision = spec.decision;
  const released =
    decision && o.assignments?.[decision]
      ? { assignments: Object.fromEntries(Object.entries(o.assignments).filter(([d]) => d !== decision)) }
      : {};
  const step = spec.step(o, payload, who, clock);
  const next: Opportunity = {
    ...o,
    ...released,
    ...(step.patch?.(o) ?? {}),
    status: step.to,
    version: o.version + 1,
    updatedAt: clock.now,
    timeline: step.to === o.status ? o.timeline : { ...o.timeline, [step.to]: clock.now },
    eventAt: { ...o.eventAt, ...Object.fromEntries(step.events.map((e) => [e, clock.now])) },
  };
  const events = step.events.map((type): WorkflowEvent => ({
    type,
    reference: o.reference,
    at: clock.now,
    actor: who,
    from: o.status,
    to: step.to,
    ...(step.comment ? { comment: step.comment } : {}),
  }));
  return { ok: true, next, events };
}

/** Turns complete intake content into a new record, or refuses it with the rules it breaks. */
export function submit(
  rawContent: unknown,
  requester: Actor,
  locale: 'en' | 'fr',
  clock: Clock,
  /** When the draft was started, if it was: the time the text took is a measure of its own. */
  draftStartedAt?: string,
): { ok: true; record: NewOpportunity } | { ok: false; refusal: Refusal } {
  const parsed = OpportunityContent.safeParse(rawContent);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))];
    return { ok: false, refusal: { code: 'invalid_input', fields } };
  }
  const problems = checkContent(parsed.data, today(clock));
  if (problems.length > 0) return { ok: false, refusal: { code: 'guard', guard: 'content_rules', problems } };
  return {
    ok: true,
    record: {
      ...parsed.data,
      referenceYear: Number(today(clock).slice(0, 4)),
      status: 'submitted',
      requester: { aadObjectId: requester.id, name: requester.name },
      locale,
      createdAt: clock.now,
      updatedAt: clock.now,
      timeline: { submitted: clock.now },
      eventAt: { submitted: clock.now },
      ...(draftStartedAt ? { draftStartedAt } : {}),
      ...freshReview(),
      selection: { questions: 0, declinedSuppliers: [] },
      delivery: { revisionsRequested: 0 },
    },
  };
}
