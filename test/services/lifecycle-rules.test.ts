import { strict as assert } from 'node:assert';
import {
  actingFor,
  type ActionName,
  decide,
  type Guard,
  GUARDS,
  offeredNow,
  type Outcome,
  pending,
  sinceCard,
  specOf,
  submit,
} from '../../src/services/lifecycle';
import {
  type Assignable,
  ASSIGNABLE,
  type ConsultationStatus,
  type Opportunity,
  type Status,
} from '../../src/services/opportunity';
import { type Actor, SYSTEM_ACTOR } from '../../src/services/roles';
import {
  CHECKLIST,
  clock,
  content,
  INVOICE,
  NOW,
  PAYLOAD,
  payloadFor,
  person,
  REQUESTER,
  submitted,
  TERMS,
} from '../support/opportunities';

/**
 * The lifecycle's rules one by one, each on the side that refuses and the side that lets through, and
 * what every decision writes on the record. The state × action × role matrix is in lifecycle.test.ts.
 */

const PROCUREMENT = person('proc-1', 'procurement');
const FINANCE = person('fin-1', 'finance');
const UNION = person('union-1', 'union');
const TODAY = NOW.slice(0, 10);

/** The one person each action is tried by here: someone holding its role. */
function actorFor(action: ActionName): Actor {
  const role = specOf(action).roles[0];
  if (role === 'requester') return REQUESTER;
  if (role === 'finance') return FINANCE;
  if (role === 'union') return UNION;
  if (role === 'system') return SYSTEM_ACTOR;
  if (role === 'lead') return LEAD;
  return PROCUREMENT;
}

const refusalOf = (outcome: Outcome) => (outcome.ok ? undefined : outcome.refusal.code);
const guardOf = (outcome: Outcome) => (outcome.ok ? undefined : outcome.refusal.guard);

/** A request in approval with every posting condition met, unless `patch` says otherwise. */
function inApproval(patch: Partial<Opportunity> = {}): Opportunity {
  return {
    ...submitted(),
    status: 'in_approval',
    timeline: { submitted: '2026-11-16T15:00:00.000Z', in_approval: '2026-11-17T15:00:00.000Z' },
    finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1' },
    consultation: { status: 'closed' },
    translationConfirmed: true,
    ...patch,
  };
}

const consulting = (status: ConsultationStatus, closesOn?: string) =>
  inApproval({
    finance: { fundsStatus: 'pending' },
    consultation: { status, opensAt: '2026-11-17T15:00:00.000Z', ...(closesOn ? { closesOn } : {}) },
    translationConfirmed: false,
  });

function inStatus(status: Status, selection: Partial<Opportunity['selection']> = {}): Opportunity {
  const o = submitted();
  return { ...o, status, selection: { ...o.selection, applications: 5, passed: 2, ...selection } };
}

/** Accepted work with its terms and funds reservation: what the invoice is checked against. */
const awaitingInvoice = (patch: Partial<Opportunity> = {}): Opportunity => ({
  ...inStatus('accepted'),
  terms: { ...TERMS, countersignedBy: { aadObjectId: 'fin-9', name: 'Card holder' }, countersignedAt: NOW },
  finance: { fundsStatus: 'approved', fundReservationNumber: 'FR-1' },
  ...patch,
});
/** Certified work with the supplier's invoice: what the payment is checked against. */
const awaitingPayment = (): Opportunity => ({
  ...awaitingInvoice(),
  status: 'certified',
  finance: {
    fundsStatus: 'approved',
    fundReservationNumber: 'FR-1',
    invoice: INVOICE,
    section34Certifier: { aadObjectId: 'fin-2', name: 'Certifier' },
  },
});
const invoice = (patch: Record<string, string>) => ({ ...(PAYLOAD.record_invoice as object), ...patch });
const convenience = (agreed: boolean): Opportunity['delivery'] => ({
  revisionsRequested: 0,
  termination: {
    kind: 'convenience',
    percentComplete: 40,
    amountCents: 160_000,
    proposedBy: { aadObjectId: 'proc-1', name: 'Priya' },
    proposedAt: NOW,
    ...(agreed ? { agreedBy: { aadObjectId: REQUESTER.id, name: REQUESTER.name }, agreedAt: NOW } : {}),
  },
});
const LEAD: Actor = {
  ...person('lead-1', 'procurement', 'finance', 'union'),
  leads: new Set(['procurement', 'finance', 'union'] as const),
};

/** The applicants who passed, by number, as the bot reads them from the store. */
const passers = (...numbers: number[]) =>
  numbers.map((number) => ({ number, name: `Applicant ${number}`, link: `https://example.dev/${number}` }));
const draw = (...numbers: number[]) => ({ seed: 'draw-2026-12-09', passers: passers(...numbers) });

interface GuardCase {
  readonly rule: string;
  readonly record: Opportunity;
  readonly action: ActionName;
  readonly payload?: unknown;
  readonly at?: string;
  /** Who tries it, when not the one person `actorFor` gives. */
  readonly by?: Actor;
  /** The guard that refuses, or undefined where the rule lets the action through. */
  readonly refusedBy: Guard | undefined;
}

