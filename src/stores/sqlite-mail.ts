import type { DeliveredMail, LocalMailbox, Mail, MailQueue, NewMail } from '../services/mail';
import {
  deliveredMail,
  ERASED,
  MAIL_BATCH_MAX,
  MAIL_COLUMNS,
  MAILBOX_COLUMNS,
  type MailboxRow,
  newMailRow,
  toDelivered,
  toMail,
} from './mail-rows';
import { clamp, errorText, utc } from './rows';
import { emailKey } from './site-records';
import type { SqliteAccess } from './sqlite-access';

/**
 * The e-mail queue in the SQLite file (table `mail`, migration 9), with the outbox's discipline: the
 * producer's id makes a message unique in any state, a mark never revives a message already sent or
 * given up, and what was personal about it is erased as soon as it is no longer needed.
 */
export class SqliteMailQueue implements MailQueue {
  constructor(private readonly access: SqliteAccess) {}

  async queueMail(mails: readonly NewMail[]): Promise<number> {
    const rows = mails.map(newMailRow);
    if (rows.length === 0) return 0;
    const updatedAt = new Date().toISOString();
    return this.access.write('queueMail', () => {
      let queued = 0;
      for (const row of rows) {
        queued += this.access
          .sql(
            `INSERT INTO mail
               (id, kind, locale, recipient, recipient_key, personalisation, reference, attempts, not_before,
                state, created_at, updated_at)
             VALUES (@id, @kind, @locale, @recipient, @recipient_key, @personalisation, @reference, 0,
                     @created_at, 'pending', @created_at, @updated_at)
             ON CONFLICT (id) DO NOTHING`,
          )
          .run({ ...row, updated_at: updatedAt }).changes;
      }
      return queued;
    });
  }

  async dueMail(now: string, limit: number): Promise<readonly Mail[]> {
    const at = utc(now);
    const max = clamp(limit, MAIL_BATCH_MAX);
    return this.access.guard('dueMail', () =>
      // Walks the partial index of pending messages in their order; those waiting for a retry are passed over.
      this.access
        .rows(
          `SELECT ${MAIL_COLUMNS} FROM mail
           WHERE state = 'pending' AND not_before <= ? ORDER BY created_at, seq LIMIT ?`,
          at,
          max,
        )
        .map((row) => toMail(row, 'text')),
    );
  }

  async markMailSent(id: string, at: string, providerId?: string): Promise<void> {
    this.settle('markMailSent', id, `state = 'sent', sent_at = @at, provider_id = @provider_id, ${ERASED}`, {
      at: utc(at),
      provider_id: providerId ?? null,
    });
  }

  async markMailRetry(id: string, notBefore: string, error: string): Promise<void> {
    this.settle(
      'markMailRetry',
      id,
      'attempts = attempts + 1, not_before = @not_before, last_error = @error',
      {
        not_before: utc(notBefore),
        error: errorText(error),
      },
    );
  }

  async markMailDead(id: string, error: string): Promise<void> {
    // given_up numbers the messages in the order they were given up: the most recent first for procurement.
    this.settle(
      'markMailDead',
      id,
      `attempts = attempts + 1, state = 'dead', last_error = @error,
       given_up = (SELECT COALESCE(MAX(given_up), 0) + 1 FROM mail WHERE state = 'dead'), ${ERASED}`,
      { error: errorText(error) },
    );
  }

  async dropMailTo(address: string): Promise<number> {
    const key = emailKey(address);
    if (key === '') return 0;
    return this.access.guard(
      'dropMailTo',
      () =>
        this.access.sql(`DELETE FROM mail WHERE state = 'pending' AND recipient_key = ?`).run(key).changes,
    );
  }

  async mailCounts(): Promise<{ readonly pending: number; readonly dead: number; readonly sent: number }> {
    return this.access.guard('mailCounts', () => {
      // Pending and dead are counted on their partial indexes; sent is what is left of the whole.
      const row = this.access.row<{ pending: number; dead: number; every: number }>(
        `SELECT (SELECT COUNT(*) FROM mail WHERE state = 'pending') AS pending,
                (SELECT COUNT(*) FROM mail WHERE state = 'dead') AS dead,
                (SELECT COUNT(*) FROM mail) AS every`,
      );
      const pending = row?.pending ?? 0;
      const dead = row?.dead ?? 0;
      return { pending, dead, sent: (row?.every ?? 0) - pending - dead };
    });
  }

  async deadMail(limit: number): Promise<readonly Mail[]> {
    const max = clamp(limit, MAIL_BATCH_MAX);
    return this.access.guard('deadMail', () =>
      this.access
        .rows(`SELECT ${MAIL_COLUMNS} FROM mail WHERE state = 'dead' ORDER BY given_up DESC LIMIT ?`, max)
        .map((row) => toMail(row, 'text')),
    );
  }

  /**
   * Applies `assignments` to a pending message. A message already sent or dead is left alone; an id never
   * queued is the caller's mistake. `assignments` is one of this class's constants, never caller text.
   */
  private settle(what: string, id: string, assignments: string, values: Record<string, string | null>): void {
    this.access.write(what, () => {
      const { changes } = this.access
        .sql(`UPDATE mail SET ${assignments}, updated_at = @updated_at WHERE id = @id AND state = 'pending'`)
        .run({ ...values, id, updated_at: new Date().toISOString() });
      if (changes === 0 && !this.access.row('SELECT 1 FROM mail WHERE id = ?', id)) {
        throw new RangeError(`no queued e-mail ${id}`);
      }
    });
  }
}

/** The local mailbox in the SQLite file (table `mailbox`, migration 9). */
export class SqliteMailbox implements LocalMailbox {
  constructor(private readonly access: SqliteAccess) {}

  async deliverLocally(mail: DeliveredMail): Promise<void> {
    const m = deliveredMail(mail);
    // A message delivered again (its sender stopped before marking it sent) is kept once.
    this.access.guard('deliverLocally', () =>
      this.access
        .sql(
          `INSERT INTO mailbox (id, kind, locale, recipient, subject, body, delivered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        )
        .run(m.id, m.kind, m.locale, m.to, m.subject, m.body, m.deliveredAt),
    );
  }

  async mailbox(limit: number): Promise<readonly DeliveredMail[]> {
    const max = clamp(limit, MAIL_BATCH_MAX);
    return this.access.guard('mailbox', () =>
      this.access
        .rows<MailboxRow>(
          `SELECT ${MAILBOX_COLUMNS} FROM mailbox ORDER BY delivered_at DESC, seq DESC LIMIT ?`,
          max,
        )
        .map(toDelivered),
    );
  }
}
