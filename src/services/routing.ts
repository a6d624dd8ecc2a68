import type { EventType, WorkflowEvent } from './lifecycle';
import type { Opportunity } from './opportunity';
import { idKey } from './roles';

/**
 * Who hears about what. Each team works from its own channel: a request's card is posted to a channel
 * when that team first has a decision to make, and from then on every change updates the posted cards in
 * place. The requester gets a personal line for every change; the updates channel gets one too.
 */

export const CHANNEL_KINDS = ['procurement', 'finance', 'union', 'updates'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
/** Channels that hold decision cards (the updates channel gets lines only). */
export type CardChannel = Exclude<ChannelKind, 'updates'>;
export const CARD_CHANNELS: readonly CardChannel[] = ['procurement', 'finance', 'union'];

export type Delivery =
  | { readonly kind: 'post_card'; readonly channel: CardChannel; readonly postedOn: EventType }
  | { readonly kind: 'update_cards' }
  | { readonly kind: 'line'; readonly to: 'requester' | 'updates' };

/** Events that put a decision before a team that has no card of this request yet, or a newer one. */
export const POSTS: Partial<Record<EventType, readonly CardChannel[]>> = {
  submitted: ['procurement'],
  resubmitted: ['procurement'],
  vetted: ['finance', 'union'],
  // A concern must be answered before posting: procurement gets it as a new card, not only an edit.
  concern_raised: ['procurement'],
  // Applications closed by the clock: procurement records the evaluation and makes the draw.
  applications_closed: ['procurement'],
  // Certification and payment come weeks later: a fresh card, not one scrolled far away.
  accepted: ['finance'],
  // The card holder countersigns the terms procurement recorded.
  terms_recorded: ['finance'],
  // A late delivery is procurement's to review: extend, or terminate.
  delivery_overdue: ['procurement'],
  // A share agreed after a termination is invoiced, certified and paid like accepted work.
  termination_agreed: ['finance'],
};

/** The requester already has the confirmation card for these. */
const NOT_TOLD_TO_REQUESTER: ReadonlySet<EventType> = new Set(['submitted']);
/** Always comes with another event of the same change (vetting opens the consultation): one line is enough. */
const NO_LINE: ReadonlySet<EventType> = new Set(['consultation_opened']);

export function deliveriesFor(event: Pick<WorkflowEvent, 'type'>): Delivery[] {
  const deliveries: Delivery[] = (POSTS[event.type] ?? []).map((channel) => ({
    kind: 'post_card',
    channel,
    postedOn: event.type,
  }));
  deliveries.push({ kind: 'update_cards' });
  if (NO_LINE.has(event.type)) return deliveries;
  if (!NOT_TOLD_TO_REQUESTER.has(event.type)) deliveries.push({ kind: 'line', to: 'requester' });
  deliveries.push({ kind: 'line', to: 'updates' });
  return deliveries;
}

/** Store keys: where a channel's conversation reference lives, and the id of a request's card in it. */
export const channelKey = (channel: ChannelKind) => `channel:${channel}`;
/**
 * A team's channel for one client branch: approvers are chosen per branch, so a branch's finance team may
 * register a channel of its own (`register finance <branch>`); requests of other branches go to the team's
 * channel.
 */
export const branchChannelKey = (channel: CardChannel, branch: string) => `${channelKey(channel)}:${branch}`;

/** A request may have several cards in one channel (a fresh one for certification, say): one key each. */
export const cardKey = (reference: string, channel: CardChannel, postedOn: EventType) =>
  `card:${reference}:${channel}:${postedOn}`;

/** The events that post a card to a channel: every card of a request there is updated on each change. */
export function postingEvents(channel: CardChannel): EventType[] {
  return (Object.keys(POSTS) as EventType[]).filter((e) => POSTS[e]?.includes(channel));
}

/** Where the requester hears from the bot: their personal chat with it, else where they submitted. */
export const requesterChats = (o: Pick<Opportunity, 'reference' | 'requester'>): string[] => [
  `user:${idKey(o.requester.aadObjectId)}`,
  `request:${o.reference}`,
];