/** Every guard on its refusing side, and next to it the closest case it must let through. */
const GUARD_CASES: readonly GuardCase[] = [
  {
    rule: 'finance cannot approve funds already approved',
    record: inApproval(),
    action: 'approve_funds',
    refusedBy: 'funds_already_approved',
  },
  {
    rule: 'finance approves pending funds',
    record: consulting('open'),
    action: 'approve_funds',
    refusedBy: undefined,
  },
  ...(['pending', 'acknowledged', 'concern_raised', 'closed'] as const).map((status): GuardCase => ({
    rule: `the union cannot acknowledge a consultation that is ${status}`,
    record: consulting(status),
    action: 'acknowledge',
    refusedBy: 'consultation_not_open',
  })),
  {
    rule: 'the union acknowledges an open consultation',
    record: consulting('open'),
    action: 'acknowledge',
    refusedBy: undefined,
  },
  ...(['pending', 'concern_raised', 'closed'] as const).map((status): GuardCase => ({
    rule: `the union cannot raise a concern on a consultation that is ${status}`,
    record: consulting(status),
    action: 'raise_concern',
    refusedBy: 'consultation_not_open',
  })),
  ...(['open', 'acknowledged'] as const).map((status): GuardCase => ({
    rule: `the union may raise a concern on a consultation that is ${status}`,
    record: consulting(status),
    action: 'raise_concern',
    refusedBy: undefined,
  })),
  ...(['pending', 'open', 'acknowledged', 'closed'] as const).map((status): GuardCase => ({
    rule: `procurement cannot answer a concern nobody raised (consultation ${status})`,
    record: consulting(status),
    action: 'answer_concern',
    refusedBy: 'no_concern_raised',
  })),
  {
    rule: 'procurement answers a raised concern',
    record: consulting('concern_raised'),
    action: 'answer_concern',
    refusedBy: undefined,
  },
  ...(['pending', 'acknowledged', 'concern_raised', 'closed'] as const).map((status): GuardCase => ({
    rule: `the clock does not close a consultation that is ${status}`,
    record: consulting(status, '2026-11-01'),
    action: 'close_consultation',
    refusedBy: 'consultation_not_open',
  })),
  {
    rule: 'the clock does not close a consultation before its last day',
    record: consulting('open', '2026-11-24'),
    action: 'close_consultation',
    refusedBy: 'consultation_period_running',
  },
  {
    rule: 'the clock does not close a consultation on its last day: it runs to the end of that day',
    record: consulting('open', TODAY),
    action: 'close_consultation',
    refusedBy: 'consultation_period_running',
  },
  {
    rule: 'the clock closes a consultation once its last day is over',
    record: consulting('open', '2026-11-20'),
    action: 'close_consultation',
    refusedBy: undefined,
  },
  {
    rule: 'the clock closes an open consultation that has no end date',
    record: consulting('open'),
    action: 'close_consultation',
    refusedBy: undefined,
  },
  {
    rule: 'go needs every point of the vetting checklist ticked',
    record: inStatus('submitted'),
    action: 'vet_go',
    payload: { ...CHECKLIST, notStaffing: false },
    refusedBy: 'vetting_checklist_incomplete',
  },
  {
    rule: 'go with every point of the checklist ticked is recorded',
    record: inStatus('submitted'),
    action: 'vet_go',
    payload: CHECKLIST,
    refusedBy: undefined,
  },
  {
    rule: 'the translation cannot be confirmed twice',
    record: inApproval(),
    action: 'confirm_translation',
    refusedBy: 'translation_already_confirmed',
  },
  {
    rule: 'the translation is confirmed once',
    record: inApproval({ translationConfirmed: false }),
    action: 'confirm_translation',
    refusedBy: undefined,
  },
  {
    rule: 'procurement cannot post before the funds are approved',
    record: inApproval({ finance: { fundsStatus: 'pending' } }),
    action: 'post',
    refusedBy: 'funds_not_approved',
  },
  ...(['pending', 'open', 'concern_raised'] as const).map((status): GuardCase => ({
    rule: `procurement cannot post while the consultation is ${status}`,
    record: inApproval({ consultation: { status } }),
    action: 'post',
    refusedBy: 'consultation_not_closed',
  })),
  {
    rule: 'procurement cannot post before the translation is confirmed',
    record: inApproval({ translationConfirmed: false }),
    action: 'post',
    refusedBy: 'translation_not_confirmed',
  },
  {
    rule: 'procurement cannot post on the application deadline',
    record: inApproval(),
    action: 'post',
    at: '2026-12-07T14:00:00.000Z',
    refusedBy: 'deadline_passed',
  },
  {
    rule: 'procurement posts the day before the application deadline',
    record: inApproval(),
    action: 'post',
    at: '2026-12-06T14:00:00.000Z',
    refusedBy: undefined,
  },
  {
    rule: 'the evaluation cannot count more passes than applications',
    record: inStatus('closed'),
    action: 'record_evaluation',
    payload: { applications: 3, passed: 4 },
    refusedBy: 'passed_exceeds_applications',
  },
  {
    rule: 'the evaluation may find that every applicant passed',
    record: inStatus('closed'),
    action: 'record_evaluation',
    payload: { applications: 3, passed: 3 },
    refusedBy: undefined,
  },
  {
    rule: 'the clock does not close applications on the deadline: they are open to its end',
    record: inStatus('posted'),
    action: 'close_applications',
    at: '2026-12-08T04:59:59.000Z',
    refusedBy: 'applications_still_open',
  },
  {
    rule: 'the clock closes applications once the deadline is over where the department works',
    record: inStatus('posted'),
    action: 'close_applications',
    at: '2026-12-08T05:00:00.000Z',
    refusedBy: undefined,
  },
  {
    rule: 'the clock closes applications at the extended deadline, not the published one',
    record: {
      ...inStatus('posted'),
      dates: { ...content().dates, extendedApplicationDeadline: '2026-12-14' },
    },
    action: 'close_applications',
    at: '2026-12-10T14:00:00.000Z',
    refusedBy: 'applications_still_open',
  },
  {
    rule: 'no supplier is drawn before the evaluation is recorded',
    record: inStatus('closed', { applications: undefined, passed: undefined }),
    action: 'select_supplier',
    payload: draw(1),
    refusedBy: 'evaluation_not_recorded',
  },
  {
    rule: 'there is no "no award" before the evaluation is recorded',
    record: inStatus('closed', { applications: undefined, passed: undefined }),
    action: 'no_award',
    refusedBy: 'evaluation_not_recorded',
  },
  {
    rule: 'dates changed before posting meet the intake’s rules',
    record: inApproval(),
    action: 'amend_dates',
    payload: {
      applicationDeadline: '2026-12-14',
      supplierSelectionDate: '2026-12-10',
      deliveryDate: '2027-02-05',
    },
    refusedBy: 'content_rules',
  },
  {
    rule: 'the requester moves the dates of a request in approval whose deadline has passed',
    record: inApproval({ dates: { ...content().dates, applicationDeadline: '2026-11-20' } }),
    action: 'amend_dates',
    refusedBy: undefined,
  },
  {
    rule: 'applications are extended only to a later deadline',
    record: inStatus('posted'),
    action: 'extend_applications',
    payload: { applicationDeadline: '2026-12-07', supplierSelectionDate: '2026-12-09' },
    refusedBy: 'deadline_not_later',
  },
  {
    rule: 'an extension of applications keeps the selection after the deadline and the delivery doable',
    record: inStatus('posted'),
    action: 'extend_applications',
    payload: { applicationDeadline: '2027-01-25', supplierSelectionDate: '2027-01-27' },
    refusedBy: 'content_rules',
  },
  {
    rule: 'no supplier is drawn when nobody passed',
    record: inStatus('closed', { passed: 0 }),
    action: 'select_supplier',
    payload: draw(1),
    refusedBy: 'no_passing_applicant',
  },
  {
    rule: 'no supplier is drawn when every passer declined',
    record: inStatus('closed', { passed: 1, declinedSuppliers: ['1'] }),
    action: 'select_supplier',
    payload: draw(1),
    refusedBy: 'no_passing_applicant',
  },
  {
    rule: 'the draw is refused when the list is longer than the passers',
    record: inStatus('closed'),
    action: 'select_supplier',
    payload: draw(1, 2, 3),
    refusedBy: 'draw_mismatch',
  },
  {
    rule: 'the draw is refused when the list is shorter than the passers',
    record: inStatus('closed'),
    action: 'select_supplier',
    payload: draw(1),
    refusedBy: 'draw_mismatch',
  },
  {
    rule: 'the draw is refused when a number is listed twice in place of a passer',
    record: inStatus('closed'),
    action: 'select_supplier',
    payload: draw(1, 1),
    refusedBy: 'draw_mismatch',
  },
  {
    rule: 'the draw is refused when a number is listed twice beside every passer',
    record: inStatus('closed'),
    action: 'select_supplier',
    payload: draw(1, 2, 2),
    refusedBy: 'draw_mismatch',
  },
  {
    rule: 'the draw among exactly the passers goes ahead',
    record: inStatus('closed'),
    action: 'select_supplier',
    payload: draw(2, 1),
    refusedBy: undefined,
  },
  {
    rule: 'a redraw is refused when it leaves out the passers who declined',
    record: inStatus('closed', { passed: 3, declinedSuppliers: ['1'] }),
    action: 'select_supplier',
    payload: draw(2, 3),
    refusedBy: 'draw_mismatch',
  },
  {
    rule: 'a redraw among every passer, those who declined included, goes ahead',
    record: inStatus('closed', { passed: 3, declinedSuppliers: ['1'] }),
    action: 'select_supplier',
    payload: draw(1, 2, 3),
    refusedBy: undefined,
  },
  {
    rule: 'there is no "no award" while an applicant passed',
    record: inStatus('closed', { passed: 1 }),
    action: 'no_award',
    refusedBy: 'passing_applicant_exists',
  },
  {
    rule: 'there is no "no award" while a passer who has not declined remains',
    record: inStatus('closed', { passed: 2, declinedSuppliers: ['1'] }),
    action: 'no_award',
    refusedBy: 'passing_applicant_exists',
  },
  {
    rule: 'the marking cannot be reassigned once every applicant is marked',
    record: inStatus('closed', { passed: 2 }),
    action: 'reassign_evaluation',
    refusedBy: 'evaluation_already_recorded',
  },
  {
    rule: 'the marking is reassigned to someone else, not to who marks already (whatever the id’s case)',
    record: inStatus('closed', { applications: undefined, passed: undefined }),
    action: 'reassign_evaluation',
    payload: { evaluator: { aadObjectId: REQUESTER.id.toUpperCase(), name: 'Riley' } },
    refusedBy: 'evaluator_unchanged',
  },
  {
    rule: 'the marking is reassigned to a colleague while applicants are still marked',
    record: inStatus('closed', { applications: undefined, passed: undefined }),
    action: 'reassign_evaluation',
    refusedBy: undefined,
  },
  {
    rule: 'a second reassignment names someone other than the colleague now marking',
    record: inStatus('closed', {
      applications: undefined,
      passed: undefined,
      evaluator: { aadObjectId: 'aad-colleague', name: 'Julie Lavoie' },
    }),
    action: 'reassign_evaluation',
    refusedBy: 'evaluator_unchanged',
  },
  {
    rule: '"no award" once nobody passed',
    record: inStatus('closed', { passed: 0 }),
    action: 'no_award',
    refusedBy: undefined,
  },
  {
    rule: '"no award" once every passer declined',
    record: inStatus('closed', { passed: 2, declinedSuppliers: ['1', '2'] }),
    action: 'no_award',
    refusedBy: undefined,
  },
  {
    rule: 'an extension must move delivery later than planned',
    record: inStatus('in_progress'),
    action: 'extend',
    payload: { newDeliveryDate: '2027-01-28' },
    refusedBy: 'extension_not_later',
  },
  {
    rule: 'a second extension must move delivery later than the first',
    record: {
      ...inStatus('in_progress'),
      dates: { ...content().dates, extendedDeliveryDate: '2027-02-26' },
    },
    action: 'extend',
    payload: { newDeliveryDate: '2027-02-12' },
    refusedBy: 'extension_not_later',
  },
  {
    rule: 'an extension a day later than the delivery in force goes ahead',
    record: inStatus('in_progress'),
    action: 'extend',
    payload: { newDeliveryDate: '2027-01-30' },
    refusedBy: undefined,
  },
  {
    rule: 'the card holder cannot countersign terms nobody recorded',
    record: inStatus('supplier_selected'),
    action: 'countersign_terms',
    refusedBy: 'terms_not_recorded',
  },
  {
    rule: 'the card holder cannot countersign terms without the signed document',
    record: { ...inStatus('supplier_selected'), terms: { ...TERMS, document: undefined } },
    action: 'countersign_terms',
    refusedBy: 'terms_document_missing',
  },
  {
    rule: 'the card holder countersigns recorded terms with their document',
    record: { ...inStatus('supplier_selected'), terms: TERMS },
    action: 'countersign_terms',
    refusedBy: undefined,
  },
  {
    rule: 'the terms cannot end before they start',
    record: inStatus('supplier_selected'),
    action: 'sign_terms',
    payload: { ...(PAYLOAD.sign_terms as object), startDate: '2027-01-30', endDate: '2027-01-29' },
    refusedBy: 'terms_dates',
  },
  {
    rule: 'the terms may start and end on one day',
    record: inStatus('supplier_selected'),
    action: 'sign_terms',
    payload: { ...(PAYLOAD.sign_terms as object), startDate: '2027-01-29', endDate: '2027-01-29' },
    refusedBy: undefined,
  },
  {
    rule: 'section 34 needs the invoice',
    record: awaitingInvoice(),
    action: 'certify',
    refusedBy: 'invoice_missing',
  },
  {
    rule: 'an invoice’s total is its amount plus its taxes',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ total: '4,600.01' }),
    refusedBy: 'invoice_total_mismatch',
  },
  {
    rule: 'an invoice for the fixed price with 15 % tax, in French figures, is recorded',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ amount: '4 000,00 $', taxes: '600,00', total: '4 600,00 $' }),
    refusedBy: undefined,
  },
  {
    rule: 'an invoice cannot claim more than the price before tax',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ amount: '4000.01', taxes: '599.99', total: '4600.00' }),
    refusedBy: 'invoice_over_price',
  },
  {
    rule: 'an invoice after a termination for convenience claims no more than the agreed share',
    record: awaitingInvoice({ delivery: convenience(true) }),
    action: 'record_invoice',
    payload: invoice({ amount: '1600.01', taxes: '0', total: '1600.01' }),
    refusedBy: 'invoice_over_price',
  },
  {
    rule: 'an invoice for exactly the agreed share is recorded',
    record: awaitingInvoice({ delivery: convenience(true) }),
    action: 'record_invoice',
    payload: invoice({ amount: '1600', taxes: '240', total: '1840' }),
    refusedBy: undefined,
  },
  {
    rule: 'an invoice cannot pass the $10,000 ceiling, taxes included',
    record: awaitingInvoice({
      pricing: { hourlyRateCents: 10_000, estimatedHours: 76.9, adminHours: 10, fixedPriceCents: 869_000 },
    }),
    action: 'record_invoice',
    payload: invoice({ amount: '8690', taxes: '1310.01', total: '10000.01' }),
    refusedBy: 'invoice_over_ceiling',
  },
  {
    rule: 'an invoice of exactly $10,000 with taxes is within the ceiling',
    record: awaitingInvoice({
      pricing: { hourlyRateCents: 10_000, estimatedHours: 76.9, adminHours: 10, fixedPriceCents: 869_000 },
    }),
    action: 'record_invoice',
    payload: invoice({ amount: '8690', taxes: '1303.50', total: '9993.50' }),
    refusedBy: undefined,
  },
  {
    rule: 'an invoice’s taxes cannot pass the highest Canadian rate',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ amount: '4000', taxes: '600.01', total: '4600.01' }),
    refusedBy: 'invoice_tax_too_high',
  },
  {
    rule: 'an invoice must quote the request’s fund reservation number',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ fundReservationNumber: 'FR-2' }),
    refusedBy: 'invoice_fund_reservation_mismatch',
  },
  {
    rule: 'an invoice quoting the fund reservation in another case is the same number',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ fundReservationNumber: ' fr-1 ' }),
    refusedBy: undefined,
  },
  {
    rule: 'an invoice cannot be dated tomorrow',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ invoiceDate: '2026-11-24' }),
    refusedBy: 'invoice_date_future',
  },
  {
    rule: 'an invoice dated today is recorded',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ invoiceDate: TODAY }),
    refusedBy: undefined,
  },
  {
    rule: 'an invoice cannot be dated before the terms start',
    record: awaitingInvoice(),
    action: 'record_invoice',
    payload: invoice({ invoiceDate: '2026-11-15' }),
    refusedBy: 'invoice_date_before_terms',
  },
  {
    rule: 'a payment cannot be dated in the future',
    record: awaitingPayment(),
    action: 'pay',
    payload: { method: 'paypal', paymentAmount: '4600', paymentDate: '2026-11-24' },
    refusedBy: 'payment_date_future',
  },
  {
    rule: 'a payment cannot come before the invoice',
    record: awaitingPayment(),
    action: 'pay',
    payload: { method: 'paypal', paymentAmount: '4600', paymentDate: '2026-11-19' },
    refusedBy: 'payment_before_invoice',
  },
  {
    rule: 'a payment on the invoice’s date goes ahead',
    record: awaitingPayment(),
    action: 'pay',
    payload: { method: 'credit_card', paymentAmount: '4600', paymentDate: '2026-11-20' },
    refusedBy: undefined,
  },
  {
    rule: 'a payment pays the invoice’s total, not another amount',
    record: awaitingPayment(),
    action: 'pay',
    payload: { method: 'paypal', paymentAmount: '4000', paymentDate: TODAY },
    refusedBy: 'payment_amount_mismatch',
  },
  {
    rule: 'a termination for convenience needs the share completed',
    record: inStatus('in_progress'),
    action: 'terminate',
    payload: { kind: 'convenience', reason: 'The team’s priorities changed' },
    refusedBy: 'percent_required',
  },
  {
    rule: 'a termination for default needs no share',
    record: inStatus('in_progress'),
    action: 'terminate',
    payload: { kind: 'default', reason: 'Nothing delivered' },
    refusedBy: undefined,
  },
  {
    rule: 'the requester cannot agree to a termination nobody proposed',
    record: inStatus('in_progress'),
    action: 'agree_termination',
    refusedBy: 'no_termination_proposed',
  },
  {
    rule: 'the requester cannot agree twice to one termination',
    record: { ...inStatus('in_progress'), delivery: convenience(true) },
    action: 'agree_termination',
    refusedBy: 'no_termination_proposed',
  },
  {
    rule: 'a termination for convenience awaiting agreement holds deliver back',
    record: { ...inStatus('in_progress'), delivery: convenience(false) },
    action: 'deliver',
    refusedBy: 'termination_pending',
  },
  {
    rule: 'a termination for convenience awaiting agreement holds extend back',
    record: { ...inStatus('in_progress'), delivery: convenience(false) },
    action: 'extend',
    refusedBy: 'termination_pending',
  },
  {
    rule: 'a termination for convenience awaiting agreement holds accept back',
    record: { ...inStatus('delivered'), delivery: convenience(false) },
    action: 'accept',
    refusedBy: 'termination_pending',
  },
  {
    rule: 'a termination for convenience awaiting agreement holds request_revisions back',
    record: { ...inStatus('delivered'), delivery: convenience(false) },
    action: 'request_revisions',
    refusedBy: 'termination_pending',
  },
  {
    rule: 'once the requester agreed, the termination holds nothing back: procurement may still price it again',
    record: { ...inStatus('in_progress'), delivery: convenience(false) },
    action: 'terminate',
    payload: { kind: 'convenience', percentComplete: 50, reason: 'Priced again' },
    refusedBy: undefined,
  },
  {
    rule: 'the clock opens no review while the delivery date has not passed',
    record: { ...inStatus('in_progress'), dates: { ...content().dates, deliveryDate: TODAY } },
    action: 'open_review',
    refusedBy: 'delivery_not_overdue',
  },
  {
    rule: 'the clock opens a review the day after the delivery date',
    record: { ...inStatus('in_progress'), dates: { ...content().dates, deliveryDate: '2026-11-22' } },
    action: 'open_review',
    refusedBy: undefined,
  },
  {
    rule: 'the clock opens one review, not one a day',
    record: {
      ...inStatus('in_progress'),
      dates: { ...content().dates, deliveryDate: '2026-11-20' },
      delivery: { revisionsRequested: 0, reviewOpenedOn: '2026-11-21' },
    },
    action: 'open_review',
    refusedBy: 'review_already_open',
  },
  {
    rule: 'only the team’s lead gives its decisions to a colleague',
    record: inStatus('submitted'),
    action: 'reassign_decision',
    payload: { ...(PAYLOAD.reassign_decision as object), decision: 'vetting' },
    by: { ...person('lead-fin', 'finance', 'procurement'), leads: new Set(['finance'] as const) },
    refusedBy: 'not_team_lead',
  },
  {
    rule: 'a decision already taken cannot be given to anyone',
    record: inStatus('certified'),
    action: 'reassign_decision',
    payload: { ...(PAYLOAD.reassign_decision as object), decision: 'certification' },
    refusedBy: 'decision_not_pending',
  },
  {
    rule: 'a decision is not given again to the person who has it',
    record: {
      ...inStatus('certified'),
      assignments: { payment: { aadObjectId: 'AAD-colleague', name: 'Julie Lavoie' } },
    },
    action: 'reassign_decision',
    payload: { ...(PAYLOAD.reassign_decision as object), decision: 'payment' },
    refusedBy: 'assignee_unchanged',
  },
  {
    rule: 'a finance lead gives the pending payment to a colleague',
    record: inStatus('certified'),
    action: 'reassign_decision',
    payload: { ...(PAYLOAD.reassign_decision as object), decision: 'payment' },
    refusedBy: undefined,
  },
  {
    rule: 'a resubmission must meet the content rules',
    record: inStatus('changes_requested'),
    action: 'resubmit',
    payload: { content: content({ dates: { ...content().dates, applicationDeadline: TODAY } }) },
    refusedBy: 'content_rules',
  },
];

