import assert from 'node:assert/strict';
import { GraphError, PageIterator, type PageCollection } from '@microsoft/microsoft-graph-client';
import {
  createGraphEmulation,
  DEFAULT_LIST_VIEW_THRESHOLD_ERROR,
  GRAPH_V1,
  type GraphEmulation,
  type GraphEmulationOptions,
  graphClientFor,
  PREFER_NON_INDEXED,
} from './support/graph-emulation';

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of many shapes
  body: any;
}

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  token?: string | null;
}

/** Sends one request to the emulation; `path` is relative to the emulated site unless it is a full URL. */
async function send(emulation: GraphEmulation, method: string, path: string, options: CallOptions = {}) {
  const url = path.startsWith('https://') ? path : `${GRAPH_V1}/sites/${emulation.siteId}${path}`;
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? 'test-token' : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await emulation.handle(
    new Request(url, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }),
  );
  const text = await response.text();
  const answer: Answer = {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
  return answer;
}

/** OData string literal inside a $filter sent on a URL: quotes doubled, then the whole expression encoded. */
function filterParam(expression: string): string {
  return `$filter=${encodeURIComponent(expression)}`;
}

function quoted(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const REQUESTS_LIST = {
  displayName: 'Requests',
  columns: [
    { name: 'Key', text: { maxLength: 64 }, indexed: true, enforceUniqueValues: true },
    { name: 'Status', choice: { choices: ['Open', 'Approved', 'Rejected'] }, indexed: true },
    { name: 'Amount', currency: { locale: 'fr-CA' } },
    { name: 'Quantity', number: {} },
    { name: 'Urgent', boolean: {} },
    { name: 'Due', dateTime: { format: 'dateTime' }, indexed: true },
    { name: 'Notes', text: { allowMultipleLines: true } },
  ],
  list: { template: 'genericList' },
};

async function withRequestsList(): Promise<GraphEmulation> {
  const emulation = createGraphEmulation();
  const created = await send(emulation, 'POST', '/lists', { body: REQUESTS_LIST });
  assert.equal(created.status, 201);
  return emulation;
}

describe('Graph emulation: sites, lists and columns', () => {
  it('answers 401 InvalidAuthenticationToken to a request without a bearer token', async () => {
    const emulation = createGraphEmulation();
    const cases: Record<string, string>[] = [{}, { Authorization: 'Basic dXNlcjpwYXNz' }];
    for (const headers of cases) {
      const answer = await send(emulation, 'GET', '', { token: null, headers });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('content-type'), 'application/json');
      assert.equal(answer.body.error.code, 'InvalidAuthenticationToken');
      assert.deepEqual(Object.keys(answer.body.error.innerError).sort(), [
        'client-request-id',
        'date',
        'request-id',
      ]);
    }
  });

  it('returns the site, and 404 itemNotFound for another site id', async () => {
    const emulation = createGraphEmulation();
    const site = await send(emulation, 'GET', '');
    assert.equal(site.status, 200);
    assert.equal(site.body.id, emulation.siteId);
    assert.equal(typeof site.body.displayName, 'string');
    assert.match(site.body.webUrl, /^https:\/\//);
    const other = await send(emulation, 'GET', `${GRAPH_V1}/sites/contoso.sharepoint.com,unknown,unknown`);
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, 'itemNotFound');
  });

  it('creates a list with its columns, finds it by display name, and refuses the same name twice', async () => {
    const emulation = createGraphEmulation();
    const created = await send(emulation, 'POST', '/lists', { body: REQUESTS_LIST });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(created.body.displayName, 'Requests');
    assert.equal(created.body.name, 'Requests');
    assert.deepEqual(created.body.list.template, 'genericList');
    assert.match(created.body.createdDateTime, /Z$/);

    const filtered = await send(emulation, 'GET', `/lists?${filterParam("displayName eq 'Requests'")}`);
    assert.deepEqual(
      filtered.body.value.map((l: { id: string }) => l.id),
      [created.body.id],
    );
    const none = await send(emulation, 'GET', `/lists?${filterParam("displayName eq 'Other'")}`);
    assert.deepEqual(none.body.value, []);
    const all = await send(emulation, 'GET', '/lists');
    assert.equal(all.body.value.length, 1);

    for (const ref of [created.body.id, 'Requests']) {
      const byRef = await send(emulation, 'GET', `/lists/${ref}`);
      assert.equal(byRef.status, 200);
      assert.equal(byRef.body.id, created.body.id);
    }

    const again = await send(emulation, 'POST', '/lists', { body: { ...REQUESTS_LIST, columns: [] } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'nameAlreadyExists');
  });

  it('lists the columns as given plus the built-in Title, and adds one (409 when the name exists)', async () => {
    const emulation = await withRequestsList();
    const columns = await send(emulation, 'GET', '/lists/Requests/columns');
    assert.equal(columns.status, 200);
    const byName = new Map(columns.body.value.map((c: { name: string }) => [c.name, c]));
    assert.ok(byName.has('Title'));
    assert.deepEqual((byName.get('Title') as { text: unknown }).text, {
      allowMultipleLines: false,
      appendChangesToExistingText: false,
      linesForEditing: 0,
      maxLength: 255,
    });
    const key = byName.get('Key') as Record<string, unknown>;
    assert.equal(key.indexed, true);
    assert.equal(key.enforceUniqueValues, true);
    assert.deepEqual(key.text, { maxLength: 64 });
    assert.deepEqual((byName.get('Amount') as Record<string, unknown>).currency, { locale: 'fr-CA' });

    const added = await send(emulation, 'POST', '/lists/Requests/columns', {
      body: { name: 'Vendor', text: {}, indexed: true },
    });
    assert.equal(added.status, 201);
    assert.equal(added.body.name, 'Vendor');
    assert.equal(typeof added.body.id, 'string');
    const duplicate = await send(emulation, 'POST', '/lists/Requests/columns', {
      body: { name: 'Vendor', text: {} },
    });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.code, 'nameAlreadyExists');
  });
});

