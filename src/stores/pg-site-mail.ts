import type { DeliveredMail, LocalMailbox, Mail, MailQueue, NewMail } from '../services/mail';
import type { PublicationLog } from '../services/publication';
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
import { type PgAccess, storable } from './pg-access';
import { clamp, count, errorText, utc } from './rows';
import { emailKey, publicationNote } from './site-records';

/**
 * kind is checked by the code, not here: a new kind of e-mail then needs no migration. given_up numbers
 * the messages in the order they were given up, from its own sequence so that replicas giving up
 * messages at the same moment still number them apart.
 */
export const MAIL_SCHEMA = `
  CREATE SEQUENCE mail_given_up;
  CREATE TABLE mail (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    kind text NOT NULL,
    locale text NOT NULL CHECK (locale IN ('en', 'fr')),
    recipient text NOT NULL,
    recipient_key text NOT NULL,
    personalisation json NOT NULL CHECK (json_typeof(personalisation) = 'object'),
    reference text,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before text COLLATE "C" NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    last_error text,
    sent_at text,
    provider_id text,
    given_up bigint,
    created_at text COLLATE "C" NOT NULL,
    updated_at text NOT NULL,
    -- A message sent or given up keeps nothing personal.
    CHECK (state = 'pending' OR (recipient = '' AND recipient_key = '' AND personalisation::text = '{}'))
  );
  -- Partial, so the growing list of sent messages is never read.
  CREATE INDEX mail_due ON mail (created_at, seq) WHERE state = 'pending';
  CREATE INDEX mail_pending_to ON mail (recipient_key) WHERE state = 'pending';
  CREATE INDEX mail_dead ON mail (given_up) WHERE state = 'dead';

  CREATE TABLE mailbox (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    kind text NOT NULL,
    locale text NOT NULL CHECK (locale IN ('en', 'fr')),
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    delivered_at text COLLATE "C" NOT NULL
  );
  CREATE INDEX mailbox_delivered ON mailbox (delivered_at, seq);
`;

export const PUBLICATION_LOG_SCHEMA = `
  CREATE TABLE publication_log (
    target text NOT NULL,
    reference text NOT NULL,
    digest text NOT NULL,
    published_at text NOT NULL,
    PRIMARY KEY (target, reference)
  );
`;

/**
 * The e-mail queue in PostgreSQL (table `mail`, migration 3), with the outbox's discipline: the
 * producer's id makes a message unique in any state, a mark never revives a message already sent or
 * given up, and what was personal about it is erased as soon as it is no longer needed.
 */
export class PgMailQueue implements MailQueue {
  constructor(private readonly db: PgAccess) {}

  async queueMail(mails: readonly NewMail[]): Promise<number> {
    const rows = mails.map(newMailRow);
    if (rows.length === 0) return 0;
    const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((row) => row[key]);
    // One statement for the whole batch: unnest keeps the batch's order, so seq does too; an id met
    // again (stored before, or earlier in the batch) is passed over.
    const { rowCount } = await storable('queueMail', () =>
      this.db.query(
        `INSERT INTO mail
           (id, kind, locale, recipient, recipient_key, personalisation, reference, attempts, not_before,
            state, created_at, updated_at)
         SELECT id, kind, locale, recipient, recipient_key, personalisation::json, reference, 0, created_at,
                'pending', created_at, $9
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           WITH ORDINALITY AS batch (id, kind, locale, recipient, recipient_key, personalisation, reference,
                                     created_at, n)
         ORDER BY n
         ON CONFLICT (id) DO NOTHING`,
        [
          column('id'),
          column('kind'),
          column('locale'),
          column('recipient'),
          column('recipient_key'),
          column('personalisation'),
          column('reference'),
          column('created_at'),
          new Date().toISOString(),
        ],
      ),
    );
    return rowCount ?? 0;
  }

  async dueMail(now: string, limit: number): Promise<readonly Mail[]> {
    const at = utc(now);
    const max = clamp(limit, MAIL_BATCH_MAX);
    // Walks the partial index of pending messages in their order; those waiting for a retry are passed over.
    const rows = await this.db.rows(
      `SELECT ${MAIL_COLUMNS} FROM mail
       WHERE state = 'pending' AND not_before <= $1 ORDER BY created_at, seq LIMIT $2`,
      at,
      max,
    );
    return rows.map((row) => toMail(row, 'json'));
  }

  async markMailSent(id: string, at: string, providerId?: string): Promise<void> {
    await this.settle(
      id,
      `state = 'sent', sent_at = $3, provider_id = $4, ${ERASED}`,
      utc(at),
      providerId ?? null,
    );
  }

