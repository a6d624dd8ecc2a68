import { z } from 'zod';
import type { DueOptions, NewOutboxMessage, Outbox, OutboxMessage } from '../services/store';
import { dueBounds, leaseOf, newOutboxRow, type NewOutboxRow, toOutboxMessage } from './outbox-rows';
import { type PgAccess, type Queryable, storable } from './pg-access';
import { count, errorText, nonEmpty, utc } from './rows';

/**
 * The outbox in PostgreSQL, shared by every replica. `seq` is the order messages were queued in (the
 * tie-break after createdAt). A message leased to a replica (lease_owner, lease_until) is due to nobody
 * until the lease has passed, and holds back the later messages of its conversation.
 */
export const OUTBOX_SCHEMA = `
  CREATE TABLE outbox (
    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id text PRIMARY KEY,
    conversation_key text COLLATE "C" NOT NULL,
    kind text NOT NULL CHECK (kind IN ('post', 'update')),
    activity json NOT NULL CHECK (json_typeof(activity) = 'object'),
    message_key text,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before text COLLATE "C" NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
    last_error text,
    lease_owner text,
    lease_until text COLLATE "C",
    created_at text COLLATE "C" NOT NULL,
    updated_at text NOT NULL,
    CHECK (kind = 'post' OR message_key IS NOT NULL)
  );
  -- The due query: pending rows in each conversation's order. Partial, so the growing list of sent
  -- messages is never read.
  CREATE INDEX outbox_pending ON outbox (conversation_key, created_at, seq) WHERE state = 'pending';
  CREATE INDEX outbox_dead ON outbox (created_at) WHERE state = 'dead';
  -- Whether a card was ever queued to be posted under a key, so updates of cards never posted are not queued.
  CREATE INDEX outbox_posts ON outbox (message_key) WHERE kind = 'post';
`;

/** What a message is read with: `seq` besides the message itself, to order rows RETURNING gave. */
const COLUMNS = (o: string) =>
  `${o}.seq, ${o}.id, ${o}.conversation_key, ${o}.kind, ${o}.activity, ${o}.message_key, ${o}.attempts,
   ${o}.not_before, ${o}.state, ${o}.last_error, ${o}.created_at`;

/** bigint: the driver gives it as a string. */
const Seq = z.object({ seq: z.union([z.string(), z.number()]) });

/** A leased message with its place in the order queued. */
interface Leased {
  readonly seq: bigint;
  readonly message: OutboxMessage;
}

function leasedOf(raw: unknown): Leased {
  const message = toOutboxMessage(raw, 'json');
  const seq = Seq.safeParse(raw);
  if (!seq.success) throw new Error(`queued message ${message.id} is unreadable`, { cause: seq.error });
  return { seq: BigInt(seq.data.seq), message };
}

/** Oldest first: createdAt, then the order queued. RETURNING gives rows in no particular order. */
function oldestFirst(rows: readonly Leased[]): OutboxMessage[] {
  return [...rows]
    .sort((a, b) =>
      a.message.createdAt < b.message.createdAt
        ? -1
        : a.message.createdAt > b.message.createdAt
          ? 1
          : Number(a.seq - b.seq),
    )
    .map((l) => l.message);
}

/**
 * Each pending conversation once, walking the pending index from key to key, so the cost follows the
 * number of conversations waiting, not the length of a backlog (Teams' pacing lets one grow).
 */
const PENDING_CONVERSATIONS = `
  pending_conversations (key) AS (
    (SELECT conversation_key FROM outbox WHERE state = 'pending' ORDER BY conversation_key LIMIT 1)
    UNION ALL
    SELECT (SELECT o.conversation_key FROM outbox o
            WHERE o.state = 'pending' AND o.conversation_key > p.key
            ORDER BY o.conversation_key LIMIT 1)
    FROM pending_conversations p WHERE p.key IS NOT NULL
  )`;

/**
 * The first $2 pending messages of each conversation of `source` (its keys as `c.key`), each with how
 * many of its conversation up to it are held: waiting for a retry, or leased until after now ($1). A
 * held message holds back itself and every later one of its conversation.
 */
