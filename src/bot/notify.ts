import { idKey } from '../services/roles';
import { branchKey } from '../services/lookback';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CardFactory, MessageFactory } from 'botbuilder';
import { type Card, opportunityCard, statusCard } from '../cards';
import type { Config } from '../config';
import type { DepartmentClock } from '../services/calendar';
import { type Locale, localesOf, t, type Voice } from '../i18n';
import type { Logger } from '../log';
import { evidenceFor } from './lookback';
import { nextTurn } from './next-turn';
import { type EventType, pending, TEAM_OF, type WorkflowEvent } from '../services/lifecycle';
import { ASSIGNABLE, type Opportunity, REFERENCE_PATTERN } from '../services/opportunity';
import {
  CARD_CHANNELS,
  type CardChannel,
  cardKey,
  branchChannelKey,
  channelKey,
  deliveriesFor,
  postingEvents,
  requesterChats,
} from '../services/routing';
import {
  type ConversationReferenceJson,
  everyRecord,
  lastApplied,
  type NewOutboxMessage,
  type OpportunityStore,
  type Store,
  StoreUnavailableError,
} from '../services/store';
import { newOpportunityMail, notSelectedMail, selectedMail } from '../mail/messages';
import { confirmedApplications } from '../services/applications';
import type { NewMail } from '../services/mail';
import { publicOpportunity } from '../services/publication';
import type { Question } from '../services/questions';
import { questionCard } from '../cards/question';
import { textsIn } from '../services/opportunity';
import { evaluationFor } from './handlers/evaluation';

/**
 * Turns what happened to a request into messages in the durable outbox: cards posted to the team whose
 * turn it is, the posted cards updated in place, and a line for the requester and the updates channel.
 * Every message has an id built from the request's version, so a retried turn never queues one twice.
 */
export interface Notifier {
  /** Posts the cards of requests that waited for this channel to be registered; returns how many. */
  routeWaiting(channel: CardChannel): Promise<number>;
  /**
   * Queues the messages of a change. When the store fails meanwhile, the change's pending notification
   * (saved with the change) stays, and `catchUp` queues what is missing; the change itself stands.
   */
  notify(record: Opportunity, events: readonly WorkflowEvent[]): Promise<void>;
  /**
   * Queues the messages of a change after the current turn has answered: the click's card does not wait
   * for them. The change's pending notification, saved with it, keeps them safe meanwhile; past
   * `RELAY_MOST` changes waiting, they are left to `catchUp`.
   */
  later(record: Opportunity, events: readonly WorkflowEvent[]): void;
  /** Resolves once every change given to `later` so far has had its messages queued (or given up). */
  idle(): Promise<void>;
  /** A queued message's activity as it leaves: a team's card of a request is built now (see `cardLater`). */
  render(activity: Readonly<Record<string, unknown>>): Promise<Readonly<Record<string, unknown>> | undefined>;
  /**
   * Queues the messages of changes saved without them (the process stopped, or the store failed, between
   * the change and its messages); returns how many changes it caught up on.
   */
  catchUp(): Promise<number>;
  /** Queues one message of its own (not about a change) and wakes the sender; false if its id was queued. */
  post(message: NewOutboxMessage): Promise<boolean>;
  /**
   * Updates every card of a request in place for something its record does not hold (an applicant
   * marked); `occasion` names the messages, so it is queued once.
   */
  refresh(record: Opportunity, occasion: string): Promise<void>;
}

/** A card as the message the outbox sends. */
export function activityOf(card: Card): Record<string, unknown> {
  return { ...MessageFactory.attachment(CardFactory.adaptiveCard(card)) };
}

/**
 * A team's card of a request, queued as what to show rather than as the card: the sender builds it when
 * Teams takes it (paced to a few a second per channel), showing the request as it is then.
 */
const CardLater = z.object({
  cardLater: z.object({ reference: z.string().regex(REFERENCE_PATTERN), channel: z.enum(CARD_CHANNELS) }),
});

/** Changes waiting for `later` past which their messages are left to the scheduler's catch-up. */
const RELAY_MOST = 1_000;
/** Changes whose messages are queued on one turn of the event loop. */
const RELAY_BATCH = 8;

