import type {
  NewSubscription,
  SubscribeOutcome,
  Subscription,
  SubscriptionStore,
} from '../services/subscriptions';
import { type PgAccess, type Queryable, storable } from './pg-access';
import { holdBound } from './pg-site-shared';
import { count, pageOf, seqCursor, seqPage, utc } from './rows';
import { bound, emailKey, instant, newSubscription, SUBSCRIBERS_PAGE_MAX } from './site-records';
import { type SubscriptionRow, toSubscription } from './site-rows';

/**
 * One row per address: email_key is the address in lower case as JavaScript folds it (SQL's lower()
 * folds by the database's locale, which may differ). seq is never reused, so page cursors stay good.
 */
export const SUBSCRIPTIONS_SCHEMA = `
  CREATE TABLE subscriptions (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL UNIQUE,
    email_key text NOT NULL UNIQUE,
    token text NOT NULL UNIQUE,
    confirmed boolean NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    data json NOT NULL CHECK (json_typeof(data) = 'object')
  );
  CREATE INDEX subscriptions_unconfirmed ON subscriptions (created_at) WHERE NOT confirmed;
  CREATE INDEX subscriptions_confirmed ON subscriptions (seq) WHERE confirmed;
`;

/**
 * The mailing list in PostgreSQL (table `subscriptions`, migration 3). A subscription locks the
 * subscriptions' bound row before it looks for the address, counts the unconfirmed and inserts, so two
 * replicas can neither pass the bound nor both add one address (email_key is unique besides).
 * Unsubscribing deletes the row.
 */
export class PgSubscriptions implements SubscriptionStore {
  constructor(private readonly db: PgAccess) {}

  async subscribe(subscription: NewSubscription, maxUnconfirmed: number): Promise<SubscribeOutcome> {
    const fresh = newSubscription(subscription);
    const max = bound(maxUnconfirmed, 'maxUnconfirmed');
    const key = emailKey(fresh.email);
    return storable('subscribe', () =>
      this.db.tx<SubscribeOutcome>('subscribe', async (db) => {
        await holdBound(db, 'subscriptions');
        const { rows: existing } = await db.query<SubscriptionRow>(
          'SELECT id, data FROM subscriptions WHERE email_key = $1',
          [key],
        );
        if (existing[0]) return { outcome: 'exists', subscription: toSubscription(existing[0]) };
        const { rows: waiting } = await db.query<{ n: string }>(
          'SELECT count(*) AS n FROM subscriptions WHERE NOT confirmed',
        );
        if (count(waiting[0]?.n) >= max) return { outcome: 'full' };
        const { rowCount: taken } = await db.query(
          'SELECT 1 FROM subscriptions WHERE id = $1 OR token = $2',
          [fresh.id, fresh.token],
        );
        if (taken) throw new RangeError(`subscription ${fresh.id}: its id or token is already in use`);
        await db.query(
          `INSERT INTO subscriptions (id, email_key, token, confirmed, created_at, data)
           VALUES ($1, $2, $3, false, $4, $5::json)`,
          [fresh.id, key, fresh.token, utc(fresh.createdAt), JSON.stringify(fresh)],
        );
        return { outcome: 'created', subscription: fresh };
      }),
    );
  }

  async confirmationResent(id: string, at: string): Promise<void> {
    instant(at, 'the time the confirmation was resent');
    await this.db.tx('confirmationResent', async (db) => {
      const row = await lockedRow(db, 'id', id);
      if (!row) throw new RangeError(`no subscription ${id}`);
      await rewrite(db, row, { confirmationSentAt: at });
    });
  }

  async confirmSubscription(token: string, at: string): Promise<Subscription | undefined> {
    instant(at, 'the time of confirmation');
    return this.db.tx('confirmSubscription', async (db) => {
      // A click at the same moment waits for the first's row lock, then reads the row as the first left
      // it: the first confirmation's time stays, and a second click changes nothing.
      const row = await lockedRow(db, 'token', token);
      if (!row) return undefined;
      if (row.confirmed) return toSubscription(row);
      return toSubscription(await rewrite(db, row, { confirmedAt: at }, true));
    });
  }

  async unsubscribe(token: string): Promise<Subscription | undefined> {
    const row = await this.db.row<SubscriptionRow>(
      'DELETE FROM subscriptions WHERE token = $1 RETURNING id, data',
      token,
    );
    return row && toSubscription(row);
  }

  async subscribers(page: { readonly limit: number; readonly cursor?: string }): Promise<{
    readonly items: readonly Subscription[];
    readonly nextCursor?: string;
  }> {
    const { limit, after } = seqPage(page, SUBSCRIBERS_PAGE_MAX);
    // In the order they subscribed; seq is never reused, so a cursor stays good across deletions.
    const rows = await this.db.rows<SubscriptionRow & { seq: string }>(
      'SELECT seq, id, data FROM subscriptions WHERE confirmed AND seq > $1 ORDER BY seq LIMIT $2',
      after,
      limit + 1,
    );
    return pageOf(rows, limit, toSubscription, (last) => seqCursor(Number(last.seq)));
  }

  async forgetUnconfirmed(before: string): Promise<number> {
    const { rowCount } = await this.db.query(
      'DELETE FROM subscriptions WHERE NOT confirmed AND created_at < $1',
      [utc(before)],
    );
    return rowCount ?? 0;
  }

  async subscriptionCounts(): Promise<{ readonly confirmed: number; readonly unconfirmed: number }> {
    const row = await this.db.row<{ confirmed: string; unconfirmed: string }>(
      `SELECT count(*) FILTER (WHERE confirmed) AS confirmed, count(*) FILTER (WHERE NOT confirmed) AS unconfirmed
       FROM subscriptions`,
    );
    return { confirmed: count(row?.confirmed), unconfirmed: count(row?.unconfirmed) };
  }
}

/** `by` is one of this file's constants, never caller text. */
async function lockedRow(
  db: Queryable,
  by: 'id' | 'token',
  value: string,
): Promise<(SubscriptionRow & { confirmed: boolean }) | undefined> {
  const { rows } = await db.query<SubscriptionRow & { confirmed: boolean }>(
    `SELECT id, confirmed, data FROM subscriptions WHERE ${by} = $1 FOR UPDATE`,
    [value],
  );
  return rows[0];
}

/**
 * Sets members of a stored subscription as written, keeping any member this release does not know
 * (json keeps the text as written; a change is made here rather than in SQL).
 */
async function rewrite(
  db: Queryable,
  row: SubscriptionRow,
  members: Partial<Subscription>,
  confirm = false,
): Promise<SubscriptionRow> {
  toSubscription(row);
  const data = { ...(row.data as Record<string, unknown>), ...members };
  await db.query(
    `UPDATE subscriptions SET data = $2::json, confirmed = confirmed OR $3::boolean WHERE id = $1`,
    [row.id, JSON.stringify(data), confirm],
  );
  return { id: row.id, data };
}
