import { randomUUID } from 'node:crypto';
import {
  type Activity,
  ActivityTypes,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type Attachment,
  type FileConsentCardResponse,
  CardFactory,
  type MessagingExtensionQuery,
  type MessagingExtensionResponse,
  type ConversationReference,
  type InvokeResponse,
  MessageFactory,
  TeamsActivityHandler,
  TurnContext,
} from 'botbuilder';
import { isRecord } from './inbound';
import { KeyedLock } from './keyed-lock';
import { type Card, noticeCard, opportunityCard, welcomeCard } from '../cards';
import type { Opportunity } from '../services/opportunity';
import { answerFileConsent, FileConsentData } from './handlers/export';
import { composeResults } from './handlers/status';
import { type Locale, localeOf, t } from '../i18n';
import { currentCorrelationId } from '../log';
import { idKey } from '../services/roles';
import { actorOf } from './actor';
import { type HandledActivity, StoreUnavailableError } from '../services/store';
import { ACTIVITY_CLAIM_MS } from './replica';
import type { Router } from './router';
import type { Deps, Handler, Reply, TurnRequest } from './turn';

const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** The most of a message a command reads: a title or a search is far shorter. */
const MAX_COMMAND_CHARS = 2_000;
const MESSAGE_CONTENT_TYPE = 'application/vnd.microsoft.activity.message';