describe('Graph emulation: list items', () => {
  it('creates, reads and updates an item, with a new eTag on every write', async () => {
    const emulation = await withRequestsList();
    const created = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Title: 'Licence', Key: 'REQ-1', Status: 'Open', Quantity: 3 } },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.id, '1');
    assert.match(created.body.eTag, /^"[0-9a-f-]{36},1"$/);
    assert.equal(created.body['@odata.etag'], created.body.eTag);
    assert.equal(created.body.fields['@odata.etag'], created.body.eTag);
    assert.equal(created.body.fields.id, '1');
    assert.match(created.body.webUrl, /^https:\/\//);

    const read = await send(emulation, 'GET', '/lists/Requests/items/1?$expand=fields');
    assert.equal(read.status, 200);
    assert.equal(read.body.eTag, created.body.eTag);
    assert.equal(read.body.fields.Title, 'Licence');

    const updated = await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', {
      body: { Status: 'Approved' },
      headers: { 'If-Match': read.body.eTag },
    });
    assert.equal(updated.status, 200);
    // The whole field set comes back, not only what changed.
    assert.equal(updated.body.Title, 'Licence');
    assert.equal(updated.body.Status, 'Approved');
    assert.equal(updated.body.Quantity, 3);
    assert.notEqual(updated.body['@odata.etag'], created.body.eTag);
    assert.match(updated.body['@odata.etag'], /,2"$/);

    const second = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Key: 'REQ-2' } },
    });
    assert.equal(second.body.id, '2');
    const missing = await send(emulation, 'GET', '/lists/Requests/items/99');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'itemNotFound');
  });

  it('answers 412 resourceModified to a stale If-Match, and If-Match: * always matches', async () => {
    const emulation = await withRequestsList();
    const created = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Key: 'A' } },
    });
    const stale = created.body.eTag as string;
    const first = await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', {
      body: { Quantity: 1 },
      headers: { 'If-Match': stale },
    });
    assert.equal(first.status, 200);
    const conflict = await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', {
      body: { Quantity: 2 },
      headers: { 'If-Match': stale },
    });
    assert.equal(conflict.status, 412);
    assert.equal(conflict.body.error.code, 'resourceModified');
    assert.match(conflict.body.error.message, /does not match the object's ETag value/);
    const current = await send(emulation, 'GET', '/lists/Requests/items/1?$expand=fields');
    assert.equal(current.body.fields.Quantity, 1);

    const star = await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', {
      body: { Quantity: 5 },
      headers: { 'If-Match': '*' },
    });
    assert.equal(star.status, 200);
    assert.equal(star.body.Quantity, 5);
  });

  it('deletes with 204, refusing a stale If-Match with 412', async () => {
    const emulation = await withRequestsList();
    const created = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Key: 'A' } },
    });
    await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', { body: { Quantity: 1 } });
    const stale = await send(emulation, 'DELETE', '/lists/Requests/items/1', {
      headers: { 'If-Match': created.body.eTag },
    });
    assert.equal(stale.status, 412);
    const deleted = await send(emulation, 'DELETE', '/lists/Requests/items/1');
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);
    assert.equal((await send(emulation, 'GET', '/lists/Requests/items/1')).status, 404);
  });

  it('refuses unknown (case-sensitive) field names and text longer than its column allows with 400', async () => {
    const emulation = await withRequestsList();
    const unknown = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { title: 'x' } },
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, 'invalidRequest');
    assert.match(unknown.body.error.message, /title/);
    const longTitle = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Title: 'x'.repeat(256) } },
    });
    assert.equal(longTitle.status, 400);
    const longKey = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Key: 'k'.repeat(65) } },
    });
    assert.equal(longKey.status, 400);
    const longNote = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Notes: 'n'.repeat(5000) } },
    });
    assert.equal(longNote.status, 201);
    const badChoice = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Status: 'Maybe' } },
    });
    assert.equal(badChoice.status, 400);
  });

  it('refuses a duplicate value in an enforceUniqueValues column with 409, ignoring case as SharePoint does', async () => {
    const emulation = await withRequestsList();
    assert.equal(
      (await send(emulation, 'POST', '/lists/Requests/items', { body: { fields: { Key: 'REQ-1' } } })).status,
      201,
    );
    for (const key of ['REQ-1', 'req-1']) {
      const duplicate = await send(emulation, 'POST', '/lists/Requests/items', {
        body: { fields: { Key: key } },
      });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.error.code, 'nameAlreadyExists');
      assert.match(duplicate.body.error.message, /duplicate values were found in the following field\(s\)/);
    }
    const other = await send(emulation, 'POST', '/lists/Requests/items', {
      body: { fields: { Key: 'REQ-2' } },
    });
    assert.equal(other.status, 201);
    const clash = await send(emulation, 'PATCH', '/lists/Requests/items/2/fields', {
      body: { Key: 'REQ-1' },
    });
    assert.equal(clash.status, 409);
    // Writing an item's own value again is no conflict.
    assert.equal(
      (await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', { body: { Key: 'REQ-1' } })).status,
      200,
    );
  });

  it('omits empty columns and returns numbers, booleans and UTC dates as JSON numbers, booleans and Z strings', async () => {
    const emulation = await withRequestsList();
    const created = await send(emulation, 'POST', '/lists/Requests/items', {
      body: {
        fields: {
          Key: 'A',
          Amount: '12.5',
          Quantity: 4,
          Urgent: true,
          Due: '2026-03-01T09:30:15.250+02:00',
          Notes: '',
        },
      },
    });
    const fields = created.body.fields;
    assert.equal(fields.Amount, 12.5);
    assert.equal(fields.Quantity, 4);
    assert.equal(fields.Urgent, true);
    assert.equal(fields.Due, '2026-03-01T07:30:15Z');
    assert.ok(!('Notes' in fields));
    assert.ok(!('Title' in fields));
    assert.match(fields.Created, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.match(fields.Modified, /Z$/);
    const cleared = await send(emulation, 'PATCH', '/lists/Requests/items/1/fields', {
      body: { Quantity: null },
    });
    assert.ok(!('Quantity' in cleared.body));
    const selected = await send(
      emulation,
      'GET',
      '/lists/Requests/items/1?$expand=fields($select=Key,Amount)',
    );
    assert.deepEqual(Object.keys(selected.body.fields).sort(), ['@odata.etag', 'Amount', 'Key']);
  });
});