  async markMailRetry(id: string, notBefore: string, error: string): Promise<void> {
    await this.settle(
      id,
      'attempts = attempts + 1, not_before = $3, last_error = $4',
      utc(notBefore),
      errorText(error),
    );
  }

  async markMailDead(id: string, error: string): Promise<void> {
    await this.settle(
      id,
      `attempts = attempts + 1, state = 'dead', last_error = $3, given_up = nextval('mail_given_up'), ${ERASED}`,
      errorText(error),
    );
  }

  async dropMailTo(address: string): Promise<number> {
    const key = emailKey(address);
    if (key === '') return 0;
    const { rowCount } = await this.db.query(
      `DELETE FROM mail WHERE state = 'pending' AND recipient_key = $1`,
      [key],
    );
    return rowCount ?? 0;
  }

  async mailCounts(): Promise<{ readonly pending: number; readonly dead: number; readonly sent: number }> {
    // Pending and dead are counted on their partial indexes; sent is what is left of the whole.
    const row = await this.db.row<{ pending: string; dead: string; every: string }>(
      `SELECT (SELECT count(*) FROM mail WHERE state = 'pending') AS pending,
              (SELECT count(*) FROM mail WHERE state = 'dead') AS dead,
              (SELECT count(*) FROM mail) AS every`,
    );
    const pending = count(row?.pending);
    const dead = count(row?.dead);
    return { pending, dead, sent: count(row?.every) - pending - dead };
  }

  async deadMail(limit: number): Promise<readonly Mail[]> {
    const max = clamp(limit, MAIL_BATCH_MAX);
    const rows = await this.db.rows(
      `SELECT ${MAIL_COLUMNS} FROM mail WHERE state = 'dead' ORDER BY given_up DESC LIMIT $1`,
      max,
    );
    return rows.map((row) => toMail(row, 'json'));
  }

  /**
   * Applies `assignments` to a pending message. A message already sent or dead is left alone; an id
   * never queued is the caller's mistake. One statement: the update, and whether the id was known at
   * all, from the same snapshot. `assignments` is one of this class's constants, never caller text;
   * its values are $3 on.
   */
  private async settle(id: string, assignments: string, ...values: unknown[]): Promise<void> {
    const row = await storable('mark an e-mail', () =>
      this.db.row<{ known: boolean }>(
        `WITH changed AS (
           UPDATE mail SET ${assignments}, updated_at = $2 WHERE id = $1 AND state = 'pending' RETURNING 1
         )
         SELECT EXISTS (SELECT 1 FROM changed) OR EXISTS (SELECT 1 FROM mail WHERE id = $1) AS known`,
        id,
        new Date().toISOString(),
        ...values,
      ),
    );
    if (!row?.known) throw new RangeError(`no queued e-mail ${id}`);
  }
}

/** The local mailbox in PostgreSQL (table `mailbox`, migration 3). */
export class PgMailbox implements LocalMailbox {
  constructor(private readonly db: PgAccess) {}

  async deliverLocally(mail: DeliveredMail): Promise<void> {
    const m = deliveredMail(mail);
    // A message delivered again (its sender stopped before marking it sent) is kept once.
    await storable('deliverLocally', () =>
      this.db.query(
        `INSERT INTO mailbox (id, kind, locale, recipient, subject, body, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
        [m.id, m.kind, m.locale, m.to, m.subject, m.body, m.deliveredAt],
      ),
    );
  }

  async mailbox(limit: number): Promise<readonly DeliveredMail[]> {
    const max = clamp(limit, MAIL_BATCH_MAX);
    const rows = await this.db.rows<MailboxRow>(
      `SELECT ${MAILBOX_COLUMNS} FROM mailbox ORDER BY delivered_at DESC, seq DESC LIMIT $1`,
      max,
    );
    return rows.map(toDelivered);
  }
}

/** What was last published of each request, per target, in PostgreSQL (migration 3). */
export class PgPublicationLog implements PublicationLog {
  constructor(private readonly db: PgAccess) {}

  async lastPublished(target: string, reference: string): Promise<string | undefined> {
    const row = await this.db.row<{ digest: string }>(
      'SELECT digest FROM publication_log WHERE target = $1 AND reference = $2',
      target,
      reference,
    );
    return row?.digest;
  }

  async notePublished(target: string, reference: string, digest: string, at: string): Promise<void> {
    publicationNote(target, reference, digest, at);
    await storable('notePublished', () =>
      this.db.query(
        `INSERT INTO publication_log (target, reference, digest, published_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (target, reference) DO UPDATE
         SET digest = excluded.digest, published_at = excluded.published_at`,
        [target, reference, digest, at],
      ),
    );
  }
}
