import { z } from 'zod';
import { LicenceId, readLicence } from './licences';

/** Every state an opportunity can be in, in process order (DOMAIN.md, processes 1–4). */
export const STATUSES = [
  'draft',
  'submitted',
  'changes_requested',
  'in_approval',
  'posted',
  'closed',
  'supplier_selected',
  'in_progress',
  'delivered',
  'accepted',
  'certified',
  'paid',
  'terminated',
  'rejected',
  'cancelled',
] as const;
export const Status = z.enum(STATUSES);
export type Status = z.infer<typeof Status>;

export const TERMINAL_STATUSES: readonly Status[] = ['paid', 'terminated', 'rejected', 'cancelled'];

export const REFERENCE_PATTERN = /^MA-(\d{4})-(\d{4,})$/;
export const Reference = z.string().regex(REFERENCE_PATTERN);

/** Money is held in integer cents so tax and ceiling checks never suffer float rounding. */
export const Cents = z.number().int().nonnegative();
const IsoDate = z.iso.date();
const IsoDateTime = z.iso.datetime({ offset: true });
const HttpUrl = z.url({ protocol: /^https?$/ });
const Text = (max: number) => z.string().trim().min(1).max(max);

/**
 * Longest text per intake field. A micro-acquisition is a small, well-defined job; these bounds also keep
 * the step that shows the longest fields under the 28 KB card size, even in accented French.
 */
export const TEXT_LIMITS = {
  title: 100,
  shortDescription: 500,
  background: 2_000,
  deliverables: 2_000,
  evaluationCriterion: 1_000,
  acceptanceCriteria: 2_000,
  licence: 100,
  skill: 100,
  client: 255,
} as const;
export const MAX_SKILLS = 15;

/**
 * Text kept to `max` characters (whole characters, an emoji or an accent never split), with the length it
 * had: whoever cuts a text says so, and says how long it was.
 */
export function cutToLength(text: string, max: number): { readonly kept: string; readonly length: number } {
  const chars = [...text];
  return { kept: chars.length > max ? chars.slice(0, max).join('') : text, length: chars.length };
}

const Someone = z.object({
  aadObjectId: z.string().min(1),
  name: z.string().max(255),
});
/** A person who acted; a delegate's decision names the colleague it was taken for. */
export const Person = Someone.extend({ onBehalfOf: Someone.optional() });
export type Person = z.infer<typeof Person>;

export const Client = z.object({
  department: Text(TEXT_LIMITS.client),
  branch: Text(TEXT_LIMITS.client),
  team: Text(TEXT_LIMITS.client),
  contactName: Text(TEXT_LIMITS.client),
  contactEmail: z.email().max(TEXT_LIMITS.client),
});

export const Attestations = z.object({
  unclassified: z.boolean(),
  standalone: z.boolean(),
  noInternalCapacity: z.boolean(),
  notContractSplitting: z.boolean(),
});
export type Attestations = z.infer<typeof Attestations>;

export const Pricing = z.object({
  hourlyRateCents: Cents,
  estimatedHours: z.number().positive().max(10_000),
  adminHours: z.number().nonnegative(),
  fixedPriceCents: Cents,
});
export type Pricing = z.infer<typeof Pricing>;

export const Dates = z.object({
  applicationDeadline: IsoDate,
  supplierSelectionDate: IsoDate,
  deliveryDate: IsoDate,
  /** Set by an extension for non-delivery; the original date stays for the record. */
  extendedDeliveryDate: IsoDate.optional(),
  /** Set when applications are extended after posting: the published dates stay, shown as extended. */
  extendedApplicationDeadline: IsoDate.optional(),
  extendedSupplierSelectionDate: IsoDate.optional(),
});
export type Dates = z.infer<typeof Dates>;

