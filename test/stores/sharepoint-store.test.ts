import assert from 'node:assert/strict';
import { provision } from '../../scripts/provision';
import {
  ConcurrencyError,
  type OpportunityStore,
  type Store,
  StoreUnavailableError,
} from '../../src/services/store';
import { openPgStore } from '../../src/stores/pg-store';
import { freshSchema, requirePostgres } from '../support/postgres';
import { createGraphClient } from '../../src/stores/graph';
import {
  itemFields,
  openSharePoint,
  SharePointStore,
  WAIT_BUDGET_MS,
} from '../../src/stores/sharepoint-store';
import { Opportunity } from '../../src/services/opportunity';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { newOpportunity, step, submittedAudit } from '../contract/fixtures';
import { describeStoreContract } from '../contract/store-contract';
import {
  createGraphEmulation,
  emulatorConfig,
  type GraphEmulation,
  type GraphEmulationOptions,
  type GraphFault,
} from '../support/graph-emulation';

/**
 * The SharePoint store against the local Graph emulation: the same contract as the SQLite store, then
 * what only SharePoint has — provisioning, indexed queries past the list view threshold, eTags, batches,
 * throttling and OData escaping.
 */

const SITE =
  'contoso.sharepoint.com,8e3c5e1b-4a2f-4d8e-9c1a-1f2e3d4c5b6a,0d1c2b3a-4f5e-6d7c-8b9a-0a1b2c3d4e5f';

const configFor = () => emulatorConfig(SITE);

/** SharePoint's records with a working store (SQLite in memory unless given), composed as the bot composes them. */
async function openOn(
  emulation: GraphEmulation,
  working: Store = SqliteStore.open(':memory:'),
): Promise<Store> {
  const client = createGraphClient(configFor(), (url, init) => emulation.fetch(url, init));
  await provision(client, SITE, 'Microacq');
  return openSharePoint({ client, siteId: SITE, listPrefix: 'Microacq' }, working);
}
/** For tests of the records alone: changes' messages are noted nowhere. */
const NOWHERE = { addNotification: async () => undefined };

describeStoreContract('SharePointStore on the Graph emulation', async () =>
  openOn(createGraphEmulation({ siteId: SITE })),
);

// Replicas keep their working state in PostgreSQL beside SharePoint's records (WORKING_STORE=postgres).
describe('SharePointStore with the working state in PostgreSQL', () => {
  before(requirePostgres);
  describeStoreContract('SharePointStore on the Graph emulation, working state in PostgreSQL', async () => {
    const { url, schema } = await freshSchema();
    return openOn(
      createGraphEmulation({ siteId: SITE }),
      await openPgStore({ connectionString: url, schema }),
    );
  });
});

/**
 * Where Microsoft's documentation does not say what a tenant does, the store must hold under each
 * plausible answer: the same contract under each of them, and all of them at once.
 */
const UNDOCUMENTED: [string, GraphEmulationOptions][] = [
  ['duplicates answered 500, as SharePoint’s own API does', { duplicateStatus: 500 }],
  ['duplicates answered 400', { duplicateStatus: 400 }],
  ['PATCH answered without the new eTag', { patchReturnsEtag: false }],
  ['multi-line columns rich text unless said plain', { richTextByDefault: true }],
  ['every one of those at once', { duplicateStatus: 500, patchReturnsEtag: false, richTextByDefault: true }],
];
for (const [mode, options] of UNDOCUMENTED) {
  describeStoreContract(`SharePointStore on the Graph emulation (${mode})`, async () =>
    openOn(createGraphEmulation({ siteId: SITE, ...options })),
  );
}

/**
 * Writes SharePoint carries out though their answer is lost (a 503 or 504 after the fact): every write's
 * first attempt, inside batches, or every batch's as a whole. The same contract holds: nothing is written
 * twice, no number is skipped.
 */
