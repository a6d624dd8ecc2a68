import { z } from 'zod';
import { type DeliveredMail, type Mail, MAIL_KINDS, type NewMail } from '../services/mail';
import { type JsonColumn, jsonOf, NonEmpty, utc } from './rows';
import { emailKey } from './site-records';

/**
 * The e-mail queue and the local mailbox as both SQL stores check what comes in and read it back: the
 * same columns in the SQLite file and in PostgreSQL, the personalisation kept as text in one and as
 * json in the other.
 */

/** Messages read per call, whatever is asked. */
export const MAIL_BATCH_MAX = 1_000;

/** Once sent or given up, a message keeps no address and no personalisation. */
export const ERASED = `recipient = '', recipient_key = '', personalisation = '{}'`;

/** What a queued message is read with. */
export const MAIL_COLUMNS = `id, kind, locale, recipient, personalisation, reference, attempts, not_before, state,
  last_error, sent_at, provider_id, created_at`;

/** What a message in the mailbox is read with. */
export const MAILBOX_COLUMNS = 'id, kind, locale, recipient, subject, body, delivered_at';

const Instant = z.iso.datetime({ offset: true });
const Locale = z.enum(['en', 'fr']);
const Personalisation = z.record(z.string(), z.string());

const NewMailIn = z.strictObject({
  id: NonEmpty,
  kind: z.enum(MAIL_KINDS),
  locale: Locale,
  to: NonEmpty,
  personalisation: Personalisation,
  reference: z.string().optional(),
  createdAt: Instant,
});

/** A message to queue as its row's columns; RangeError when it is not one. */
export function newMailRow(mail: NewMail) {
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

const MailRow = z.object({
  id: z.string(),
  kind: z.enum(MAIL_KINDS),
  locale: Locale,
  recipient: z.string(),
  personalisation: z.unknown(),
  reference: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  not_before: z.string(),
  state: z.enum(['pending', 'sent', 'dead']),
  last_error: z.string().nullable(),
  sent_at: z.string().nullable(),
  provider_id: z.string().nullable(),
  created_at: z.string(),
});

/** Like records, an unreadable queued message fails loudly, naming it, rather than being sent half-valid. */
export function toMail(raw: unknown, column: JsonColumn): Mail {
  let row: z.infer<typeof MailRow>;
  let personalisation: Record<string, string>;
  try {
    row = MailRow.parse(raw);
    personalisation = Personalisation.parse(jsonOf(row.personalisation, column));
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

const DeliveredIn = z.strictObject({
  id: NonEmpty,
  kind: z.enum(MAIL_KINDS),
  locale: Locale,
  to: z.string(),
  subject: z.string(),
  body: z.string(),
  deliveredAt: Instant,
});

/** A message to keep in the mailbox, checked, its time in UTC; RangeError when it is not one. */
export function deliveredMail(mail: DeliveredMail): DeliveredMail {
  const parsed = DeliveredIn.safeParse(mail);
  if (!parsed.success) {
    throw new RangeError(`not a valid delivered e-mail: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return { ...parsed.data, deliveredAt: utc(parsed.data.deliveredAt) };
}

export interface MailboxRow {
  readonly id: string;
  readonly kind: DeliveredMail['kind'];
  readonly locale: DeliveredMail['locale'];
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
  readonly delivered_at: string;
}

export function toDelivered(row: MailboxRow): DeliveredMail {
  return {
    id: row.id,
    kind: row.kind,
    locale: row.locale,
    to: row.recipient,
    subject: row.subject,
    body: row.body,
    deliveredAt: row.delivered_at,
  };
}