describe('lifecycle rules: every guard, on both sides', () => {
  it('has a case that trips each guard the lifecycle knows', () => {
    const tripped = new Set(GUARD_CASES.map((c) => c.refusedBy).filter(Boolean));
    assert.deepEqual(
      GUARDS.filter((g) => !tripped.has(g)),
      [],
    );
  });

  for (const c of GUARD_CASES) {
    it(c.rule, () => {
      const payload = c.payload ?? PAYLOAD[c.action];
      const outcome = decide(c.record, c.action, payload, c.by ?? actorFor(c.action), clock(c.at));
      assert.equal(guardOf(outcome), c.refusedBy, outcome.ok ? 'let through' : outcome.refusal.code);
      assert.equal(outcome.ok, c.refusedBy === undefined);
    });
  }

  it('gives the content rules that a resubmission breaks', () => {
    const o = inStatus('changes_requested');
    const late = content({ dates: { ...content().dates, applicationDeadline: TODAY } });
    const outcome = decide(o, 'resubmit', { content: late }, REQUESTER, clock());
    assert.ok(!outcome.ok);
    assert.deepEqual(outcome.refusal.problems, [{ field: 'applicationDeadline', code: 'date_not_future' }]);
  });
});

/** What the record holds after each decision, beyond its status: the part an auditor reads. */
interface RecordCase {
  readonly rule: string;
  readonly record: Opportunity;
  readonly action: ActionName;
  readonly payload?: unknown;
  readonly written: (next: Opportunity) => unknown;
  readonly expected: unknown;
  /** The comment the decision's events carry. */
  readonly comment?: string;
}