/** The requester's personal chat with the bot if they have one, else where they submitted. */
export async function requesterChat(
  o: Opportunity,
  registered: (key: string) => Promise<boolean>,
): Promise<string | undefined> {
  for (const key of requesterChats(o)) {
    if (await registered(key)) return key;
  }
  return undefined;
}

/**
 * How to speak in a conversation: a chat several people read (a group chat, a channel) hears both
 * official languages; a personal chat hears its person's.
 */
export function voiceIn(reference: ConversationReferenceJson | undefined, locale: Locale): Voice {
  const conversation = reference?.conversation as
    { conversationType?: unknown; isGroup?: unknown } | undefined;
  const type = conversation?.conversationType;
  return conversation?.isGroup === true || type === 'groupChat' || type === 'channel' ? 'bilingual' : locale;
}

/** The language a person chose for themselves, else `fallback`. */
export async function chosenLocale(
  store: OpportunityStore,
  userId: string,
  fallback: Locale,
): Promise<Locale> {
  return (await store.getPreferences(userId)).locale ?? fallback;
}

/** A question's card, posted to procurement's channel; its id is the question's, so it goes once. */
export function questionMessage(
  q: Question,
  o: Opportunity,
  config: Pick<Config, 'site'>,
  clock: Pick<DepartmentClock, 'now' | 'calendar'>,
): NewOutboxMessage {
  const key = `question:${q.id}`;
  return {
    id: key,
    conversationKey: channelKey('procurement'),
    kind: 'post',
    activity: activityOf(
      questionCard(q, {
        titles: { en: textsIn(o, 'en').texts.title, fr: textsIn(o, 'fr').texts.title },
        timeZone: clock.calendar.timeZone,
        site: config.site.publicUrl,
      }),
    ),
    messageKey: key,
    createdAt: clock.now().toISOString(),
  };
}

/** The card a team waits to be given for a request in this status, by the event that posts it. */
function waitingCard(o: Opportunity, channel: CardChannel): EventType | undefined {
  if (channel === 'procurement' && o.status === 'submitted')
    return o.timeline.changes_requested ? 'resubmitted' : 'submitted';
  if (channel !== 'procurement' && o.status === 'in_approval') return 'vetted';
  return undefined;
}

