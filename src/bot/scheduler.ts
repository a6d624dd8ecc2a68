import { namedPeople } from '../services/role-grants';
import type { RoleDirectory } from './directory';
import { randomBytes } from 'node:crypto';
import { type Mentioned, reminderCard } from '../cards/opportunity';
import type { Card } from '../cards/template';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { DepartmentClock } from '../services/calendar';
import type { ChangeOutcome, ChangeRequest } from '../services/change';
import { ACTIONS, type ActionName, decide, specOf } from '../services/lifecycle';
import {
  evaluatorOf,
  type Opportunity,
  type Status,
  STATUSES,
  TERMINAL_STATUSES,
} from '../services/opportunity';
import { idKey, SYSTEM_ACTOR } from '../services/roles';
import { type CardChannel, channelKey } from '../services/routing';
import { everyRecord, type Store, StoreUnavailableError } from '../services/store';
import { RATE_KEPT_MS } from '../services/rate';
import { waitsOf } from '../services/waits';
import { applicationsKeptUntil } from '../services/applications';
import type { PublicationSync } from '../publish/sync';
import { workflowClock } from './clock';
import { nextTurn } from './next-turn';
import type { Replica } from './replica';
import { openEvaluation } from './handlers/evaluation';
import { activityOf, chosenLocale, type Notifier, requesterChat, voiceIn } from './notify';

/**
 * The clock's part of the workflow. Its state lives in the records (the consultation's closing date, the
 * deadline, when each wait began), so a restart loses no timer: the next tick does what is due.
 */

const REMEMBER_ACTIVITIES_MS = 24 * 3_600_000;
/** A subscription not confirmed within a week is forgotten, address and all. */
const UNCONFIRMED_KEPT_MS = 7 * 24 * 3_600_000;
/** Every status the clock acts in: a request waits on someone, or applications are open, in each. */
const WAITING_STATUSES = STATUSES.filter((s) => s !== 'draft' && !TERMINAL_STATUSES.includes(s));
/**
 * What the clock itself decides (closing a consultation, closing applications), when the lifecycle says;
 * the evaluation's counts it records from the applicants' marks (handlers/evaluation.ts).
 */
const CLOCK_ACTIONS: readonly ActionName[] = ACTIONS.filter(
  (a) => specOf(a).roles.includes('system') && a !== 'record_evaluation',
);
/** Where the clock acts: the statuses its actions start from, and `closed`, where the marking opens. */
const CLOCK_STATUSES: Status[] = [
  ...new Set([...CLOCK_ACTIONS.flatMap((a) => specOf(a).from), 'closed' as const]),
];

