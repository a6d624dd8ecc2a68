import { CardFactory, MessageFactory } from 'botbuilder';
import { reminderCard } from '../cards/opportunity';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { DepartmentClock } from '../services/calendar';
import type { ChangeOutcome, ChangeRequest } from '../services/change';
import { deadlineInForce, type Opportunity } from '../services/opportunity';
import { SYSTEM_ACTOR } from '../services/roles';
import { channelKey, waitingOn } from '../services/routing';
import { everyRecord, type OpportunityStore, StoreUnavailableError } from '../services/store';
import type { Notifier } from './notify';

/**
 * The clock's part of the workflow. Its state lives in the records (the consultation's closing date, the
 * date a request entered its status), so a restart loses no timer: the next tick does what is due.
 */

const REMEMBER_ACTIVITIES_MS = 24 * 3_600_000;

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
    for await (const o of everyRecord(
      this.store,
      { statuses: ['submitted', 'in_approval', 'posted'] },
      200,
    )) {
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

  private async remind(o: Opportunity, now: string, today: string): Promise<void> {
    const team = waitingOn(o);
    const entered = o.timeline[o.status];
    if (!team || !entered) return;
    const since = this.clock.calendar.dateOf(entered);
    const waited = this.clock.calendar.businessDaysBetween(since, today);
    if (waited < this.config.reminderBusinessDays) return;
    const key = channelKey(team);
    if (!(await this.store.getConversation(key))) return;
    const card = reminderCard(this.config.defaultLocale, o, team, since);
    // One reminder a day at most: the id carries the date.
    await this.store.enqueue({
      id: `reminder:${o.reference}:${team}:${today}`,
      conversationKey: key,
      kind: 'post',
      activity: { ...MessageFactory.attachment(CardFactory.adaptiveCard(card)) },
      createdAt: now,
    });
  }
}
