import type { Logger } from '../log';
import { backoffMs, type Backoff, DEFAULT_BACKOFF, RateLimiter } from '../bot/outbox';
import type { Mail, MailQueue } from '../services/mail';
import { StoreUnavailableError } from '../services/store';
import type { MailTransport, SendOutcome } from './notify';
import type { Replica } from '../bot/replica';

/**
 * Drains the e-mail queue with the outbox's discipline: one attempt per due message, backoff with jitter
 * on what may pass later (429, 5xx, no answer), dead on what will not (a refused template, a bad key) or
 * after `maxAttempts`. A throttled answer stops the drain: the whole service waits, not one message.
 * Delivery is at least once: Notify's `reference` carries the queue id, to match a repeat if one occurs.
 */

export interface MailSenderOptions {
  readonly queue: MailQueue;
  readonly transport: MailTransport;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly maxAttempts: number;
  readonly backoff?: Backoff;
  readonly random?: () => number;
  readonly pollMs?: number;
  /** GC Notify takes 1,000 requests a minute per key: the sender keeps under it. */
  readonly perMinute?: number;
  /**
   * Replicas sharing the queue: the drain runs on the one holding the mail lease, so one process paces
   * the key's per-minute limit and no e-mail leaves twice. Absent, this process sends alone.
   */
  readonly replica?: Pick<Replica, 'holds'>;
}

const BATCH = 50;

export class MailSender {
  private readonly now: () => Date;
  private readonly log: Logger;
  private readonly pace: RateLimiter;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<number> | undefined;
  /** Until when Notify asked everyone to wait. */
  private pausedUntil = 0;

  constructor(private readonly options: MailSenderOptions) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log.child({ component: 'mail' });
    this.pace = new RateLimiter([{ limit: options.perMinute ?? 900, ms: 60_000 }]);
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current?.catch(() => undefined);
  }

  /** Something was queued: send it now rather than at the next poll. */
  kick(): void {
    if (this.running) this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    try {
      await this.drainOnce();
    } catch (err) {
      if (err instanceof StoreUnavailableError) this.log.warn({ err }, 'mail: store unavailable');
      else this.log.error({ err }, 'mail: drain failed');
    }
    if (this.running)
      this.schedule(Math.max(this.options.pollMs ?? 5_000, this.pausedUntil - this.now().getTime()));
  }

  /** Sends what is due now; returns how many were sent. One drain at a time. */
  drainOnce(): Promise<number> {
    this.current ??= this.drain().finally(() => (this.current = undefined));
    return this.current;
  }

  private async drain(): Promise<number> {
    const { replica, pollMs = 5_000 } = this.options;
    if (replica && !(await replica.holds('mail', Math.max(6 * pollMs, 30_000)))) return 0;
    let sent = 0;
    for (;;) {
      const now = this.now();
      if (now.getTime() < this.pausedUntil) return sent;
      const due = await this.options.queue.dueMail(now.toISOString(), BATCH);
      for (const mail of due) {
        const nowMs = this.now().getTime();
        if (this.pace.waitMs('notify', nowMs) > 0) return sent;
        this.pace.record('notify', nowMs);
        const outcome = await this.attempt(mail);
        if (outcome === 'sent') sent++;
        if (outcome === 'paused') return sent;
      }
      if (due.length < BATCH) return sent;
    }
  }

  private async attempt(mail: Mail): Promise<'sent' | 'failed' | 'paused'> {
    // A transport that throws gave no answer: asked again later, like a dropped connection.
    const result: SendOutcome = await this.options.transport
      .send(mail)
      .catch((err: unknown): SendOutcome => ({
        ok: false,
        retry: true,
        error: err instanceof Error ? err.message : String(err),
      }));
    const facts = { id: mail.id, kind: mail.kind, attempt: mail.attempts + 1 };
    if (result.ok) {
      await this.options.queue.markMailSent(mail.id, this.now().toISOString(), result.providerId);
      this.log.info(facts, 'e-mail sent');
      return 'sent';
    }
    const attempts = mail.attempts + 1;
    if (!result.retry || attempts >= this.options.maxAttempts) {
      await this.options.queue.markMailDead(mail.id, result.error);
      this.log.warn({ ...facts, error: result.error }, 'e-mail given up');
      return 'failed';
    }
    const delayMs =
      result.retryAfterMs ??
      backoffMs(attempts, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    const notBefore = new Date(this.now().getTime() + delayMs).toISOString();
    await this.options.queue.markMailRetry(mail.id, notBefore, result.error);
    this.log.warn({ ...facts, error: result.error, retryInMs: delayMs }, 'e-mail to be retried');
    if (result.retryAfterMs !== undefined) {
      this.pausedUntil = this.now().getTime() + result.retryAfterMs;
      return 'paused';
    }
    return 'failed';
  }
}
