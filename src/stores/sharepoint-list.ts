import type { Client } from '@microsoft/microsoft-graph-client';
import { StoreUnavailableError } from '../services/store';

/**
 * One SharePoint list through Microsoft Graph, as the public site's adapters use it: items found by an
 * indexed equality, every page of a query followed, writes guarded by eTags, and what SharePoint cannot
 * do right now reported as StoreUnavailableError. The Graph client's own middleware retries throttled
 * requests (429, 503, 504) when Retry-After asks for a short wait; batches are retried here, within the
 * same budget as the records' store.
 */

export interface GraphItem {
  readonly id: string;
  readonly eTag?: string;
  readonly '@odata.etag'?: string;
  readonly fields?: Record<string, unknown>;
}

interface BatchResponse {
  readonly id: string;
  readonly status: number;
  readonly headers?: Record<string, string>;
}

/** Graph's largest page of list items. */
export const GRAPH_PAGE_MAX = 5_000;
/** Graph's limit on the requests of one JSON batch. */
const BATCH_MAX = 20;
const ATTEMPTS = 3;
/** As the records' store: a person's click is answered within Teams' few seconds, never held for minutes. */
const WAIT_BUDGET_MS = 3_000;
const RETRYABLE = new Set([429, 503, 504]);

/** An OData string literal: quotes doubled, so a value can never close the literal early. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The HTTP status of the SDK's GraphError, when Graph answered at all. */
export function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown };
  return typeof e?.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
}

export function eTagOf(item: GraphItem): string | undefined {
  const eTag = item.eTag ?? item['@odata.etag'] ?? item.fields?.['@odata.etag'];
  return typeof eTag === 'string' ? eTag : undefined;
}

function retryAfterMs(headers: Record<string, string> | undefined): number {
  const raw = headers ? (headers['Retry-After'] ?? headers['retry-after']) : undefined;
  const seconds = raw === undefined ? 1 : Number(raw);
  return Math.max(0, Number.isFinite(seconds) ? seconds * 1000 : 1000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SharePointList {
  /** The items' path, relative to Graph's version root. */
  readonly items: string;

  constructor(
    private readonly client: Client,
    readonly siteId: string,
    readonly listId: string,
  ) {
    this.items = `/sites/${siteId}/lists/${listId}/items`;
  }

  /** Runs one Graph call; what SharePoint cannot do right now becomes StoreUnavailableError. */
  call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return sharePointCall(operation, work);
  }

  /** The first `top` items matching `filter`, with the columns of `select`. */
  async find(operation: string, filter: string, select: string, top = 1): Promise<GraphItem[]> {
    const found = (await this.call(operation, () =>
      this.client
        .api(this.items)
        .filter(encodeURIComponent(filter))
        .expand(`fields($select=${select})`)
        .top(top)
        .get(),
    )) as { value: GraphItem[] };
    return found.value;
  }

  /** Every item matching `filter` (every item when there is none), following Graph's pages. */
  async findAll(operation: string, filter: string | undefined, select: string): Promise<GraphItem[]> {
    const query = [
      `$expand=fields($select=${select})`,
      `$top=${GRAPH_PAGE_MAX}`,
      ...(filter === undefined ? [] : [`$filter=${encodeURIComponent(filter)}`]),
    ].join('&');
    const items: GraphItem[] = [];
    let next: string | undefined = `${this.items}?${query}`;
    while (next !== undefined) {
      const page = await this.page(operation, next);
      items.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return items;
  }

  /** One page: a query of this list, or a nextLink Graph gave for one. */
  async page(
    operation: string,
    url: string,
  ): Promise<{ readonly value: GraphItem[]; readonly '@odata.nextLink'?: string }> {
    return (await this.call(operation, () => this.client.api(url).get())) as {
      value: GraphItem[];
      '@odata.nextLink'?: string;
    };
  }

  /** Whether `url` reads this list's items (and nothing else): a page cursor must not lead elsewhere. */
  reads(url: string): boolean {
    try {
      const path = new URL(url, 'https://graph.microsoft.com').pathname.replace(/^\/v1\.0(?=\/)/, '');
      return decodeURIComponent(path).toLowerCase() === this.items.toLowerCase();
    } catch {
      return false;
    }
  }

  async create(operation: string, fields: Record<string, unknown>): Promise<GraphItem> {
    return (await this.call(operation, () => this.client.api(this.items).post({ fields }))) as GraphItem;
  }

  /** Changes an item's columns if it is still at `eTag`; Graph's 412 (or 404) comes back as it is. */
  async update(
    operation: string,
    itemId: string,
    eTag: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    await this.call(operation, () =>
      this.client.api(`${this.items}/${itemId}/fields`).header('If-Match', eTag).patch(fields),
    );
  }

  /** Deletes an item; false when it was gone already. */
  async remove(operation: string, itemId: string): Promise<boolean> {
    try {
      await this.call(operation, () => this.client.api(`${this.items}/${itemId}`).delete());
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /**
   * Deletes items still at the eTag they were read at, twenty to a batch; one changed meanwhile (412) is
   * left as it is. Returns how many are gone: an item already gone (404) counts, since a retried delete
   * whose first answer was lost finds its own work done.
   */
  async removeAll(operation: string, items: readonly { id: string; eTag: string }[]): Promise<number> {
    let removed = 0;
    for (let from = 0; from < items.length; from += BATCH_MAX) {
      let pending = items.slice(from, from + BATCH_MAX);
      let waited = 0;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const answer = (await this.call(operation, () =>
          this.client.api('/$batch').post({
            requests: pending.map((item) => ({
              id: item.id,
              method: 'DELETE',
              url: `${this.items}/${item.id}`,
              headers: { 'If-Match': item.eTag },
            })),
          }),
        )) as { responses: BatchResponse[] };
        const throttled = answer.responses.filter((r) => RETRYABLE.has(r.status));
        for (const r of answer.responses) {
          if ((r.status >= 200 && r.status < 300) || r.status === 404) removed += 1;
          else if (!RETRYABLE.has(r.status) && r.status !== 412) {
            const message = `SharePoint could not ${operation}: ${r.status}`;
            throw r.status >= 500 ? new StoreUnavailableError(message) : new Error(message);
          }
        }
        if (throttled.length === 0) break;
        const wait = Math.max(...throttled.map((r) => retryAfterMs(r.headers)));
        if (attempt >= ATTEMPTS || waited + wait > WAIT_BUDGET_MS) {
          throw new StoreUnavailableError(`SharePoint is busy and could not ${operation}; try again shortly`);
        }
        waited += wait;
        await sleep(wait);
        const again = new Set(throttled.map((r) => r.id));
        pending = pending.filter((item) => again.has(item.id));
      }
    }
    return removed;
  }
}

/** Runs one Graph call; what SharePoint cannot do right now becomes StoreUnavailableError. */
export async function sharePointCall<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const status = statusOf(err);
    if (status === undefined || status >= 500 || status === 429 || status === 401 || status === 403) {
      throw new StoreUnavailableError(`SharePoint could not ${operation}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    throw err;
  }
}
