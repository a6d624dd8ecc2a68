import type { Activity, CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import { onThisMachine } from '../config';
import type { Logger } from '../log';
import type { Replica } from './replica';
import { OUTBOX_LEASE_MS } from './replica';
import { horizonMs, type RateWindow, rateWaitMs } from '../services/rate';
import {
  type ConversationReferenceJson,
  type OpportunityStore,
  type OutboxMessage,
  StoreUnavailableError,
} from '../services/store';

/**
 * The outbox sender: every proactive message (status lines, cards posted to channels, card updates)
 * leaves through the durable outbox in the store, so it survives restarts and Teams' throttling. The
 * model is Microsoft's Company Communicator: one queued message per recipient, jittered backoff, paced
 * sends, and giving up (dead) after 10 attempts.
 *
 * How botbuilder 4.23 reports a failed send (checked against a loopback connector):
 * - `sendActivity` / `updateActivity` reject with `RestError` (@azure/core-rest-pipeline): `statusCode`,
 *   `code` taken from the body's `error.code` (e.g. `BotNotInConversationRoster`,
 *   `ActivityNotFoundInConversation`), `details` (the parsed body) and a non-enumerable `response` whose
 *   `headers.get('retry-after')` reads the header. A socket failure has no `statusCode` and a `code`
 *   such as `ECONNRESET`.
 * - The connector client retries in-process first: 429/503 with Retry-After (sleeping as long as the
 *   header says, up to 3 times), other 5xx except 501/505, 408 and socket errors (3 times, 1 s doubling,
 *   up to 64 s). The sender removes that policy from the client of its own turns (each proactive turn
 *   gets a client of its own, so replies in ordinary turns keep it): its retries would stack with ours
 *   (up to 40 requests per message), hold a drain for minutes, and escape the pacing.
 * - With `onTurnError` set (createAdapter sets one), an error thrown inside the continueConversationAsync
 *   callback goes to onTurnError and the call resolves as if all went well: the sender therefore catches
 *   inside the callback and reports the outcome itself.
 */

export type { RateWindow } from '../services/rate';

export interface RateLimits {
  /** Per conversation (thread), keyed by the reference's conversation id. */
  readonly perConversation: readonly RateWindow[];
  /** For the whole app. */
  readonly perApp: readonly RateWindow[];
}

/** Microsoft's published limits for a bot in Teams (the "rate limiting" page). */
export const TEAMS_RATE_LIMITS: RateLimits = {
  perConversation: [
    { limit: 7, ms: 1_000 },
    { limit: 8, ms: 2_000 },
    { limit: 60, ms: 30_000 },
    { limit: 1_800, ms: 3_600_000 },
  ],
  perApp: [{ limit: 50, ms: 1_000 }],
};

/**
 * Sliding windows of recent operations per key, in this process's memory: for pacing that one process
 * alone does (the e-mail sender, which runs on one replica at a time). Teams' limits are shared by every
 * replica, so the outbox paces through the store (`takeRate`) instead.
 */
export class RateLimiter {
  private readonly log = new Map<string, number[]>();
  private readonly longest: number;

  constructor(private readonly windows: readonly RateWindow[]) {
    this.longest = horizonMs(windows);
  }

  /** Milliseconds until one more operation under `key` fits every window; 0 when it fits now. */
  waitMs(key: string, now: number): number {
    return rateWaitMs(this.recent(key, now), this.windows, now);
  }

  record(key: string, now: number): void {
    const times = this.recent(key, now);
    times.push(now);
    this.log.set(key, times);
  }

  private recent(key: string, now: number): number[] {
    const times = (this.log.get(key) ?? []).filter((t) => t > now - this.longest);
    if (times.length === 0) this.log.delete(key);
    else this.log.set(key, times);
    return times;
  }
}

export interface Backoff {
  readonly baseMs: number;
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, capMs: 10 * 60_000 };
export const DEFAULT_MAX_ATTEMPTS = 10;
/** Attempts to note a message as sent while the store is busy. */
const MARK_ATTEMPTS = 7;

/**
 * The delay before attempt `failed + 1`: doubling from the base up to the cap, then "equal jitter" (half
 * fixed, half random) so that messages failing together do not come back together.
 */
export function backoffMs(failed: number, backoff: Backoff = DEFAULT_BACKOFF, random = Math.random): number {
  const exponent = Math.min(Math.max(0, failed - 1), 30);
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What a failed send tells, read from whatever botbuilder threw. */
export interface SendFailure {
  /** The HTTP status, absent when no answer came (socket error, timeout, token failure). */
  readonly status?: number;
  /** The error code from the answer's body (`error.code`) or the socket error code. */
  readonly code?: string;
  /** From Retry-After (seconds or an HTTP date) or retry-after-ms, when present. */
  readonly retryAfterMs?: number;
  readonly message: string;
}

interface HeadersLike {
  get?(name: string): string | null | undefined;
  [name: string]: unknown;
}

function headerOf(headers: HeadersLike | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const value = typeof headers.get === 'function' ? headers.get(name) : headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function retryAfterOf(headers: HeadersLike | undefined, nowMs: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = headerOf(headers, name);
    if (value !== undefined && Number.isFinite(Number(value))) return Math.max(0, Number(value));
  }
  const value = headerOf(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1_000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function bodyCodeOf(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** Reads a RestError (or anything shaped like one) without depending on its class. */
export function describeSendError(err: unknown, nowMs = Date.now()): SendFailure {
  const e = (err && typeof err === 'object' ? err : {}) as {
    statusCode?: unknown;
    code?: unknown;
    details?: unknown;
    message?: unknown;
    response?: { status?: unknown; headers?: HeadersLike; parsedBody?: unknown };
  };
  const statusValue = typeof e.statusCode === 'number' ? e.statusCode : e.response?.status;
  const status = typeof statusValue === 'number' ? statusValue : undefined;
  const code =
    (typeof e.code === 'string' ? e.code : undefined) ??
    bodyCodeOf(e.details) ??
    bodyCodeOf(e.response?.parsedBody);
  const retryAfterMs = retryAfterOf(e.response?.headers, nowMs);
  const message = typeof e.message === 'string' ? e.message : String(err);
  return {
    ...(status !== undefined ? { status } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    message,
  };
}

export type SendDecision =
  | { readonly action: 'retry'; readonly delayMs: number; readonly reason: string }
  | { readonly action: 'drop-conversation'; readonly reason: string }
  | { readonly action: 'dead'; readonly reason: string }
  | { readonly action: 'post-instead'; readonly reason: string };

export interface ClassifyContext {
  /** What failed: posting a new message, or updating a posted one. */
  readonly operation: 'post' | 'update';
  /** How many attempts have failed, this one included (1 for the first). */
  readonly failedAttempts: number;
  readonly nowMs?: number;
  readonly backoff?: Backoff;
  readonly random?: () => number;
}

/**
 * Statuses worth asking again: those Microsoft asks bots to retry (429, 412, 502, 503, 504), a timeout,
 * and a 500, which the service gives when it is unwell rather than when the message is wrong. Any other
 * answer will not change by asking again.
 */
const RETRYABLE = new Set([408, 412, 429, 500, 502, 503, 504]);

/**
 * What to do about a failed send. Giving up after too many attempts is the caller's decision; this only
 * reads the error.
 */
export function classifySendError(err: unknown, context: ClassifyContext): SendDecision {
  const failure = describeSendError(err, context.nowMs);
  const reason = [failure.status ?? 'no answer', failure.code, failure.message.slice(0, 500)]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  if (failure.status === 403 && failure.code === 'BotNotInConversationRoster') {
    return { action: 'drop-conversation', reason };
  }
  if (
    context.operation === 'update' &&
    (failure.status === 404 || failure.code === 'ActivityNotFoundInConversation')
  ) {
    return { action: 'post-instead', reason };
  }
  if (failure.status === undefined || RETRYABLE.has(failure.status)) {
    const delayMs =
      failure.retryAfterMs ?? backoffMs(context.failedAttempts, context.backoff, context.random);
    return { action: 'retry', delayMs, reason };
  }
  return { action: 'dead', reason };
}

export interface OutboxSenderOptions {
  readonly store: OpportunityStore;
  readonly adapter: Pick<CloudAdapter, 'continueConversationAsync'>;
  /** The bot's app id; empty in local mode. */
  readonly appId: string;
  readonly log: Logger;
  /** The clock for due times, backoff and pacing; tests pass a fake one. */
  readonly now?: () => Date;
  /** How often the loop looks for due messages when nothing wakes it sooner (default 5 s). */
  readonly pollMs?: number;
  readonly limits?: RateLimits;
  readonly random?: () => number;
  readonly backoff?: Backoff;
  /** Attempts before a message is given up (default 10). */
  readonly maxAttempts?: number;
  /** Messages read per drain (default 100). */
  readonly batchSize?: number;
  /** Conversations served at the same time within a drain (default 4). */
  readonly concurrency?: number;
  /**
   * The replica this sender runs in: the messages of a drain are leased to it, so that replicas sharing
   * the store never send one twice, and a killed replica's messages are taken over once the lease passes.
   */
  readonly replica?: Pick<Replica, 'id' | 'until'>;
  /**
   * Builds a message's activity as it leaves, when it was queued as a description of what to show (a
   * team's card of a request), so the card shows the request as it is when Teams gets it and is built
   * only as fast as Teams takes messages. Undefined: there is nothing to show any more.
   */
  readonly render?: (activity: OutboxMessage['activity']) => Promise<OutboxMessage['activity'] | undefined>;
}

const DEFAULT_POLL_MS = 5_000;
const DEFAULT_BATCH = 100;
const DEFAULT_CONCURRENCY = 4;
/** Teams paces a conversation to a message a second or so: a drain more often than this finds no more to send. */
const KICK_SPACING_MS = 200;
/** The busiest short window lets 8 through; reading more of one conversation per drain only waits. */
const PER_CONVERSATION_BATCH = 8;
const APP_KEY = 'app';
const SDK_RETRY_POLICY = 'defaultRetryPolicy';

type Delivery =
  | { readonly kind: 'sent'; readonly how: 'posted' | 'updated' | 'reposted'; readonly activityId?: string }
  | { readonly kind: 'failed'; readonly error: unknown; readonly operation: 'post' | 'update' }
  | { readonly kind: 'held'; readonly waitMs: number };

type Outcome =
  | { readonly kind: 'sent' | 'dead' }
  /** Left due by pacing, or rescheduled after a failure: either way the conversation stops here. */
  | { readonly kind: 'held' | 'retry'; readonly wakeMs: number };

const SENT: Outcome = { kind: 'sent' };
const DEAD: Outcome = { kind: 'dead' };

interface DrainResult {
  readonly sent: number;
  /** Milliseconds until a message held back by pacing or a retry may go. */
  readonly wakeMs?: number;
  /** The batch was full: more may be due right away. */
  readonly full: boolean;
}

function usableReference(reference: ConversationReferenceJson): Partial<ConversationReference> | undefined {
  const r = reference as Partial<ConversationReference>;
  return typeof r.serviceUrl === 'string' && r.serviceUrl !== '' && typeof r.conversation?.id === 'string'
    ? r
    : undefined;
}

/**
 * Drains the outbox. Construct with `{ store, adapter, appId, log }` (plus `now`, `pollMs`, `limits`,
 * `random`, `backoff`, `maxAttempts`, `batchSize`, `concurrency` to tune or test), call `start()` once the
 * server runs, `kick()` after queuing messages so they leave without waiting for the next poll, and
 * `await stop()` before closing the store.
 *
 * Pacing: a message that would exceed a rate window is left due (no attempt counted, nothing written)
 * and the drain goes on with other conversations; the loop wakes when the window frees up. Order within
 * a conversation is kept: the sender stops a conversation at its first message that does not go, and the
 * store never hands out a message while an older one of its conversation waits for a retry.
 * Delivery is at least once: a crash between Teams accepting a message and `markSent` sends it again.
 */
export class OutboxSender {
  private readonly store: OpportunityStore;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private readonly maxAttempts: number;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly limits: RateLimits;

  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private current: Promise<DrainResult> | undefined;
  private warnedSdkRetries = false;
  /** When the loop last began a drain (wall time), to space the drains kicks ask for. */
  private drainedAt = 0;

  constructor(private readonly options: OutboxSenderOptions) {
    this.store = options.store;
    this.log = options.log.child({ component: 'outbox' });
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.limits = options.limits ?? TEAMS_RATE_LIMITS;
  }

  /** Starts the loop: a drain now, then whenever the poll interval or pacing says. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /**
   * Drains soon, e.g. right after queuing messages. Does nothing when the loop is not running. A bound
   * function, so it can be handed to producers as a plain callback. Kicks coming faster than one per
   * `KICK_SPACING_MS` share a drain: under a burst of clicks, each drain would otherwise find the same
   * channels paced and only take time from the requests.
   */
  readonly kick = (): void => {
    this.schedule(Math.max(0, this.drainedAt + KICK_SPACING_MS - Date.now()));
  };

  /** Stops the loop and waits for the drain in progress, so the store can be closed after. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    await this.current?.catch(() => undefined);
  }

  /** One pass over the due messages; resolves with how many were sent. Runs after any drain in progress. */
  async drainOnce(): Promise<number> {
    return (await this.serialized()).sent;
  }

  private serialized(): Promise<DrainResult> {
    const previous = this.current?.catch(() => undefined) ?? Promise.resolve();
    const run = previous.then(() => this.drain());
    this.current = run;
    const clear = () => {
      if (this.current === run) this.current = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    // Unref'd: the HTTP server keeps the process alive, the outbox alone should not.
    this.timer = setTimeout(() => void this.tick(), ms).unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.drainedAt = Date.now();
    let next = this.pollMs;
    try {
      const result = await this.serialized();
      if (result.full && result.sent > 0) next = 0;
      else if (result.wakeMs !== undefined) next = Math.min(next, result.wakeMs);
    } catch (err) {
      this.log.warn({ err }, 'outbox drain failed; trying again later');
    }
    this.schedule(next);
  }

  private async drain(): Promise<DrainResult> {
    const { replica } = this.options;
    const due = await this.store.dueMessages(this.now().toISOString(), this.batchSize, {
      perConversation: PER_CONVERSATION_BATCH,
      ...(replica ? { lease: { owner: replica.id, until: replica.until(OUTBOX_LEASE_MS) } } : {}),
    });
    const queues = new Map<string, OutboxMessage[]>();
    for (const message of due) {
      const queue = queues.get(message.conversationKey) ?? [];
      queue.push(message);
      queues.set(message.conversationKey, queue);
    }
    const waiting = [...queues.values()];
    let sent = 0;
    let wakeMs: number | undefined;
    let failure: { readonly err: unknown } | undefined;
    /** Messages whose outcome is written (sent, dead, rescheduled): the rest go back unleased. */
    const settled = new Set<string>();

    const worker = async () => {
      for (let queue = waiting.shift(); queue && !failure; queue = waiting.shift()) {
        for (const message of queue) {
          let outcome: Outcome;
          try {
            outcome = await this.process(message);
          } catch (err) {
            // The store failed: the rest of the drain would fail the same way.
            failure = { err };
            return;
          }
          if (outcome.kind !== 'held') settled.add(message.id);
          if (outcome.kind === 'sent') sent++;
          if (outcome.kind === 'held' || outcome.kind === 'retry') {
            wakeMs = Math.min(wakeMs ?? Infinity, outcome.wakeMs);
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, waiting.length) }, worker));
    // Held by pacing, or behind one that was: due again at once for whichever replica drains next.
    const unsent = due.filter((m) => !settled.has(m.id)).map((m) => m.id);
    if (replica && unsent.length > 0) {
      await this.store
        .releaseMessages(unsent)
        .catch((err: unknown) =>
          this.log.warn({ err }, 'could not release unsent messages; their lease will pass'),
        );
    }
    if (failure) throw failure.err;
    return { sent, full: due.length >= this.batchSize, ...(wakeMs !== undefined ? { wakeMs } : {}) };
  }

  /** Sends one message and records the outcome; rejects only when the store fails. */
  private async process(message: OutboxMessage): Promise<Outcome> {
    const stored = await this.store.getConversation(message.conversationKey);
    if (!stored) {
      return this.dead(message, `no conversation reference is stored under ${message.conversationKey}`);
    }
    const reference = usableReference(stored);
    if (!reference) {
      return this.dead(message, `the reference stored under ${message.conversationKey} has no address`);
    }
    // Local mode signs nothing: it never sends outside this machine, whatever address was stored.
    if (!this.options.appId && !onThisMachine(reference.serviceUrl ?? '')) {
      return this.dead(message, 'local mode sends only to this machine');
    }
    if (message.kind === 'update' && message.messageKey !== undefined) {
      // Nothing was ever posted under this key (that card went to no channel): there is nothing to update.
      if ((await this.store.getMessageId(message.messageKey)) === undefined) {
        await this.store.markSent(message.id);
        this.log.debug({ id: message.id }, 'no posted message to update: skipped');
        return SENT;
      }
    }
    const thread = reference.conversation?.id ?? message.conversationKey;
    const held = await this.reserve(thread);
    if (held > 0) return { kind: 'held', wakeMs: held };
    const activity = this.options.render ? await this.options.render(message.activity) : message.activity;
    if (!activity) {
      await this.store.markSent(message.id);
      this.log.info({ id: message.id }, 'nothing left to show: skipped');
      return SENT;
    }

    let delivery: Delivery | undefined;
    try {
      await this.options.adapter.continueConversationAsync(this.options.appId, reference, async (ctx) => {
        delivery = await this.deliver(ctx, message, activity, thread);
      });
    } catch (err) {
      // Failures before the callback runs (creating the client, getting a token) land here.
      delivery = { kind: 'failed', error: err, operation: message.kind };
    }
    delivery ??= {
      kind: 'failed',
      error: new Error('the turn ended before the message was sent'),
      operation: message.kind,
    };

    if (delivery.kind === 'held') return { kind: 'held', wakeMs: delivery.waitMs };
    if (delivery.kind === 'sent') {
      await this.markSentSurely(message.id);
      this.log.debug({ id: message.id, how: delivery.how, activityId: delivery.activityId }, 'sent');
      return SENT;
    }
    return this.failed(message, delivery.error, delivery.operation);
  }

  /**
   * Teams has the message: failing to note it would send it again, so a busy store is waited for (about
   * three seconds in all) before giving up. Only then is a second copy possible.
   */
  private async markSentSurely(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.markSent(id);
        return;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError) || attempt >= MARK_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      }
    }
  }

  /** Runs inside the proactive turn; never throws, so onTurnError cannot hide an outcome. */
  private async deliver(
    ctx: TurnContext,
    message: OutboxMessage,
    content: OutboxMessage['activity'],
    thread: string,
  ): Promise<Delivery> {
    this.withoutSdkRetries(ctx);
    const activity: Partial<Activity> = { type: 'message', ...(content as Partial<Activity>) };
    let how: 'posted' | 'reposted' = 'posted';
    if (message.kind === 'update' && message.messageKey !== undefined) {
      let id: string | undefined;
      try {
        id = await this.store.getMessageId(message.messageKey);
      } catch (err) {
        return { kind: 'failed', error: err, operation: 'update' };
      }
      if (id !== undefined) {
        try {
          await ctx.updateActivity({ ...activity, id });
          return { kind: 'sent', how: 'updated', activityId: id };
        } catch (err) {
          const decision = classifySendError(err, { operation: 'update', failedAttempts: 1 });
          if (decision.action !== 'post-instead') return { kind: 'failed', error: err, operation: 'update' };
          this.log.info(
            { id: message.id, reason: decision.reason },
            'the message to update is gone: posting it',
          );
          // The fallback is one more operation in the conversation.
          const waitMs = await this.reserve(thread);
          if (waitMs > 0) return { kind: 'held', waitMs };
        }
      }
      how = 'reposted';
    }
    let activityId: string | undefined;
    try {
      activityId = (await ctx.sendActivity(activity))?.id;
    } catch (err) {
      return { kind: 'failed', error: err, operation: 'post' };
    }
    if (message.messageKey !== undefined && activityId) {
      try {
        await this.store.saveMessageId(message.messageKey, activityId);
      } catch (err) {
        // Sent is sent: retrying would post it twice. A later update will post afresh instead.
        this.log.error({ err, id: message.id, activityId }, 'sent, but its message id could not be stored');
      }
    }
    return { kind: 'sent', how, ...(activityId ? { activityId } : {}) };
  }

  private async failed(
    message: OutboxMessage,
    error: unknown,
    operation: 'post' | 'update',
  ): Promise<Outcome> {
    const failedAttempts = message.attempts + 1;
    const nowMs = this.now().getTime();
    const decision = classifySendError(error, {
      operation,
      failedAttempts,
      nowMs,
      backoff: this.backoff,
      random: this.random,
    });
    switch (decision.action) {
      case 'drop-conversation':
        // The app was removed from that chat or team: its reference is useless until it is installed again.
        await this.store.deleteConversation(message.conversationKey);
        this.log.warn(
          { id: message.id, conversationKey: message.conversationKey },
          'the bot is no longer in the conversation: reference dropped',
        );
        return this.dead(message, `the bot is no longer in the conversation (${decision.reason})`);
      case 'retry':
        if (failedAttempts >= this.maxAttempts) {
          return this.dead(message, `gave up after ${failedAttempts} attempts: ${decision.reason}`);
        }
        await this.store.markRetry(
          message.id,
          new Date(nowMs + decision.delayMs).toISOString(),
          decision.reason,
        );
        this.log.info(
          { id: message.id, attempts: failedAttempts, delayMs: decision.delayMs, reason: decision.reason },
          'send failed; will retry',
        );
        return { kind: 'retry', wakeMs: decision.delayMs };
      case 'post-instead':
      case 'dead':
        return this.dead(message, decision.reason);
    }
  }

  private async dead(message: OutboxMessage, reason: string): Promise<Outcome> {
    await this.store.markDead(message.id, reason);
    this.log.warn({ id: message.id, conversationKey: message.conversationKey, reason }, 'message given up');
    return DEAD;
  }

  /**
   * Takes a slot in the thread's and then the app's windows, shared by every replica through the store, or
   * says how long until there is one. A thread slot taken when the app's windows are full is spent
   * unused: that errs on the side of sending less.
   */
  private async reserve(thread: string): Promise<number> {
    const now = this.now().toISOString();
    const wait = await this.store.takeRate(`conversation:${thread}`, now, this.limits.perConversation);
    if (wait > 0) return wait;
    return this.store.takeRate(APP_KEY, now, this.limits.perApp);
  }

  /** See the file comment: the outbox is the one place that retries a proactive send. */
  private withoutSdkRetries(ctx: TurnContext): void {
    const client = ctx.turnState.get(ctx.adapter.ConnectorClientKey) as
      { client?: { pipeline?: { removePolicy?: (policy: { name: string }) => unknown[] } } } | undefined;
    const removed = client?.client?.pipeline?.removePolicy?.({ name: SDK_RETRY_POLICY });
    if (Array.isArray(removed) && removed.length > 0) return;
    if (!this.warnedSdkRetries) {
      this.warnedSdkRetries = true;
      this.log.warn('the connector client retry policy was not found: its retries add to the outbox ones');
    }
  }
}
