/**
 * E-mail to suppliers and subscribers. Each message is one GC Notify template per language, filled with
 * its personalisation; messages wait in a durable queue with the outbox's discipline (an id chosen by
 * the producer so nothing is queued twice, backoff on 429 and 5xx, dead after a bounded number of tries).
 */

export const MAIL_KINDS = [
  'subscription-confirm',
  'new-opportunity',
  'question-answered',
  'question-declined',
  'application-confirm',
  'application-selected',
  'application-not-selected',
  'debrief',
] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

export interface NewMail {
  /** Chosen by the producer, e.g. `posted:MA-2026-0001:s-…`: a second queueing of the same id is ignored. */
  readonly id: string;
  readonly kind: MailKind;
  readonly locale: 'en' | 'fr';
  readonly to: string;
  /** The template's placeholders, `((name))` in Notify's syntax. */
  readonly personalisation: Readonly<Record<string, string>>;
  /** The request it is about, when there is one (for procurement's view of the queue). */
  readonly reference?: string;
  readonly createdAt: string;
}

export interface Mail extends NewMail {
  readonly attempts: number;
  readonly notBefore: string;
  readonly state: 'pending' | 'sent' | 'dead';
  readonly lastError?: string;
  readonly sentAt?: string;
  /** The notification id Notify gave. */
  readonly providerId?: string;
}

/** An e-mail as the local mailbox keeps it (no Notify key: nothing leaves the machine). */
export interface DeliveredMail {
  readonly id: string;
  readonly kind: MailKind;
  readonly locale: 'en' | 'fr';
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly deliveredAt: string;
}

export interface MailQueue {
  /** Queues each message (pending, due at once) unless its id is known in any state; returns how many were new. */
  queueMail(mails: readonly NewMail[]): Promise<number>;
  /** Pending messages with notBefore <= now, oldest first. */
  dueMail(now: string, limit: number): Promise<readonly Mail[]>;
  /**
   * The mark* calls settle or reschedule a pending message (RangeError for an unknown id; a message
   * already sent or dead stays so). Once sent or dead, its address and personalisation are erased:
   * the queue keeps no personal information it no longer needs.
   */
  markMailSent(id: string, at: string, providerId?: string): Promise<void>;
  markMailRetry(id: string, notBefore: string, error: string): Promise<void>;
  markMailDead(id: string, error: string): Promise<void>;
  /** Drops the pending messages to this address (on unsubscribe); returns how many. */
  dropMailTo(address: string): Promise<number>;
  mailCounts(): Promise<{ readonly pending: number; readonly dead: number; readonly sent: number }>;
  /** Messages given up, most recent first, for procurement. */
  deadMail(limit: number): Promise<readonly Mail[]>;
}

/** The local mailbox: where e-mails land when no Notify key is configured. */
export interface LocalMailbox {
  deliverLocally(mail: DeliveredMail): Promise<void>;
  /** Most recent first. */
  mailbox(limit: number): Promise<readonly DeliveredMail[]>;
}