const RECORD_CASES: readonly RecordCase[] = [
  {
    rule: 'a no-go keeps its reason',
    record: inStatus('submitted'),
    action: 'vet_no_go',
    payload: { reason: 'Needs classified data' },
    written: (n) => n.decisionNote,
    expected: 'Needs classified data',
    comment: 'Needs classified data',
  },
  {
    rule: 'a request for edits keeps what to change',
    record: inStatus('submitted'),
    action: 'request_edits',
    payload: { comment: 'Split the deliverables' },
    written: (n) => n.decisionNote,
    expected: 'Split the deliverables',
    comment: 'Split the deliverables',
  },
  {
    rule: 'funds approval records the cost centre when given',
    record: consulting('open'),
    action: 'approve_funds',
    payload: { fundReservationNumber: 'FR-7', costCentre: 'CC-4410' },
    written: (n) => n.finance,
    expected: {
      fundsStatus: 'approved',
      fundReservationNumber: 'FR-7',
      costCentre: 'CC-4410',
      section32Approver: { aadObjectId: FINANCE.id, name: FINANCE.name },
      section32At: NOW,
    },
  },
  {
    rule: 'funds approval without a cost centre records none',
    record: consulting('open'),
    action: 'approve_funds',
    payload: { fundReservationNumber: 'FR-7', costCentre: '' },
    written: (n) => 'costCentre' in n.finance,
    expected: false,
  },
  {
    rule: 'a funds rejection keeps its reason',
    record: consulting('open'),
    action: 'reject_funds',
    payload: { reason: 'No budget this year' },
    written: (n) => n.decisionNote,
    expected: 'No budget this year',
    comment: 'No budget this year',
  },
  {
    rule: 'finance asking for changes keeps what to change',
    record: consulting('open'),
    action: 'request_funds_changes',
    payload: { comment: 'Use the branch cost centre' },
    written: (n) => n.decisionNote,
    expected: 'Use the branch cost centre',
    comment: 'Use the branch cost centre',
  },
  {
    rule: 'an acknowledgement keeps when the consultation opened and was to close',
    record: consulting('open', '2026-11-24'),
    action: 'acknowledge',
    written: (n) => n.consultation,
    expected: { status: 'acknowledged', opensAt: '2026-11-17T15:00:00.000Z', closesOn: '2026-11-24' },
  },
  {
    rule: 'a concern is kept in the union’s words',
    record: consulting('acknowledged', '2026-11-24'),
    action: 'raise_concern',
    payload: { comment: 'The team has this skill' },
    written: (n) => n.consultation,
    expected: {
      status: 'concern_raised',
      opensAt: '2026-11-17T15:00:00.000Z',
      closesOn: '2026-11-24',
      concern: 'The team has this skill',
    },
    comment: 'The team has this skill',
  },
  {
    rule: 'an answered concern closes the consultation, keeping the concern and the answer',
    record: inApproval({
      consultation: { status: 'concern_raised', concern: 'The team has this skill' },
    }),
    action: 'answer_concern',
    payload: { comment: 'The team is committed until April' },
    written: (n) => n.consultation,
    expected: {
      status: 'closed',
      concern: 'The team has this skill',
      answer: 'The team is committed until April',
    },
    comment: 'The team is committed until April',
  },
  {
    rule: 'the clock closes the consultation',
    record: consulting('open', '2026-11-20'),
    action: 'close_consultation',
    written: (n) => n.consultation.status,
    expected: 'closed',
  },
  {
    rule: 'a confirmed translation is recorded',
    record: inApproval({ translationConfirmed: false }),
    action: 'confirm_translation',
    written: (n) => n.translationConfirmed,
    expected: true,
  },
  {
    rule: 'the evaluation records how many applied and passed',
    record: inStatus('closed', { applications: undefined, passed: undefined }),
    action: 'record_evaluation',
    payload: { applications: 4, passed: 3 },
    written: (n) => [n.selection.applications, n.selection.passed],
    expected: [4, 3],
  },
  {
    rule: 'changed dates replace the dates before posting, with the reason',
    record: inApproval(),
    action: 'amend_dates',
    payload: {
      applicationDeadline: '2026-12-14',
      supplierSelectionDate: '2026-12-16',
      deliveryDate: '2027-02-05',
      comment: 'Vetting took longer',
    },
    written: (n) => n.dates,
    expected: {
      applicationDeadline: '2026-12-14',
      supplierSelectionDate: '2026-12-16',
      deliveryDate: '2027-02-05',
    },
    comment: 'Vetting took longer',
  },
  {
    rule: 'extended applications keep the published dates beside the new ones',
    record: inStatus('posted'),
    action: 'extend_applications',
    payload: {
      applicationDeadline: '2026-12-14',
      supplierSelectionDate: '2026-12-16',
      comment: 'Few applications',
    },
    written: (n) => n.dates,
    expected: {
      ...content().dates,
      extendedApplicationDeadline: '2026-12-14',
      extendedSupplierSelectionDate: '2026-12-16',
    },
    comment: 'Few applications',
  },
  {
    rule: '"no award" says why the request was cancelled',
    record: inStatus('closed', { passed: 0 }),
    action: 'no_award',
    written: (n) => n.decisionNote,
    expected: 'no_award',
  },
  {
    rule: 'the draw records the seed, the passing numbers in ascending order, and the winner with the name and link they published',
    record: inStatus('closed'),
    action: 'select_supplier',
    // This seed draws 10 before 2; numbers sort as numbers, 2 before 10.
    payload: draw(10, 2),
    written: (n) => n.selection,
    expected: {
      questions: 0,
      applications: 5,
      passed: 2,
      declinedSuppliers: [],
      draw: { seed: 'draw-2026-12-09', candidates: ['2', '10'], selectedIndex: 1 },
      supplierName: 'Applicant 10',
      supplierLink: 'https://example.dev/10',
    },
  },
  {
    rule: 'the draw records no link for a winner who published none',
    record: inStatus('closed'),
    action: 'select_supplier',
    // This seed draws 2 before 10.
    payload: { seed: 'seed-given-later', passers: [{ number: 2, name: 'Applicant 2' }, ...passers(10)] },
    written: (n) => ({ name: n.selection.supplierName, link: n.selection.supplierLink }),
    expected: { name: 'Applicant 2' },
  },
  {
    rule: 'the draw uses the seed fixed when applications closed, not one given later',
    record: inStatus('closed', { drawSeed: 'seed-of-the-close' }),
    action: 'select_supplier',
    // The seed given later would draw 2; the seed of the close draws 10.
    payload: { seed: 'seed-given-later', passers: passers(2, 10) },
    written: (n) => [n.selection.draw, n.selection.supplierName],
    expected: [{ seed: 'seed-of-the-close', candidates: ['2', '10'], selectedIndex: 1 }, 'Applicant 10'],
  },
  {
    rule: 'a redraw passes over the passers who declined, to the next in the seed’s order',
    record: inStatus('closed', { passed: 3, declinedSuppliers: ['2'] }),
    action: 'select_supplier',
    // The seed orders 2, 3, 1: with 2 declined, 3 is drawn rather than the lowest number left.
    payload: { seed: 'seed-given-later', passers: passers(1, 2, 3) },
    written: (n) => [n.selection.draw, n.selection.supplierName, n.selection.declinedSuppliers],
    expected: [
      { seed: 'seed-given-later', candidates: ['1', '2', '3'], selectedIndex: 2 },
      'Applicant 3',
      ['2'],
    ],
  },
  {
    rule: 'a supplier who declines joins the declined by their applicant number, and the draw is undone',
    record: inStatus('supplier_selected', {
      passed: 3,
      declinedSuppliers: ['2'],
      supplierName: 'Applicant 3',
      supplierLink: 'https://example.dev/3',
      draw: { seed: 's', candidates: ['1', '2', '3'], selectedIndex: 2 },
    }),
    action: 'supplier_declined',
    payload: { comment: 'Took another job' },
    written: (n) => n.selection,
    expected: { questions: 0, applications: 5, passed: 3, declinedSuppliers: ['2', '3'] },
    comment: 'Took another job',
  },
  {
    rule: 'a delivery records the link to the work',
    record: inStatus('in_progress'),
    action: 'deliver',
    payload: { link: 'https://github.com/example/pull/12' },
    written: (n) => n.delivery,
    expected: { revisionsRequested: 0, deliveredLink: 'https://github.com/example/pull/12' },
  },
  {
    rule: 'a request for revisions keeps what to revise',
    record: inStatus('delivered'),
    action: 'request_revisions',
    payload: { comment: 'Tab order on Safari' },
    written: (n) => n.delivery.revisionsRequested,
    expected: 1,
    comment: 'Tab order on Safari',
  },
  {
    rule: 'an extension keeps the original delivery date beside the new one, with its reason',
    record: inStatus('in_progress'),
    action: 'extend',
    payload: { newDeliveryDate: '2027-02-12', comment: 'Supplier was ill' },
    written: (n) => n.dates,
    expected: { ...content().dates, extendedDeliveryDate: '2027-02-12' },
    comment: 'Supplier was ill',
  },
  {
    rule: 'a termination for default keeps its reason, and who ended it',
    record: inStatus('in_progress'),
    action: 'terminate',
    payload: { kind: 'default', reason: 'Nothing delivered' },
    written: (n) => [n.status, n.delivery.terminationReason, n.delivery.termination],
    expected: [
      'terminated',
      'Nothing delivered',
      { kind: 'default', proposedBy: { aadObjectId: 'proc-1', name: PROCUREMENT.name }, proposedAt: NOW },
    ],
    comment: 'Nothing delivered',
  },
  {
    rule: 'a termination for convenience prices the share completed and waits for the requester',
    record: inStatus('delivered'),
    action: 'terminate',
    payload: { kind: 'convenience', percentComplete: '35', reason: 'Priorities changed' },
    written: (n) => [n.status, n.delivery.termination?.percentComplete, n.delivery.termination?.amountCents],
    // 35 % of $4,000.
    expected: ['delivered', 35, 140_000],
    comment: 'Priorities changed',
  },
  {
    rule: 'the requester’s agreement to the share makes it payable',
    record: { ...inStatus('in_progress'), delivery: convenience(false) },
    action: 'agree_termination',
    written: (n) => [n.status, n.delivery.termination?.agreedBy, n.delivery.termination?.agreedAt],
    expected: ['accepted', { aadObjectId: REQUESTER.id, name: REQUESTER.name }, NOW],
  },
  {
    rule: 'the signed terms record their blanks, their document and who recorded them',
    record: { ...inStatus('supplier_selected'), terms: { ...TERMS, contractor: 'Old name' } },
    action: 'sign_terms',
    written: (n) => [n.status, n.terms],
    expected: [
      'supplier_selected',
      {
        ...(PAYLOAD.sign_terms as object),
        document: TERMS.document,
        recordedBy: { aadObjectId: 'proc-1', name: PROCUREMENT.name },
        recordedAt: NOW,
      },
    ],
  },
  {
    rule: 'the countersignature records the card holder and starts the work',
    record: { ...inStatus('supplier_selected'), terms: TERMS },
    action: 'countersign_terms',
    written: (n) => [n.status, n.terms?.countersignedBy, n.terms?.countersignedAt],
    expected: ['in_progress', { aadObjectId: FINANCE.id, name: FINANCE.name }, NOW],
  },
  {
    rule: 'the invoice records its figures in cents, its reservation and who recorded it',
    record: awaitingInvoice(),
    action: 'record_invoice',
    written: (n) => n.finance.invoice,
    expected: { ...INVOICE, recordedBy: { aadObjectId: FINANCE.id, name: FINANCE.name } },
  },
  {
    rule: 'the clock’s review of a late delivery records the day it opened',
    record: { ...inStatus('in_progress'), dates: { ...content().dates, deliveryDate: '2026-11-20' } },
    action: 'open_review',
    written: (n) => n.delivery.reviewOpenedOn,
    expected: TODAY,
  },
  {
    rule: 'an extension closes the non-delivery review',
    record: { ...inStatus('in_progress'), delivery: { revisionsRequested: 0, reviewOpenedOn: '2026-11-21' } },
    action: 'extend',
    payload: { newDeliveryDate: '2027-02-12' },
    written: (n) => n.delivery,
    expected: { revisionsRequested: 0 },
  },
  {
    rule: 'certification records the section 34 certifier and when',
    record: { ...inStatus('accepted'), finance: { fundsStatus: 'approved', invoice: INVOICE } },
    action: 'certify',
    written: (n) => [n.finance.section34Certifier, n.finance.section34At],
    expected: [{ aadObjectId: FINANCE.id, name: FINANCE.name }, NOW],
  },
  {
    rule: 'payment records the method, the amount, the date and who paid',
    record: awaitingPayment(),
    action: 'pay',
    payload: { method: 'credit_card', paymentAmount: '4,600.00', paymentDate: '2026-11-21' },
    written: (n) => [
      n.finance.paymentMethod,
      n.finance.paymentAmountCents,
      n.finance.paymentDate,
      n.finance.paidBy,
    ],
    expected: ['credit_card', 460_000, '2026-11-21', { aadObjectId: FINANCE.id, name: FINANCE.name }],
  },
  {
    rule: 'a lead’s reassignment names who takes the decision',
    record: inStatus('certified'),
    action: 'reassign_decision',
    payload: { ...(PAYLOAD.reassign_decision as object), decision: 'payment' },
    written: (n) => n.assignments,
    expected: { payment: { aadObjectId: 'aad-colleague', name: 'Julie Lavoie' } },
  },
  {
    rule: 'a cancellation keeps its reason',
    record: inStatus('posted'),
    action: 'cancel',
    payload: { reason: 'Need met another way' },
    written: (n) => n.decisionNote,
    expected: 'Need met another way',
    comment: 'Need met another way',
  },
];

