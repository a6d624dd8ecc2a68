import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { provision } from '../../scripts/provision';
import type { Application, SelfIdentification } from '../../src/services/applications';
import type { NewQuestion, Question } from '../../src/services/questions';
import { ConcurrencyError, type Store, StoreUnavailableError } from '../../src/services/store';
import type { NewSubscription, Subscription } from '../../src/services/subscriptions';
import { createGraphClient } from '../../src/stores/graph';
import { applicationFields, selfIdentificationFields } from '../../src/stores/sharepoint-applications';
import { questionFields } from '../../src/stores/sharepoint-questions';
import { openSharePoint } from '../../src/stores/sharepoint-store';
import { subscriptionFields } from '../../src/stores/sharepoint-subscriptions';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { applicationAt, describeApplicationContract } from '../contract/application-contract';
import { describeMailContract } from '../contract/mail-contract';
import { describePublicationLogContract } from '../contract/publication-log-contract';
import { describeQuestionContract, minutesAfter } from '../contract/question-contract';
import { describeSubscriptionContract } from '../contract/subscription-contract';
import {
  createGraphEmulation,
  emulatorConfig,
  type GraphEmulation,
  type GraphEmulationOptions,
  type GraphFault,
  PREFER_NON_INDEXED,
} from '../support/graph-emulation';

/**
 * The public site's questions and subscriptions in SharePoint lists, against the local Graph emulation:
 * the same contracts as the SQLite store, under each answer SharePoint may give where Microsoft does not
 * say, and with writes whose answers are lost; then what only SharePoint has — lists past the view
 * threshold, a unique column shared by every bot instance, and changes made in SharePoint itself.
 */

const SITE =
  'contoso.sharepoint.com,5b2d6c1e-3a4f-4e8d-9c1a-2e3f4d5c6b7a,1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6';

async function openOn(emulation: GraphEmulation, provisioned = false): Promise<Store> {
  const client = createGraphClient(emulatorConfig(SITE), (url, init) => emulation.fetch(url, init));
  if (!provisioned) await provision(client, SITE, 'Microacq');
  return openSharePoint({ client, siteId: SITE, listPrefix: 'Microacq' }, SqliteStore.open(':memory:'));
}

const writes = (method: string) => method === 'POST' || method === 'PATCH' || method === 'DELETE';
const MODES: [string, GraphEmulationOptions, GraphFault?][] = [
  ['', {}],
  [' (duplicates answered 400)', { duplicateStatus: 400 }],
  [
    ' (duplicates answered 500, PATCH without eTag, rich text unless said plain)',
    { duplicateStatus: 500, patchReturnsEtag: false, richTextByDefault: true },
  ],
  [
    ' (every write applied, its first answer lost)',
    { duplicateStatus: 500, patchReturnsEtag: false },
    {
      status: 503,
      retryAfterSeconds: 0,
      afterWrite: true,
      firstAttemptOnly: true,
      match: (m, p) => writes(m) && p !== '/$batch',
    },
  ],
];
for (const [mode, options, fault] of MODES) {
  const open = async () => {
    const emulation = createGraphEmulation({ siteId: SITE, ...options });
    const store = await openOn(emulation);
    if (fault) emulation.inject(fault);
    return store;
  };
  describeQuestionContract(`SharePointStore on the Graph emulation${mode}`, open);
  describeSubscriptionContract(`SharePointStore on the Graph emulation${mode}`, open);
  describeApplicationContract(`SharePointStore on the Graph emulation${mode}`, open);
}

// The e-mail queue, the mailbox and the publication log live in the local state: the same contracts hold.
describeMailContract('SharePointStore on the Graph emulation', () =>
  openOn(createGraphEmulation({ siteId: SITE })),
);
describePublicationLogContract('SharePointStore on the Graph emulation', () =>
  openOn(createGraphEmulation({ siteId: SITE })),
);

