import { CardFactory, MessageFactory } from 'botbuilder';
import { type Mentioned, reminderCard } from '../cards/opportunity';
import type { Card } from '../cards/template';
import type { Locale } from '../i18n';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { DepartmentClock } from '../services/calendar';
import type { ChangeOutcome, ChangeRequest } from '../services/change';
import { deadlineInForce, type Opportunity, STATUSES, TERMINAL_STATUSES } from '../services/opportunity';
import { idKey, SYSTEM_ACTOR } from '../services/roles';
import { type CardChannel, channelKey, requesterChats } from '../services/routing';
import { waitsOf } from '../services/waits';
import { everyRecord, type OpportunityStore, StoreUnavailableError } from '../services/store';
import type { Notifier } from './notify';

/**
 * The clock's part of the workflow. Its state lives in the records (the consultation's closing date, the
 * date a request entered its status), so a restart loses no timer: the next tick does what is due.
 */

const REMEMBER_ACTIVITIES_MS = 24 * 3_600_000;
/** Every status the clock acts in: a request waits on someone, or applications are open, in each. */
const WAITING_STATUSES = STATUSES.filter((s) => s !== 'draft' && !TERMINAL_STATUSES.includes(s));

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: OpportunityStore,
    private readonly config: Config,
    private readonly notifier: Notifier,
    private readonly change: (request: ChangeRequest) => Promise<ChangeOutcome>,
    private readonly log: Logger,
    private readonly clock: DepartmentClock,
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
   * Queues the messages of changes saved without them, closes consultations whose period ended, reminds
   * teams of decisions that wait too long, and forgets answered activities after a day (Teams redelivers
   * within minutes).
   */
  async tick(): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.store.forgetActivities(new Date(Date.parse(now) - REMEMBER_ACTIVITIES_MS).toISOString());
    const caughtUp = await this.notifier.catchUp();
    if (caughtUp > 0)
      this.log.info({ changes: caughtUp }, 'queued the messages of changes saved without them');
    const today = this.clock.today();
    for await (const o of everyRecord(this.store, { statuses: WAITING_STATUSES }, 200)) {
      await this.closeConsultation(o, today);
      await this.closeApplications(o, today);
      await this.remind(o, now, today);
    }
  }

  /** A consultation whose last day has come closes; if someone acted first, the change path decides again. */
  private async closeConsultation(o: Opportunity, today: string): Promise<void> {
    if (o.status !== 'in_approval' || o.consultation.status !== 'open') return;
    // It runs to the end of its last business day: it closes once that day is over.
    if (!o.consultation.closesOn || o.consultation.closesOn >= today) return;
    await this.change({
      kind: 'decide',
      actor: SYSTEM_ACTOR,
      reference: o.reference,
      action: 'close_consultation',
      payload: {},
    });
  }

  /** Applications close by themselves once their deadline (extended or not) is over, locally. */
  private async closeApplications(o: Opportunity, today: string): Promise<void> {
    if (o.status !== 'posted' || deadlineInForce(o) >= today) return;
    await this.change({
      kind: 'decide',
      actor: SYSTEM_ACTOR,
      reference: o.reference,
      action: 'close_applications',
      payload: {},
    });
  }

  /**
   * Reminds whoever each wait is on once it has lasted the reminder threshold, once a day: the team's
   * channel, mentioning the people who hold the role, or the requester in person. A wait that outlasts
   * the escalation threshold is told to the managers, once.
   */
  private async remind(o: Opportunity, now: string, today: string): Promise<void> {
    const { calendar } = this.clock;
    for (const wait of waitsOf(o, now, (date) => calendar.endOf(date))) {
      const since = calendar.dateOf(wait.since);
      const businessDays = calendar.businessDaysBetween(since, today);
      if (businessDays < this.config.reminderBusinessDays) continue;
      for (const party of wait.on) {
        const to = party === 'requester' ? await this.requesterChat(o) : channelKey(party);
        if (!to || !(await this.store.getConversation(to))) continue;
        const card = reminderCard(
          party === 'requester'
            ? await this.localeOf(o.requester.aadObjectId, o.locale)
            : this.config.defaultLocale,
          o,
          wait,
          {
            to: party === 'requester' ? 'requester' : 'team',
            calendar,
            businessDays,
            ...(party === 'requester' ? {} : { mentions: await this.holders(party) }),
          },
        );
        // One reminder a day at most: the id carries the date.
        await this.queue(`reminder:${o.reference}:${wait.kind}:${party}:${today}`, to, card, now);
      }
      if (businessDays < this.config.escalationBusinessDays) continue;
      for (const manager of this.config.roles.manager) {
        const to = `user:${idKey(manager)}`;
        if (!(await this.store.getConversation(to))) continue;
        const card = reminderCard(await this.localeOf(manager, this.config.defaultLocale), o, wait, {
          to: 'manager',
          calendar,
          businessDays,
        });
        // Once per wait: the id carries the day it began.
        await this.queue(`escalation:${o.reference}:${wait.kind}:${since}:${idKey(manager)}`, to, card, now);
      }
    }
  }

  private async queue(id: string, conversationKey: string, card: Card, now: string): Promise<void> {
    await this.store.enqueue({
      id,
      conversationKey,
      kind: 'post',
      activity: { ...MessageFactory.attachment(CardFactory.adaptiveCard(card)) },
      createdAt: now,
    });
  }

  /** The requester's personal chat with the bot, else the conversation they submitted from. */
  private async requesterChat(o: Opportunity): Promise<string | undefined> {
    for (const key of requesterChats(o)) {
      if (await this.store.getConversation(key)) return key;
    }
    return undefined;
  }

  private async localeOf(userId: string, fallback: Locale): Promise<Locale> {
    return (await this.store.getPreferences(userId)).locale ?? fallback;
  }

  /**
   * The people who hold a team's role and whom the bot knows by name (they have a personal chat with it):
   * a mention needs the name Teams shows. Group ids have no chat and are left out.
   */
  private async holders(role: CardChannel): Promise<Mentioned[]> {
    const people: Mentioned[] = [];
    for (const id of this.config.roles[role]) {
      const ref = await this.store.getConversation(`user:${idKey(id)}`);
      const user = ref?.user as { name?: unknown } | undefined;
      if (typeof user?.name === 'string' && user.name.trim() !== '') people.push({ id, name: user.name });
    }
    return people;
  }
}
