import { CardFactory, MessageFactory } from 'botbuilder';
import { type Card, opportunityCard, statusCard } from '../cards';
import type { Config } from '../config';
import type { Locale } from '../i18n';
import type { Logger } from '../log';
import type { WorkflowEvent } from '../services/lifecycle';
import type { Opportunity } from '../services/opportunity';
import { CARD_CHANNELS, type CardChannel, cardKey, channelKey, deliveriesFor } from '../services/routing';
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

/** Whether a team has been brought in on this request, so its card exists (or is queued) to update. */
function reached(o: Opportunity, channel: CardChannel): boolean {
  return channel === 'procurement' || o.timeline.in_approval !== undefined;
}

/** Statuses where a channel's team still has a card to act on, for requests that waited for it. */
function waitingFor(o: Opportunity, channel: CardChannel): boolean {
  if (channel === 'procurement') return o.status === 'submitted';
  return o.status === 'in_approval';
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

  /** A channel's card of this version: posted as a new message, or replacing the one posted before. */
  const queueCard = async (
    kind: 'post' | 'update',
    o: Opportunity,
    channel: CardChannel,
    last: AuditEntry | undefined,
  ) => {
    if (!(await registered(channelKey(channel)))) {
      log.info({ reference: o.reference, channel }, 'channel not registered yet: the card waits');
      return;
    }
    await store.enqueue({
      id: `${kind}:${o.reference}:${channel}:v${o.version}`,
      conversationKey: channelKey(channel),
      kind,
      activity: activityOf(opportunityCard(locale, o, { channel }, { last })),
      messageKey: cardKey(o.reference, channel),
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
        const posted = new Set<CardChannel>();
        for (const delivery of deliveriesFor(event)) {
          if (delivery.kind === 'post_card') {
            await queueCard('post', o, delivery.channel, last);
            posted.add(delivery.channel);
          } else if (delivery.kind === 'update_cards') {
            for (const channel of CARD_CHANNELS) {
              if (!posted.has(channel) && reached(o, channel)) await queueCard('update', o, channel, last);
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
          if (!waitingFor(o, channel) || (await store.getMessageId(cardKey(o.reference, channel)))) continue;
          await queueCard('post', o, channel, await lastApplied(o.reference));
          count += 1;
        }
        cursor = page.nextCursor;
      } while (cursor);
      kick();
      return count;
    },
  };
}