describe('lifecycle rules: what each decision records', () => {
  for (const c of RECORD_CASES) {
    it(c.rule, () => {
      const outcome = decide(c.record, c.action, c.payload ?? PAYLOAD[c.action], actorFor(c.action), clock());
      assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.refusal));
      // As stored: a value set to undefined is a value removed.
      assert.deepEqual(JSON.parse(JSON.stringify(c.written(outcome.next))), c.expected);
      for (const e of outcome.events) assert.equal(e.comment, c.comment, e.type);
    });
  }

  it('carries no comment on the events of a decision taken without one', () => {
    const o = inStatus('supplier_selected', { supplierName: 'A' });
    const outcome = decide(o, 'supplier_declined', {}, PROCUREMENT, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(
      outcome.events.map((e) => 'comment' in e),
      [false],
    );
  });

  it('keeps the date a request entered its status when a decision leaves it there', () => {
    // Reminders and the summary count the wait from this date: funds approved does not restart it.
    const o = consulting('open');
    const outcome = decide(o, 'approve_funds', PAYLOAD.approve_funds, FINANCE, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.next.timeline, o.timeline);
    assert.equal(outcome.next.updatedAt, NOW);
  });

  it('dates the entry into a new status, keeping the earlier ones', () => {
    const o = inApproval();
    const outcome = decide(o, 'post', {}, PROCUREMENT, clock());
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.next.timeline, { ...o.timeline, posted: NOW });
  });

  it('names a refused field inside the content or a list by its path', () => {
    const o = inStatus('changes_requested');
    const resubmit = decide(o, 'resubmit', { content: { ...content(), title: '' } }, REQUESTER, clock());
    assert.deepEqual(!resubmit.ok && resubmit.refusal.fields, ['content.title']);
    const blank = { ...draw(1, 2), passers: [...passers(1), { number: 2, name: ' ' }] };
    const drawn = decide(inStatus('closed'), 'select_supplier', blank, PROCUREMENT, clock());
    assert.deepEqual(!drawn.ok && drawn.refusal.fields, ['passers.1.name']);
    const created = submit(
      { ...content(), client: { ...content().client, contactEmail: 5 } },
      REQUESTER,
      'en',
      clock(),
    );
    assert.deepEqual(!created.ok && created.refusal.fields, ['client.contactEmail']);
  });

  for (const link of ['https://example.dev/pr/1', 'http://git.example.gc.ca/pr/1']) {
    it(`takes ${link.split(':')[0]} links to the delivered work`, () => {
      const outcome = decide(inStatus('in_progress'), 'deliver', { link }, REQUESTER, clock());
      assert.equal(outcome.ok && outcome.next.delivery.deliveredLink, link);
    });
  }

  for (const link of ['xhttps://example.dev/pr/1', 'https+x://example.dev/pr/1', 'ftp://example.dev/x']) {
    it(`refuses ${link.split(':')[0]}: as a link to the delivered work or a passer’s published link`, () => {
      const delivered = decide(inStatus('in_progress'), 'deliver', { link }, REQUESTER, clock());
      assert.deepEqual(!delivered.ok && delivered.refusal.fields, ['link']);
      const payload = { ...draw(1, 2), passers: [{ ...passers(1)[0], link }, ...passers(2)] };
      const drawn = decide(inStatus('closed'), 'select_supplier', payload, PROCUREMENT, clock());
      assert.deepEqual(!drawn.ok && drawn.refusal.fields, ['passers.0.link']);
    });
  }
});

