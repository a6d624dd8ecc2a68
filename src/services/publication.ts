import { drawOrder } from './draw';
import { createHash } from 'node:crypto';
import {
  STATUSES,
  deadlineInForce,
  deliveryDueOn,
  type Opportunity,
  selectionInForce,
  textsIn,
  type TranslatedTexts,
} from './opportunity';

/**
 * What suppliers may read of a request: its public page, in either language. Only what the pilot
 * published goes in — never the fund reservation, the requester, the vetting, the union's exchange, or
 * anything from before `post`. Pure: the site renders what this returns and nothing else.
 */

export type PublicStatus = 'open' | 'closed' | 'awarded' | 'cancelled';

/** The states that follow posting in the process: where a posted request may be now. */
export const AFTER_POSTING = STATUSES.slice(STATUSES.indexOf('posted') + 1);

/** Things that happen to a posted opportunity which suppliers are told of, as marked updates. */
export const PUBLIC_EVENTS = [
  'applications_extended',
  'applications_closed',
  'supplier_selected',
  'supplier_declined',
  'cancelled',
  'delivered',
  'accepted',
  'terminated',
] as const;
export type PublicEvent = (typeof PUBLIC_EVENTS)[number];

export interface PublicUpdate {
  readonly at: string;
  readonly event: PublicEvent;
}

export interface PublicOpportunity {
  readonly reference: string;
  readonly locale: 'en' | 'fr';
  /** The texts in the page's language, and whether they are a translation not confirmed yet. */
  readonly texts: TranslatedTexts;
  readonly provisional: boolean;
  readonly skills: readonly string[];
  readonly valueCents: number;
  readonly licence: string;
  readonly repositoryUrl?: string;
  /** The published contact: the client's department and team, as the requester gave them. */
  readonly department: string;
  readonly status: PublicStatus;
  readonly deadline: string;
  /** The date published first, when the deadline was extended since. */
  readonly originalDeadline?: string;
  readonly startDate: string;
  readonly deliveryDate: string;
  readonly postedAt: string;
  readonly updatedAt: string;
  readonly supplier?: { readonly name: string; readonly link?: string };
  readonly deliveredLink?: string;
  /** The SHA-256 of the draw's seed, fixed when applications closed: the seed cannot change after. */
  readonly drawCommitment?: string;
  /**
   * Once the draw is made, what anyone needs to recompute it: the seed, the applicant numbers that
   * passed, the order the seed gives them, who was selected and who declined before.
   */
  readonly draw?: {
    readonly seed: string;
    readonly candidates: readonly string[];
    readonly order: readonly string[];
    readonly selected: string;
    readonly declined: readonly string[];
  };
  /** Newest first. */
  readonly updates: readonly PublicUpdate[];
}

const SECTION: Record<'en' | 'fr', string> = { en: 'opportunities', fr: 'possibilites' };

/** The path of the list, or of one opportunity, in a language. */
export function sitePath(locale: 'en' | 'fr', reference?: string, file?: 'feed.xml'): string {
  const base = `/${locale}/${SECTION[locale]}`;
  return reference ? `${base}/${reference}` : file ? `${base}/${file}` : base;
}

/** The site's forms, by their address in each language. */
export const SITE_FORMS = {
  subscribe: { en: 'subscribe', fr: 'abonnement' },
  confirm: { en: 'confirm', fr: 'confirmer' },
  unsubscribe: { en: 'unsubscribe', fr: 'desabonnement' },
  question: { en: 'question', fr: 'question' },
  apply: { en: 'apply', fr: 'postuler' },
  debrief: { en: 'debrief', fr: 'compte-rendu' },
} as const;
export type SiteForm = keyof typeof SITE_FORMS;

/**
 * A form's path: the question and application forms are an opportunity's, as is the confirmation of an
 * application; the others are the list's.
 */
export function formPath(locale: 'en' | 'fr', form: SiteForm, reference?: string): string {
  return `${sitePath(locale, reference)}/${SITE_FORMS[form][locale]}`;
}

/** A request is public from the moment it is posted, whatever happens to it afterwards. */
export function isPublished(o: Pick<Opportunity, 'timeline'>): boolean {
  return o.timeline.posted !== undefined;
}

export function publicStatus(o: Pick<Opportunity, 'status' | 'selection'>): PublicStatus {
  switch (o.status) {
    case 'posted':
      return 'open';
    case 'closed':
      return 'closed';
    case 'cancelled':
    case 'rejected':
      return 'cancelled';
    default:
      return o.selection.supplierName === undefined ? 'closed' : 'awarded';
  }
}

/** What happened after posting that suppliers are told of, newest first. */
export function publicUpdates(o: Pick<Opportunity, 'eventAt' | 'timeline'>): PublicUpdate[] {
  const posted = o.timeline.posted;
  if (posted === undefined) return [];
  return PUBLIC_EVENTS.flatMap((event) => {
    const at = o.eventAt?.[event];
    return at !== undefined && at >= posted ? [{ at, event }] : [];
  }).sort((a, b) => b.at.localeCompare(a.at));
}

/** The public page of a posted request in one language; undefined for a request never posted. */
export function publicOpportunity(o: Opportunity, locale: 'en' | 'fr'): PublicOpportunity | undefined {
  const postedAt = o.timeline.posted;
  if (postedAt === undefined) return undefined;
  const { texts, source } = textsIn(o, locale);
  const updates = publicUpdates(o);
  const status = publicStatus(o);
  return {
    reference: o.reference,
    locale,
    texts,
    provisional: source === 'proposed' || source === 'missing',
    skills: o.requiredSkills,
    valueCents: o.pricing.fixedPriceCents,
    licence: o.licence,
    ...(o.repositoryUrl ? { repositoryUrl: o.repositoryUrl } : {}),
    department: o.client.department,
    status,
    deadline: deadlineInForce(o),
    ...(o.dates.extendedApplicationDeadline ? { originalDeadline: o.dates.applicationDeadline } : {}),
    startDate: selectionInForce(o),
    deliveryDate: deliveryDueOn(o),
    postedAt,
    updatedAt: updates[0]?.at ?? postedAt,
    ...(status === 'awarded' && o.selection.supplierName
      ? {
          supplier: {
            name: o.selection.supplierName,
            ...(o.selection.supplierLink ? { link: o.selection.supplierLink } : {}),
          },
        }
      : {}),
    ...(o.delivery.deliveredLink && status === 'awarded' ? { deliveredLink: o.delivery.deliveredLink } : {}),
    ...(o.selection.drawSeed
      ? { drawCommitment: createHash('sha256').update(o.selection.drawSeed).digest('hex') }
      : {}),
    ...(o.selection.draw
      ? {
          draw: {
            seed: o.selection.draw.seed,
            candidates: o.selection.draw.candidates,
            order: drawOrder(o.selection.draw.seed, o.selection.draw.candidates),
            // Stryker disable next-line StringLiteral: a recorded draw always selects one of its candidates
            selected: o.selection.draw.candidates[o.selection.draw.selectedIndex] ?? '',
            declined: o.selection.declinedSuppliers,
          },
        }
      : {}),
    updates,
  };
}

/**
 * What was last published of each request to an outside site (the pilot's GitHub Pages repository), by
 * a digest of its public views: the publisher writes only what changed since, and picks up after a
 * restart or a failure where it stopped.
 */
export interface PublicationLog {
  lastPublished(target: string, reference: string): Promise<string | undefined>;
  notePublished(target: string, reference: string, digest: string, at: string): Promise<void>;
}