const firstsOf = (source: string) => `
  firsts AS (
    SELECT f.seq, f.created_at,
           sum(CASE WHEN f.not_before > $1 OR f.lease_until > $1 THEN 1 ELSE 0 END) OVER (
             PARTITION BY f.conversation_key ORDER BY f.created_at, f.seq ROWS UNBOUNDED PRECEDING
           ) AS held
    FROM ${source}
    CROSS JOIN LATERAL (
      SELECT seq, conversation_key, created_at, not_before, lease_until FROM outbox
      WHERE state = 'pending' AND conversation_key = c.key
      ORDER BY created_at, seq
      LIMIT $2
    ) f
    WHERE c.key IS NOT NULL
  )`;

/** Due messages, read only: $1 now, $2 the cap per conversation, $3 the limit. */
const DUE = `
  WITH RECURSIVE ${PENDING_CONVERSATIONS}, ${firstsOf('pending_conversations c')}
  SELECT ${COLUMNS('o')} FROM firsts d JOIN outbox o ON o.seq = d.seq
  WHERE d.held = 0
  ORDER BY o.created_at, o.seq
  LIMIT $3`;

/**
 * A conversation is taken through its oldest pending message: the replica that locks it decides for the
 * whole conversation, and another replica calling meanwhile skips the conversation rather than wait or
 * take its later messages. Only conversations whose first message is due are locked: $1 now, $2 limit.
 * (A message queued meanwhile with a createdAt older than every pending one of its conversation is not
 * behind that lock; the lease below still gives it to one replica only.)
 */
const TAKE_CONVERSATIONS = `
  WITH RECURSIVE ${PENDING_CONVERSATIONS},
  heads AS (
    SELECT h.seq FROM pending_conversations c
    CROSS JOIN LATERAL (
      SELECT seq FROM outbox WHERE state = 'pending' AND conversation_key = c.key
      ORDER BY created_at, seq LIMIT 1
    ) h
    WHERE c.key IS NOT NULL
  )
  SELECT o.conversation_key FROM outbox o
  WHERE o.seq IN (SELECT seq FROM heads)
    AND o.state = 'pending' AND o.not_before <= $1 AND (o.lease_until IS NULL OR o.lease_until <= $1)
  ORDER BY o.created_at, o.seq
  LIMIT $2
  FOR UPDATE OF o SKIP LOCKED`;

/**
 * Leases the due messages of the conversations taken ($4): $1 now, $2 cap per conversation, $3 limit,
 * $5 owner, $6 until, $7 the time of the write. A row leased by another replica since is left to it:
 * the UPDATE checks the lease again on the row's latest version.
 */
const LEASE = `
  WITH ${firstsOf('unnest($4::text[]) AS c (key)')},
  picked AS (SELECT seq FROM firsts WHERE held = 0 ORDER BY created_at, seq LIMIT $3)
  UPDATE outbox o SET lease_owner = $5, lease_until = $6, updated_at = $7
  FROM picked
  WHERE o.seq = picked.seq AND o.state = 'pending' AND (o.lease_until IS NULL OR o.lease_until <= $1)
  RETURNING ${COLUMNS('o')}`;

export class PgOutbox implements Outbox {
  constructor(private readonly db: PgAccess) {}

  async enqueue(message: NewOutboxMessage): Promise<boolean> {
    const row = newOutboxRow(message);
    return storable('enqueue', () => insert(this.db, row, new Date().toISOString()));
  }

  async enqueueAll(
    messages: readonly NewOutboxMessage[],
    settles?: { readonly reference: string; readonly version: number },
  ): Promise<number> {
    return storable('enqueueAll', () =>
      this.db.tx('enqueueAll', async (db) => {
        let queued = 0;
        const updatedAt = new Date().toISOString();
        for (const message of messages) {
          // An update of a card never posted, nor queued to be, would have nothing to update.
          if (
            message.kind === 'update' &&
            message.messageKey !== undefined &&
            !(await posted(db, message.messageKey))
          )
            continue;
          if (await insert(db, newOutboxRow(message), updatedAt)) queued++;
        }
        if (settles) {
          await db.query('DELETE FROM pending_notifications WHERE reference = $1 AND version = $2', [
            settles.reference,
            settles.version,
          ]);
        }
        return queued;
      }),
    );
  }