const writes = (method: string) => method === 'POST' || method === 'PATCH' || method === 'DELETE';
const LOST_ANSWERS: [string, GraphEmulationOptions, GraphFault][] = [
  [
    'every write applied, its first answer lost (503)',
    {},
    {
      status: 503,
      retryAfterSeconds: 0,
      afterWrite: true,
      firstAttemptOnly: true,
      match: (m, p) => writes(m) && p !== '/$batch',
    },
  ],
  [
    'every batch applied, its first answer lost (504)',
    {},
    {
      status: 504,
      retryAfterSeconds: 0,
      afterWrite: true,
      firstAttemptOnly: true,
      match: (m, p) => m === 'POST' && p === '/$batch',
    },
  ],
  [
    'every write applied, its first answer lost, with the undocumented answers above',
    { duplicateStatus: 500, patchReturnsEtag: false, richTextByDefault: true },
    {
      status: 504,
      retryAfterSeconds: 0,
      afterWrite: true,
      firstAttemptOnly: true,
      match: (m, p) => writes(m) && p !== '/$batch',
    },
  ],
];
for (const [mode, options, fault] of LOST_ANSWERS) {
  describeStoreContract(`SharePointStore on the Graph emulation (${mode})`, async () => {
    const emulation = createGraphEmulation({ siteId: SITE, ...options });
    const store = await openOn(emulation);
    emulation.inject(fault);
    return store;
  });
}