/** The sub-states a card's buttons depend on, every combination. */
function* approvalStates(): Generator<Opportunity> {
  for (const fundsStatus of ['pending', 'approved'] as const)
    for (const status of ['pending', 'open', 'acknowledged', 'concern_raised', 'closed'] as const)
      for (const translationConfirmed of [false, true])
        yield inApproval({
          finance: { fundsStatus, ...(fundsStatus === 'approved' ? { fundReservationNumber: 'FR-1' } : {}) },
          consultation: { status },
          translationConfirmed,
        });
}

function* selectionStates(): Generator<Opportunity> {
  const numbers = ['1', '2', '3'];
  yield inStatus('closed', { applications: undefined, passed: undefined });
  for (let passed = 0; passed <= 3; passed++)
    for (let declined = 0; declined <= passed; declined++)
      yield inStatus('closed', { passed, declinedSuppliers: numbers.slice(0, declined) });
}

/**
 * A payload that can only be refused for the state of the record, never for what was sent: the draw gets
 * every passer, as the bot reads them from the store (those who declined included), and at least one.
 */
function validPayload(o: Opportunity, action: ActionName): unknown {
  if (action !== 'select_supplier') return payloadFor(o, action);
  return draw(...Array.from({ length: Math.max(o.selection.passed ?? 0, 1) }, (_, i) => i + 1));
}

