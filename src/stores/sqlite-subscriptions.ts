import type {
  NewSubscription,
  SubscribeOutcome,
  Subscription,
  SubscriptionStore,
} from '../services/subscriptions';
import { pageOf, seqCursor, seqPage, utc } from './rows';
import { bound, emailKey, instant, newSubscription, SUBSCRIBERS_PAGE_MAX } from './site-records';
import { type SubscriptionRow, toSubscription } from './site-rows';
import type { SqliteAccess } from './sqlite-access';

/**
 * The mailing list in the SQLite file (table `subscriptions`, migration 9). One row per address: the
 * column `email_key` is unique; the bound on unconfirmed subscriptions is counted and the row inserted in
 * one IMMEDIATE transaction, so two processes on the file can neither pass the bound nor both add one
 * address. Unsubscribing deletes the row (the connection overwrites deleted content: see connect()).
 */
export class SqliteSubscriptions implements SubscriptionStore {
  constructor(private readonly access: SqliteAccess) {}

  async subscribe(subscription: NewSubscription, maxUnconfirmed: number): Promise<SubscribeOutcome> {
    const fresh = newSubscription(subscription);
    const max = bound(maxUnconfirmed, 'maxUnconfirmed');
    const key = emailKey(fresh.email);
    return this.access.write<SubscribeOutcome>('subscribe', () => {
      const existing = this.access.row<SubscriptionRow>(
        'SELECT id, data FROM subscriptions WHERE email_key = ?',
        key,
      );
      if (existing) return { outcome: 'exists', subscription: toSubscription(existing) };
      const waiting = this.access.row<{ n: number }>(
        'SELECT COUNT(*) AS n FROM subscriptions WHERE confirmed = 0',
      );
      if ((waiting?.n ?? 0) >= max) return { outcome: 'full' };
      if (this.access.row('SELECT 1 FROM subscriptions WHERE id = ? OR token = ?', fresh.id, fresh.token)) {
        throw new RangeError(`subscription ${fresh.id}: its id or token is already in use`);
      }
      this.access
        .sql(
          `INSERT INTO subscriptions (id, email_key, token, confirmed, created_at, data)
           VALUES (?, ?, ?, 0, ?, ?)`,
        )
        .run(fresh.id, key, fresh.token, utc(fresh.createdAt), JSON.stringify(fresh));
      return { outcome: 'created', subscription: fresh };
    });
  }

  async confirmationResent(id: string, at: string): Promise<void> {
    instant(at, 'the time the confirmation was resent');
    this.access.guard('confirmationResent', () => {
      const { changes } = this.access
        .sql(`UPDATE subscriptions SET data = json_set(data, '$.confirmationSentAt', ?) WHERE id = ?`)
        .run(at, id);
      if (changes === 0) throw new RangeError(`no subscription ${id}`);
    });
  }

  async confirmSubscription(token: string, at: string): Promise<Subscription | undefined> {
    instant(at, 'the time of confirmation');
    return this.access.write('confirmSubscription', () => {
      // The first confirmation's time stays: a second click of the link changes nothing.
      this.access
        .sql(
          `UPDATE subscriptions SET confirmed = 1, data = json_set(data, '$.confirmedAt', ?)
           WHERE token = ? AND confirmed = 0`,
        )
        .run(at, token);
      const row = this.access.row<SubscriptionRow>(
        'SELECT id, data FROM subscriptions WHERE token = ?',
        token,
      );
      return row && toSubscription(row);
    });
  }

  async unsubscribe(token: string): Promise<Subscription | undefined> {
    return this.access.guard('unsubscribe', () => {
      const row = this.access.row<SubscriptionRow>(
        'DELETE FROM subscriptions WHERE token = ? RETURNING id, data',
        token,
      );
      return row && toSubscription(row);
    });
  }

  async subscribers(page: { readonly limit: number; readonly cursor?: string }): Promise<{
    readonly items: readonly Subscription[];
    readonly nextCursor?: string;
  }> {
    const { limit, after } = seqPage(page, SUBSCRIBERS_PAGE_MAX);
    return this.access.guard('subscribers', () => {
      // In the order they subscribed; seq is never reused, so a cursor stays good across deletions.
      const rows = this.access.rows<SubscriptionRow & { seq: number }>(
        'SELECT seq, id, data FROM subscriptions WHERE confirmed = 1 AND seq > ? ORDER BY seq LIMIT ?',
        after,
        limit + 1,
      );
      return pageOf(rows, limit, toSubscription, (last) => seqCursor(last.seq));
    });
  }

  async forgetUnconfirmed(before: string): Promise<number> {
    const at = utc(before);
    return this.access.guard(
      'forgetUnconfirmed',
      () =>
        this.access.sql('DELETE FROM subscriptions WHERE confirmed = 0 AND created_at < ?').run(at).changes,
    );
  }

  async subscriptionCounts(): Promise<{ readonly confirmed: number; readonly unconfirmed: number }> {
    return this.access.guard('subscriptionCounts', () => {
      const row = this.access.row<{ confirmed: number; unconfirmed: number }>(
        `SELECT (SELECT COUNT(*) FROM subscriptions WHERE confirmed = 1) AS confirmed,
                (SELECT COUNT(*) FROM subscriptions WHERE confirmed = 0) AS unconfirmed`,
      );
      return { confirmed: row?.confirmed ?? 0, unconfirmed: row?.unconfirmed ?? 0 };
    });
  }
}
