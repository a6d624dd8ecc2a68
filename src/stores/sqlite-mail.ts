import { z } from 'zod';
import {
  type DeliveredMail,
  type LocalMailbox,
  type Mail,
  MAIL_KINDS,
  type MailQueue,
  type NewMail,
} from '../services/mail';
import { emailKey } from './site-records';
import { clamp, type SqliteAccess, utc } from './sqlite-access';
import { errorText, NonEmpty } from './sqlite-rows';

/** Messages read per call, whatever is asked. */
const MAX_BATCH = 1_000;
/** Once sent or given up, a message keeps no address and no personalisation. */
const ERASED = `recipient = '', recipient_key = '', personalisation = '{}'`;

const Instant = z.iso.datetime({ offset: true });
const Locale = z.enum(['en', 'fr']);

const NewMailIn = z.strictObject({
  id: NonEmpty,
  kind: z.enum(MAIL_KINDS),
  locale: Locale,
  to: NonEmpty,
  personalisation: z.record(z.string(), z.string()),
  reference: z.string().optional(),
  createdAt: Instant,
});

const MailRow = z.object({
  id: z.string(),
  kind: z.enum(MAIL_KINDS),
  locale: Locale,
  recipient: z.string(),
  personalisation: z.string(),
  reference: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  not_before: z.string(),
  state: z.enum(['pending', 'sent', 'dead']),
  last_error: z.string().nullable(),
  sent_at: z.string().nullable(),
  provider_id: z.string().nullable(),
  created_at: z.string(),
});

const DeliveredIn = z.strictObject({
  id: NonEmpty,
  kind: z.enum(MAIL_KINDS),
  locale: Locale,
  to: z.string(),
  subject: z.string(),
  body: z.string(),
  deliveredAt: Instant,
});

const MAIL_COLUMNS = `id, kind, locale, recipient, personalisation, reference, attempts, not_before, state,
  last_error, sent_at, provider_id, created_at`;

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
    const max = clamp(limit, MAX_BATCH);
    return this.access.guard('dueMail', () =>
      // Walks the partial index of pending messages in their order; those waiting for a retry are passed over.
      this.access
        .rows(
          `SELECT ${MAIL_COLUMNS} FROM mail
           WHERE state = 'pending' AND not_before <= ? ORDER BY created_at, seq LIMIT ?`,
          at,
          max,
        )
        .map(toMail),
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
    const max = clamp(limit, MAX_BATCH);
    return this.access.guard('deadMail', () =>
      this.access
        .rows(`SELECT ${MAIL_COLUMNS} FROM mail WHERE state = 'dead' ORDER BY given_up DESC LIMIT ?`, max)
        .map(toMail),
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
    const parsed = DeliveredIn.safeParse(mail);
    if (!parsed.success) {
      throw new RangeError(`not a valid delivered e-mail: ${z.prettifyError(parsed.error)}`, {
        cause: parsed.error,
      });
    }
    const m = parsed.data;
    // A message delivered again (its sender stopped before marking it sent) is kept once.
    this.access.guard('deliverLocally', () =>
      this.access
        .sql(
          `INSERT INTO mailbox (id, kind, locale, recipient, subject, body, delivered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        )
        .run(m.id, m.kind, m.locale, m.to, m.subject, m.body, utc(m.deliveredAt)),
    );
  }

  async mailbox(limit: number): Promise<readonly DeliveredMail[]> {
    const max = clamp(limit, MAX_BATCH);
    return this.access.guard('mailbox', () =>
      this.access
        .rows<{
          id: string;
          kind: DeliveredMail['kind'];
          locale: DeliveredMail['locale'];
          recipient: string;
          subject: string;
          body: string;
          delivered_at: string;
        }>(
          `SELECT id, kind, locale, recipient, subject, body, delivered_at FROM mailbox
           ORDER BY delivered_at DESC, seq DESC LIMIT ?`,
          max,
        )
        .map((r) => ({
          id: r.id,
          kind: r.kind,
          locale: r.locale,
          to: r.recipient,
          subject: r.subject,
          body: r.body,
          deliveredAt: r.delivered_at,
        })),
    );
  }
}

function newMailRow(mail: NewMail) {
  const parsed = NewMailIn.safeParse(mail);
  if (!parsed.success) {
    throw new RangeError(`not a valid e-mail to queue: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const m = parsed.data;
  return {
    id: m.id,
    kind: m.kind,
    locale: m.locale,
    recipient: m.to,
    recipient_key: emailKey(m.to),
    personalisation: JSON.stringify(m.personalisation),
    reference: m.reference ?? null,
    created_at: utc(m.createdAt),
  };
}

/** Like records, an unreadable queued message fails loudly, naming it, rather than being sent half-valid. */
function toMail(raw: unknown): Mail {
  let row: z.infer<typeof MailRow>;
  let personalisation: Record<string, string>;
  try {
    row = MailRow.parse(raw);
    personalisation = z.record(z.string(), z.string()).parse(JSON.parse(row.personalisation));
  } catch (cause) {
    const id = (raw as { id?: unknown } | undefined)?.id;
    throw new Error(`queued e-mail ${String(id)} is unreadable`, { cause });
  }
  return {
    id: row.id,
    kind: row.kind,
    locale: row.locale,
    to: row.recipient,
    personalisation,
    ...(row.reference !== null ? { reference: row.reference } : {}),
    createdAt: row.created_at,
    attempts: row.attempts,
    notBefore: row.not_before,
    state: row.state,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.sent_at !== null ? { sentAt: row.sent_at } : {}),
    ...(row.provider_id !== null ? { providerId: row.provider_id } : {}),
  };
}