describe('lifecycle rules: buttons on the cards', () => {
  for (const [stage, states, cases] of [
    ['approval', approvalStates, 20 * 12],
    // The evaluation is recorded by the bot: select_supplier, reassign_evaluation, no_award and cancel
    // have buttons.
    ['selection', selectionStates, 11 * 4],
  ] as const) {
    it(`offers a button during ${stage} exactly when pressing it would work`, () => {
      let checked = 0;
      for (const o of states()) {
        // The clock's own actions have no button.
        const buttons = (Object.keys(PAYLOAD) as ActionName[]).filter(
          (a) => specOf(a).from.includes(o.status) && !specOf(a).roles.includes('system'),
        );
        for (const action of buttons) {
          const outcome = decide(o, action, validPayload(o, action), actorFor(action), clock());
          const state = `${action} with ${JSON.stringify([o.finance.fundsStatus, o.consultation.status, o.translationConfirmed, o.selection.passed, o.selection.declinedSuppliers.length])}`;
          assert.equal(offeredNow(o, action), outcome.ok, state);
          checked++;
        }
      }
      assert.equal(checked, cases);
    });
  }

  it('offers every other action whenever its state allows it', () => {
    for (const action of ['vet_go', 'record_question', 'sign_terms', 'record_invoice', 'pay'] as const) {
      assert.equal(offeredNow(inStatus(specOf(action).from[0] as Status), action), true, action);
    }
  });
});

describe('lifecycle rules: separation of duties', () => {
  const vetted = (by: Actor): Opportunity => ({
    ...consulting('open'),
    vettedBy: { aadObjectId: by.id, name: by.name },
  });
  const BOTH = person('proc-fin', 'procurement', 'finance');

  it('records who vetted a request', () => {
    const outcome = decide(inStatus('submitted'), 'vet_go', CHECKLIST, PROCUREMENT, clock());
    assert.deepEqual(outcome.ok && outcome.next.vettedBy, {
      aadObjectId: PROCUREMENT.id,
      name: PROCUREMENT.name,
    });
  });

  it('keeps the person who vetted a request from approving its funds, whatever the case of their id', () => {
    for (const id of ['proc-fin', 'PROC-FIN']) {
      const outcome = decide(vetted(BOTH), 'approve_funds', PAYLOAD.approve_funds, { ...BOTH, id }, clock());
      assert.deepEqual(!outcome.ok && outcome.refusal, { code: 'separation_of_duties', duty: 'vetted' });
    }
    assert.equal(decide(vetted(PROCUREMENT), 'approve_funds', PAYLOAD.approve_funds, BOTH, clock()).ok, true);
  });

  it('keeps the person who certified the work (s.34) from recording its payment', () => {
    const certified = decide(
      awaitingInvoice({ finance: { fundsStatus: 'approved', invoice: INVOICE } }),
      'certify',
      {},
      FINANCE,
      clock(),
    );
    assert.ok(certified.ok);
    const again = decide(certified.next, 'pay', PAYLOAD.pay, FINANCE, clock());
    assert.deepEqual(!again.ok && again.refusal, { code: 'separation_of_duties', duty: 'certified' });
    assert.equal(decide(certified.next, 'pay', PAYLOAD.pay, person('fin-2', 'finance'), clock()).ok, true);
  });

  it('keeps a requester from confirming the translation of their own request, whatever roles they hold', () => {
    const own = person(REQUESTER.id.toUpperCase(), 'procurement');
    const outcome = decide(
      inApproval({ translationConfirmed: false }),
      'confirm_translation',
      {},
      own,
      clock(),
    );
    assert.deepEqual(!outcome.ok && outcome.refusal.code, 'own_request');
  });

  it('takes an id in another case as the same person on their own request', () => {
    const own = person(REQUESTER.id.toUpperCase(), 'procurement', 'finance');
    for (const action of ['vet_go', 'approve_funds'] as const) {
      const record = action === 'vet_go' ? inStatus('submitted') : consulting('open');
      const outcome = decide(record, action, PAYLOAD[action], own, clock());
      assert.deepEqual(!outcome.ok && outcome.refusal.code, 'own_request', action);
    }
  });
});