export function createNotifier(
  store: Store,
  config: Config,
  log: Logger,
  kick: () => void,
  clock: DepartmentClock,
  kickMail: () => void = () => undefined,
  /** The people a team's grants limited to a client branch name: that branch's own approvers. */
  approvers: (team: CardChannel, branch: string) => readonly string[] = () => [],
  /** Changes that may wait for `later` at once; past it, their messages are left to `catchUp`. */
  relayMost = RELAY_MOST,
): Notifier {
  const now = clock.now;

  /**
   * Where a team's card of a request goes: the channel the team registered for the request's client
   * branch; else, when the branch has approvers of its own (a grant limited to it), their personal chats,
   * each card of its own; else the team's channel.
   */
  async function recipientsOf(
    o: Opportunity,
    channel: CardChannel,
    postedOn: EventType,
    registered: (key: string) => Promise<boolean>,
  ): Promise<{ conversationKey: string; messageKey: string; suffix: string }[]> {
    const messageKey = cardKey(o.reference, channel, postedOn);
    const ofBranch = branchChannelKey(channel, branchKey(o.client.branch, config.branches));
    if (await registered(ofBranch)) return [{ conversationKey: ofBranch, messageKey, suffix: '' }];
    const people: string[] = [];
    for (const id of approvers(channel, o.client.branch).map(idKey))
      if (await registered(`user:${id}`)) people.push(id);
    if (people.length > 0)
      return people.map((id) => ({
        conversationKey: `user:${id}`,
        messageKey: `${messageKey}:${id}`,
        suffix: `:${id}`,
      }));
    return [{ conversationKey: channelKey(channel), messageKey, suffix: '' }];
  }

  /**
   * A newly posted opportunity, e-mailed to every confirmed subscriber in their language. Each e-mail's
   * id names the opportunity and the subscriber, so a round run again (a retry, a catch-up) adds none.
   */
  async function mailSubscribers(o: Opportunity): Promise<void> {
    const views = { en: publicOpportunity(o, 'en'), fr: publicOpportunity(o, 'fr') };
    let cursor: string | undefined;
    let queued = 0;
    do {
      const page = await store.subscribers({ limit: 500, ...(cursor ? { cursor } : {}) });
      const mails = page.items.flatMap((s) => {
        const view = views[s.locale];
        return view
          ? [newOpportunityMail(config.site.publicUrl, view, s, clock.calendar, now().toISOString())]
          : [];
      });
      queued += await store.queueMail(mails);
      cursor = page.nextCursor;
    } while (cursor);
    if (queued > 0) {
      log.info({ reference: o.reference, emails: queued }, 'new opportunity e-mailed to subscribers');
      kickMail();
    }
  }

  /**
   * Applicants told how it ended, each in the language they applied in: the drawn one when drawn; every
   * other numbered applicant (but those who declined) once the terms are signed with the winner or the
   * opportunity is cancelled, with a debrief link made for them then. Ids name the application, so a
   * round run again adds nothing.
   */
  async function mailApplicants(o: Opportunity, happened: ReadonlySet<EventType>): Promise<void> {
    const selected = happened.has('supplier_selected') && o.status === 'supplier_selected';
    const ended = happened.has('terms_signed') || happened.has('cancelled');
    if (!selected && !ended) return;
    const applicants = (await confirmedApplications(store, o.reference)).filter(
      (a) => a.number !== undefined,
    );
    const draw = o.selection.draw;
    const drawn = draw?.candidates[draw.selectedIndex];
    const views = { en: publicOpportunity(o, 'en'), fr: publicOpportunity(o, 'fr') };
    const at = now().toISOString();
    const mails: NewMail[] = [];
    for (const a of applicants) {
      const view = views[a.locale];
      const number = String(a.number);
      if (!view) continue;
      if (number === drawn && selected) mails.push(selectedMail(config.site.publicUrl, view, a, at));
      if (!ended || (number === drawn && happened.has('terms_signed'))) continue;
      if (o.selection.declinedSuppliers.includes(number)) continue;
      const withLink = a.debriefToken
        ? a
        : await store.saveApplication(
            { ...a, debriefToken: randomBytes(32).toString('base64url'), version: a.version + 1 },
            a.version,
          );
      mails.push(notSelectedMail(config.site.publicUrl, view, withLink, at));
    }
    if ((await store.queueMail(mails)) > 0) kickMail();
  }

  /**
   * One round of messages about one version of a request (`version`, which names the messages, is the
   * record's own unless a late round catches up on an earlier change). A conversation's registration
   * does not change within the round: each is read once. Messages are stamped with the change's time,
   * so that what a handler posts after the change still follows its messages.
   */
  function round(o: Opportunity, version: number | string = o.version) {
    const messages: NewOutboxMessage[] = [];
    const known = new Map<string, Promise<ConversationReferenceJson | undefined>>();
    const conversation = (key: string) => {
      let found = known.get(key);
      if (!found) {
        found = store.getConversation(key);
        known.set(key, found);
      }
      return found;
    };
    const registered = async (key: string) => (await conversation(key)) !== undefined;
    /**
     * The channel's card at this version: posted as a new message, or replacing the card posted on
     * `postedOn` (the sender skips an update when no such card was ever posted).
     */
    const queueCard = async (kind: 'post' | 'update', channel: CardChannel, postedOn: EventType) => {
      const to = await recipientsOf(o, channel, postedOn, registered);
      if (!(await registered(to[0]?.conversationKey ?? ''))) {
        if (kind === 'post')
          log.info({ reference: o.reference, channel }, 'channel not registered yet: the card waits');
        return;
      }
      const activity = { cardLater: { reference: o.reference, channel } };
      for (const { conversationKey, messageKey, suffix } of to) {
        messages.push({
          id: `${kind}:${o.reference}:${channel}:${postedOn}:v${version}${suffix}`,
          conversationKey,
          kind,
          activity,
          messageKey,
          createdAt: o.updatedAt,
        });
      }
    };
    return { messages, registered, conversation, queueCard };
  }

  /**
   * Queues the messages of the change that made `version`, then settles its pending notification. The
   * cards show the record as it is now, which is newer when a round catches up late.
   */
  async function queue(o: Opportunity, events: readonly WorkflowEvent[], version = o.version): Promise<void> {
    const { messages, registered, conversation, queueCard } = round(o, version);
    const requesterLocale = await chosenLocale(store, o.requester.aadObjectId, o.locale);
    const posted = new Set<string>();
    for (const event of events) {
      for (const delivery of deliveriesFor(event)) {
        if (delivery.kind === 'post_card') {
          await queueCard('post', delivery.channel, delivery.postedOn);
          posted.add(cardKey(o.reference, delivery.channel, delivery.postedOn));
        } else if (delivery.kind === 'line') {
          const to = delivery.to === 'requester' ? await requesterChat(o, registered) : channelKey('updates');
          if (!to || !(await registered(to))) continue;
          messages.push({
            id: `line:${o.reference}:${delivery.to}:v${version}:${event.type}`,
            conversationKey: to,
            kind: 'post',
            activity: activityOf(
              statusCard(
                delivery.to === 'requester' ? voiceIn(await conversation(to), requesterLocale) : 'bilingual',
                o,
                event,
                clock.calendar.timeZone,
                delivery.to,
                config.site.publicUrl,
              ),
            ),
            createdAt: o.updatedAt,
          });
        }
      }
    }
    // Every change updates every card of the request once, whichever events it raised.
    if (events.some((e) => deliveriesFor(e).some((d) => d.kind === 'update_cards'))) {
      for (const channel of CARD_CHANNELS) {
        for (const postedOn of postingEvents(channel)) {
          if (!posted.has(cardKey(o.reference, channel, postedOn)))
            await queueCard('update', channel, postedOn);
        }
      }
    }
    // A decision a lead gave to a colleague reaches them in their own chat, with the team's buttons.
    if (events.some((e) => e.type === 'decision_reassigned')) {
      for (const decision of ASSIGNABLE.filter((d) => pending(o, d))) {
        const to = o.assignments?.[decision];
        const chat = to && `user:${idKey(to.aadObjectId)}`;
        if (!chat || !(await registered(chat))) continue;
        const voice = voiceIn(await conversation(chat), await chosenLocale(store, to.aadObjectId, o.locale));
        messages.push({
          id: `assigned:${o.reference}:${decision}:${idKey(to.aadObjectId)}:v${version}`,
          conversationKey: chat,
          kind: 'post',
          activity: activityOf(
            opportunityCard(
              voice,
              o,
              { channel: TEAM_OF[decision] as CardChannel },
              {
                calendar: clock.calendar,
                site: config.site.publicUrl,
                note: {
                  style: 'accent',
                  text: localesOf(voice)
                    .map((l) =>
                      t(l, 'decisions.assignedToYou', {
                        decision: t(l, `decisions.choices.decision.${decision}`),
                      }),
                    )
                    .join('\n\n'),
                },
              },
            ),
          ),
          createdAt: o.updatedAt,
        });
      }
    }
    if (events.some((e) => e.type === 'posted')) await mailSubscribers(o);
    await mailApplicants(o, new Set(events.map((e) => e.type)));
    await store.enqueueAll(messages, { reference: o.reference, version });
    kick();
  }

  /** Questions asked while procurement's channel was not registered: their cards, now it is. */
  async function routeWaitingQuestions(): Promise<number> {
    let count = 0;
    for await (const o of everyRecord(store, { statuses: ['posted'] }, 200)) {
      for (const q of await store.questionsOf(o.reference, ['asked'])) {
        if (await store.getMessageId(`question:${q.id}`)) continue;
        await store.enqueue(questionMessage(q, o, config, clock));
        count += 1;
      }
    }
    return count;
  }

  /** A team's card of a request as it is now, in both official languages; undefined once it is gone. */
  async function requestCardNow(reference: string, channel: CardChannel) {
    const o = await store.get(reference);
    if (!o) return undefined;
    // Procurement weighs the branch's last year while it vets.
    const [last, evidence, progress] = await Promise.all([
      lastApplied(store, reference),
      evidenceFor({ store, config, clock }, o, { channel }),
      evaluationFor({ store }, o),
    ]);
    return activityOf(
      opportunityCard(
        'bilingual',
        o,
        { channel },
        {
          last,
          calendar: clock.calendar,
          site: config.site.publicUrl,
          ...(evidence ? { evidence } : {}),
          ...(progress ? { evaluation: progress } : {}),
        },
      ),
    );
  }

  /** Changes given to `later`, oldest first, and the loop queuing their messages while there are any. */
  const backlog: { readonly o: Opportunity; readonly events: readonly WorkflowEvent[] }[] = [];
  let relaying: Promise<void> | undefined;
  /** The changes in the backlog or being relayed (`reference:version`): the catch-up leaves them to it. */
  const inHand = new Set<string>();
  const changeKey = (reference: string, version: number) => `${reference}:${version}`;

  /**
   * Queues the backlog's messages a few changes at a time, each batch on a turn of the event loop of its
   * own: after the answers being written, and without holding the requests that arrive meanwhile.
   */
  async function relay(): Promise<void> {
    while (backlog.length > 0) {
      await nextTurn();
      for (const { o, events } of backlog.splice(0, RELAY_BATCH)) {
        try {
          await notify(o, events);
        } catch (err) {
          log.error({ err, reference: o.reference, version: o.version }, 'messages of a change left pending');
        } finally {
          inHand.delete(changeKey(o.reference, o.version));
        }
      }
    }
    relaying = undefined;
  }

  async function notify(o: Opportunity, events: readonly WorkflowEvent[]): Promise<void> {
    try {
      await queue(o, events);
    } catch (err) {
      // The change is saved with its pending notification: the scheduler queues its messages later.
      if (!(err instanceof StoreUnavailableError)) throw err;
      log.warn({ err, reference: o.reference, version: o.version }, 'messages of a change left pending');
    }
  }

  return {
    notify,

    later(o, events) {
      if (backlog.length >= relayMost) {
        log.warn({ reference: o.reference, version: o.version }, 'messages left to the catch-up: busy');
        return;
      }
      backlog.push({ o, events });
      inHand.add(changeKey(o.reference, o.version));
      relaying ??= relay();
    },

    idle: async () => {
      while (relaying) await relaying;
    },

    async render(activity) {
      if (!('cardLater' in activity)) return activity;
      const later = CardLater.safeParse(activity);
      if (!later.success) return activity;
      return requestCardNow(later.data.cardLater.reference, later.data.cardLater.channel);
    },

    async catchUp() {
      let count = 0;
      for (const pending of await store.pendingNotifications(100)) {
        if (inHand.has(changeKey(pending.reference, pending.version))) continue;
        const o = await store.get(pending.reference);
        if (o) {
          // Named after the change, so what its first round queued is not queued again; late, the cards
          // and lines show the request as it is now.
          await queue(o, pending.events, pending.version);
          count += 1;
        } else await store.settleNotification(pending.reference, pending.version);
        await nextTurn();
      }
      return count;
    },

    async post(message) {
      const queued = await store.enqueue(message);
      kick();
      return queued;
    },

    async refresh(o, occasion) {
      const { messages, queueCard } = round(o, `${o.version}:${occasion}`);
      for (const channel of CARD_CHANNELS) {
        for (const postedOn of postingEvents(channel)) await queueCard('update', channel, postedOn);
      }
      await store.enqueueAll(messages);
      kick();
    },

    async routeWaiting(channel) {
      let count = 0;
      const statuses = channel === 'procurement' ? (['submitted'] as const) : (['in_approval'] as const);
      if (channel === 'procurement') count += await routeWaitingQuestions();
      for await (const o of everyRecord(store, { statuses: [...statuses] }, 200)) {
        const postedOn = waitingCard(o, channel);
        if (!postedOn || (await store.getMessageId(cardKey(o.reference, channel, postedOn)))) continue;
        const waiting = round(o);
        await waiting.queueCard('post', channel, postedOn);
        await store.enqueueAll(waiting.messages);
        count += 1;
      }
      kick();
      return count;
    },
  };
}
