import { ACTIONS, type ActionName, offeredNow, specOf } from './lifecycle';
import {
  ASSIGNABLE,
  deliveryDueOn,
  type Opportunity,
  PAYMENT_METHODS,
  TERMINATION_KINDS,
  TEXT_LIMITS,
  TRANSLATED_FIELDS,
  type TranslatedField,
  translatedTexts,
  VETTING_CHECKS,
  type VettingCheck,
} from './opportunity';
import type { ActingRole } from './roles';

/**
 * What a decision card asks for each action, and how the typed values become the action's payload.
 * The lifecycle's PAYLOADS schemas remain the judge: this only reads the form.
 */

export type DecisionInputKind =
  'text' | 'longText' | 'date' | 'url' | 'money' | 'choice' | 'toggle' | 'person';

export type DecisionInputId =
  | 'reason'
  | 'comment'
  | 'fundReservationNumber'
  | 'costCentre'
  | 'applicationDeadline'
  | 'supplierSelectionDate'
  | 'deliveryDate'
  | 'link'
  | 'evaluator'
  | 'newDeliveryDate'
  | 'method'
  | 'paymentDate'
  | 'paymentAmount'
  | 'contractor'
  | 'work'
  | 'startDate'
  | 'endDate'
  | 'licence'
  | 'invoiceNumber'
  | 'invoiceDate'
  | 'amount'
  | 'taxes'
  | 'total'
  | 'kind'
  | 'percentComplete'
  | 'decision'
  | 'assignee'
  | TranslatedField
  | VettingCheck;

export interface DecisionInput {
  readonly id: DecisionInputId;
  readonly kind: DecisionInputKind;
  readonly optional?: boolean;
  /** What the form holds before anything is typed: the record's current value. */
  readonly current?: (o: Opportunity) => string | undefined;
  /** The longest text the input keeps, when its field has a limit of its own. */
  readonly max?: number;
  /** A choice's values; each is labelled `decisions.choices.<input id>.<value>`. */
  readonly choices?: readonly string[];
}

const reason: DecisionInput = { id: 'reason', kind: 'longText' };
/** An amount in cents as a form shows it: plain digits a person of either language reads and retypes. */
const moneyText = (cents: number | undefined) => (cents === undefined ? undefined : (cents / 100).toFixed(2));
const comment: DecisionInput = { id: 'comment', kind: 'longText' };

/** The translation's texts, filled with what is held: the person corrects rather than retypes. */
const translationInputs = (optional: boolean): DecisionInput[] =>
  TRANSLATED_FIELDS.map((id) => ({
    id,
    kind: id === 'title' ? 'text' : 'longText',
    optional,
    max: TEXT_LIMITS[id],
    current: (o) => translatedTexts(o)[id],
  }));

/**
 * Decisions that cannot be taken back, or commit the department: the card asks for a second click,
 * under a sentence saying what the first one will do.
 */
export const CONFIRMED: ReadonlySet<ActionName> = new Set([
  'vet_go',
  'post',
  'countersign_terms',
  'accept',
  'certify',
  'pay',
]);

export const DECISION_INPUTS: { readonly [A in ActionName]: readonly DecisionInput[] } = {
  resubmit: [],
  vet_go: VETTING_CHECKS.map((id) => ({ id, kind: 'toggle' })),
  vet_no_go: [reason],
  request_edits: [comment],
  approve_funds: [
    { id: 'fundReservationNumber', kind: 'text' },
    { id: 'costCentre', kind: 'text', optional: true },
  ],
  reject_funds: [reason],
  request_funds_changes: [comment],
  acknowledge: [],
  raise_concern: [comment],
  answer_concern: [comment],
  close_consultation: [],
  translate: translationInputs(true),
  confirm_translation: translationInputs(false),
  post: [],
  record_question: [],
  amend_dates: [
    { id: 'applicationDeadline', kind: 'date' },
    { id: 'supplierSelectionDate', kind: 'date' },
    { id: 'deliveryDate', kind: 'date' },
    { ...comment, optional: true },
  ],
  extend_applications: [
    { id: 'applicationDeadline', kind: 'date' },
    { id: 'supplierSelectionDate', kind: 'date' },
    { ...comment, optional: true },
  ],
  close_applications: [],
  // Both come from the applicants' marks and the store: nothing is typed.
  record_evaluation: [],
  select_supplier: [],
  reassign_evaluation: [{ id: 'evaluator', kind: 'person' }],
  no_award: [],
  supplier_declined: [{ ...comment, optional: true }],
  // The blanks of the one-page terms, filled from the record: the officer corrects what the supplier changed.
  sign_terms: [
    { id: 'contractor', kind: 'text', current: (o) => o.terms?.contractor ?? o.selection.supplierName },
    { id: 'work', kind: 'longText', max: 500, current: (o) => o.terms?.work ?? o.title },
    { id: 'startDate', kind: 'date', current: (o) => o.terms?.startDate },
    { id: 'endDate', kind: 'date', current: (o) => o.terms?.endDate ?? deliveryDueOn(o) },
    { id: 'licence', kind: 'text', max: 100, current: (o) => o.terms?.licence ?? o.licence },
  ],
  countersign_terms: [],
  deliver: [{ id: 'link', kind: 'url' }],
  accept: [],
  request_revisions: [comment],
  open_review: [],
  extend: [
    { id: 'newDeliveryDate', kind: 'date' },
    { ...comment, optional: true },
  ],
  terminate: [
    { id: 'kind', kind: 'choice', choices: TERMINATION_KINDS },
    { id: 'percentComplete', kind: 'text', optional: true, max: 3 },
    reason,
  ],
  agree_termination: [],
  record_invoice: [
    { id: 'invoiceNumber', kind: 'text', max: 100 },
    { id: 'invoiceDate', kind: 'date' },
    { id: 'amount', kind: 'money' },
    { id: 'taxes', kind: 'money' },
    { id: 'total', kind: 'money' },
    { id: 'fundReservationNumber', kind: 'text', current: (o) => o.finance.fundReservationNumber },
  ],
  certify: [],
  pay: [
    { id: 'method', kind: 'choice', choices: PAYMENT_METHODS },
    { id: 'paymentAmount', kind: 'money', current: (o) => moneyText(o.finance.invoice?.totalCents) },
    { id: 'paymentDate', kind: 'date' },
  ],
  reassign_decision: [
    { id: 'decision', kind: 'choice', choices: ASSIGNABLE },
    { id: 'assignee', kind: 'person' },
  ],
  cancel: [reason],
};