describe('lifecycle rules: pending decisions, branches, delegates and assignments', () => {
  const assignee = { aadObjectId: 'aad-colleague', name: 'Julie Lavoie' };
  const FARAH = { aadObjectId: 'fin-on-leave', name: 'Farah Haddad' };
  /** Someone holding finance only as Farah's delegate. */
  const DELEGATE: Actor = { ...person('delegate-1', 'finance'), delegatedBy: { finance: FARAH } };
  const funds = () => consulting('open');

  it('takes a decision as pending exactly when the record waits for it', () => {
    const cases: [Opportunity, Record<Assignable, boolean>][] = [
      [
        inStatus('submitted'),
        { vetting: true, funds: false, consultation: false, certification: false, payment: false },
      ],
      [
        consulting('open'),
        { vetting: false, funds: true, consultation: true, certification: false, payment: false },
      ],
      [
        consulting('acknowledged'),
        { vetting: false, funds: true, consultation: true, certification: false, payment: false },
      ],
      [
        consulting('concern_raised'),
        { vetting: false, funds: true, consultation: false, certification: false, payment: false },
      ],
      [
        inApproval(),
        { vetting: false, funds: false, consultation: false, certification: false, payment: false },
      ],
      [
        { ...consulting('open'), status: 'posted' },
        { vetting: false, funds: false, consultation: false, certification: false, payment: false },
      ],
      [
        inStatus('accepted'),
        { vetting: false, funds: false, consultation: false, certification: true, payment: false },
      ],
      [
        inStatus('certified'),
        { vetting: false, funds: false, consultation: false, certification: false, payment: true },
      ],
      [
        inStatus('paid'),
        { vetting: false, funds: false, consultation: false, certification: false, payment: false },
      ],
    ];
    for (const [o, expected] of cases) {
      const found = Object.fromEntries(ASSIGNABLE.map((d) => [d, pending(o, d)]));
      assert.deepEqual(found, expected, `${o.status} ${o.finance.fundsStatus} ${o.consultation.status}`);
    }
  });

  it('lets a role limited to branches decide only for those branches, however the branch is written', () => {
    const innovation: Actor = { ...person('fin-inno', 'finance'), branches: { finance: ['Innovation'] } };
    const benefits: Actor = {
      ...person('fin-ben', 'finance'),
      branches: { finance: ['benefits  DELIVERY'] },
    };
    assert.deepEqual(
      refusalOf(decide(funds(), 'approve_funds', PAYLOAD.approve_funds, innovation, clock())),
      'role',
    );
    assert.equal(decide(funds(), 'approve_funds', PAYLOAD.approve_funds, benefits, clock()).ok, true);
    // A limit on one role leaves the others whole.
    const both: Actor = { ...person('both', 'finance', 'union'), branches: { finance: ['Innovation'] } };
    assert.equal(decide(funds(), 'acknowledge', {}, both, clock()).ok, true);
  });

  it('records a delegate’s decision on behalf of the colleague whose role they hold, and nobody’s otherwise', () => {
    const byDelegate = decide(funds(), 'approve_funds', PAYLOAD.approve_funds, DELEGATE, clock());
    assert.ok(byDelegate.ok);
    assert.deepEqual(byDelegate.next.finance.section32Approver, {
      aadObjectId: DELEGATE.id,
      name: DELEGATE.name,
      onBehalfOf: FARAH,
    });
    assert.deepEqual(byDelegate.events[0]?.actor.onBehalfOf, FARAH);
    assert.deepEqual(actingFor(funds(), 'approve_funds', DELEGATE), FARAH);
    // Their own union role is their own: acknowledging is nobody else's decision.
    const unionToo: Actor = { ...DELEGATE, roles: new Set(['finance', 'union']) };
    assert.equal(actingFor(funds(), 'acknowledge', unionToo), undefined);
    // Holding finance of their own as well, they act for themselves.
    assert.equal(actingFor(funds(), 'approve_funds', { ...FINANCE, delegatedBy: {} }), undefined);
    // A lead acts as a lead, for nobody.
    const lead: Actor = { ...DELEGATE, leads: new Set(['finance'] as const) };
    const given = decide(
      inStatus('certified'),
      'reassign_decision',
      { decision: 'payment', assignee },
      lead,
      clock(),
    );
    assert.ok(given.ok);
    assert.equal(given.events[0]?.actor.onBehalfOf, undefined);
  });

  it('holds a delegate to the separation of duties of the colleague they act for', () => {
    const vettedByFarah = { ...funds(), vettedBy: FARAH };
    assert.deepEqual(decide(vettedByFarah, 'approve_funds', PAYLOAD.approve_funds, DELEGATE, clock()), {
      ok: false,
      refusal: { code: 'separation_of_duties', duty: 'vetted' },
    });
    // Nor for a vetter who was themself a delegate: the colleague they acted for vetted it too.
    const vettedForFarah = { ...funds(), vettedBy: { aadObjectId: 'p-9', name: 'P', onBehalfOf: FARAH } };
    assert.equal(
      refusalOf(decide(vettedForFarah, 'approve_funds', PAYLOAD.approve_funds, DELEGATE, clock())),
      'separation_of_duties',
    );
    const farahsRequest = { ...funds(), requester: FARAH };
    assert.equal(
      refusalOf(decide(farahsRequest, 'approve_funds', PAYLOAD.approve_funds, DELEGATE, clock())),
      'own_request',
    );
    assert.equal(decide(funds(), 'approve_funds', PAYLOAD.approve_funds, DELEGATE, clock()).ok, true);
  });

  it('lets only the colleague a decision was given to, or their delegate, take it, and then frees it', () => {
    const given = {
      ...funds(),
      assignments: { funds: assignee, consultation: { aadObjectId: 'u-2', name: 'U' } },
    };
    assert.deepEqual(decide(given, 'approve_funds', PAYLOAD.approve_funds, FINANCE, clock()), {
      ok: false,
      refusal: { code: 'assigned', assignee },
    });
    const julie: Actor = { ...person('AAD-COLLEAGUE', 'finance') };
    const taken = decide(given, 'approve_funds', PAYLOAD.approve_funds, julie, clock());
    assert.ok(taken.ok);
    // Taken: the decision is nobody's any more; the others given stay given.
    assert.deepEqual(taken.next.assignments, { consultation: { aadObjectId: 'u-2', name: 'U' } });
    const forJulie: Actor = { ...person('d-2', 'finance'), delegatedBy: { finance: assignee } };
    assert.equal(decide(given, 'approve_funds', PAYLOAD.approve_funds, forJulie, clock()).ok, true);
    // A decision given away binds only that decision.
    assert.equal(decide(given, 'request_funds_changes', { comment: 'x' }, FINANCE, clock()).ok, false);
    assert.equal(
      decide({ ...given, assignments: {} }, 'approve_funds', PAYLOAD.approve_funds, FINANCE, clock()).ok,
      true,
    );
  });

  it('judges an agreement from a card shown before procurement priced the share again', () => {
    const again = {
      action: 'terminate',
      actorId: 'proc-1',
      from: 'in_progress' as const,
      to: 'in_progress' as const,
    };
    assert.equal(sinceCard('agree_termination', REQUESTER.id, [again]).kind, 'decided');
  });

  it('terminates for default without pricing a share, even if one was typed', () => {
    const outcome = decide(
      inStatus('in_progress'),
      'terminate',
      { kind: 'default', percentComplete: '40', reason: 'Nothing delivered' },
      PROCUREMENT,
      clock(),
    );
    assert.ok(outcome.ok);
    assert.deepEqual(
      [outcome.next.status, outcome.next.delivery.termination?.amountCents],
      ['terminated', undefined],
    );
  });

  it('checks the invoice at the edges: the ceiling itself, the reservation as stored, the terms’ first day', () => {
    // An older record priced over today's limit: $8,700 + $1,300 is the ceiling itself, and allowed.
    const older = awaitingInvoice({
      pricing: { hourlyRateCents: 10_000, estimatedHours: 77, adminHours: 10, fixedPriceCents: 870_000 },
      finance: { fundsStatus: 'approved', fundReservationNumber: ' FR-1 ' },
    });
    const at = (patch: Record<string, string>) =>
      decide(older, 'record_invoice', invoice(patch), FINANCE, clock());
    assert.equal(
      at({ amount: '8700', taxes: '1300', total: '10000', fundReservationNumber: 'fr-1' }).ok,
      true,
    );
    assert.equal(at({ amount: '8700', taxes: '1300', total: '10000', invoiceDate: '2026-11-16' }).ok, true);
  });
});
