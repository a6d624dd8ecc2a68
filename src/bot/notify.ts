import { CardFactory, MessageFactory } from 'botbuilder';
import { type Card, opportunityCard, statusCard } from '../cards';
import type { Config } from '../config';
import type { Locale } from '../i18n';
import type { Logger } from '../log';
import type { EventType, WorkflowEvent } from '../services/lifecycle';
import type { Opportunity } from '../services/opportunity';
import {
  CARD_CHANNELS,
  type CardChannel,
  cardKey,
  channelKey,
  deliveriesFor,
  postingEvents,
} from '../services/routing';
import type { AuditEntry, OpportunityStore } from '../services/store';

/**
 * Turns what happened to a request into messages in the durable outbox: cards posted to the team whose
 * turn it is, the posted cards updated in place, and a line for the requester and the updates channel.
 * Every message has an id built from the request's version, so a retried turn never queues one twice.
 */
export interface Notifier {
  notify(record: Opportunity, events: readonly WorkflowEvent[]): Promise<void>;
  /** Posts the cards of requests that waited for this channel to be registered; returns how many. */
  routeWaiting(channel: CardChannel): Promise<number>;
}

function activityOf(card: Card): Record<string, unknown> {
  return { ...MessageFactory.attachment(CardFactory.adaptiveCard(card)) };
}

/** The card a team waits to be given for a request in this status, by the event that posts it. */
function waitingCard(o: Opportunity, channel: CardChannel): EventType | undefined {
  if (channel === 'procurement' && o.status === 'submitted')
    return o.timeline.changes_requested ? 'resubmitted' : 'submitted';
  if (channel !== 'procurement' && o.status === 'in_approval') return 'vetted';
  return undefined;
}

export function createNotifier(
  store: OpportunityStore,
  config: Config,
  log: Logger,
  kick: () => void = () => undefined,
  now: () => Date = () => new Date(),
): Notifier {
  const locale: Locale = config.defaultLocale;

  const lastApplied = async (reference: string): Promise<AuditEntry | undefined> =>
    (await store.auditTrail(reference)).filter((e) => e.outcome === 'applied').at(-1);

  const registered = async (key: string) => (await store.getConversation(key)) !== undefined;

  /**
   * A channel's card at this version: posted as a new message, or replacing the card posted on `postedOn`
   * (the sender skips an update when no such card was ever posted).
   */
  const queueCard = async (
    kind: 'post' | 'update',
    o: Opportunity,
    channel: CardChannel,
    postedOn: EventType,
    last: AuditEntry | undefined,
  ) => {
    if (!(await registered(channelKey(channel)))) {
      if (kind === 'post')
        log.info({ reference: o.reference, channel }, 'channel not registered yet: the card waits');
      return;
    }
    await store.enqueue({
      id: `${kind}:${o.reference}:${channel}:${postedOn}:v${o.version}`,
      conversationKey: channelKey(channel),
      kind,
      activity: activityOf(opportunityCard(locale, o, { channel }, { last })),
      messageKey: cardKey(o.reference, channel, postedOn),
      createdAt: now().toISOString(),
    });
  };

  /** The requester's personal chat if they have one with the bot, else where they submitted. */
  const requesterConversation = async (o: Opportunity): Promise<string | undefined> => {
    for (const key of [`user:${o.requester.aadObjectId}`, `request:${o.reference}`]) {
      if (await registered(key)) return key;
    }
    return undefined;
  };

  return {
    async notify(o, events) {
      const last = await lastApplied(o.reference);
      const requesterLocale = (await store.getPreferences(o.requester.aadObjectId)).locale ?? o.locale;
      for (const event of events) {
        const posted = new Set<string>();
        for (const delivery of deliveriesFor(event)) {
          if (delivery.kind === 'post_card') {
            await queueCard('post', o, delivery.channel, delivery.postedOn, last);
            posted.add(cardKey(o.reference, delivery.channel, delivery.postedOn));
          } else if (delivery.kind === 'update_cards') {
            for (const channel of CARD_CHANNELS) {
              for (const postedOn of postingEvents(channel)) {
                if (posted.has(cardKey(o.reference, channel, postedOn))) continue;
                await queueCard('update', o, channel, postedOn, last);
              }
            }
          } else {
            const to = delivery.to === 'requester' ? await requesterConversation(o) : channelKey('updates');
            if (!to || !(await registered(to))) continue;
            await store.enqueue({
              id: `line:${o.reference}:${delivery.to}:v${o.version}:${event.type}`,
              conversationKey: to,
              kind: 'post',
              activity: activityOf(
                statusCard(delivery.to === 'requester' ? requesterLocale : locale, o, event),
              ),
              createdAt: now().toISOString(),
            });
          }
        }
      }
      kick();
    },

    async routeWaiting(channel) {
      let count = 0;
      let cursor: string | undefined;
      const statuses = channel === 'procurement' ? (['submitted'] as const) : (['in_approval'] as const);
      do {
        const page = await store.query(
          { statuses: [...statuses] },
          { limit: 200, ...(cursor ? { cursor } : {}) },
        );
        for (const o of page.items) {
          const postedOn = waitingCard(o, channel);
          if (!postedOn || (await store.getMessageId(cardKey(o.reference, channel, postedOn)))) continue;
          await queueCard('post', o, channel, postedOn, await lastApplied(o.reference));
          count += 1;
        }
        cursor = page.nextCursor;
      } while (cursor);
      kick();
      return count;
    },
  };
}