describe('Graph emulation: queries and paging', () => {
  async function seeded(count: number): Promise<GraphEmulation> {
    const emulation = await withRequestsList();
    for (let i = 1; i <= count; i += 1) {
      const fields = { Key: `REQ-${i}`, Status: i % 2 === 0 ? 'Open' : 'Approved', Quantity: i };
      await send(emulation, 'POST', '/lists/Requests/items', { body: { fields } });
    }
    return emulation;
  }

  it('pages with @odata.nextLink across three pages', async () => {
    const emulation = await seeded(5);
    const seen: string[] = [];
    let url = `${GRAPH_V1}/sites/${emulation.siteId}/lists/Requests/items?$expand=fields($select=Key)&$top=2`;
    const sizes: number[] = [];
    for (;;) {
      const page = await send(emulation, 'GET', url);
      assert.equal(page.status, 200);
      assert.match(page.body['@odata.context'], /^https:\/\/graph\.microsoft\.com\/v1\.0\/\$metadata#/);
      sizes.push(page.body.value.length);
      seen.push(...page.body.value.map((item: { fields: { Key: string } }) => item.fields.Key));
      const next = page.body['@odata.nextLink'] as string | undefined;
      if (next === undefined) break;
      assert.match(next, /^https:\/\/graph\.microsoft\.com\/v1\.0\/sites\/.+\/items\?.*\$skiptoken=/);
      assert.match(next, /\$top=2/);
      url = next;
    }
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.deepEqual(seen, ['REQ-1', 'REQ-2', 'REQ-3', 'REQ-4', 'REQ-5']);
  });

  it('answers 200 items by default and refuses $top above 5000 with 400', async () => {
    const emulation = await withRequestsList();
    emulation.seedItems('Requests', 250, (i) => ({ Key: `K${i}` }));
    const first = await send(emulation, 'GET', '/lists/Requests/items');
    assert.equal(first.body.value.length, 200);
    assert.ok(first.body['@odata.nextLink']);
    assert.ok(!('fields' in first.body.value[0]));
    const tooMany = await send(emulation, 'GET', '/lists/Requests/items?$top=5001');
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.code, 'invalidRequest');
  });

  it('filters on a value with an escaped quote and with & # % when the expression is URL-encoded', async () => {
    const emulation = await withRequestsList();
    const awkward = ["O'Brien & Sons", 'R&D #1', '100% sure', "it''s"];
    for (const [i, key] of awkward.entries()) {
      await send(emulation, 'POST', '/lists/Requests/items', { body: { fields: { Key: key, Quantity: i } } });
    }
    for (const key of awkward) {
      const found = await send(
        emulation,
        'GET',
        `/lists/Requests/items?$expand=fields&${filterParam(`fields/Key eq ${quoted(key)}`)}`,
      );
      assert.equal(found.status, 200, key);
      assert.deepEqual(
        found.body.value.map((item: { fields: { Key: string } }) => item.fields.Key),
        [key],
      );
    }
    // Unencoded, '#' starts the URL's fragment and '&' ends the parameter: the filter arrives cut.
    const raw = await send(emulation, 'GET', "/lists/Requests/items?$filter=fields/Key eq 'R&D #1'");
    assert.equal(raw.status, 400);
  });

  it('compares dateTime columns as instants and supports and, or, parentheses and several $orderby keys', async () => {
    const emulation = await withRequestsList();
    const dues = [
      '2025-12-31T23:30:00Z',
      '2026-01-01T00:00:00Z',
      '2026-01-15T12:00:00+01:00',
      '2026-02-01T00:00:00Z',
    ];
    for (const [i, due] of dues.entries()) {
      const fields = { Key: `D${i}`, Due: due, Status: i % 2 === 0 ? 'Open' : 'Rejected' };
      await send(emulation, 'POST', '/lists/Requests/items', { body: { fields } });
    }
    const january = await send(
      emulation,
      'GET',
      `/lists/Requests/items?$expand=fields&${filterParam(
        "fields/Due ge '2026-01-01T01:00:00+01:00' and fields/Due lt '2026-02-01T00:00:00Z'",
      )}&$orderby=fields/Due desc`,
    );
    assert.deepEqual(
      january.body.value.map((item: { fields: { Key: string } }) => item.fields.Key),
      ['D2', 'D1'],
    );
    assert.equal(january.body.value[0].fields.Due, '2026-01-15T11:00:00Z');
    const either = await send(
      emulation,
      'GET',
      `/lists/Requests/items?$expand=fields&${filterParam(
        "(fields/Status eq 'Open' and fields/Due lt '2026-01-01T00:00:00Z') or fields/Key eq 'D3'",
      )}&$orderby=fields/Status asc,fields/Due desc`,
    );
    assert.deepEqual(
      either.body.value.map((item: { fields: { Key: string } }) => item.fields.Key),
      ['D0', 'D3'],
    );
  });

  it('refuses a non-indexed column in $filter without Prefer, allows it with Prefer on every page', async () => {
    const emulation = await seeded(5);
    const path = `/lists/Requests/items?$expand=fields&$top=2&${filterParam('fields/Quantity ge 2')}`;
    const refused = await send(emulation, 'GET', path);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'invalidRequest');
    assert.equal(
      refused.body.error.message,
      "Field 'Quantity' cannot be referenced in filter or orderby as it is not indexed. Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' header to allow this, but be warned that such queries may fail on large lists.",
    );
    const orderRefused = await send(emulation, 'GET', '/lists/Requests/items?$orderby=fields/Quantity desc');
    assert.equal(orderRefused.status, 400);

    const prefer = { Prefer: PREFER_NON_INDEXED };
    const first = await send(emulation, 'GET', path, { headers: prefer });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.value.map((item: { fields: { Quantity: number } }) => item.fields.Quantity),
      [2, 3],
    );
    const next = first.body['@odata.nextLink'] as string;
    assert.equal((await send(emulation, 'GET', next)).status, 400);
    const second = await send(emulation, 'GET', next, { headers: prefer });
    assert.deepEqual(
      second.body.value.map((item: { fields: { Quantity: number } }) => item.fields.Quantity),
      [4, 5],
    );
    assert.equal(second.body['@odata.nextLink'], undefined);
  });

  it('refuses a non-indexed column past 5,000 items even with Prefer, while indexed queries still answer', async () => {
    const emulation = await withRequestsList();
    emulation.seedItems('Requests', 5001, (i) => ({ Key: `K${i}`, Quantity: i, Status: 'Open' }));
    const refused = await send(
      emulation,
      'GET',
      `/lists/Requests/items?${filterParam('fields/Quantity eq 7')}`,
      {
        headers: { Prefer: PREFER_NON_INDEXED },
      },
    );
    assert.equal(refused.status, DEFAULT_LIST_VIEW_THRESHOLD_ERROR.status);
    assert.equal(refused.body.error.code, DEFAULT_LIST_VIEW_THRESHOLD_ERROR.code);
    const indexed = await send(
      emulation,
      'GET',
      `/lists/Requests/items?$expand=fields&${filterParam("fields/Key eq 'K7'")}`,
    );
    assert.equal(indexed.status, 200);
    assert.equal(indexed.body.value[0].fields.Quantity, 7);
  });

  it('answers the first pages of a filtered, ordered query over 100,000 seeded items from its indexes', async () => {
    const emulation = createGraphEmulation();
    await send(emulation, 'POST', '/lists', {
      body: {
        displayName: 'Scale',
        columns: [
          { name: 'Key', text: {}, indexed: true, enforceUniqueValues: true },
          { name: 'Status', choice: { choices: ['Open', 'Approved', 'Rejected'] }, indexed: true },
          { name: 'Due', dateTime: {}, indexed: true },
          { name: 'Batch', text: {}, indexed: true },
        ],
      },
    });
    const statuses = ['Open', 'Approved', 'Rejected'];
    const start = Date.UTC(2026, 0, 1);
    // 7919 is prime to 100,000, so every item gets a distinct minute.
    const dueOf = (i: number) => start + ((i * 7919) % 100_000) * 60_000;
    emulation.seedItems('Scale', 100_000, (i) => ({
      Key: `K${i}`,
      Status: statuses[i % 3],
      Due: new Date(dueOf(i)).toISOString(),
      Batch: `B${i % 50}`,
    }));
    const expected = Array.from({ length: 100_000 }, (_, i) => i)
      .filter((i) => i % 3 === 0 && i % 50 === 7)
      .sort((a, b) => dueOf(b) - dueOf(a))
      .map((i) => `K${i}`);

    const query = `/lists/Scale/items?$expand=fields($select=Key,Due)&$top=100&${filterParam(
      "fields/Batch eq 'B7' and fields/Status eq 'Open'",
    )}&$orderby=fields/Due desc`;
    const first = await send(emulation, 'GET', query);
    assert.equal(first.status, 200);
    const keys = (page: Answer) =>
      page.body.value.map((item: { fields: { Key: string } }) => item.fields.Key);
    assert.deepEqual(keys(first), expected.slice(0, 100));
    const second = await send(emulation, 'GET', first.body['@odata.nextLink']);
    assert.deepEqual(keys(second), expected.slice(100, 200));
  });

  describe('past the list view threshold, as SharePoint narrows a query', () => {
    /** 6,000 items: 5,500 Open, 500 Approved; Owner splits them 60 ways (100 each). */
    async function large(options: GraphEmulationOptions = {}): Promise<GraphEmulation> {
      const emulation = createGraphEmulation(options);
      await send(emulation, 'POST', '/lists', {
        body: {
          displayName: 'Large',
          columns: [
            { name: 'Key', text: {}, indexed: true, enforceUniqueValues: true },
            { name: 'Status', choice: { choices: ['Open', 'Approved'] }, indexed: true },
            { name: 'Owner', text: {}, indexed: true },
            { name: 'Quantity', number: {} },
          ],
        },
      });
      emulation.seedItems('Large', 6_000, (i) => ({
        Key: `K${i}`,
        Status: i < 5_500 ? 'Open' : 'Approved',
        Owner: `O${i % 60}`,
        Quantity: i,
      }));
      return emulation;
    }
    const items = (query: string) => `/lists/Large/items?$expand=fields&$top=10&${query}`;

    it('refuses a query whose first clause selects more than 5,000 items, whatever the clauses after it', async () => {
      const emulation = await large();
      const broad = await send(
        emulation,
        'GET',
        items(filterParam("fields/Status eq 'Open' and fields/Owner eq 'O7'")),
      );
      assert.equal(broad.status, DEFAULT_LIST_VIEW_THRESHOLD_ERROR.status);
      assert.equal(broad.body.error.code, DEFAULT_LIST_VIEW_THRESHOLD_ERROR.code);
      const range = await send(
        emulation,
        'GET',
        items(filterParam("fields/Key ge 'K1' and fields/Key le 'K2'")),
      );
      assert.equal(range.status, DEFAULT_LIST_VIEW_THRESHOLD_ERROR.status);
      const narrow = await send(
        emulation,
        'GET',
        items(filterParam("fields/Owner eq 'O7' and fields/Status eq 'Open'")),
      );
      assert.equal(narrow.status, 200);
      assert.equal(narrow.body.value.length, 10);
      assert.ok(narrow.body.value.every((i: { fields: { Status: string } }) => i.fields.Status === 'Open'));
    });

    it('counts a first clause of alternatives joined by or as all the items they select together', async () => {
      const emulation = await large();
      const few = "(fields/Owner eq 'O1' or fields/Owner eq 'O2') and fields/Status eq 'Approved'";
      assert.equal((await send(emulation, 'GET', items(filterParam(few)))).status, 200);
      const many = "(fields/Status eq 'Approved' or fields/Status eq 'Open') and fields/Owner eq 'O2'";
      assert.equal(
        (await send(emulation, 'GET', items(filterParam(many)))).status,
        DEFAULT_LIST_VIEW_THRESHOLD_ERROR.status,
      );
      const approved = await send(emulation, 'GET', items(filterParam("fields/Status eq 'Approved'")));
      assert.equal(approved.status, 200);
    });

    it('refuses a sort without a narrowing filter, even on an indexed column or the ID, and pages the unsorted list', async () => {
      const emulation = await large();
      for (const order of ['fields/Key desc', 'fields/ID desc']) {
        const sorted = await send(emulation, 'GET', items(`$orderby=${order}`));
        assert.equal(sorted.status, DEFAULT_LIST_VIEW_THRESHOLD_ERROR.status, order);
      }
      const narrowed = await send(
        emulation,
        'GET',
        items(`${filterParam("fields/Owner eq 'O3'")}&$orderby=fields/Key desc`),
      );
      assert.equal(narrowed.status, 200);
      let next: string | undefined = `/lists/Large/items?$select=id&$top=5000`;
      let seen = 0;
      while (next) {
        const page: Answer = await send(emulation, 'GET', next);
        assert.equal(page.status, 200);
        seen += page.body.value.length;
        next = page.body['@odata.nextLink'];
      }
      assert.equal(seen, 6_000);
    });

    it('answers the refusal as told: 429 with a Retry-After, as reported for Graph, or 500 as SharePoint’s own API', async () => {
      for (const shape of [
        { status: 429, code: 'activityLimitReached', message: 'The request has been throttled' },
        {
          status: 500,
          code: 'generalException',
          message: 'The attempted operation is prohibited because it exceeds the list view threshold.',
        },
      ]) {
        const emulation = await large({ listViewThresholdError: shape });
        const refused = await send(emulation, 'GET', items('$orderby=fields/Key desc'));
        assert.equal(refused.status, shape.status);
        assert.equal(refused.body.error.code, shape.code);
        assert.equal(refused.headers.get('retry-after') !== null, shape.status === 429);
      }
    });
  });
});

