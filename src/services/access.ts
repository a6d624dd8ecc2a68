import type { Opportunity } from './opportunity';
import { type Actor, sameId } from './roles';
import type { CardChannel } from './routing';
import type { OpportunityFilter } from './store';

/**
 * Who may read what: the one rule behind every answer that shows a request (status, refresh, history,
 * lists, search, the compose box, export, and the answer to a refused click). A requester reads their own
 * requests; the procurement team, finance, the union and managers read every request. Fund reservation
 * numbers are finance's business: finance and the procurement team see them, nobody else.
 */

/** A person asking, or a team channel whose members see a card posted there. */
export type Reader = { readonly actor: Actor } | { readonly channel: CardChannel };

/** Holds a role that reads every request (the clock's own "system" aside). */
export function readsEverything(actor: Actor): boolean {
  return [...actor.roles].some((r) => r !== 'system');
}

export function mayRead(o: Pick<Opportunity, 'requester'>, actor: Actor): boolean {
  return readsEverything(actor) || sameId(o.requester.aadObjectId, actor.id);
}

/** What a query must add so that it returns only what `actor` may read. */
export function readableBy(actor: Actor): Pick<OpportunityFilter, 'requesterId'> {
  return readsEverything(actor) ? {} : { requesterId: actor.id };
}

export function seesFundReservation(reader: Reader): boolean {
  if ('channel' in reader) return reader.channel === 'finance' || reader.channel === 'procurement';
  return reader.actor.roles.has('finance') || reader.actor.roles.has('procurement');
}
