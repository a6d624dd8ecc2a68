import type { DueOptions, NewOutboxMessage, Outbox, OutboxMessage } from '../services/store';
import { dueBounds, leaseOf, newOutboxRow, type NewOutboxRow, toOutboxMessage } from './outbox-rows';
import { errorText, nonEmpty, utc } from './rows';
import type { SqliteAccess } from './sqlite-access';
import { deleteNotification } from './sqlite-records';

/**
 * Messages waiting to be sent to Teams, in the SQLite file (table `outbox`, migrations 3 and 13). Every
 * replica on the file shares it: a replica that takes messages with a lease marks them in the same
 * IMMEDIATE write that picks them, so two replicas never take the same message.
 */
export class SqliteOutbox implements Outbox {
  constructor(private readonly access: SqliteAccess) {}

  async enqueue(message: NewOutboxMessage): Promise<boolean> {
    const row = newOutboxRow(message);
    return this.access.guard('enqueue', () => this.insert(row, new Date().toISOString()));
  }

  async enqueueAll(
    messages: readonly NewOutboxMessage[],
    settles?: { readonly reference: string; readonly version: number },
  ): Promise<number> {
    return this.access.write('enqueueAll', () => {
      let queued = 0;
      const updatedAt = new Date().toISOString();
      for (const message of messages) {
        // An update of a card never posted, nor queued to be, would have nothing to update.
        if (message.kind === 'update' && message.messageKey !== undefined && !this.posted(message.messageKey))
          continue;
        if (this.insert(newOutboxRow(message), updatedAt)) queued++;
      }
      if (settles) deleteNotification(this.access, settles.reference, settles.version);
      return queued;
    });
  }

  async dueMessages(now: string, limit: number, options: DueOptions = {}): Promise<readonly OutboxMessage[]> {
    const at = utc(now);
    const { max, perConversation } = dueBounds(limit, options);
    const lease = options.lease === undefined ? undefined : leaseOf(options.lease);
    const due = () =>
      this.access
        .rows(DUE, { now: at, per_conversation: perConversation, limit: max })
        .map((row) => toOutboxMessage(row, 'text'));
    if (!lease) return this.access.guard('dueMessages', due);
    return this.access.write('dueMessages', () => {
      const messages = due();
      if (messages.length > 0) {
        this.access
          .sql(
            'UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT value FROM json_each(?))',
          )
          .run(lease.owner, lease.until, JSON.stringify(messages.map((m) => m.id)));
      }
      return messages;
    });
  }

  async markSent(id: string): Promise<void> {
    this.settle('markSent', id, `state = 'sent'`, {});
  }

  async markRetry(id: string, notBefore: string, error: string): Promise<void> {
    this.settle('markRetry', id, 'attempts = attempts + 1, not_before = @not_before, last_error = @error', {
      not_before: utc(notBefore),
      error: errorText(error),
    });
  }

  async markDead(id: string, error: string): Promise<void> {
    this.settle('markDead', id, `attempts = attempts + 1, state = 'dead', last_error = @error`, {
      error: errorText(error),
    });
  }

  async releaseMessages(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const list = JSON.stringify(ids.map((id) => nonEmpty(id, 'a message id')));
    this.access.guard('releaseMessages', () =>
      this.access
        .sql(
          `UPDATE outbox SET lease_owner = NULL, lease_until = NULL
           WHERE id IN (SELECT value FROM json_each(?)) AND state = 'pending'`,
        )
        .run(list),
    );
  }

  async outboxCounts(): Promise<{ pending: number; dead: number }> {
    return this.access.guard('outboxCounts', () => {
      // Each count reads its partial index, not the ever-growing list of sent messages.
      const row = this.access.row<{ pending: number; dead: number }>(
        `SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS pending,
                (SELECT COUNT(*) FROM outbox WHERE state = 'dead') AS dead`,
      );
      return { pending: row?.pending ?? 0, dead: row?.dead ?? 0 };
    });
  }

  /** Queues a message unless one with its id exists; true when it was queued. */
  private insert(row: NewOutboxRow, updatedAt: string): boolean {
    return (
      this.access
        .sql(
          `INSERT INTO outbox
             (id, conversation_key, kind, activity, message_key, attempts, not_before, state, created_at,
              updated_at)
           VALUES (@id, @conversation_key, @kind, @activity, @message_key, 0, @not_before, 'pending',
                   @created_at, @updated_at)
           ON CONFLICT (id) DO NOTHING`,
        )
        .run({ ...row, updated_at: updatedAt }).changes > 0
    );
  }

  /** Whether a message was posted, or queued to be posted, under this key. */
  private posted(messageKey: string): boolean {
    return (
      this.access.row(
        `SELECT 1 FROM message_ids WHERE key = @key
         UNION ALL SELECT 1 FROM outbox WHERE message_key = @key AND kind = 'post' LIMIT 1`,
        { key: messageKey },
      ) !== undefined
    );
  }

  /**
   * Applies `assignments` to a pending message and ends its lease. A message already sent or dead is left
   * alone; an id never queued is the caller's mistake. `assignments` is one of this class's constants,
   * never caller text.
   */
  private settle(what: string, id: string, assignments: string, values: Record<string, string>): void {
    nonEmpty(id, 'a message id');
    this.access.guard(what, () => {
      const { changes } = this.access
        .sql(
          `UPDATE outbox SET ${assignments}, lease_owner = NULL, lease_until = NULL, updated_at = @updated_at
           WHERE id = @id AND state = 'pending'`,
        )
        .run({ ...values, id, updated_at: new Date().toISOString() });
      if (changes === 0 && !this.access.row('SELECT 1 FROM outbox WHERE id = ?', id)) {
        throw new RangeError(`no queued message ${id}`);
      }
    });
  }
}

/**
 * Only the first messages of each conversation can be due, so only those are read: the cost follows the
 * number of conversations waiting, not the length of a backlog (Teams' pacing lets one grow).
 */
const DUE = `SELECT o.id, o.conversation_key, o.kind, o.activity, o.message_key, o.attempts, o.not_before,
         o.state, o.last_error, o.created_at
  FROM (
    SELECT f.rowid AS seq,
           -- A message waiting for its retry, or leased to a replica, holds back itself and every newer
           -- one of its conversation.
           SUM(f.not_before > @now OR coalesce(f.lease_until, '') > @now) OVER (
             PARTITION BY f.conversation_key ORDER BY f.created_at, f.rowid ROWS UNBOUNDED PRECEDING
           ) AS held
    FROM (SELECT DISTINCT conversation_key FROM outbox WHERE state = 'pending') c
    JOIN outbox f ON f.rowid IN (
      SELECT rowid FROM outbox
      WHERE state = 'pending' AND conversation_key = c.conversation_key
      ORDER BY created_at, rowid
      LIMIT @per_conversation
    )
  ) d
  JOIN outbox o ON o.rowid = d.seq
  WHERE d.held = 0
  -- Queued in the same millisecond (one change's lines), messages leave in the order queued.
  ORDER BY o.created_at, o.rowid
  LIMIT @limit`;