export const FundsStatus = z.enum(['pending', 'approved']);
export const PAYMENT_METHODS = ['credit_card', 'paypal'] as const;
export const PaymentMethod = z.enum(PAYMENT_METHODS);
/** The supplier's invoice, as finance received it: the fixed price (or the agreed share) plus taxes. */
export const Invoice = z.object({
  number: z.string().trim().min(1).max(100),
  /** The date on the invoice: time to pay counts from it, as the pilot measured. */
  date: IsoDate,
  amountCents: Cents,
  taxCents: Cents,
  totalCents: Cents,
  fundReservationNumber: z.string().trim().min(1).max(255),
  recordedBy: Person,
  recordedAt: IsoDateTime,
});
export type Invoice = z.infer<typeof Invoice>;
export const Finance = z.object({
  fundsStatus: FundsStatus,
  costCentre: z.string().max(255).optional(),
  fundReservationNumber: z.string().max(255).optional(),
  section32Approver: Person.optional(),
  section32At: IsoDateTime.optional(),
  section34Certifier: Person.optional(),
  section34At: IsoDateTime.optional(),
  invoice: Invoice.optional(),
  paymentMethod: PaymentMethod.optional(),
  paymentDate: IsoDate.optional(),
  paymentAmountCents: Cents.optional(),
  /** Who recorded the payment: never the certifier. */
  paidBy: Person.optional(),
});
export type Finance = z.infer<typeof Finance>;

/** The union consultation runs beside the funds approval; posting waits for it to be closed. */
export const ConsultationStatus = z.enum(['pending', 'open', 'acknowledged', 'concern_raised', 'closed']);
export type ConsultationStatus = z.infer<typeof ConsultationStatus>;
export const Consultation = z.object({
  status: ConsultationStatus,
  opensAt: IsoDateTime.optional(),
  closesOn: IsoDate.optional(),
  concern: z.string().max(4000).optional(),
  answer: z.string().max(4000).optional(),
});
export type Consultation = z.infer<typeof Consultation>;

export const Draw = z.object({
  seed: z.string().min(1),
  candidates: z.array(z.string().min(1)).min(1),
  selectedIndex: z.number().int().nonnegative(),
});
export type Draw = z.infer<typeof Draw>;

/** The draw's seed: random, fixed by the clock when applications close, published with the result. */
export const DrawSeed = z.string().regex(/^[\w-]{16,128}$/);

export const Selection = z.object({
  questions: z.number().int().nonnegative(),
  /** Fixed when applications close, before anyone is evaluated; the page shows its SHA-256 meanwhile. */
  drawSeed: DrawSeed.optional(),
  applications: z.number().int().nonnegative().optional(),
  passed: z.number().int().nonnegative().optional(),
  /** Who marks the applications, when procurement gave the marking to someone other than the requester. */
  evaluator: Person.optional(),
  draw: Draw.optional(),
  supplierName: z.string().max(255).optional(),
  supplierLink: HttpUrl.optional(),
  declinedSuppliers: z.array(z.string()),
});
export type Selection = z.infer<typeof Selection>;

/**
 * The one-page terms end in one of two ways besides payment in full: for default (nothing is paid), or for
 * convenience, paying the share of the work completed once procurement and the requester agree on it.
 */
export const TERMINATION_KINDS = ['default', 'convenience'] as const;
export const Termination = z.object({
  kind: z.enum(TERMINATION_KINDS),
  /** The share of the work completed, in percent: what a termination for convenience pays. */
  percentComplete: z.number().int().min(1).max(99).optional(),
  /** That share of the fixed price, before taxes. */
  amountCents: Cents.optional(),
  proposedBy: Person,
  proposedAt: IsoDateTime,
  agreedBy: Person.optional(),
  agreedAt: IsoDateTime.optional(),
});
export type Termination = z.infer<typeof Termination>;
export const Delivery = z.object({
  deliveredLink: HttpUrl.optional(),
  revisionsRequested: z.number().int().nonnegative(),
  terminationReason: z.string().max(4000).optional(),
  termination: Termination.optional(),
  /** The day the clock opened a non-delivery review: the delivery date in force had passed. */
  reviewOpenedOn: IsoDate.optional(),
});
export type Delivery = z.infer<typeof Delivery>;

/** A document kept with the request: the signed terms, the invoice. */
export const DocumentRef = z.object({
  id: z.string().min(1).max(255),
  name: z.string().min(1).max(255),
  /** Where a reader opens it: the document library's link, or the bot's own copy. */
  location: z.string().min(1).max(2000),
});
export type DocumentRef = z.infer<typeof DocumentRef>;
/**
 * The one-page terms and conditions: their blanks as the supplier signed them, the signed document, and
 * the card holder's countersignature, which starts the work.
 */