describe('SharePointStore (SharePoint specifics)', () => {
  let emulation: GraphEmulation;
  let store: OpportunityStore;
  const client = () => createGraphClient(configFor(), (url, init) => emulation.fetch(url, init));
  let keys = 0;
  const create = (options: Parameters<typeof newOpportunity>[0] = {}) => {
    const record = newOpportunity(options);
    return store.create(record, submittedAudit(record), `key-${++keys}`);
  };

  beforeEach(async () => {
    emulation = createGraphEmulation({ siteId: SITE });
    store = await openOn(emulation);
  });
  afterEach(async () => store.close());

  /** Makes every new audit entry fail for a while, as a SharePoint in trouble would. */
  const failAuditWrites = async () => {
    const lists = (await client().api(`/sites/${SITE}/lists`).get()) as {
      value: { id: string; displayName: string }[];
    };
    const auditList = lists.value.find((l) => l.displayName === 'Microacq Audit')?.id ?? 'none';
    emulation.inject({
      status: 503,
      retryAfterSeconds: 0,
      times: 20,
      match: (method, path) => method === 'POST' && path.includes(`/lists/${auditList}/items`),
    });
  };

  it('provisions idempotently: a second run finds the lists and changes nothing', async () => {
    const again = await provision(client(), SITE, 'Microacq');
    assert.deepEqual(again.created, []);
    assert.deepEqual(again.addedColumns, []);
    assert.deepEqual(again.conflicts, []);
    assert.deepEqual(again.backfilled, []);
    assert.deepEqual(again.found, [
      'Microacq Opportunities',
      'Microacq Audit',
      'Microacq Counters',
      'Microacq Questions',
      'Microacq Subscriptions',
      'Microacq Applications',
      'Microacq Self-identification',
      'Microacq Documents',
    ]);
  });

  it('adds the questions and subscriptions lists to a site provisioned before them, indexed as the queries need', async () => {
    const lists = async () =>
      (
        (await client().api(`/sites/${SITE}/lists`).get()) as {
          value: { id: string; displayName: string }[];
        }
      ).value;
    for (const list of await lists()) {
      if (/Questions|Subscriptions/.test(list.displayName)) {
        await client().api(`/sites/${SITE}/lists/${list.id}`).delete();
      }
    }
    const report = await provision(client(), SITE, 'Microacq');
    assert.deepEqual(report.created, [
      'Microacq Questions (7 columns)',
      'Microacq Subscriptions (7 columns)',
    ]);
    assert.deepEqual(report.conflicts, []);
    const columnsOf = async (name: string) => {
      const id = (await lists()).find((l) => l.displayName === name)?.id;
      const columns = (await client().api(`/sites/${SITE}/lists/${id}/columns`).get()) as {
        value: { name: string; indexed?: boolean; enforceUniqueValues?: boolean }[];
      };
      return Object.fromEntries(
        columns.value
          .filter((c) => c.indexed)
          .map((c) => [c.name, c.enforceUniqueValues === true ? 'unique' : 'indexed']),
      );
    };
    assert.deepEqual(await columnsOf('Microacq Questions'), {
      QuestionId: 'unique',
      Reference: 'indexed',
      State: 'indexed',
    });
    assert.deepEqual(await columnsOf('Microacq Subscriptions'), {
      SubscriptionId: 'unique',
      EmailKey: 'unique',
      Token: 'unique',
      Confirmed: 'indexed',
      CreatedKey: 'indexed',
    });
  });

  it('gives records written before the newest-first columns their place when provisioning runs again', async () => {
    const template = Opportunity.parse({ ...newOpportunity(), reference: 'MA-2026-0001', version: 1 });
    emulation.seedItems('Microacq Opportunities', 3, (i) => {
      const {
        Serial: _serial,
        Block: _block,
        ...older
      } = itemFields({ ...template, reference: `MA-2026-000${i + 1}` }, `older-${i}`);
      return older;
    });
    emulation.seedItems('Microacq Counters', 1, () => ({
      Title: 'opportunities-2026',
      CounterKey: 'opportunities-2026',
      Value: 3,
    }));
    assert.deepEqual((await store.query({}, { limit: 10 })).items, []);
    const again = await provision(client(), SITE, 'Microacq');
    assert.deepEqual(again.backfilled, [
      'Microacq Opportunities: 3 records given their place in the newest-first order',
    ]);
    assert.deepEqual(
      (await store.query({}, { limit: 10 })).items.map((o) => o.reference),
      ['MA-2026-0003', 'MA-2026-0002', 'MA-2026-0001'],
    );
    assert.deepEqual((await provision(client(), SITE, 'Microacq')).backfilled, []);
  });

  it('refuses, naming them, the columns of an existing list that conflict', async () => {
    await client()
      .api(`/sites/${SITE}/lists`)
      .post({
        displayName: 'Other Opportunities',
        columns: [
          { name: 'Reference', number: {} },
          { name: 'Status', text: {} },
        ],
        list: { template: 'genericList' },
      });
    const report = await provision(client(), SITE, 'Other');
    assert.deepEqual(report.conflicts, [
      'Other Opportunities: column Reference is number, the bot needs text',
      'Other Opportunities: column Status is text, the bot needs choice',
    ]);
    assert.ok(report.addedColumns.includes('Other Opportunities: Branch'));
  });

  it('tells the person the lists are missing rather than failing obscurely', async () => {
    const bare = createGraphEmulation({ siteId: SITE });
    const c = createGraphClient(configFor(), (url, init) => bare.fetch(url, init));
    await assert.rejects(
      SharePointStore.open({
        client: c,
        siteId: SITE,
        listPrefix: 'Microacq',
        notifications: NOWHERE,
      }),
      (err: unknown) => err instanceof StoreUnavailableError && /run npm run provision/.test(err.message),
    );
  });

  it('reads a record in one request and saves a decision on it in one batch', async () => {
    const record = await create();
    emulation.resetLog();
    const read = await store.get(record.reference);
    assert.equal(emulation.requests.length, 1);
    assert.ok(read);
    emulation.resetLog();
    const { next, audit } = step(read, 'vet_go');
    await store.transition(next, 1, audit);
    const outer = emulation.requests.filter((r) => r.batchedIn === undefined);
    assert.deepEqual(
      outer.map((r) => `${r.method} ${r.path}`),
      ['POST /$batch'],
    );
  });

  /** Where someone editing the list in SharePoint changes the first record's columns. */
  const firstItemFields = async () => {
    const list = (await client()
      .api(`/sites/${SITE}/lists`)
      .filter(encodeURIComponent("displayName eq 'Microacq Opportunities'"))
      .get()) as { value: { id: string }[] };
    const items = (await client().api(`/sites/${SITE}/lists/${list.value[0]?.id}/items`).get()) as {
      value: { id: string }[];
    };
    return `/sites/${SITE}/lists/${list.value[0]?.id}/items/${items.value[0]?.id}/fields`;
  };

  it('reports a change made by someone else in SharePoint as a conflict (412), with their version', async () => {
    const record = await create();
    await store.get(record.reference);
    // Someone edits the item directly: its eTag moves on.
    const fieldsPath = await firstItemFields();
    const edited = step(record, 'vet_go');
    await client()
      .api(fieldsPath)
      .patch({ Version: 2, Record: JSON.stringify(edited.next), Status: 'in_approval' });
    const mine = step(record, 'request_edits', { comment: 'Mine' });
    await assert.rejects(store.transition(mine.next, 1, mine.audit), (err: unknown) => {
      assert.ok(err instanceof ConcurrencyError);
      assert.equal(err.actualVersion, 2);
      return true;
    });
    assert.deepEqual(
      (await store.auditTrail(record.reference)).map((e) => e.action),
      ['submit'],
    );
  });

  it('loads a record stored before licences came from a list, and saves decisions on it', async () => {
    const record = await create();
    const fieldsPath = await firstItemFields();
    const stored = (licence: string) =>
      client()
        .api(fieldsPath)
        .patch({ Record: JSON.stringify({ ...record, licence }) });
    await stored('Apache License, Version 2.0');
    assert.equal((await store.get(record.reference))?.licence, 'Apache-2.0');
    await stored('Crown copyright');
    const old = await store.get(record.reference);
    assert.equal(old?.licence, 'Crown copyright');
    assert.ok(old);
    const { next, audit } = step(old, 'request_edits', { comment: 'Choose a licence from the list' });
    assert.equal((await store.transition(next, 1, audit)).licence, 'Crown copyright');
    assert.equal((await store.get(record.reference))?.status, 'changes_requested');
  });

  it('answers filtered queries on a list past the 5,000-item threshold, on indexed columns only', async function () {
    this.timeout(30_000);
    const template = newOpportunity({ branch: 'Seeded' });
    emulation.seedItems('Microacq Opportunities', 6_000, (i) =>
      itemFields(
        Opportunity.parse({
          ...template,
          reference: `MA-2025-${String(i + 1).padStart(4, '0')}`,
          version: 1,
          createdAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
          status: i % 2 ? 'submitted' : 'posted',
        }),
        `seed-${i}`,
      ),
    );
    const first = await store.query({ statuses: ['posted'], branch: 'Seeded' }, { limit: 50 });
    assert.equal(first.items.length, 50);
    assert.ok(first.items.every((o) => o.status === 'posted'));
    assert.equal(first.items[0]?.reference, 'MA-2025-5999');
    const second = await store.query(
      { statuses: ['posted'], branch: 'Seeded' },
      { limit: 50, cursor: first.nextCursor },
    );
    assert.equal(second.items[0]?.reference, 'MA-2025-5899');
    // No request needed SharePoint's permission to query a column that is not indexed.
    assert.ok(emulation.requests.every((r) => !('prefer' in r.headers)));
  });

  for (const branch of [
    "O'Brien & Sons",
    '100% #1 branch',
    'Développement économique 🚀',
    "''; --",
    'a/b?c=d',
  ]) {
    it(`finds records of a branch named ${JSON.stringify(branch)}: filter text is escaped`, async () => {
      const record = await create({ branch });
      await create({ branch: 'Other' });
      const page = await store.query({ branch }, { limit: 10 });
      assert.deepEqual(
        page.items.map((o) => o.reference),
        [record.reference],
      );
    });
  }

  it('rides out throttling: 429 and 503 with Retry-After are retried, a lasting outage is reported', async () => {
    const record = await create();
    emulation.inject({ status: 429, retryAfterSeconds: 0, times: 2 });
    assert.equal((await store.get(record.reference))?.reference, record.reference);
    emulation.inject({ status: 503, retryAfterSeconds: 0, times: 50 });
    await assert.rejects(store.get(record.reference), StoreUnavailableError);
    emulation.clearFaults();
    assert.ok(await store.get(record.reference));
  });

  it('retries a batch whose requests were all throttled, and saves once', async () => {
    const record = await create();
    emulation.inject({ status: 429, retryAfterSeconds: 0, times: 1, match: (method) => method === 'PATCH' });
    const { next, audit } = step(record, 'vet_go');
    await store.transition(next, 1, audit);
    assert.equal((await store.get(record.reference))?.status, 'in_approval');
    assert.equal((await store.auditTrail(record.reference)).length, 2);
  });

  /** A write SharePoint carries out, though the answer that reaches the store is a 503. */
  const lostAnswer = (match: (method: string, path: string) => boolean) =>
    emulation.inject({ status: 503, retryAfterSeconds: 0, times: 1, afterWrite: true, match });
  const isItems = (list: string) => (path: string) => path.includes(`/lists/${list}/items`);

  for (const [where, match] of [
    ['inside the batch', (method: string) => method === 'PATCH'],
    ['for the whole batch', (method: string, path: string) => method === 'POST' && path === '/$batch'],
  ] as const) {
    it(`keeps a decision once, with one audit entry, when SharePoint applied it but the answer was lost ${where}`, async () => {
      const record = await create();
      lostAnswer(match);
      const { next, audit } = step(record, 'vet_go');
      const saved = await store.transition(next, 1, audit);
      assert.equal(saved.version, 2);
      const now = await store.get(record.reference);
      assert.equal(now?.status, 'in_approval');
      assert.equal(now?.version, 2);
      assert.deepEqual(
        (await store.auditTrail(record.reference)).map((e) => e.action),
        ['submit', 'vet_go'],
      );
    });
  }

  it('keeps a submission once, with one audit entry, when SharePoint created it but the answer was lost', async () => {
    const lists = (await client().api(`/sites/${SITE}/lists`).get()) as {
      value: { id: string; displayName: string }[];
    };
    const opportunities = lists.value.find((l) => l.displayName === 'Microacq Opportunities')?.id ?? 'none';
    lostAnswer((method, path) => method === 'POST' && isItems(opportunities)(path));
    const record = await create();
    assert.deepEqual(
      (await store.query({}, { limit: 10 })).items.map((o) => o.reference),
      [record.reference],
    );
    assert.deepEqual(
      (await store.auditTrail(record.reference)).map((e) => e.action),
      ['submit'],
    );
  });

  /** How long `work` takes, in milliseconds, whether it succeeds or not. */
  const timed = async (work: () => Promise<unknown>) => {
    const started = Date.now();
    await work().catch(() => undefined);
    return Date.now() - started;
  };

  it('answers at once that SharePoint is busy when it asks for a wait a turn cannot give, and applies nothing', async () => {
    const record = await create();
    // Tenants ask for 30 to 300 seconds; Teams gives a click 5.
    emulation.inject({
      status: 429,
      retryAfterSeconds: 30,
      times: 10,
      match: (method) => method === 'PATCH',
    });
    const { next, audit } = step(record, 'vet_go');
    const took = await timed(() => store.transition(next, 1, audit));
    await assert.rejects(store.transition(next, 1, audit), StoreUnavailableError);
    assert.ok(took < WAIT_BUDGET_MS, `${took} ms`);
    emulation.clearFaults();
    assert.equal((await store.get(record.reference))?.version, 1);
    assert.equal((await store.auditTrail(record.reference)).length, 1);
  });

  it('answers a read at once when Graph asks to wait two minutes', async () => {
    const record = await create();
    emulation.inject({ status: 503, retryAfterSeconds: 120, times: 10, match: (method) => method === 'GET' });
    const took = await timed(() => store.get(record.reference));
    await assert.rejects(store.get(record.reference), StoreUnavailableError);
    assert.ok(took < WAIT_BUDGET_MS, `${took} ms`);
  });

  it('waits out a throttle of a second and goes on', async () => {
    const record = await create();
    emulation.inject({ status: 429, retryAfterSeconds: 1, times: 1, match: (method) => method === 'PATCH' });
    const { next, audit } = step(record, 'vet_go');
    await store.transition(next, 1, audit);
    assert.equal((await store.get(record.reference))?.version, 2);
  });

  it('never leaves a decision without its audit entry: it is undone when the entry cannot be written', async () => {
    const record = await create();
    await failAuditWrites();
    const { next, audit } = step(record, 'vet_go');
    await assert.rejects(store.transition(next, 1, audit), StoreUnavailableError);
    emulation.clearFaults();
    const now = await store.get(record.reference);
    assert.equal(now?.status, 'submitted');
    assert.equal(now?.version, 1);
    assert.equal((await store.auditTrail(record.reference)).length, 1);
  });

  it('never leaves a new record without its audit entry: the record is removed if the entry fails', async () => {
    await failAuditWrites();
    await assert.rejects(create(), StoreUnavailableError);
    emulation.clearFaults();
    assert.deepEqual((await store.query({}, { limit: 10 })).items, []);
  });

  it('gives up on a Graph that does not answer within the timeout, and says the store is unavailable', async () => {
    const slow = createGraphClient({ ...configFor(), timeoutMs: 1_000 }, (url, init) =>
      emulation.fetch(url, init),
    );
    const impatient = await SharePointStore.open({
      client: slow,
      siteId: SITE,
      listPrefix: 'Microacq',
      notifications: NOWHERE,
    });
    emulation.inject({ latencyMs: 3_000 });
    const started = Date.now();
    await assert.rejects(impatient.get('MA-2026-0001'), StoreUnavailableError);
    assert.ok(Date.now() - started < 2_900);
    emulation.clearFaults();
    await impatient.close();
  });

  it('refuses an idempotency key longer than SharePoint holds, clearly', async () => {
    const record = newOpportunity();
    await assert.rejects(store.create(record, submittedAudit(record), 'k'.repeat(256)), RangeError);
  });
});