describe('Graph emulation: $batch, throttling and the request log', () => {
  it('runs a $batch in dependsOn order and answers 424 for a request whose dependency failed', async () => {
    const emulation = await withRequestsList();
    emulation.resetLog();
    const items = `/sites/${emulation.siteId}/lists/Requests/items`;
    const json = { 'Content-Type': 'application/json' };
    const answer = await send(emulation, 'POST', `${GRAPH_V1}/$batch`, {
      body: {
        requests: [
          { id: 'read', method: 'GET', url: `${items}?$expand=fields`, dependsOn: ['dup'] },
          { id: 'first', method: 'POST', url: items, headers: json, body: { fields: { Key: 'A' } } },
          {
            id: 'dup',
            method: 'POST',
            url: items,
            headers: json,
            body: { fields: { Key: 'A' } },
            dependsOn: ['first'],
          },
          { id: 'after', method: 'GET', url: `${items}/1`, dependsOn: ['first'] },
        ],
      },
    });
    assert.equal(answer.status, 200);
    const byId = new Map(answer.body.responses.map((r: { id: string }) => [r.id, r]));
    const statusOf = (id: string) => (byId.get(id) as { status: number }).status;
    assert.equal(statusOf('first'), 201);
    assert.equal(statusOf('dup'), 409);
    assert.equal(statusOf('read'), 424);
    assert.equal(statusOf('after'), 200);
    assert.equal((byId.get('first') as { body: { id: string } }).body.id, '1');

    const outer = emulation.requests[0];
    assert.equal(outer?.path, '/$batch');
    const inner = emulation.requests.slice(1);
    // Run: first, then dup (after first), then after; read never ran.
    assert.deepEqual(
      inner.map((r) => r.method),
      ['POST', 'POST', 'GET'],
    );
    assert.ok(
      inner.every((r) => r.batchedIn !== undefined && r.batchedIn === answer.headers.get('request-id')),
    );
  });

  it('refuses a $batch of more than 20 requests with 400', async () => {
    const emulation = createGraphEmulation();
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: `/sites/${emulation.siteId}`,
    }));
    const answer = await send(emulation, 'POST', `${GRAPH_V1}/$batch`, { body: { requests } });
    assert.equal(answer.status, 400);
  });

  it('throttles with 429 and Retry-After, and throttles requests inside a $batch one by one', async () => {
    const emulation = await withRequestsList();
    emulation.inject({ status: 429, retryAfterSeconds: 7 });
    const throttled = await send(emulation, 'GET', '/lists/Requests/items');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '7');
    assert.equal(throttled.body.error.code, 'activityLimitReached');
    assert.equal((await send(emulation, 'GET', '/lists/Requests/items')).status, 200);

    emulation.inject({
      status: 429,
      retryAfterSeconds: 1,
      match: (method, path) => method === 'POST' && path.endsWith('/items'),
    });
    const items = `/sites/${emulation.siteId}/lists/Requests/items`;
    const batch = await send(emulation, 'POST', `${GRAPH_V1}/$batch`, {
      body: {
        requests: [
          { id: '1', method: 'GET', url: items },
          {
            id: '2',
            method: 'POST',
            url: items,
            headers: { 'Content-Type': 'application/json' },
            body: { fields: {} },
          },
        ],
      },
    });
    assert.equal(batch.status, 200);
    const [read, write] = batch.body.responses;
    assert.equal(read.status, 200);
    assert.equal(write.status, 429);
    assert.equal(write.headers['Retry-After'], '1');

    emulation.inject({ status: 503, times: 2 });
    assert.equal((await send(emulation, 'GET', '')).status, 503);
    assert.equal((await send(emulation, 'GET', '')).status, 503);
    assert.equal((await send(emulation, 'GET', '')).status, 200);
  });

  it('logs every request with its query and headers, and can be reset', async () => {
    const emulation = await withRequestsList();
    emulation.resetLog();
    await send(emulation, 'GET', '/lists/Requests/items?$top=3', { headers: { Prefer: PREFER_NON_INDEXED } });
    assert.equal(emulation.requests.length, 1);
    const [entry] = emulation.requests;
    assert.equal(entry?.method, 'GET');
    assert.equal(entry?.path, `/sites/${emulation.siteId}/lists/Requests/items`);
    assert.deepEqual(entry?.query, { $top: '3' });
    assert.equal(entry?.headers.prefer, PREFER_NON_INDEXED);
    emulation.resetLog();
    assert.equal(emulation.requests.length, 0);
  });

  it('serves the same emulation over loopback HTTP', async () => {
    const emulation = await withRequestsList();
    const server = await emulation.serve();
    try {
      const response = await fetch(`${server.url}/v1.0/sites/${emulation.siteId}/lists/Requests`, {
        headers: { Authorization: 'Bearer t' },
      });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { displayName: string }).displayName, 'Requests');
    } finally {
      await server.close();
    }
  });
});