export const Terms = z.object({
  contractor: Text(255),
  work: Text(TEXT_LIMITS.shortDescription),
  startDate: IsoDate,
  endDate: IsoDate,
  licence: Text(TEXT_LIMITS.licence),
  document: DocumentRef.optional(),
  recordedBy: Person,
  recordedAt: IsoDateTime,
  countersignedBy: Person.optional(),
  countersignedAt: IsoDateTime.optional(),
});
export type Terms = z.infer<typeof Terms>;
/** The decisions a team lead can give to a colleague while they wait. */
export const ASSIGNABLE = ['vetting', 'funds', 'consultation', 'certification', 'payment'] as const;
export type Assignable = (typeof ASSIGNABLE)[number];

/** The texts a supplier reads, published in both official languages, held to the same rules in either. */
export const TranslatedTexts = z.object({
  title: Text(TEXT_LIMITS.title),
  shortDescription: Text(TEXT_LIMITS.shortDescription),
  background: Text(TEXT_LIMITS.background),
  deliverables: Text(TEXT_LIMITS.deliverables),
  evaluationCriterion: Text(TEXT_LIMITS.evaluationCriterion),
  acceptanceCriteria: Text(TEXT_LIMITS.acceptanceCriteria),
});
export type TranslatedTexts = z.infer<typeof TranslatedTexts>;
export type TranslatedField = keyof TranslatedTexts;
/** Those texts' names, in the order a form asks for them. */
export const TRANSLATED_FIELDS = TranslatedTexts.keyof().options;

/** What a requester fills in during intake: the opportunity template's fields. */
export const OpportunityContent = z.object({
  ...TranslatedTexts.shape,
  requiredSkills: z.array(Text(TEXT_LIMITS.skill)).min(1).max(MAX_SKILLS),
  /** A new request names a listed licence by its SPDX id. */
  licence: LicenceId,
  repositoryUrl: HttpUrl.optional(),
  client: Client,
  pricing: Pricing,
  dates: Dates,
  attestations: Attestations,
});
export type OpportunityContent = z.infer<typeof OpportunityContent>;

/**
 * The opportunity in the other official language: proposed by the requester or entered by procurement,
 * possibly in part; only procurement confirms it, and only complete.
 */
export const Translation = TranslatedTexts.partial().extend({
  locale: z.enum(['en', 'fr']),
  by: Person,
  at: IsoDateTime,
});
export type Translation = z.infer<typeof Translation>;

/** The pilot's vetting checklist: what procurement confirms before saying go. */
export const VETTING_CHECKS = [
  'openSource',
  'standalone',
  'withinCeiling',
  'notStaffing',
  'unclassified',
] as const;
export type VettingCheck = (typeof VETTING_CHECKS)[number];

export const Opportunity = OpportunityContent.extend({
  /**
   * Records kept from before licences were chosen from a list may hold free text: a listed licence however
   * spelt is read as its id, and any other text kept as written, so every stored record still loads.
   */
  licence: Text(TEXT_LIMITS.licence).transform(readLicence),
  reference: Reference,
  version: z.number().int().positive(),
  status: Status,
  requester: Person,
  /** Who said go: they may not also approve the funds. */
  vettedBy: Person.optional(),
  locale: z.enum(['en', 'fr']),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  /** When the record entered each status: the tracker's step dates, for elapsed-time measures. */
  timeline: z.partialRecord(Status, IsoDateTime),
  /** When each kind of event last happened (a decision within a status too): when each wait began. */
  eventAt: z.record(z.string(), IsoDateTime).optional(),
  /** When the requester started the draft that became this request. */
  draftStartedAt: IsoDateTime.optional(),
  finance: Finance,
  consultation: Consultation,
  translationConfirmed: z.boolean(),
  translation: Translation.optional(),
  /** The checklist points procurement confirmed at go. */
  vettingChecklist: z.array(z.enum(VETTING_CHECKS)).optional(),
  selection: Selection,
  terms: Terms.optional(),
  /** Pending decisions a team lead gave to a named colleague: only they (or their delegate) take them. */
  assignments: z.partialRecord(z.enum(ASSIGNABLE), Person).optional(),
  delivery: Delivery,
  /** Why it was rejected or cancelled, or what changes were asked for. */
  decisionNote: z.string().max(4000).optional(),
});
export type Opportunity = z.infer<typeof Opportunity>;

