import { z } from 'zod';
import type {
  NewSubscription,
  SubscribeOutcome,
  Subscription,
  SubscriptionStore,
} from '../services/subscriptions';
import { StoreUnavailableError } from '../services/store';
import {
  bound,
  emailKey,
  instant,
  newSubscription,
  storedSubscription,
  SUBSCRIBERS_PAGE_MAX,
} from './site-records';
import {
  eTagOf,
  GRAPH_PAGE_MAX,
  type GraphItem,
  odataString,
  type SharePointList,
  statusOf,
} from './sharepoint-list';

/**
 * The mailing list in the SharePoint list "… Subscriptions": one item per subscription.
 *
 * One subscription per address: the column EmailKey (the address in lower case) enforces unique values,
 * so SharePoint itself refuses a second item for an address, whichever writer or process sends it; the
 * refusal (409, 500 or 400 depending on the service) is recognised by reading the address back. The
 * bound on unconfirmed subscriptions is kept as the questions' bounds are (see sharepoint-questions.ts):
 * counted before adding, counted again after among the unconfirmed in item id order, withdrawn if over.
 *
 * Queries lead with an indexed equality that selects few items however many people subscribe: the
 * address, the token, the id (all unique), or Confirmed = No, which the bound keeps small. Subscribers
 * are read by walking the list in item id order, unfiltered: the one walk SharePoint allows past its list
 * view threshold without an index.
 */

const ITEM_COLUMNS = 'SubscriptionId,EmailKey,Token,Record';
/** SharePoint's Yes/No columns are filtered as 1 and 0: `true` and `false` are read as text, wrongly. */
const UNCONFIRMED = 'fields/Confirmed eq 0';
/** How often a write that met another writer's change is tried again on the fresh item. */
const ATTEMPTS = 5;

const Cursor = z.object({ l: z.string(), a: z.number().int().nonnegative() });

interface Found {
  readonly itemId: string;
  readonly eTag: string;
  readonly subscription: Subscription;
}

/** The columns of a subscription's item: the whole subscription, and the values queries select on. */
export function subscriptionFields(s: Subscription): Record<string, unknown> {
  return {
    Title: s.id,
    SubscriptionId: s.id,
    EmailKey: emailKey(s.email),
    Token: s.token,
    Confirmed: s.confirmedAt !== undefined,
    CreatedKey: new Date(s.createdAt).toISOString(),
    Locale: s.locale,
    Record: JSON.stringify(s),
  };
}

export class SharePointSubscriptions implements SubscriptionStore {
  constructor(private readonly list: SharePointList) {}

  async subscribe(subscription: NewSubscription, maxUnconfirmed: number): Promise<SubscribeOutcome> {
    const fresh = newSubscription(subscription);
    const max = bound(maxUnconfirmed, 'maxUnconfirmed');
    const key = emailKey(fresh.email);
    const existing = await this.find('EmailKey', key);
    if (existing) return { outcome: 'exists', subscription: existing.subscription };
    if ((await this.unconfirmed()).length >= max) return { outcome: 'full' };
    let itemId: string;
    try {
      itemId = (await this.list.create('add the subscription', subscriptionFields(fresh))).id;
    } catch (err) {
      const stored = await this.find('EmailKey', key).catch(() => undefined);
      if (!stored) {
        const taken = async (column: 'SubscriptionId' | 'Token', value: string) =>
          (await this.find(column, value).catch(() => undefined)) !== undefined;
        if ((await taken('SubscriptionId', fresh.id)) || (await taken('Token', fresh.token))) {
          throw new RangeError(`subscription ${fresh.id}: its id or token is already in use`);
        }
        throw err;
      }
      // Another writer added the address first; or this write did, though its answer was lost.
      if (stored.subscription.id !== fresh.id)
        return { outcome: 'exists', subscription: stored.subscription };
      itemId = stored.itemId;
    }
    const ahead = (await this.unconfirmed()).filter((item) => Number(item.id) < Number(itemId));
    if (ahead.length >= max) {
      await this.list.remove('withdraw the subscription', itemId);
      return { outcome: 'full' };
    }
    return { outcome: 'created', subscription: fresh };
  }

  async confirmationResent(id: string, at: string): Promise<void> {
    instant(at, 'the time the confirmation was resent');
    const done = await this.change('SubscriptionId', id, (s) =>
      s.confirmationSentAt === at ? undefined : { ...s, confirmationSentAt: at },
    );
    if (!done) throw new RangeError(`no subscription ${id}`);
  }

  async confirmSubscription(token: string, at: string): Promise<Subscription | undefined> {
    instant(at, 'the time of confirmation');
    // The first confirmation's time stays: a second click of the link changes nothing.
    return this.change('Token', token, (s) => (s.confirmedAt ? undefined : { ...s, confirmedAt: at }));
  }

  async unsubscribe(token: string): Promise<Subscription | undefined> {
    const found = await this.find('Token', token);
    if (!found) return undefined;
    // Gone already means gone: a retried delete whose first answer was lost, or a second click.
    await this.list.remove('remove the subscription', found.itemId);
    return found.subscription;
  }

