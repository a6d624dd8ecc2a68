import type { Attestations, Opportunity } from './opportunity';
import { type Actor, type ConfiguredRole, sameId } from './roles';
import type { CardChannel } from './routing';
import type { OpportunityFilter } from './store';

/**
 * Who may read what: the one rule behind every answer that shows a request (status, refresh, history,
 * lists, search, the compose box, export, and the answer to a refused click). A requester reads their own
 * requests; the procurement team, finance, the union and managers read every request. Fund reservation
 * numbers are finance's business: finance and the procurement team see them, nobody else. Within a
 * request, each team sees what it decides on (`viewOf`).
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
  return viewOf(reader).fundReservation;
}

/** The parts of a request beyond its work that one reader's card shows. */
export interface RequestView {
  /** The client's contact: name, e-mail, team. */
  readonly contact: boolean;
  /** The requester's attestations shown. */
  readonly attestations: readonly (keyof Attestations)[];
  /** The attestations the reader is consulted on: on the card itself, not only in its details. */
  readonly consultedOn: readonly (keyof Attestations)[];
  /** The branch's requests of the last 12 months: the evidence against contract splitting. */
  readonly splittingEvidence: boolean;
  readonly fundReservation: boolean;
}

type Holder = ConfiguredRole | 'requester';

const EVERY_ATTESTATION: readonly (keyof Attestations)[] = [
  'unclassified',
  'standalone',
  'noInternalCapacity',
  'notContractSplitting',
];

/** What the union is consulted on, besides the work. */
const CONSULTED_ON: readonly (keyof Attestations)[] = ['standalone', 'noInternalCapacity'];

/**
 * What each holder sees. Procurement vets the whole request; finance commits funds against it; the union
 * is consulted on the work and on two attestations (standalone work, no internal capacity), and has no
 * need of the client's contact; managers oversee; the requester sees what they wrote.
 */
const VIEWS: Readonly<Record<Holder, RequestView>> = {
  procurement: {
    contact: true,
    attestations: EVERY_ATTESTATION,
    consultedOn: [],
    splittingEvidence: true,
    fundReservation: true,
  },
  finance: {
    contact: true,
    attestations: EVERY_ATTESTATION,
    consultedOn: [],
    splittingEvidence: false,
    fundReservation: true,
  },
  union: {
    contact: false,
    attestations: CONSULTED_ON,
    consultedOn: CONSULTED_ON,
    splittingEvidence: false,
    fundReservation: false,
  },
  manager: {
    contact: true,
    attestations: EVERY_ATTESTATION,
    consultedOn: [],
    splittingEvidence: false,
    fundReservation: false,
  },
  requester: {
    contact: true,
    attestations: EVERY_ATTESTATION,
    consultedOn: [],
    splittingEvidence: false,
    fundReservation: false,
  },
};

const NOTHING: RequestView = {
  contact: false,
  attestations: [],
  consultedOn: [],
  splittingEvidence: false,
  fundReservation: false,
};

/** The widest view of the holders' views: a person with two roles sees what either one sees. */
function widest(views: readonly RequestView[]): RequestView {
  return views.reduce(
    (a, b) => ({
      contact: a.contact || b.contact,
      attestations: EVERY_ATTESTATION.filter((x) => a.attestations.includes(x) || b.attestations.includes(x)),
      consultedOn: EVERY_ATTESTATION.filter((x) => a.consultedOn.includes(x) || b.consultedOn.includes(x)),
      splittingEvidence: a.splittingEvidence || b.splittingEvidence,
      fundReservation: a.fundReservation || b.fundReservation,
    }),
    NOTHING,
  );
}

/**
 * What `reader` sees of a request beyond its work, which everyone who may read it sees; the requester's
 * own view counts only on their request `o`.
 */
export function viewOf(reader: Reader, o?: Pick<Opportunity, 'requester'>): RequestView {
  if ('channel' in reader) return VIEWS[reader.channel];
  const holders: Holder[] = [...reader.actor.roles].filter((r): r is ConfiguredRole => r !== 'system');
  if (o && sameId(o.requester.aadObjectId, reader.actor.id)) holders.push('requester');
  return widest(holders.map((h) => VIEWS[h]));
}