/** The record before the store gives it a reference and a version. */
/**
 * A record before the store numbers it. `referenceYear` is the department's year at submission (a
 * request sent on New Year's Eve evening is of the old year, whatever the year in UTC); the store
 * numbers the record in it, and it is not kept apart from the reference.
 */
export type NewOpportunity = Omit<Opportunity, 'reference' | 'version'> & { readonly referenceYear: number };

/** The pilot tracker's stage column (1–5). */
export function stageOf(status: Status): 1 | 2 | 3 | 4 | 5 {
  switch (status) {
    case 'draft':
    case 'submitted':
    case 'changes_requested':
    case 'in_approval':
    case 'rejected':
    case 'cancelled':
      return 1;
    case 'supplier_selected':
      return 2;
    case 'posted':
    case 'closed':
      return 3;
    case 'in_progress':
    case 'delivered':
    case 'terminated':
      return 4;
    case 'accepted':
    case 'certified':
    case 'paid':
      return 5;
  }
}

/** The delivery date in force: the extended one once an extension was granted. */
export function deliveryDueOn(o: Pick<Opportunity, 'dates'>): string {
  return o.dates.extendedDeliveryDate ?? o.dates.deliveryDate;
}

/** The application deadline in force: the extended one once applications were extended. */
export function deadlineInForce(o: Pick<Opportunity, 'dates'>): string {
  return o.dates.extendedApplicationDeadline ?? o.dates.applicationDeadline;
}

/** The supplier selection date in force. */
export function selectionInForce(o: Pick<Opportunity, 'dates'>): string {
  return o.dates.extendedSupplierSelectionDate ?? o.dates.supplierSelectionDate;
}

/** The other official language: the one a request's translation is in. */
export function translationLocale(o: Pick<Opportunity, 'locale'>): 'en' | 'fr' {
  return o.locale === 'en' ? 'fr' : 'en';
}

/** The texts of the translation held, if it is in the language the request needs. */
export function translatedTexts(o: Pick<Opportunity, 'locale' | 'translation'>): Partial<TranslatedTexts> {
  if (o.translation?.locale !== translationLocale(o)) return {};
  const { locale: _locale, by: _by, at: _at, ...texts } = o.translation;
  return texts;
}

/** Whether a text is the request's own, a confirmed translation, one not confirmed yet, or missing. */
export type TextSource = 'original' | 'confirmed' | 'proposed' | 'missing';

/**
 * The opportunity's texts in `locale`: the request's own in its language, else the translation, field by
 * field; a field not translated yet falls back to the original, and says so.
 */
export function textsIn(
  o: Pick<Opportunity, TranslatedField | 'locale' | 'translation' | 'translationConfirmed'>,
  locale: 'en' | 'fr',
): { readonly texts: TranslatedTexts; readonly source: TextSource } {
  const original = Object.fromEntries(TRANSLATED_FIELDS.map((f) => [f, o[f]])) as TranslatedTexts;
  if (locale === o.locale) return { texts: original, source: 'original' };
  const translation = o.translation?.locale === locale ? o.translation : undefined;
  if (!translation || TRANSLATED_FIELDS.every((f) => !translation[f])) {
    return { texts: original, source: 'missing' };
  }
  const texts = Object.fromEntries(
    TRANSLATED_FIELDS.map((f) => [f, translation[f] ?? o[f]]),
  ) as TranslatedTexts;
  const complete = translationComplete(translation);
  return { texts, source: complete && o.translationConfirmed ? 'confirmed' : 'proposed' };
}

export function translationComplete(translation: Partial<TranslatedTexts> | undefined): boolean {
  return translation !== undefined && TRANSLATED_FIELDS.every((f) => (translation[f] ?? '').trim() !== '');
}

/** Who marks a request's applications: the requester, unless procurement gave the marking to someone else. */
export function evaluatorOf(o: Pick<Opportunity, 'requester' | 'selection'>): Person {
  return o.selection.evaluator ?? o.requester;
}