describe('SharePointStore (public site, SharePoint specifics)', () => {
  let emulation: GraphEmulation;
  const opened: Store[] = [];
  const open = async (provisioned = true) => {
    const store = await openOn(emulation, provisioned);
    opened.push(store);
    return store;
  };
  const client = () => createGraphClient(emulatorConfig(SITE), (url, init) => emulation.fetch(url, init));

  const newQuestion = (overrides: Partial<NewQuestion> = {}): NewQuestion => ({
    id: `q-${randomUUID()}`,
    reference: 'MA-2026-0001',
    locale: 'en',
    text: 'Is the code public?',
    email: 'asker@example.com',
    askedAt: minutesAfter(1),
    ...overrides,
  });
  const newSubscription = (email: string): NewSubscription => ({
    id: `s-${randomUUID()}`,
    email,
    locale: 'en',
    token: randomBytes(32).toString('base64url'),
    createdAt: minutesAfter(1),
    confirmationSentAt: minutesAfter(1),
  });

  beforeEach(async () => {
    emulation = createGraphEmulation({ siteId: SITE });
    await open(false);
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  it('keeps one subscription per address across bot instances: SharePoint refuses the second item', async () => {
    const [a, b] = [await open(), await open()];
    const outcomes = await Promise.all([
      a.subscribe(newSubscription('ana@example.com'), 10),
      b.subscribe(newSubscription('ANA@example.com'), 10),
    ]);
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['created', 'exists']);
    assert.deepEqual(await b.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
  });

  it('lets bot instances racing for the last places pass no bound together', async () => {
    const stores = [await open(), await open(), await open()];
    const subscribed = await Promise.all(
      stores.map((s, i) => s.subscribe(newSubscription(`person-${i}@example.com`), 2)),
    );
    assert.equal(subscribed.filter((o) => o.outcome === 'created').length, 2);
    assert.deepEqual(await stores[0]?.subscriptionCounts(), { confirmed: 0, unconfirmed: 2 });
    const limits = { perOpportunity: 10, total: 2 };
    const asked = await Promise.all(stores.map((s) => s.askQuestion(newQuestion(), limits)));
    assert.equal(asked.filter((o) => o.ok).length, 2);
    assert.deepEqual(
      asked.filter((o) => !o.ok),
      [{ ok: false, full: 'total' }],
    );
  });

  it('reports a question changed by someone in SharePoint as a conflict, with their version', async () => {
    const store = await open();
    const asked = await store.askQuestion(newQuestion(), { perOpportunity: 5, total: 5 });
    assert.ok(asked.ok);
    const lists = (await client().api(`/sites/${SITE}/lists`).get()) as {
      value: { id: string; displayName: string }[];
    };
    const list = lists.value.find((l) => l.displayName === 'Microacq Questions')?.id;
    const items = (await client().api(`/sites/${SITE}/lists/${list}/items`).get()) as {
      value: { id: string }[];
    };
    const edited: Question = { ...asked.question, state: 'declined', declined: 'duplicate', version: 2 };
    await client()
      .api(`/sites/${SITE}/lists/${list}/items/${items.value[0]?.id}/fields`)
      .patch(questionFields(edited));
    const mine: Question = { ...asked.question, state: 'declined', declined: 'out_of_scope', version: 2 };
    await assert.rejects(store.settleQuestion(mine, 1), (err: unknown) => {
      assert.ok(err instanceof ConcurrencyError, String(err));
      assert.equal(err.actualVersion, 2);
      return true;
    });
    assert.deepEqual(await store.getQuestion(edited.id), edited);
  });

  it('rides out throttling of the questions list', async () => {
    const store = await open();
    emulation.inject({ status: 429, retryAfterSeconds: 0, times: 2 });
    assert.ok((await store.askQuestion(newQuestion(), { perOpportunity: 5, total: 5 })).ok);
  });

  it('answers past 5,000 questions and 5,000 subscriptions, on indexed columns only', async function () {
    this.timeout(30_000);
    const store = await open();
    emulation.seedItems('Microacq Questions', 5_100, (i) => {
      const asked = i >= 5_097;
      return questionFields({
        id: `q-seed-${i}`,
        reference: `MA-2026-${String((i % 900) + 1).padStart(4, '0')}`,
        locale: 'en',
        text: `Question ${i}`,
        askedAt: minutesAfter(-10_000 + i),
        state: asked ? 'asked' : 'answered',
        version: asked ? 1 : 2,
        ...(asked ? { email: `asker-${i}@example.com` } : {}),
      });
    });
    emulation.seedItems('Microacq Subscriptions', 5_100, (i) => {
      const at = minutesAfter(-10_000 + i);
      const s: Subscription = {
        id: `s-seed-${i}`,
        email: `person-${i}@example.com`,
        locale: i % 2 ? 'fr' : 'en',
        token: `seed-token-${i}`,
        createdAt: at,
        confirmationSentAt: at,
        ...(i % 1_000 === 7 ? {} : { confirmedAt: at }),
      };
      return subscriptionFields(s);
    });
    emulation.resetLog();

    // Questions: the bounds count the three waiting; a request's questions are read by its reference.
    const limits = { perOpportunity: 5, total: 4 };
    const asked = await store.askQuestion(newQuestion({ reference: 'MA-2026-0001' }), limits);
    assert.ok(asked.ok);
    assert.deepEqual(await store.askQuestion(newQuestion(), limits), { ok: false, full: 'total' });
    const ofOne = await store.questionsOf('MA-2026-0001');
    assert.equal(ofOne.length, 7);
    assert.equal(ofOne.at(-1)?.id, asked.question.id);
    assert.deepEqual(
      (await store.questionsOf('MA-2026-0001', ['asked'])).map((q) => q.id),
      [asked.question.id],
    );
    const settled = {
      ...asked.question,
      state: 'declined' as const,
      declined: 'duplicate' as const,
      version: 2,
    };
    assert.deepEqual(await store.settleQuestion(settled, 1), settled);
    assert.deepEqual(await store.getQuestion('q-seed-42'), (await store.questionsOf('MA-2026-0043'))[0]);

    // Subscriptions: by address, token and the few unconfirmed; every subscriber by walking the list.
    const fresh = await store.subscribe(newSubscription('new@example.com'), 10);
    assert.equal(fresh.outcome, 'created');
    assert.equal((await store.subscribe(newSubscription('PERSON-42@example.com'), 10)).outcome, 'exists');
    assert.ok(
      fresh.outcome === 'created' &&
        (await store.confirmSubscription(fresh.subscription.token, minutesAfter(5))),
    );
    assert.equal((await store.unsubscribe('seed-token-100'))?.email, 'person-100@example.com');
    assert.deepEqual(await store.subscriptionCounts(), { confirmed: 5_094, unconfirmed: 6 });
    let cursor: string | undefined;
    const emails: string[] = [];
    do {
      const page = await store.subscribers({ limit: 1_000, ...(cursor ? { cursor } : {}) });
      emails.push(...page.items.map((s) => s.email));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(emails.length, 5_094);
    assert.equal(emails[0], 'person-0@example.com');
    assert.equal(emails.at(-1), 'new@example.com');
    assert.equal(emails.includes('person-100@example.com'), false);
    assert.equal(await store.forgetUnconfirmed(minutesAfter(0)), 6);
    assert.deepEqual(await store.subscriptionCounts(), { confirmed: 5_094, unconfirmed: 0 });

    // No request was refused for passing the threshold, nor needed leave to query a column not indexed.
    assert.deepEqual(emulation.overThreshold, []);
    assert.ok(emulation.requests.every((r) => r.headers.prefer !== PREFER_NON_INDEXED));
  });
});

describe('SharePointStore (applications, SharePoint specifics)', () => {
  let emulation: GraphEmulation;
  const opened: Store[] = [];
  const open = async (provisioned = true) => {
    const store = await openOn(emulation, provisioned);
    opened.push(store);
    return store;
  };
  const client = () => createGraphClient(emulatorConfig(SITE), (url, init) => emulation.fetch(url, init));
  const listId = async (name: string) => {
    const lists = (await client().api(`/sites/${SITE}/lists`).get()) as {
      value: { id: string; displayName: string }[];
    };
    return lists.value.find((l) => l.displayName === name)?.id ?? 'none';
  };
  const OPPORTUNITY = 'MA-2026-0001';

  beforeEach(async () => {
    emulation = createGraphEmulation({ siteId: SITE });
    await open(false);
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  async function created(store: Store, email: string, answers: SelfIdentification = {}) {
    const outcome = await store.submitApplication(applicationAt(email, 1), answers, 10);
    return outcome.outcome === 'created' ? outcome.application : assert.fail(outcome.outcome);
  }

  it('keeps one application per address across bot instances: SharePoint refuses the second item', async () => {
    const [a, b] = [await open(), await open()];
    const outcomes = await Promise.all([
      a.submitApplication(applicationAt('ana@example.com', 1), {}, 10),
      b.submitApplication(applicationAt('ANA@example.com', 2), {}, 10),
    ]);
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['changed', 'created']);
    const items = (await b.applicationsOf(OPPORTUNITY, {}, { limit: 10 })).items;
    assert.equal(items.length, 1);
    assert.equal(items[0]?.version, 2);
  });

  it('lets bot instances racing for the last places store no more applications than the bound', async () => {
    const stores = [await open(), await open(), await open()];
    const outcomes = await Promise.all(
      stores.flatMap((s, i) =>
        [0, 1].map((j) => s.submitApplication(applicationAt(`person-${i}-${j}@example.com`, 1), {}, 3)),
      ),
    );
    assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 3);
    assert.equal((await stores[0]?.applicationsOf(OPPORTUNITY, {}, { limit: 10 }))?.items.length, 3);
  });

  it('puts a confirmation back when its self-identification cannot be kept, so the link works again', async () => {
    const store = await open();
    const a = await created(store, 'ana@example.com', { equityGroup: 'yes' });
    const answersList = await listId('Microacq Self-identification');
    emulation.inject({
      status: 503,
      retryAfterSeconds: 0,
      times: 20,
      match: (method, path) => method !== 'GET' && path.includes(`/lists/${answersList}/items`),
    });
    await assert.rejects(store.confirmApplication(a.id, 1, minutesAfter(2)), StoreUnavailableError);
    assert.deepEqual(await store.getApplication(a.id), a);
    assert.deepEqual(await store.applicationByToken(a.pending?.token ?? ''), a);
    emulation.clearFaults();
    const done = await store.confirmApplication(a.id, 1, minutesAfter(3));
    assert.equal(done.confirmedAt, minutesAfter(3));
    assert.equal((await store.selfIdentificationCounts([OPPORTUNITY])).equityGroup.yes, 1);
  });

  it('reports an application changed by someone in SharePoint as a conflict, with their version', async () => {
    const store = await open();
    const a = await store.confirmApplication(
      (await created(store, 'ana@example.com')).id,
      1,
      minutesAfter(2),
    );
    const list = await listId('Microacq Applications');
    const items = (await client().api(`/sites/${SITE}/lists/${list}/items`).get()) as {
      value: { id: string }[];
    };
    const edited: Application = { ...a, number: 7, version: 3 };
    await client()
      .api(`/sites/${SITE}/lists/${list}/items/${items.value[0]?.id}/fields`)
      .patch(applicationFields(edited));
    await assert.rejects(store.saveApplication({ ...a, number: 1, version: 3 }, 2), (err: unknown) => {
      assert.ok(err instanceof ConcurrencyError, String(err));
      assert.equal(err.actualVersion, 3);
      return true;
    });
    assert.deepEqual(await store.getApplication(a.id), edited);
  });

  it('answers past 5,000 applications and 5,000 answers, on indexed columns only', async function () {
    this.timeout(60_000);
    const store = await open();
    const referenceOf = (i: number) => `MA-2026-${String((i % 900) + 1).padStart(4, '0')}`;
    const seeded = (i: number): Application => {
      const waiting = i >= 5_097;
      const at = minutesAfter(-10_000 + i);
      const content = applicationAt('x@example.com', 0).pending.content;
      return {
        id: `a-seed-${i}`,
        reference: referenceOf(i),
        email: `person-${i}@example.com`,
        locale: i % 2 ? 'fr' : 'en',
        createdAt: at,
        version: waiting ? 1 : 2,
        ...(waiting ? { pending: { content, token: `seed-token-${i}`, at } } : { content, confirmedAt: at }),
      };
    };
    emulation.seedItems('Microacq Applications', 5_100, (i) => applicationFields(seeded(i), {}));
    emulation.seedItems('Microacq Self-identification', 5_097, (i) =>
      selfIdentificationFields(`a-seed-${i}`, referenceOf(i), { newToGovernment: i % 3 ? 'yes' : 'no' }),
    );
    emulation.resetLog();

    // The bound counts the three waiting; an address already in changes its application.
    const fresh = await store.submitApplication(
      applicationAt('new@example.com', 1),
      { outsideNcr: 'yes' },
      4,
    );
    assert.equal(fresh.outcome, 'created');
    assert.deepEqual(await store.submitApplication(applicationAt('other@example.com', 1), {}, 4), {
      outcome: 'full',
    });
    const change = applicationAt('PERSON-900@example.com', 2);
    const changed = await store.submitApplication(change, {}, 4);
    assert.equal(changed.outcome, 'changed');
    assert.equal((await store.applicationByToken(change.pending.token))?.id, 'a-seed-900');
    assert.equal((await store.applicationByToken('seed-token-5098'))?.id, 'a-seed-5098');

    // Confirming, numbering, listing and counting an opportunity's applications, by its reference.
    const mine = fresh.outcome === 'created' ? fresh.application : assert.fail();
    const done = await store.confirmApplication(mine.id, 1, minutesAfter(3));
    assert.deepEqual(await store.saveApplication({ ...done, number: 1, version: 3 }, 2), {
      ...done,
      number: 1,
      version: 3,
    });
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.applicationsOf(OPPORTUNITY, {}, { limit: 2, ...(cursor ? { cursor } : {}) });
      all.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(all, [0, 900, 1_800, 2_700, 3_600, 4_500].map((i) => `a-seed-${i}`).concat(mine.id));
    assert.equal(
      (await store.applicationsOf(OPPORTUNITY, { confirmedOnly: true }, { limit: 100 })).items.length,
      7,
    );
    assert.deepEqual(await store.selfIdentificationCounts([OPPORTUNITY, 'MA-2026-0002']), {
      newToGovernment: { yes: 6, no: 6, unsaid: 0 },
      outsideNcr: { yes: 1, no: 0, unsaid: 0 },
      equityGroup: { yes: 0, no: 0, unsaid: 0 },
    });
    assert.equal(await store.deleteApplications(OPPORTUNITY), 7);
    assert.deepEqual((await store.applicationsOf(OPPORTUNITY, {}, { limit: 10 })).items, []);
    assert.equal((await store.selfIdentificationCounts([OPPORTUNITY])).newToGovernment.yes, 0);

    // No request was refused for passing the threshold, nor needed leave to query a column not indexed.
    assert.deepEqual(emulation.overThreshold, []);
    assert.ok(emulation.requests.every((r) => r.headers.prefer !== PREFER_NON_INDEXED));
  });
});