/**
 * Actions sent from another action's form: the translation is saved, or saved and confirmed, from the
 * same texts.
 */
export const SHARED_FORMS: Partial<Record<ActionName, ActionName>> = { confirm_translation: 'translate' };

/**
 * Input ids carry the name of the form's action: one card holds several forms, and ids must be unique
 * in it.
 */
export const inputId = (action: ActionName, input: DecisionInput) =>
  `${SHARED_FORMS[action] ?? action}.${input.id}`;

/**
 * Actions nobody takes from a card: the clock closes consultations and applications and records the
 * evaluation's counts; a resubmission goes through the intake.
 */
const NOT_FROM_CARDS: ReadonlySet<ActionName> = new Set([
  'close_consultation',
  'open_review',
  'close_applications',
  'record_evaluation',
  'resubmit',
]);

/** Actions a person takes from a card. */
export function decidableFromCard(action: ActionName): boolean {
  return !NOT_FROM_CARDS.has(action);
}

/**
 * The payload an action receives from card data. Empty optional inputs are left out; the draw's seed is never typed: it is
 * given here by the caller, so nobody can choose the winner.
 */
export function payloadFromCard(
  action: ActionName,
  data: Readonly<Record<string, unknown>>,
  seed: string,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const input of DECISION_INPUTS[action]) {
    const raw = data[inputId(action, input)];
    if (input.kind === 'toggle') {
      // An unticked toggle may be left out of the data.
      payload[input.id] = raw === true || raw === 'true';
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : undefined;
    // A value no form sends (a list, an object) goes to the lifecycle as it came, which refuses it by name.
    if (text === undefined && raw !== undefined && raw !== null) {
      payload[input.id] = raw;
      continue;
    }
    if (text === undefined || text === '') {
      if (!input.optional) payload[input.id] = text ?? raw;
      continue;
    }
    payload[input.id] = text;
  }
  if (action === 'select_supplier') payload.seed = seed;
  return payload;
}

/** Actions someone may take at any time, which nobody waits for. */
const OPTIONAL: ReadonlySet<ActionName> = new Set([
  // Anyone may propose a translation; procurement's confirmation is what the request waits for.
  'translate',
  // Dates are moved when they need to be, which a reminder of its own says.
  'amend_dates',
  'extend_applications',
  'cancel',
  'record_question',
  'extend',
  'terminate',
  'supplier_declined',
  // A lead gives a decision away when someone is away: nobody waits on it.
  'reassign_decision',
]);

/** Whether nobody waits for `action` on `o`: always, or once what it records is there to be corrected. */
function optional(o: Opportunity, action: ActionName): boolean {
  // Recorded terms wait on the card holder's countersignature, not on procurement.
  return OPTIONAL.has(action) || (action === 'sign_terms' && o.terms !== undefined);
}

/**
 * Who must act next on a request: the roles holding an action a card offers now (the requester stands
 * for the person who submitted it). Empty once the request is closed.
 */
export function nextActors(o: Opportunity): Set<ActingRole> {
  const roles = new Set<ActingRole>();
  for (const action of ACTIONS) {
    if (optional(o, action) || !specOf(action).from.includes(o.status) || !offeredNow(o, action)) continue;
    // The clock closes consultations by itself: nobody waits on it.
    for (const role of specOf(action).roles) if (role !== 'system') roles.add(role);
  }
  return roles;
}
