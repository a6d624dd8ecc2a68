import { fieldsFromContent, type IntakeFields } from '../../src/services/intake';
import { Calendar } from '../../src/services/calendar';
import { type ActionName, type Clock, pending, submit } from '../../src/services/lifecycle';
import {
  ASSIGNABLE,
  type Opportunity,
  type OpportunityContent,
  type Status,
} from '../../src/services/opportunity';
import type { Actor, ConfiguredRole } from '../../src/services/roles';

/** A Monday (10:00 in Ottawa), so business-day arithmetic in tests starts from a plain week. */
export const NOW = '2026-11-23T15:00:00.000Z';
/** The department's calendar in the tests: Ottawa's time zone, Ontario's holiday. */
export const CALENDAR = new Calendar({ timeZone: 'America/Toronto', province: 'ON' });
export const clock = (now = NOW): Clock => ({
  now,
  today: CALENDAR.dateOf(now),
  consultationDays: 5,
  holidays: CALENDAR,
});

export function person(id: string, ...roles: ConfiguredRole[]): Actor {
  return { id, name: `Person ${id}`, roles: new Set(roles) };
}

export const REQUESTER = person('req-1');

/** Complete intake content that meets every rule at NOW: $4,000 ($4,600 with the highest tax). */
export function content(overrides: Partial<OpportunityContent> = {}): OpportunityContent {
  return {
    title: 'Accessible date picker for the benefits form',
    shortDescription:
      'Make the date picker on the benefits application keyboard and screen-reader accessible.',
    background:
      'The Benefits Delivery branch runs the online application; users report the date picker traps focus.',
    deliverables: 'A pull request that fixes focus handling, with automated accessibility tests.',
    requiredSkills: ['TypeScript', 'WCAG 2.1', 'React'],
    evaluationCriterion: 'Has shipped an accessible web component used in production.',
    acceptanceCriteria: 'Code under the MIT licence; all tests pass in CI; WCAG 2.1 AA for the component.',
    licence: 'MIT',
    repositoryUrl: 'https://github.com/example/benefits-form',
    client: {
      department: 'Employment and Social Development Canada',
      branch: 'Benefits Delivery',
      team: 'Online services',
      contactName: 'Riley Tremblay',
      contactEmail: 'riley.tremblay@example.gc.ca',
    },
    pricing: { hourlyRateCents: 8_000, estimatedHours: 40, adminHours: 10, fixedPriceCents: 400_000 },
    dates: {
      applicationDeadline: '2026-12-07',
      supplierSelectionDate: '2026-12-09',
      deliveryDate: '2027-01-29',
    },
    attestations: {
      unclassified: true,
      standalone: true,
      noInternalCapacity: true,
      notContractSplitting: true,
    },
    ...overrides,
  };
}

/** A submitted record as the store would return it. */
export function submitted(reference = 'MA-2026-0001', requester: Actor = REQUESTER): Opportunity {
  const result = submit(content(), requester, 'en', clock());
  if (!result.ok) throw new Error(`fixture does not meet the rules: ${JSON.stringify(result.refusal)}`);
  return { ...result.record, reference, version: 1 };
}

/** The same request as a person would type it into the intake card, field by field. */
export function typed(overrides: IntakeFields = {}): IntakeFields {
  return { ...fieldsFromContent(content()), ...overrides };
}

/** Every point of the vetting checklist, ticked. */
export const CHECKLIST = {
  openSource: true,
  standalone: true,
  withinCeiling: true,
  notStaffing: true,
  unclassified: true,
} as const;

/** The fixture's request in French, complete. */
export const TRANSLATION = {
  title: 'Sélecteur de date accessible pour le formulaire de prestations',
  shortDescription: 'Remplacer le sélecteur de date inaccessible du formulaire de prestations.',
  background:
    'Le formulaire de prestations utilise un sélecteur de date que les lecteurs d’écran ne peuvent pas lire.',
  deliverables: 'Un composant de sélection de date accessible, ses tests et sa documentation.',
  evaluationCriterion: 'A déjà livré un composant Web accessible.',
  acceptanceCriteria: 'Tous les tests passent dans l’intégration continue; WCAG 2.1 AA pour le composant.',
} as const;

/** The supplier's invoice for the fixture's $4,000 price, with 15 % tax. */
export const INVOICE = {
  number: 'INV-0042',
  date: '2026-11-20',
  amountCents: 400_000,
  taxCents: 60_000,
  totalCents: 460_000,
  fundReservationNumber: 'FR-1',
  recordedBy: { aadObjectId: 'fin-1', name: 'Farah' },
  recordedAt: NOW,
};

/** The one-page terms as procurement records them, with the signed document kept. */
export const TERMS = {
  contractor: 'Applicant A',
  work: 'Accessible date picker for the benefits form',
  startDate: '2026-11-16',
  endDate: '2027-01-29',
  licence: 'MIT',
  document: { id: 'doc-1', name: 'terms-signed.pdf', location: 'documents/MA-2026-0001/terms-signed.pdf' },
  recordedBy: { aadObjectId: 'proc-1', name: 'Priya' },
  recordedAt: NOW,
};

