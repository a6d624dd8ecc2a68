import { readyToPost } from './lifecycle';
import { deliveryDueOn, type Opportunity } from './opportunity';

/**
 * What a request waits for, on whom, and since when. Every reminder, escalation and "waiting longer
 * than" in the summary reads these; a wait starts when the thing it waits for became someone's to do.
 */

/** Who a wait is on: a team, through its channel, or the requester in person. */
export type Party = 'procurement' | 'finance' | 'union' | 'requester';

export const WAIT_KINDS = [
  'vetting',
  'edits',
  'funds',
  'consultation',
  'concern',
  'translation',
  'posting',
  'evaluation',
  'draw',
  'terms',
  'countersignature',
  'late_delivery',
  'termination',
  'acceptance',
  'invoice',
  'certification',
  'payment',
] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

export interface Wait {
  readonly kind: WaitKind;
  readonly on: readonly Party[];
  /** The instant the wait began. */
  readonly since: string;
}

/** A termination for convenience priced and not yet agreed: the requester's to answer. */
const proposedTermination = (o: Opportunity) =>
  o.delivery.termination?.kind === 'convenience' && !o.delivery.termination.agreedBy;

/** The latest of instants that are known. */
function latest(...instants: (string | undefined)[]): string | undefined {
  const known = instants.filter((i): i is string => i !== undefined);
  // Stryker disable next-line EqualityOperator: of two equal instants either is the latest
  return known.length === 0 ? undefined : known.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

/**
 * The waits of a request at `now`. The calendar gives the last instant of a local date: a delivery is
 * late once its due date is over where the department works.
 */
export function waitsOf(o: Opportunity, now: string, calendar: { endOf(date: string): string }): Wait[] {
  const at = o.eventAt ?? {};
  const entered = o.timeline[o.status];
  const waits: Wait[] = [];
  const wait = (kind: WaitKind, on: readonly Party[], since: string | undefined) => {
    if (since) waits.push({ kind, on, since });
  };
  switch (o.status) {
    case 'submitted':
      wait('vetting', ['procurement'], entered);
      break;
    case 'changes_requested':
      wait('edits', ['requester'], entered);
      break;
    case 'in_approval': {
      const vetted = latest(at.vetted, entered);
      if (o.finance.fundsStatus === 'pending') wait('funds', ['finance'], vetted);
      if (o.consultation.status === 'open') wait('consultation', ['union'], o.consultation.opensAt ?? vetted);
      if (o.consultation.status === 'concern_raised')
        wait('concern', ['procurement'], at.concern_raised ?? vetted);
      if (!o.translationConfirmed) wait('translation', ['procurement'], vetted);
      if (readyToPost(o)) wait('posting', ['procurement'], latest(at.ready_to_post, vetted));
      break;
    }
    case 'closed':
      // A supplier who declined sends the request back here: the draw is to be made again.
      // The requester's team marks the applications; procurement draws once they are marked.
      if (o.selection.passed === undefined) wait('evaluation', ['requester'], entered);
      else wait('draw', ['procurement'], latest(at.evaluation_recorded, entered));
      break;
    case 'supplier_selected':
      // Procurement records the terms the supplier signed; the card holder countersigns them.
      if (o.terms) wait('countersignature', ['finance'], latest(at.terms_recorded, entered));
      else wait('terms', ['procurement'], entered);
      break;
    case 'in_progress': {
      if (proposedTermination(o)) {
        wait('termination', ['requester'], latest(at.termination_proposed, entered));
        break;
      }
      const due = calendar.endOf(deliveryDueOn(o));
      // A delivery past its date is reviewed by procurement and the requester together.
      if (Date.parse(now) > Date.parse(due)) wait('late_delivery', ['procurement', 'requester'], due);
      break;
    }
    case 'delivered':
      if (proposedTermination(o))
        wait('termination', ['requester'], latest(at.termination_proposed, entered));
      else wait('acceptance', ['requester'], entered);
      break;
    case 'accepted':
      // Section 34 is certified against the supplier's invoice: finance waits for it, then certifies.
      if (o.finance.invoice) wait('certification', ['finance'], latest(at.invoice_recorded, entered));
      else wait('invoice', ['finance'], entered);
      break;
    case 'certified':
      wait('payment', ['finance'], entered);
      break;
    // Stryker disable next-line ConditionalExpression: the last case; falling out of it does the same
    default:
      break;
  }
  return waits;
}
