import { randomBytes, randomUUID } from 'node:crypto';
import type { Application, ApplicationStore } from '../../src/services/applications';
import type { Opportunity } from '../../src/services/opportunity';
import type { OpportunityStore } from '../../src/services/store';
import { newOpportunity, submittedAudit } from '../contract/fixtures';
import { TRANSLATION } from './opportunities';

let keys = 0;

/**
 * A request stored as the workflow leaves it once posted (funds approved with their reservation, the
 * consultation closed, the French confirmed), then changed by `after`: for the public site's tests.
 */
export async function storePosted(
  store: OpportunityStore,
  after: (o: Opportunity) => Partial<Opportunity> = () => ({}),
  options: Parameters<typeof newOpportunity>[0] = {},
): Promise<Opportunity> {
  const input = newOpportunity(options);
  const created = await store.create(input, submittedAudit(input), `published-${++keys}`);
  const postedAt = '2026-03-03T15:00:00.000Z';
  const posted: Opportunity = {
    ...created,
    status: 'posted',
    version: 2,
    timeline: { ...created.timeline, posted: postedAt },
    eventAt: { ...created.eventAt, posted: postedAt },
    finance: {
      ...created.finance,
      fundsStatus: 'approved',
      fundReservationNumber: 'FR-SECRET-7731',
      costCentre: 'CC-HIDDEN-4410',
    },
    consultation: { status: 'closed', concern: 'UNION-CONCERN-TEXT', answer: 'UNION-ANSWER-TEXT' },
    translation: {
      locale: 'fr',
      ...TRANSLATION,
      by: { aadObjectId: 'aad-p', name: 'Priya Raman' },
      at: postedAt,
    },
    translationConfirmed: true,
    decisionNote: 'INTERNAL-NOTE',
  };
  const changed = { ...posted, ...after(posted) } as Opportunity;
  return store.transition(changed, 1, {
    at: postedAt,
    actor: { aadObjectId: 'aad-p', name: 'Priya Raman' },
    action: 'post',
    from: created.status,
    to: changed.status,
    outcome: 'applied',
  });
}

/**
 * A posted request whose deadline was extended a week, then closed and awarded to Ada Dev (with her
 * link); `vetted` stays before the post, as it happened.
 */
export function storeAwarded(store: OpportunityStore): Promise<Opportunity> {
  return storePosted(store, (p) => ({
    status: 'supplier_selected',
    dates: {
      ...p.dates,
      extendedApplicationDeadline: '2026-03-23',
      extendedSupplierSelectionDate: '2026-03-25',
    },
    selection: { ...p.selection, supplierName: 'Ada Dev', supplierLink: 'https://ada.example/' },
    eventAt: {
      ...p.eventAt,
      vetted: '2026-03-02T14:00:00.000Z',
      applications_extended: '2026-03-10T14:00:00.000Z',
      applications_closed: '2026-03-24T04:00:00.000Z',
      supplier_selected: '2026-03-25T14:00:00.000Z',
    },
  }));
}

let applicants = 0;

/**
 * An application stored and confirmed as the public form and its e-mailed link leave it, for tests that
 * start after the applying.
 */
export async function storeApplicant(
  store: Pick<ApplicationStore, 'submitApplication' | 'confirmApplication'>,
  reference: string,
  who: {
    readonly name: string;
    readonly email: string;
    readonly locale?: 'en' | 'fr';
    readonly link?: string;
  },
  at: string,
): Promise<Application> {
  const n = ++applicants;
  const submitted = await store.submitApplication(
    {
      id: `a-${randomUUID()}`,
      reference,
      email: who.email,
      locale: who.locale ?? 'en',
      createdAt: at,
      pending: {
        content: {
          name: who.name,
          kind: 'individual',
          federalEmployee: false,
          answer: `Answer ${n} of ${who.name}`,
          links: [`https://github.com/applicant-${n}`],
          ...(who.link ? { publicLink: who.link } : {}),
        },
        token: randomBytes(32).toString('base64url'),
        at,
      },
    },
    {},
    1_000,
  );
  if (submitted.outcome === 'full') throw new Error('applications full');
  return store.confirmApplication(submitted.application.id, submitted.application.version, at);
}
