import { randomBytes } from 'node:crypto';
import { debriefLink } from '../../src/mail/messages';
import type { Application } from '../../src/services/applications';
import type { Opportunity } from '../../src/services/opportunity';
import type { Store } from '../../src/services/store';
import { storeApplicant, storePosted } from './published';

/** What the requester wrote when marking: the card prefills the debrief with it. */
export const RATIONALE = 'RATIONALE: the links show no accessible component.';

/** A request whose work went to someone else: its applicants not selected may ask for a debrief. */
export function storeUnderway(store: Store): Promise<Opportunity> {
  return storePosted(store, (p) => ({
    status: 'in_progress',
    selection: { ...p.selection, supplierName: 'Ada Dev', supplierLink: 'https://ada.example/' },
  }));
}

/**
 * An applicant as the close, the marking and the not-selected e-mail leave them: numbered, failed with
 * `RATIONALE`, with a debrief link of their own.
 */
export async function storeNotSelected(
  store: Store,
  reference: string,
  who: {
    readonly name: string;
    readonly email: string;
    readonly locale: 'en' | 'fr';
    readonly number: number;
  },
  at: string,
): Promise<Application> {
  const a = await storeApplicant(store, reference, who, at);
  return store.saveApplication(
    {
      ...a,
      number: who.number,
      evaluation: {
        result: 'fail',
        rationale: RATIONALE,
        by: { aadObjectId: 'aad-requester', name: 'Riley Tremblay' },
        at,
      },
      debriefToken: randomBytes(32).toString('base64url'),
      version: a.version + 1,
    },
    a.version,
  );
}

/** The path and query of an application's debrief link, as its e-mail gives it. */
export function debriefPath(origin: string, a: Application): string {
  const url = new URL(debriefLink(origin, a));
  return `${url.pathname}${url.search}`;
}
