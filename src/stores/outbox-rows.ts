import { z } from 'zod';
import type { DueOptions, Lease, NewOutboxMessage, OutboxMessage } from '../services/store';
import { clamp, type JsonColumn, JsonObject, NonEmpty, nonEmpty, storedObject, utc } from './rows';

/**
 * The outbox's messages as both SQL stores check what is queued and read it back: the same columns in
 * the SQLite file and in PostgreSQL, the activity kept as text in one and as json in the other.
 */

/** Messages read per call, whatever is asked. */
const MAX_DUE = 1_000;

const NewOutboxRow = z
  .strictObject({
    id: NonEmpty,
    conversationKey: NonEmpty,
    kind: z.enum(['post', 'update']),
    activity: JsonObject,
    messageKey: NonEmpty.optional(),
    createdAt: z.string(),
  })
  .refine((m) => m.kind === 'post' || m.messageKey !== undefined, {
    message: 'an update needs the messageKey under which the posted message id is stored',
    path: ['messageKey'],
  });

/** A message to queue as its row's columns; RangeError when it is not one. It is due when created. */
export function newOutboxRow(message: NewOutboxMessage) {
  const parsed = NewOutboxRow.safeParse(message);
  if (!parsed.success) {
    throw new RangeError(`not a valid outbox message: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const m = parsed.data;
  const createdAt = utc(m.createdAt);
  return {
    id: m.id,
    conversation_key: m.conversationKey,
    kind: m.kind,
    activity: JSON.stringify(m.activity),
    message_key: m.messageKey ?? null,
    created_at: createdAt,
    not_before: createdAt,
  };
}

export type NewOutboxRow = ReturnType<typeof newOutboxRow>;

const OutboxRow = z.object({
  id: z.string(),
  conversation_key: z.string(),
  kind: z.enum(['post', 'update']),
  activity: z.unknown(),
  message_key: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  not_before: z.string(),
  state: z.enum(['pending', 'sent', 'dead']),
  last_error: z.string().nullable(),
  created_at: z.string(),
});

/** Like records, an unreadable queued message fails loudly, naming it, rather than being sent half-valid. */
export function toOutboxMessage(raw: unknown, column: JsonColumn): OutboxMessage {
  let row: z.infer<typeof OutboxRow>;
  let activity: Record<string, unknown>;
  try {
    row = OutboxRow.parse(raw);
    activity = storedObject(row.activity, column);
  } catch (cause) {
    const id = (raw as { id?: unknown } | undefined)?.id;
    throw new Error(`queued message ${String(id)} is unreadable`, { cause });
  }
  return {
    id: row.id,
    conversationKey: row.conversation_key,
    kind: row.kind,
    activity,
    ...(row.message_key !== null ? { messageKey: row.message_key } : {}),
    attempts: row.attempts,
    notBefore: row.not_before,
    state: row.state,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    createdAt: row.created_at,
  };
}

/** A lease as given, checked; RangeError when it names nobody or no time. */
export function leaseOf(lease: Lease): Lease {
  return { owner: nonEmpty(lease.owner, 'a lease owner'), until: utc(lease.until) };
}

/**
 * How many messages one call reads at most, and how many of each conversation's first messages may be
 * among them: all of them unless the caller says fewer.
 */
export function dueBounds(limit: number, options: DueOptions): { max: number; perConversation: number } {
  const max = clamp(limit, MAX_DUE);
  const perConversation =
    options.perConversation === undefined ? max : Math.max(1, Math.trunc(options.perConversation) || 1);
  return { max, perConversation };
}