/** A valid payload for each action. */
export const PAYLOAD: Record<ActionName, unknown> = {
  resubmit: { content: content({ title: 'Accessible date picker, revised' }) },
  vet_go: CHECKLIST,
  vet_no_go: { reason: 'Needs classified data' },
  request_edits: { comment: 'Split the deliverables into tests' },
  approve_funds: { fundReservationNumber: 'FR-2026-117', costCentre: 'CC-4410' },
  reject_funds: { reason: 'No budget this fiscal year' },
  request_funds_changes: { comment: 'Use the branch cost centre' },
  acknowledge: {},
  raise_concern: { comment: 'The team has this skill in-house' },
  answer_concern: { comment: 'The team is fully committed until April' },
  close_consultation: {},
  translate: { title: 'Sélecteur de date accessible', shortDescription: 'Un sélecteur de date accessible.' },
  confirm_translation: TRANSLATION,
  post: {},
  record_question: {},
  amend_dates: {
    applicationDeadline: '2026-12-14',
    supplierSelectionDate: '2026-12-16',
    deliveryDate: '2027-02-05',
  },
  extend_applications: { applicationDeadline: '2026-12-14', supplierSelectionDate: '2026-12-16' },
  close_applications: { seed: 'committed-seed-0001' },
  record_evaluation: { applications: 4, passed: 2 },
  select_supplier: {
    seed: 'seed-42',
    passers: [
      { number: 1, name: 'Ada Lovelace', link: 'https://example.dev/a' },
      { number: 3, name: 'Grace Hopper' },
    ],
  },
  reassign_evaluation: { evaluator: { aadObjectId: 'aad-colleague', name: 'Julie Lavoie' } },
  no_award: {},
  supplier_declined: { comment: 'Took another job' },
  sign_terms: {
    contractor: 'Applicant A',
    work: 'Accessible date picker for the benefits form',
    startDate: '2026-11-16',
    endDate: '2027-01-29',
    licence: 'MIT',
  },
  countersign_terms: {},
  open_review: {},
  agree_termination: {},
  record_invoice: {
    invoiceNumber: 'INV-0042',
    invoiceDate: '2026-11-20',
    amount: '4,000.00',
    taxes: '600.00',
    total: '4,600.00',
    fundReservationNumber: 'FR-1',
  },
  reassign_decision: { decision: 'funds', assignee: { aadObjectId: 'aad-colleague', name: 'Julie Lavoie' } },
  deliver: { link: 'https://github.com/example/benefits-form/pull/12' },
  accept: {},
  request_revisions: { comment: 'Tab order still wrong on Safari' },
  extend: { newDeliveryDate: '2027-02-12' },
  terminate: { kind: 'default', reason: 'Nothing delivered by the extended date' },
  certify: {},
  pay: { method: 'paypal', paymentAmount: '4600.00', paymentDate: '2026-11-23' },
  cancel: { reason: 'Need was met another way' },
};

/**
 * A payload only the record's state can refuse: a lead gives away a decision that is pending on it (the
 * first there is), every other action takes its usual payload.
 */
export function payloadFor(
  o: Pick<Opportunity, 'status' | 'finance' | 'consultation'>,
  action: ActionName,
): unknown {
  if (action !== 'reassign_decision') return PAYLOAD[action];
  const decision = ASSIGNABLE.find((d) => pending(o as Opportunity, d));
  return { ...(PAYLOAD.reassign_decision as object), ...(decision ? { decision } : {}) };
}

/** A record in `status` whose details satisfy every guard of `action`, so only state and role decide. */
export function recordFor(
  status: Status,
  action: ActionName,
  requester: Actor = REQUESTER,
  reference = 'MA-2026-0001',
): Opportunity {
  const base = submitted(reference, requester);
  // The clock closes applications only once the deadline is over.
  const o = {
    ...base,
    status,
    ...(action === 'close_applications'
      ? { dates: { ...base.dates, applicationDeadline: '2026-11-20', supplierSelectionDate: '2026-11-25' } }
      : {}),
  };
  const consultation =
    action === 'answer_concern'
      ? { status: 'concern_raised' as const, concern: 'In-house capacity' }
      : action === 'post'
        ? { status: 'closed' as const }
        : { status: 'open' as const, closesOn: '2026-11-20' };
  return {
    ...o,
    finance:
      action === 'post' || action === 'record_invoice'
        ? { fundsStatus: 'approved', fundReservationNumber: 'FR-1' }
        : action === 'certify' || action === 'pay'
          ? { fundsStatus: 'approved', fundReservationNumber: 'FR-1', invoice: INVOICE }
          : o.finance,
    ...(action === 'countersign_terms' ? { terms: TERMS } : {}),
    ...(action === 'open_review' ? { dates: { ...o.dates, deliveryDate: '2026-11-20' } } : {}),
    ...(action === 'agree_termination'
      ? {
          delivery: {
            ...o.delivery,
            termination: {
              kind: 'convenience' as const,
              percentComplete: 40,
              amountCents: 160_000,
              proposedBy: { aadObjectId: 'proc-1', name: 'Priya' },
              proposedAt: NOW,
            },
          },
        }
      : {}),
    consultation,
    translationConfirmed: action === 'post',
    selection: {
      ...o.selection,
      // Reassigning the marking is for while applicants are still being marked.
      applications: action === 'reassign_evaluation' ? undefined : 4,
      passed: action === 'no_award' ? 0 : action === 'reassign_evaluation' ? undefined : 2,
      supplierName: status === 'supplier_selected' ? 'Applicant A' : undefined,
    },
  };
}

export const POSTED_AT = '2026-11-24T15:00:00.000Z';
/** A request as the workflow leaves it once posted: funds approved, the French confirmed. */
export const posted = (patch: Partial<Opportunity> = {}): Opportunity => {
  const o = submitted();
  return {
    ...o,
    status: 'posted',
    timeline: { ...o.timeline, posted: POSTED_AT },
    finance: { ...o.finance, fundsStatus: 'approved', fundReservationNumber: 'FR-1', costCentre: 'CC-1' },
    translation: { locale: 'fr', ...TRANSLATION, by: { aadObjectId: 'p', name: 'Priya' }, at: POSTED_AT },
    translationConfirmed: true,
    ...patch,
  };
};