/** Text of a message with any @mention of the bot (and stray `<at>` tags) removed. */
export function commandText(activity: TurnContext['activity']): string {
  const withoutBot = TurnContext.removeRecipientMention(activity) ?? activity.text ?? '';
  return withoutBot
    .replace(/<at>[^<]*<\/at>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .trim();
}

/** The first `max` UTF-16 units of `text`, never ending half-way through a character. */
function head(text: string, max: number): string {
  const cut = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

function conversationType(activity: TurnContext['activity']): TurnRequest['conversation']['type'] {
  const type = activity.conversation?.conversationType;
  return type === 'channel' || type === 'groupChat' ? type : 'personal';
}

/**
 * The edge between Teams and the workflow: it turns each activity into a TurnRequest with the identity
 * and roles taken from the authenticated activity (never from card data), runs the routed handler,
 * and turns its Reply back into Teams messages or invoke responses.
 */
export class MicroacqBot extends TeamsActivityHandler {
  /** Deliveries of the same activity wait for each other, so the second finds the first's answer. */
  private readonly deliveries = new KeyedLock();
  /** The conversation references written lately, by key. */
  private readonly remembered = new Map<string, { json: string; at: number }>();

  constructor(
    private readonly router: Router,
    private readonly deps: Deps,
  ) {
    super();
    this.onMessage(async (context, next) => {
      await this.rememberConversation(context);
      await this.handleMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      await this.welcome(context);
      await next();
    });
  }

  /**
   * Runs each activity once, across replicas: Teams redelivers an activity (same id) whose answer was late
   * or lost, possibly to another replica. The first to claim it in the store runs it; a redelivery gets
   * the first answer back, waiting for it while the claim runs, instead of a second submission, decision
   * or draft. A claim left by a replica killed mid-turn passes and is taken over. The handlers stay
   * idempotent on their own (drafts, record versions), which covers a crash before the answer is stored.
   */
  override async run(context: TurnContext): Promise<void> {
    const key = activityKey(context.activity);
    if (!key) return super.run(context);
    const { log } = this.deps;
    await this.deliveries.run(key, async () => {
      const seen = await this.claim(key).catch((err: unknown) => {
        log.warn({ err }, 'could not check for a redelivery; handling the activity');
        return undefined;
      });
      if (seen) {
        log.info(
          { type: context.activity.type, answeredAt: seen.at },
          'redelivered activity answered as before',
        );
        if (seen.response)
          await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: seen.response });
        return;
      }
      let response: Record<string, unknown> | undefined;
      context.onSendActivities(async (_ctx, activities, next) => {
        for (const a of activities) {
          if (a.type === ActivityTypes.InvokeResponse) response = a.value as Record<string, unknown>;
        }
        return next();
      });
      await super.run(context);
      await this.deps.store
        .rememberActivity({ key, at: this.deps.clock.now().toISOString(), ...(response ? { response } : {}) })
        .catch((err: unknown) => log.warn({ err }, 'could not remember the answered activity'));
    });
  }

  /**
   * Claims the activity for this replica, or returns the answer it was given. While another replica runs
   * it, waits for that answer (polling: the answer is a row another process writes); once the other's
   * claim has passed, takes it over.
   */
  private async claim(key: string): Promise<HandledActivity | undefined> {
    const { store, replica } = this.deps;
    for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
      const claim = await store.claimActivity(key, replica.now(), replica.until(ACTIVITY_CLAIM_MS));
      if (claim.kind === 'answered') return claim.activity;
      if (claim.kind === 'claimed') return undefined;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private async request(
    context: TurnContext,
    args: string,
    data: Record<string, unknown>,
  ): Promise<TurnRequest> {
    const { activity } = context;
    // One case for an id everywhere it is kept or compared: Entra ids reach us in either.
    const id = idKey(activity.from?.aadObjectId ?? '');
    const teamsLocale = this.localeOf(context);
    return {
      actor: await actorOf(this.deps, id, activity.from?.name ?? ''),
      locale: await this.localeFor(context),
      teamsLocale,
      conversation: { id: activity.conversation?.id ?? '', type: conversationType(activity) },
      args,
      data,
      mentions: (activity.entities ?? []).flatMap((e) => {
        const m = (e as { type?: unknown; mentioned?: { id?: unknown; name?: unknown } }).mentioned;
        return e.type === 'mention' && typeof m?.id === 'string' && m.id !== activity.recipient?.id
          ? [{ id: m.id, name: typeof m.name === 'string' ? m.name : '' }]
          : [];
      }),
      // Cards are not files: only what a person attached.
      attachments: (activity.attachments ?? [])
        .filter((a) => a.contentType !== CARD_CONTENT_TYPE)
        .map((a) => ({ ...a }) as Record<string, unknown>),
      correlationId: currentCorrelationId() ?? activity.id ?? randomUUID(),
      conversationReference: { ...TurnContext.getConversationReference(activity) },
    };
  }

  private async localeFor(context: TurnContext): Promise<Locale> {
    return (await this.chosenLocale(context.activity.from?.aadObjectId ?? '')) ?? this.localeOf(context);
  }

  /** The language the person chose with `language`; unknown when the store cannot say, so Teams' wins. */
  private async chosenLocale(userId: string): Promise<Locale | undefined> {
    if (!userId) return undefined;
    try {
      return (await this.deps.store.getPreferences(userId)).locale;
    } catch (err) {
      this.deps.log.warn({ err }, 'could not read the language preference');
      return undefined;
    }
  }

  private localeOf(context: TurnContext): Locale {
    return localeOf(context.activity.locale, this.deps.config.defaultLocale);
  }

  /** Runs a handler; a fault becomes a clear answer in the person's language, never silence. */
  private async runHandler(handler: Handler, req: TurnRequest): Promise<Reply> {
    const { log } = this.deps;
    try {
      return await handler(req, this.deps);
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        log.warn({ err }, 'store unavailable');
        return notice(req.locale, 'errors.storeUnavailable', 'warning');
      }
      log.error({ err }, 'handler failed');
      return {
        card: noticeCard({
          title: t(req.locale, 'errors.title'),
          lines: [t(req.locale, 'errors.unexpected', { correlationId: req.correlationId })],
          style: 'attention',
        }),
      };
    }
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const value = context.activity.value as Record<string, unknown> | undefined;
    // Action.Submit (the fallback of every Action.Execute on clients without Universal Actions) arrives here.
    if (value && typeof value.verb === 'string') {
      const { reply } = await this.dispatchVerb(context, value.verb, value);
      await this.replaceOrSend(context, reply);
      return;
    }
    // What a command reads is short: past this, text is cut before any work that grows with its length.
    const text = head(commandText(context.activity), MAX_COMMAND_CHARS);
    const match = this.router.matchCommand(text);
    const req = await this.request(context, match?.args ?? text, {});
    const reply = match
      ? await this.runHandler(match.route.handler, req)
      : this.unknownCommand(req.locale, text);
    await this.send(context, reply);
  }

  private async dispatchVerb(
    context: TurnContext,
    verb: string,
    data: Record<string, unknown>,
  ): Promise<{ reply: Reply; locale: Locale }> {
    const route = this.router.matchVerb(verb);
    const req = await this.request(context, '', data);
    const reply = route
      ? await this.runHandler(
          (r, deps) => route.run(r, deps) ?? (route.unusable ?? unusableButton)(r, deps),
          req,
        )
      : notice(req.locale, 'unknownAction.text', 'warning');
    // A button on a line in the chat's history (an update, a reminder) posts its card below the line.
    if (data.placement === 'new' && 'card' in reply)
      return { reply: { ...reply, placement: 'new' }, locale: req.locale };
    return { reply, locale: req.locale };
  }

  /** botbuilder answers 501 to an invoke nobody handles; for the caller it is a request this bot does not take. */
  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const response = await super.onInvokeActivity(context);
    if (response.status !== 501) return response;
    return { status: 400, body: { error: 'this bot does not take this invoke' } };
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    value: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    await this.rememberConversation(context);
    const action = value?.action;
    const { reply, locale } = await this.dispatchVerb(
      context,
      action?.verb ?? '',
      // Handlers read card data as fields: anything that is not an object (text, a list) carries none.
      isRecord(action?.data) ? action.data : {},
    );
    if ('card' in reply && reply.placement === 'new') {
      await this.send(context, reply);
      // A message answer leaves the clicked card as it is; Teams shows the text briefly. Its value is a
      // string (Universal Actions), which botbuilder's type does not allow for.
      const text = t(locale, 'posted.below');
      return {
        statusCode: 200,
        type: MESSAGE_CONTENT_TYPE,
        value: text as unknown as Record<string, unknown>,
      };
    }
    const card = 'card' in reply ? reply.card : noticeCard({ title: reply.text, lines: [] });
    return { statusCode: 200, type: CARD_CONTENT_TYPE, value: card as Record<string, unknown> };
  }

  /**
   * The person answered the consent card of an export (Teams' `fileConsent/invoke`). Not a card verb, so
   * no Adaptive Card button can reach it: only Teams, for the person who got the consent card.
   */
  protected override async handleTeamsFileConsent(
    context: TurnContext,
    response: FileConsentCardResponse,
  ): Promise<void> {
    const req = await this.request(context, '', {});
    const parsed = FileConsentData.safeParse(response);
    const reply = parsed.success
      ? await this.runHandler((r, deps) => answerFileConsent(r, deps, parsed.data), req)
      : notice(req.locale, 'exports.failed', 'warning');
    await this.send(context, reply);
  }

  /**
   * Search from the compose box: the person picks a request and its card goes into the conversation. The
   * card is the read-only view (anyone may read the conversation); opening it shows each person theirs.
   */
  protected override async handleTeamsMessagingExtensionQuery(
    context: TurnContext,
    query: MessagingExtensionQuery,
  ): Promise<MessagingExtensionResponse> {
    // The query is whatever the client sent: parameters may be missing or of any shape.
    const parameters: unknown[] = Array.isArray(query?.parameters) ? query.parameters : [];
    const typed = parameters.find((p) => (p as { name?: unknown } | null)?.name === 'query');
    const value = (typed as { value?: unknown } | undefined)?.value;
    const text = typeof value === 'string' ? value : '';
    const req = await this.request(context, text, {});
    let records: Opportunity[] = [];
    try {
      records = await composeResults(req, this.deps, text);
    } catch (err) {
      this.deps.log.warn({ err }, 'compose search failed');
    }
    const today = this.deps.clock.today();
    const reader = { actor: { id: '', name: '', roles: new Set<never>() } };
    return {
      composeExtension: {
        type: 'result',
        attachmentLayout: 'list',
        attachments: records.map((o) => ({
          ...CardFactory.adaptiveCard(
            // Inserted into a conversation that anyone in it reads: both official languages.
            opportunityCard('bilingual', o, reader, {
              today,
              calendar: this.deps.clock.calendar,
              site: this.deps.config.site.publicUrl,
            }),
          ),
          preview: CardFactory.thumbnailCard(
            `${o.reference} · ${o.title}`,
            t(req.locale, 'lists.preview', {
              status: t(req.locale, `statuses.${o.status}`),
              branch: o.client.branch,
            }),
          ),
        })),
      },
    };
  }

  private unknownCommand(locale: Locale, text: string): Reply {
    const suggestion = this.router.suggest(text);
    return {
      card: noticeCard({
        title: t(locale, 'unknown.title'),
        quote: text.slice(0, 200),
        lines: [
          ...(suggestion ? [t(locale, 'unknown.suggestion', { command: suggestion })] : []),
          t(locale, 'unknown.hint'),
        ],
        style: 'warning',
      }),
    };
  }

  /** Greets the people or the channel the bot was just added to, in their language and the other. */
  private async welcome(context: TurnContext): Promise<void> {
    const added = context.activity.membersAdded ?? [];
    const botId = context.activity.recipient?.id;
    const botAdded = added.some((m) => m.id === botId);
    const personAdded = added.some((m) => m.id !== botId);
    const isPersonal = conversationType(context.activity) === 'personal';
    if (!botAdded && !(isPersonal && personAdded)) return;
    await this.rememberConversation(context);
    await context.sendActivity(
      MessageFactory.attachment(CardFactory.adaptiveCard(welcomeCard(this.localeOf(context)))),
    );
  }

  /**
   * An Action.Submit fallback replaces the card it came from, as Action.Execute does, so steps never pile
   * up in the chat; if the message cannot be updated (deleted, too old) the answer is posted instead.
   */
  private async replaceOrSend(context: TurnContext, reply: Reply): Promise<void> {
    const replyToId = context.activity.replyToId;
    if (replyToId && 'card' in reply && reply.placement !== 'new') {
      try {
        await context.updateActivity({ ...messageOf(reply), id: replyToId });
        return;
      } catch (err) {
        this.deps.log.info({ err }, 'could not update the card in place; posting it');
      }
    }
    await this.send(context, reply);
  }

  /**
   * Answers in the conversation. When Teams does not take the answer (throttled, failing or unreachable,
   * after the connector's own retries), the outbox delivers it later rather than losing it.
   */
  private async send(context: TurnContext, reply: Reply): Promise<void> {
    const message = messageOf(reply);
    try {
      await context.sendActivity(message);
    } catch (err) {
      const queued = await this.deps.store
        .enqueue({
          id: `reply:${activityKey(context.activity) ?? randomUUID()}`,
          conversationKey: conversationKeyOf(context.activity),
          kind: 'post',
          activity: { ...message },
          createdAt: this.deps.clock.now().toISOString(),
        })
        .then(
          () => true,
          () => false,
        );
      if (!queued) throw err;
      this.deps.log.warn({ err }, 'Teams did not take the answer: the outbox will deliver it');
    }
  }

  /**
   * Keeps the latest conversation reference for later proactive messages. A failure here must not stop
   * the person's request, so it is logged and the turn goes on.
   */
  private async rememberConversation(context: TurnContext): Promise<void> {
    const ref: Partial<ConversationReference> = TurnContext.getConversationReference(context.activity);
    const key = conversationKeyOf(context.activity);
    // A burst of clicks in one conversation writes its reference once; a minute on, it is written again
    // (the outbox may have forgotten a conversation the bot was removed from, and re-added to since).
    const json = JSON.stringify(ref);
    const now = this.deps.clock.now().getTime();
    const last = this.remembered.get(key);
    if (last && last.json === json && now - last.at < 60_000) return;
    if (this.remembered.size > 10_000) this.remembered.clear();
    this.remembered.set(key, { json, at: now });
    try {
      await this.deps.store.saveConversation(key, { ...ref });
    } catch (err) {
      this.remembered.delete(key);
      this.deps.log.warn({ err, key }, 'could not store the conversation reference');
    }
  }
}