  /**
   * Walks the list in item id order, the order people subscribed in. The cursor holds the Graph page the
   * walk stopped in and the last item given, so a page read again after deletions skips nothing.
   */
  async subscribers(page: { readonly limit: number; readonly cursor?: string }): Promise<{
    readonly items: readonly Subscription[];
    readonly nextCursor?: string;
  }> {
    const limit = Number.isNaN(page.limit)
      ? 1
      : Math.min(SUBSCRIBERS_PAGE_MAX, Math.max(1, Math.trunc(page.limit)));
    const from = page.cursor === undefined ? undefined : this.decodeCursor(page.cursor);
    let url =
      from?.l ??
      `${this.list.items}?$expand=fields($select=Record)&$top=${Math.min(limit + 1, GRAPH_PAGE_MAX)}`;
    let last = from?.a ?? 0;
    const items: Subscription[] = [];
    for (;;) {
      const found = await this.list.page('read the subscribers', url);
      for (const item of found.value) {
        if (Number(item.id) <= last) continue;
        const subscription = subscriptionOf(item);
        if (subscription.confirmedAt === undefined) continue;
        if (items.length === limit) return { items, nextCursor: this.encodeCursor(url, last) };
        items.push(subscription);
        last = Number(item.id);
      }
      const next = found['@odata.nextLink'];
      if (next === undefined) return { items };
      if (items.length === limit) return { items, nextCursor: this.encodeCursor(next, last) };
      url = next;
    }
  }

  async forgetUnconfirmed(before: string): Promise<number> {
    const at = new Date(instant(before, 'the time before which to forget')).toISOString();
    const items = await this.list.findAll(
      'forget unconfirmed subscriptions',
      `${UNCONFIRMED} and fields/CreatedKey lt ${odataString(at)}`,
      'CreatedKey',
    );
    // Each is deleted only if unchanged since read: one confirmed meanwhile stays.
    const stale = items.flatMap((item) => {
      const eTag = eTagOf(item);
      return eTag ? [{ id: item.id, eTag }] : [];
    });
    return this.list.removeAll('forget unconfirmed subscriptions', stale);
  }

  async subscriptionCounts(): Promise<{ readonly confirmed: number; readonly unconfirmed: number }> {
    // Graph counts no list items: the list is walked, one request per 5,000 subscriptions.
    const items = await this.list.findAll('count the subscriptions', undefined, 'Confirmed');
    const confirmed = items.filter((item) => item.fields?.Confirmed === true).length;
    return { confirmed, unconfirmed: items.length - confirmed };
  }

  /** Unconfirmed subscriptions: few, as the bound keeps them. */
  private unconfirmed(): Promise<GraphItem[]> {
    return this.list.findAll('count unconfirmed subscriptions', UNCONFIRMED, 'CreatedKey');
  }

  private async find(
    column: 'SubscriptionId' | 'EmailKey' | 'Token',
    value: string,
  ): Promise<Found | undefined> {
    if (typeof value !== 'string' || value === '') return undefined;
    const [item] = await this.list.find(
      'read the subscription',
      `fields/${column} eq ${odataString(value)}`,
      ITEM_COLUMNS,
    );
    // SharePoint matches text whatever its case: a token or an id must match exactly.
    if (!item || item.fields?.[column] !== value) return undefined;
    const eTag = eTagOf(item);
    if (!eTag) throw new Error(`the SharePoint item ${item.id} came without an eTag`);
    return { itemId: item.id, eTag, subscription: subscriptionOf(item) };
  }

  /**
   * Applies `edit` to the subscription found by `column`, if it is still as read (If-Match); another
   * writer's change first is read again and edited anew. `edit` answers undefined when there is nothing to
   * change. Undefined when there is no such subscription.
   */
  private async change(
    column: 'SubscriptionId' | 'Token',
    value: string,
    edit: (s: Subscription) => Subscription | undefined,
  ): Promise<Subscription | undefined> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const found = await this.find(column, value);
      if (!found) return undefined;
      const next = edit(found.subscription);
      if (!next) return found.subscription;
      try {
        const { Confirmed, Record } = subscriptionFields(next);
        await this.list.update('save the subscription', found.itemId, found.eTag, { Confirmed, Record });
        return next;
      } catch (err) {
        if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
      }
    }
    throw new StoreUnavailableError('the subscription kept changing while being saved; try again shortly');
  }

  private encodeCursor(url: string, last: number): string {
    return `sps.${Buffer.from(JSON.stringify({ l: url, a: last })).toString('base64url')}`;
  }

  private decodeCursor(cursor: string): { l: string; a: number } {
    try {
      if (!cursor.startsWith('sps.')) throw new Error('unknown prefix');
      const decoded = Cursor.parse(JSON.parse(Buffer.from(cursor.slice(4), 'base64url').toString('utf8')));
      if (!this.list.reads(decoded.l)) throw new Error('not a page of this list');
      return decoded;
    } catch (cause) {
      throw new RangeError('not a page cursor this store issued', { cause });
    }
  }
}

function subscriptionOf(item: GraphItem): Subscription {
  return storedSubscription(item.fields?.Record, `in SharePoint item ${item.id}`);
}