/** What one tick reads once: who has a conversation with the bot, and who holds each team's role. */
interface TickReads {
  conversation(key: string): Promise<Readonly<Record<string, unknown>> | undefined>;
  holders(role: CardChannel): Promise<Mentioned[]>;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Reminders this process queued today, by id. */
  private readonly reminded = new Set<string>();
  private remindedOn = '';
  /** The day this process last deleted applications past their retention. */
  private retainedOn = '';

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly notifier: Notifier,
    private readonly change: (request: ChangeRequest) => Promise<ChangeOutcome>,
    private readonly log: Logger,
    private readonly clock: DepartmentClock,
    /** Who holds which role, as the roles file and ROLE_* variables name them. */
    private readonly directory: Pick<RoleDirectory, 'grants'>,
    /** Replicas share the store: the clock's work runs on the one holding its lease. */
    private readonly replica: Pick<Replica, 'holds'>,
    /** With PUBLISHER=github: keeps the pilot's Jekyll site in step. */
    private readonly publication?: PublicationSync,
  ) {}

  start(intervalMs: number): void {
    const loop = () => {
      this.running = this.tick()
        .catch((err: unknown) => {
          if (err instanceof StoreUnavailableError) this.log.warn({ err }, 'scheduler: store unavailable');
          else this.log.error({ err }, 'scheduler tick failed');
        })
        .finally(() => {
          this.timer = setTimeout(loop, intervalMs);
          this.timer.unref();
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Queues the messages of changes saved without them, takes the clock's actions that are due (closing
   * consultations and applications), reminds whoever a request has waited on too long, and forgets
   * answered activities after a day (Teams redelivers within minutes).
   */
  async tick(): Promise<void> {
    // Renewed every tick; a replica stopped or killed lets another take the clock over after a few ticks.
    if (!(await this.replica.holds('scheduler', Math.max(3 * this.config.schedulerIntervalMs, 10_000))))
      return;
    const now = this.clock.now().toISOString();
    await this.store.forgetActivities(new Date(Date.parse(now) - REMEMBER_ACTIVITIES_MS).toISOString());
    await this.store.forgetUnconfirmed(new Date(Date.parse(now) - UNCONFIRMED_KEPT_MS).toISOString());
    const caughtUp = await this.notifier.catchUp();
    if (caughtUp > 0)
      this.log.info({ changes: caughtUp }, 'queued the messages of changes saved without them');
    const today = this.clock.today();
    // Reminders count whole business days, so one walk over every waiting request a day finds them all;
    // the clock's own actions look at their few statuses every tick. (A walk over every waiting request
    // each tick decoded thousands of records a minute, in the middle of people's clicks.)
    const remindToday = today !== this.remindedOn;
    if (remindToday) this.reminded.clear();
    const reads = this.reads();
    const statuses = remindToday ? WAITING_STATUSES : CLOCK_STATUSES;
    for await (const o of everyRecord(this.store, { statuses }, 200)) {
      if (CLOCK_STATUSES.includes(o.status)) await this.actOn(o);
      if (remindToday) await this.remind(o, now, today, reads);
      await nextTurn();
    }
    this.remindedOn = today;
    // After the clock's own changes, so what it closed reaches the outside site in the same tick.
    await this.publication?.tick();
    if (today !== this.retainedOn) {
      // Rate counts older than any window: a day's clean-up keeps the table to a day or two of keys.
      await this.store.forgetRates(new Date(Date.parse(now) - RATE_KEPT_MS).toISOString());
      await this.forgetApplications(now);
      this.retainedOn = today;
    }
  }

  /**
   * Deletes the applications of opportunities that ended longer ago than the retention period, once a
   * day, each deletion audited on its request (a request whose applications are gone already adds nothing).
   */
  private async forgetApplications(now: string): Promise<void> {
    for await (const o of everyRecord(this.store, { statuses: [...TERMINAL_STATUSES] }, 200)) {
      const until = applicationsKeptUntil(o, this.config.site.applicationRetentionDays);
      if (!until || until > now) continue;
      const deleted = await this.store.deleteApplications(o.reference);
      if (deleted === 0) continue;
      await this.store.appendAudit(o.reference, {
        at: now,
        actor: { aadObjectId: SYSTEM_ACTOR.id, name: SYSTEM_ACTOR.name },
        action: 'applications_deleted',
        outcome: 'applied',
        comment: String(deleted),
      });
      this.log.info(
        { reference: o.reference, deleted },
        'applications deleted at the end of their retention',
      );
    }
  }

  /**
   * Takes the clock's actions the lifecycle allows now (a consultation or applications whose time is
   * over, where the department works); if someone acted first, the change path decides again.
   */
  private async actOn(record: Opportunity): Promise<void> {
    const clock = workflowClock(this.clock, this.config);
    let o = record;
    for (const action of CLOCK_ACTIONS) {
      // Closing applications fixes the draw's seed: random, drawn here, never typed.
      const payload = action === 'close_applications' ? { seed: randomBytes(24).toString('base64url') } : {};
      if (!decide(o, action, payload, SYSTEM_ACTOR, clock).ok) continue;
      const outcome = await this.change({
        kind: 'decide',
        actor: SYSTEM_ACTOR,
        reference: o.reference,
        action,
        payload,
      });
      if (outcome.kind === 'applied' || outcome.kind === 'decided') o = outcome.record;
    }
    // Applications closed: numbered, sent to the requester's team, counted once all are marked (a
    // restart or a card lost on the way is made good here on the next tick).
    await openEvaluation(
      { store: this.store, notifier: this.notifier, clock: this.clock, change: this.change, log: this.log },
      o,
    );
  }

  /** Reads shared by every record of one tick, each made once. */
  private reads(): TickReads {
    const conversations = new Map<string, ReturnType<TickReads['conversation']>>();
    const holders = new Map<CardChannel, Promise<Mentioned[]>>();
    const conversation = (key: string) => {
      let found = conversations.get(key);
      if (!found) {
        found = this.store.getConversation(key);
        conversations.set(key, found);
      }
      return found;
    };
    return {
      conversation,
      holders: (role) => {
        let found = holders.get(role);
        if (!found) {
          found = this.holders(role, conversation);
          holders.set(role, found);
        }
        return found;
      },
    };
  }

  /**
   * Reminds whoever each wait is on once it has lasted the reminder threshold, once a day: the team's
   * channel, mentioning the people who hold the role, or the requester in person. A wait that outlasts
   * the escalation threshold is told to the managers, once.
   */
  private async remind(o: Opportunity, now: string, today: string, reads: TickReads): Promise<void> {
    const { calendar } = this.clock;
    const registered = async (key: string) => (await reads.conversation(key)) !== undefined;
    for (const wait of waitsOf(o, now, calendar)) {
      const since = calendar.dateOf(wait.since);
      const businessDays = calendar.businessDaysBetween(since, today);
      if (businessDays < this.config.reminderBusinessDays) continue;
      for (const party of wait.on) {
        const requester = party === 'requester';
        // The marking waits on whoever procurement gave it to, in their own chat.
        const person = wait.kind === 'evaluation' ? evaluatorOf(o) : o.requester;
        const own = o.selection.evaluator && wait.kind === 'evaluation';
        // One reminder a day at most: the id carries the date.
        await this.queue(`reminder:${o.reference}:${wait.kind}:${party}:${today}`, now, async () => {
          const to = !requester
            ? channelKey(party)
            : own
              ? `user:${idKey(person.aadObjectId)}`
              : await requesterChat(o, registered);
          if (!to || !(await registered(to))) return undefined;
          // A team's channel reads both official languages; a person, theirs (both in a group chat).
          const voice = requester
            ? voiceIn(
                await reads.conversation(to),
                await chosenLocale(this.store, person.aadObjectId, o.locale),
              )
            : 'bilingual';
          const card = reminderCard(voice, o, wait, {
            to: requester ? 'requester' : 'team',
            calendar,
            businessDays,
            ...(requester ? {} : { mentions: await reads.holders(party) }),
          });
          return { to, card };
        });
      }
      if (businessDays < this.config.escalationBusinessDays) continue;
      for (const manager of namedPeople(this.directory.grants(), 'manager')) {
        // Once per wait: the id carries the day it began.
        await this.queue(
          `escalation:${o.reference}:${wait.kind}:${since}:${idKey(manager)}`,
          now,
          async () => {
            const to = `user:${idKey(manager)}`;
            if (!(await registered(to))) return undefined;
            const locale = await chosenLocale(this.store, manager, this.config.defaultLocale);
            return { to, card: reminderCard(locale, o, wait, { to: 'manager', calendar, businessDays }) };
          },
        );
      }
    }
  }

  /**
   * Queues the message `build` makes, unless this process already queued its id today (the outbox
   * refuses an id twice anyway: this spares building it on every tick).
   */
  private async queue(
    id: string,
    now: string,
    build: () => Promise<{ to: string; card: Card } | undefined>,
  ): Promise<void> {
    if (this.reminded.has(id)) return;
    const message = await build();
    if (!message) return;
    await this.store.enqueue({
      id,
      conversationKey: message.to,
      kind: 'post',
      activity: activityOf(message.card),
      createdAt: now,
    });
    this.reminded.add(id);
  }

  /**
   * The people who hold a team's role and whom the bot knows by name (they have a personal chat with it):
   * a mention needs the name Teams shows. Group ids have no chat and are left out.
   */
  private async holders(role: CardChannel, conversation: TickReads['conversation']): Promise<Mentioned[]> {
    const people: Mentioned[] = [];
    for (const id of namedPeople(this.directory.grants(), role)) {
      const user = (await conversation(`user:${idKey(id)}`))?.user as { name?: unknown } | undefined;
      if (typeof user?.name === 'string' && user.name.trim() !== '') people.push({ id, name: user.name });
    }
    return people;
  }
}