  async dueMessages(now: string, limit: number, options: DueOptions = {}): Promise<readonly OutboxMessage[]> {
    const at = utc(now);
    const { max, perConversation } = dueBounds(limit, options);
    if (options.lease === undefined) {
      const rows = await this.db.rows(DUE, at, perConversation, max);
      return rows.map((r) => toOutboxMessage(r, 'json'));
    }
    const lease = leaseOf(options.lease);
    const rows = await this.db.tx('dueMessages', async (db) => {
      const { rows: taken } = await db.query<{ conversation_key: string }>(TAKE_CONVERSATIONS, [at, max]);
      if (taken.length === 0) return [];
      // A statement of its own, so it sees what was committed before the conversations were locked.
      const { rows: leased } = await db.query(LEASE, [
        at,
        perConversation,
        max,
        taken.map((t) => t.conversation_key),
        lease.owner,
        lease.until,
        new Date().toISOString(),
      ]);
      return leased.map(leasedOf);
    });
    return oldestFirst(rows);
  }

  async markSent(id: string): Promise<void> {
    await this.settle('markSent', id, `state = 'sent'`, []);
  }

  async markRetry(id: string, notBefore: string, error: string): Promise<void> {
    await this.settle('markRetry', id, 'attempts = attempts + 1, not_before = $3, last_error = $4', [
      utc(notBefore),
      errorText(error),
    ]);
  }

  async markDead(id: string, error: string): Promise<void> {
    await this.settle('markDead', id, `attempts = attempts + 1, state = 'dead', last_error = $3`, [
      errorText(error),
    ]);
  }

  async releaseMessages(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const list = [...new Set(ids.map((id) => nonEmpty(id, 'a message id')))];
    await storable('releaseMessages', () =>
      this.db.query(
        `UPDATE outbox SET lease_owner = NULL, lease_until = NULL, updated_at = $2
         WHERE id = ANY ($1::text[]) AND state = 'pending'`,
        [list, new Date().toISOString()],
      ),
    );
  }

  async outboxCounts(): Promise<{ pending: number; dead: number }> {
    // Each count reads its partial index, not the ever-growing list of sent messages.
    const row = await this.db.row<{ pending: string; dead: string }>(
      `SELECT (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending,
              (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead`,
    );
    return { pending: count(row?.pending), dead: count(row?.dead) };
  }

  /**
   * Applies `assignments` to a pending message and ends its lease. A message already sent or dead is left
   * alone; an id never queued is the caller's mistake. `assignments` is one of this class's constants,
   * its values $3 on.
   */
  private async settle(
    what: string,
    id: string,
    assignments: string,
    values: readonly string[],
  ): Promise<void> {
    nonEmpty(id, 'a message id');
    const { rowCount } = await storable(what, () =>
      this.db.query(
        `UPDATE outbox SET ${assignments}, lease_owner = NULL, lease_until = NULL, updated_at = $2
         WHERE id = $1 AND state = 'pending'`,
        [id, new Date().toISOString(), ...values],
      ),
    );
    if ((rowCount ?? 0) === 0 && !(await this.db.row('SELECT 1 FROM outbox WHERE id = $1', id))) {
      throw new RangeError(`no queued message ${id}`);
    }
  }
}

/** Queues a message unless one with its id exists; true when it was queued. */
async function insert(db: Queryable, row: NewOutboxRow, updatedAt: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO outbox
       (id, conversation_key, kind, activity, message_key, attempts, not_before, state, created_at, updated_at)
     VALUES ($1, $2, $3, $4::json, $5, 0, $6, 'pending', $6, $7)
     ON CONFLICT (id) DO NOTHING`,
    [row.id, row.conversation_key, row.kind, row.activity, row.message_key, row.created_at, updatedAt],
  );
  return (rowCount ?? 0) > 0;
}

/** Whether a message was posted, or queued to be posted, under this key. */
async function posted(db: Queryable, messageKey: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM message_ids WHERE key = $1
     UNION ALL SELECT 1 FROM outbox WHERE message_key = $1 AND kind = 'post' LIMIT 1`,
    [messageKey],
  );
  return rows.length > 0;
}