/** Where a conversation's reference is kept: a person's own chat by who they are, others by their id. */
function conversationKeyOf(activity: TurnContext['activity']): string {
  return conversationType(activity) === 'personal' && activity.from?.aadObjectId
    ? `user:${idKey(activity.from.aadObjectId)}`
    : `conversation:${activity.conversation?.id ?? ''}`;
}

/** Ids are unique within a conversation; an activity without one cannot be recognised again. */
function activityKey(activity: TurnContext['activity']): string | undefined {
  if (!activity.id || !activity.conversation?.id) return undefined;
  return `${activity.channelId ?? ''}|${activity.conversation.id}|${activity.id}`;
}

function notice(locale: Locale, key: Parameters<typeof t>[1], style: 'warning' | 'attention'): Reply {
  return { card: noticeCard({ title: t(locale, key), lines: [], style }) };
}

/** A button whose data is not of the shape its route takes: forged, or from a card of another version. */
const unusableButton: Handler = async (req) => notice(req.locale, 'unknownAction.text', 'warning');

function messageOf(reply: Reply): Partial<Activity> {
  if ('text' in reply) return MessageFactory.text(reply.text);
  const card = CardFactory.adaptiveCard(reply.card as Card);
  return reply.attachments
    ? MessageFactory.list([card, ...(reply.attachments as unknown as Attachment[])])
    : MessageFactory.attachment(card);
}