describe('Graph emulation: through @microsoft/microsoft-graph-client', () => {
  it('creates, pages, retries a 429, reports a 412 and deletes through the SDK middleware chain', async () => {
    const emulation = createGraphEmulation();
    const client = graphClientFor(emulation);
    const site = `/sites/${emulation.siteId}`;
    const list = await client.api(`${site}/lists`).post(REQUESTS_LIST);
    assert.equal(list.displayName, 'Requests');
    for (let i = 1; i <= 5; i += 1) {
      await client
        .api(`${site}/lists/${list.id}/items`)
        .post({ fields: { Key: `O'K & #${i}`, Quantity: i } });
    }
    assert.ok(emulation.requests.every((r) => r.headers.authorization === 'Bearer emulation-token'));

    // Paging with nextLink through PageIterator, Prefer sent again on each page.
    const options = { headers: { Prefer: PREFER_NON_INDEXED } };
    const first: PageCollection = await client
      .api(`${site}/lists/${list.id}/items?$expand=fields&$top=2&${filterParam('fields/Quantity ge 1')}`)
      .header('Prefer', PREFER_NON_INDEXED)
      .get();
    const quantities: number[] = [];
    const iterator = new PageIterator(
      client,
      first,
      (item: { fields: { Quantity: number } }) => {
        quantities.push(item.fields.Quantity);
        return true;
      },
      options,
    );
    await iterator.iterate();
    assert.deepEqual(quantities, [1, 2, 3, 4, 5]);

    const found = await client
      .api(
        `${site}/lists/${list.id}/items?$expand=fields&${filterParam(`fields/Key eq ${quoted("O'K & #3")}`)}`,
      )
      .get();
    assert.deepEqual(
      found.value.map((item: { id: string }) => item.id),
      ['3'],
    );

    // The SDK's RetryHandler honours Retry-After and tries again.
    emulation.resetLog();
    emulation.inject({ status: 429, retryAfterSeconds: 0 });
    const item = await client.api(`${site}/lists/${list.id}/items/1?$expand=fields`).get();
    assert.equal(item.fields.Quantity, 1);
    assert.deepEqual(
      emulation.requests.map((r) => r.headers['retry-attempt']),
      [undefined, '1'],
    );

    const updated = await client
      .api(`${site}/lists/${list.id}/items/1/fields`)
      .header('If-Match', item.eTag)
      .patch({ Quantity: 10 });
    assert.equal(updated.Quantity, 10);
    await assert.rejects(
      client
        .api(`${site}/lists/${list.id}/items/1/fields`)
        .header('If-Match', item.eTag)
        .patch({ Quantity: 11 }),
      (error: unknown) =>
        error instanceof GraphError && error.statusCode === 412 && error.code === 'resourceModified',
    );
    assert.equal(await client.api(`${site}/lists/${list.id}/items/1`).delete(), undefined);
    await assert.rejects(
      client.api(`${site}/lists/${list.id}/items/1`).get(),
      (error: unknown) => error instanceof GraphError && error.statusCode === 404,
    );
  });

  it('surfaces a 401 when the token is empty', async () => {
    const emulation = createGraphEmulation();
    const client = graphClientFor(emulation, { token: '' });
    await assert.rejects(
      client.api(`/sites/${emulation.siteId}`).get(),
      (error: unknown) =>
        error instanceof GraphError &&
        error.statusCode === 401 &&
        error.code === 'InvalidAuthenticationToken',
    );
  });
});
