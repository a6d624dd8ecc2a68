import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { NewMail } from '../../src/services/mail';
import type { NewQuestion, QuestionLimits } from '../../src/services/questions';
import { type Store, StoreUnavailableError } from '../../src/services/store';
import type { NewSubscription } from '../../src/services/subscriptions';
import { composeStore } from '../../src/stores/compose';
import { PgAccess } from '../../src/stores/pg-access';
import {
  PgApplications,
  PgMailbox,
  PgMailQueue,
  PgPublicationLog,
  PgQuestions,
  PgSubscriptions,
  SITE_SCHEMA,
} from '../../src/stores/pg-site';
import { applicationAt, describeApplicationContract, OPPORTUNITY } from '../contract/application-contract';
import { describeMailContract } from '../contract/mail-contract';
import { describePublicationLogContract } from '../contract/publication-log-contract';
import { describeQuestionContract, minutesAfter } from '../contract/question-contract';
import { describeSubscriptionContract } from '../contract/subscription-contract';
import { unimplemented } from '../support/partial-store';
import { type FreshSchema, freshSchema, requirePostgres } from '../support/postgres';

/**
 * The public site, the e-mail queue, the local mailbox and the publication log in PostgreSQL: their
 * contracts, then what only a server shared by several replicas makes happen — submissions racing for
 * one address or the last places under a bound, each replica on its own connection pool.
 */

/** A connection to a migrated schema: one replica of the bot. */
async function replicaOf(
  fresh: FreshSchema,
  options: { statementTimeoutMs?: number } = {},
): Promise<PgAccess> {
  return PgAccess.connect({ connectionString: fresh.url, schema: fresh.schema, poolSize: 12, ...options });
}

/** The site's ports on one connection, every other port refusing to be called. */
function siteStore(access: PgAccess): Store {
  return composeStore({
    records: unimplemented('records'),
    notifications: unimplemented('notifications'),
    drafts: unimplemented('drafts'),
    conversations: unimplemented('conversations'),
    preferences: unimplemented('preferences'),
    delegations: unimplemented('delegations'),
    outbox: unimplemented('outbox'),
    activities: unimplemented('activities'),
    coordination: unimplemented('coordination'),
    questions: new PgQuestions(access),
    subscriptions: new PgSubscriptions(access),
    applications: new PgApplications(access),
    mail: new PgMailQueue(access),
    mailbox: new PgMailbox(access),
    publications: new PgPublicationLog(access),
    resources: [access],
  });
}

describe('PostgreSQL public site', function () {
  before(requirePostgres);

  describe('against the contracts', function () {
    let schema: FreshSchema | undefined;
    const open = async (): Promise<Store> => {
      schema = await freshSchema();
      const access = await replicaOf(schema);
      await access.query(SITE_SCHEMA);
      return siteStore(access);
    };
    const drop = async (): Promise<void> => {
      await schema?.drop();
      schema = undefined;
    };
    describeQuestionContract('PgQuestions', open, drop);
    describeSubscriptionContract('PgSubscriptions', open, drop);
    describeApplicationContract('PgApplications', open, drop);
    describeMailContract('PgMailQueue and PgMailbox', open, drop);
    describePublicationLogContract('PgPublicationLog', open, drop);
  });

  describe('shared by several replicas', function () {
    this.timeout(60_000);
    let fresh: FreshSchema;
    const opened: PgAccess[] = [];
    /** `n` replicas on the one migrated schema. */
    const replicas = async (n: number, options: { statementTimeoutMs?: number } = {}): Promise<Store[]> => {
      const stores: Store[] = [];
      for (let i = 0; i < n; i++) {
        const access = await replicaOf(fresh, options);
        opened.push(access);
        stores.push(siteStore(access));
      }
      return stores;
    };
    /** The store of the replica that takes the `i`th of many calls. */
    const turn = (stores: readonly Store[], i: number): Store => stores[i % stores.length] ?? assert.fail();

    const question = (overrides: Partial<NewQuestion> = {}): NewQuestion => ({
      id: `q-${randomUUID()}`,
      reference: OPPORTUNITY,
      locale: 'en',
      text: 'Is the code public?',
      email: 'asker@example.com',
      askedAt: minutesAfter(1),
      ...overrides,
    });
    const subscription = (email: string): NewSubscription => ({
      id: `s-${randomUUID()}`,
      email,
      locale: 'en',
      token: randomBytes(32).toString('base64url'),
      createdAt: minutesAfter(1),
      confirmationSentAt: minutesAfter(1),
    });
    const mail = (id: string, to = 'ana@example.com'): NewMail => ({
      id,
      kind: 'question-answered',
      locale: 'fr',
      to,
      personalisation: { answer: 'Oui, sur GitHub.' },
      createdAt: minutesAfter(2),
    });

    beforeEach(async () => {
      fresh = await freshSchema();
      const access = await replicaOf(fresh);
      try {
        await access.query(SITE_SCHEMA);
      } finally {
        await access.close();
      }
    });
    afterEach(async () => {
      for (const access of opened.splice(0)) await access.close();
      await fresh.drop();
    });

    it('keeps one application when ten submissions from one address reach several replicas at once', async () => {
      const stores = await replicas(3);
      const submissions = Array.from({ length: 10 }, (_, i) =>
        applicationAt(i % 2 === 0 ? 'Ana@Example.com' : 'ana@EXAMPLE.com', 1 + i),
      );
      const outcomes = await Promise.all(
        submissions.map((a, i) => turn(stores, i).submitApplication(a, { outsideNcr: 'yes' }, 100)),
      );
      assert.deepEqual(outcomes.map((o) => o.outcome).sort(), [
        ...Array<string>(9).fill('changed'),
        'created',
      ]);
      const [only, ...others] = (await turn(stores, 0).applicationsOf(OPPORTUNITY, {}, { limit: 10 })).items;
      assert.deepEqual(others, []);
      assert.equal(only?.version, 10);
      // The change stored last holds the one link that works; every other link was replaced.
      const working = await Promise.all(
        submissions.map((a) => turn(stores, 0).applicationByToken(a.pending.token)),
      );
      assert.deepEqual(
        working.filter((a) => a !== undefined).map((a) => a.id),
        [only?.id],
      );
    });

    it('lets replicas racing for the last places store no more new applications than the bound', async () => {
      const stores = await replicas(3);
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          turn(stores, i).submitApplication(applicationAt(`person-${i}@example.com`, 1 + i), {}, 5),
        ),
      );
      assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 5);
      assert.equal(outcomes.filter((o) => o.outcome === 'full').length, 7);
      assert.equal((await turn(stores, 0).applicationsOf(OPPORTUNITY, {}, { limit: 100 })).items.length, 5);
    });

    it('lets no more questions wait on a request than its bound when replicas take many at once', async () => {
      const stores = await replicas(3);
      const limits: QuestionLimits = { perOpportunity: 4, total: 100 };
      const outcomes = await Promise.all(
        Array.from({ length: 15 }, (_, i) => turn(stores, i).askQuestion(question(), limits)),
      );
      assert.equal(outcomes.filter((o) => o.ok).length, 4);
      assert.deepEqual(
        outcomes.filter((o) => !o.ok),
        Array.from({ length: 11 }, () => ({ ok: false, full: 'opportunity' })),
      );
      assert.equal((await turn(stores, 0).questionsOf(OPPORTUNITY, ['asked'])).length, 4);
    });

    it('lets no more questions wait in all than the total bound when replicas take many at once', async () => {
      const stores = await replicas(3);
      const limits: QuestionLimits = { perOpportunity: 10, total: 6 };
      const outcomes = await Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          turn(stores, i).askQuestion(
            question({ reference: `MA-2026-${String(i).padStart(4, '0')}` }),
            limits,
          ),
        ),
      );
      assert.equal(outcomes.filter((o) => o.ok).length, 6);
      assert.ok(outcomes.every((o) => o.ok || o.full === 'total'));
    });

    it('stores a question sent to several replicas at once once', async () => {
      const stores = await replicas(3);
      const same = question();
      const outcomes = await Promise.all(
        stores.map((s) => s.askQuestion(same, { perOpportunity: 5, total: 5 })),
      );
      assert.ok(outcomes.every((o) => o.ok));
      assert.equal((await turn(stores, 0).questionsOf(OPPORTUNITY)).length, 1);
    });

    it('keeps one subscription when replicas take the same address at once, whatever its case', async () => {
      const stores = await replicas(3);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          turn(stores, i).subscribe(subscription(i % 2 === 0 ? 'Bo@example.com' : 'bo@EXAMPLE.com'), 100),
        ),
      );
      assert.deepEqual(outcomes.map((o) => o.outcome).sort(), [
        'created',
        ...Array<string>(9).fill('exists'),
      ]);
      const kept = outcomes.map((o) => (o.outcome === 'full' ? assert.fail() : o.subscription));
      assert.ok(kept.every((s) => s.id === kept[0]?.id));
      assert.deepEqual(await turn(stores, 0).subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
    });

    it('lets replicas racing for the last places store no more unconfirmed subscriptions than the bound', async () => {
      const stores = await replicas(3);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => turn(stores, i).subscribe(subscription(`p${i}@example.com`), 4)),
      );
      assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 4);
      assert.deepEqual(await turn(stores, 0).subscriptionCounts(), { confirmed: 0, unconfirmed: 4 });
    });

    it('confirms a subscription once when its link reaches two replicas at once, keeping the first time', async () => {
      const [a, b] = await replicas(2);
      assert.ok(a && b);
      const created = await a.subscribe(subscription('ana@example.com'), 5);
      const token = created.outcome === 'created' ? created.subscription.token : assert.fail();
      const [first, second] = await Promise.all([
        a.confirmSubscription(token, minutesAfter(10)),
        b.confirmSubscription(token, minutesAfter(20)),
      ]);
      assert.ok(first?.confirmedAt);
      assert.deepEqual(first, second);
      assert.deepEqual((await a.subscribers({ limit: 10 })).items, [first]);
    });

    it('numbers e-mails given up at once by several replicas apart, the latest first', async () => {
      const stores = await replicas(3);
      const ids = Array.from({ length: 9 }, (_, i) => `m-${i}`);
      await turn(stores, 0).queueMail(ids.map((id) => mail(id)));
      await Promise.all(ids.map((id, i) => turn(stores, i).markMailDead(id, '400')));
      const dead = await turn(stores, 0).deadMail(100);
      assert.deepEqual(dead.map((m) => m.id).sort(), [...ids].sort());
      const access = opened[0] ?? assert.fail();
      const numbers = await access.rows<{ id: string; given_up: string }>(
        'SELECT id, given_up FROM mail ORDER BY given_up DESC',
      );
      assert.equal(new Set(numbers.map((n) => n.given_up)).size, 9);
      assert.deepEqual(
        dead.map((m) => m.id),
        numbers.map((n) => n.id),
      );
      assert.deepEqual(await turn(stores, 0).mailCounts(), { pending: 0, dead: 9, sent: 0 });
    });

    it('queues an id met twice in one batch once, the first of the two', async () => {
      const [store] = await replicas(1);
      assert.ok(store);
      assert.equal(
        await store.queueMail([mail('a', 'first@example.com'), mail('a', 'second@example.com')]),
        1,
      );
      assert.deepEqual(
        (await store.dueMail(minutesAfter(100), 10)).map((m) => m.to),
        ['first@example.com'],
      );
    });

    it('gives back exactly what was typed, including characters jsonb would refuse', async () => {
      const [store] = await replicas(1);
      assert.ok(store);
      const text = 'Nul\u0000 here, a lone \ud800 there, « guillemets » and 🙂';
      const asked = await store.askQuestion(question({ text }), { perOpportunity: 5, total: 5 });
      assert.ok(asked.ok);
      assert.equal((await store.getQuestion(asked.question.id))?.text, text);
      const applied = await store.submitApplication(
        applicationAt('ana@example.com', 1, {}, { answer: text }),
        {},
        5,
      );
      const a = applied.outcome === 'created' ? applied.application : assert.fail();
      assert.equal((await store.getApplication(a.id))?.pending?.content.answer, text);
      await store.queueMail([{ ...mail('nul'), personalisation: { answer: text } }]);
      assert.equal((await store.dueMail(minutesAfter(100), 10))[0]?.personalisation.answer, text);
    });

    it('refuses text no PostgreSQL column can hold as the caller’s mistake, storing nothing', async () => {
      const [store] = await replicas(1);
      assert.ok(store);
      await assert.rejects(
        store.deliverLocally({
          id: 'local-1',
          kind: 'subscription-confirm',
          locale: 'en',
          to: 'ana@example.com',
          subject: 'Confirm',
          body: 'Nul\u0000',
          deliveredAt: minutesAfter(5),
        }),
        RangeError,
      );
      assert.deepEqual(await store.mailbox(10), []);
    });

    it('keeps everything across a restart of every replica', async () => {
      const [first] = await replicas(1);
      assert.ok(first);
      const asked = await first.askQuestion(question(), { perOpportunity: 5, total: 5 });
      assert.ok(asked.ok);
      const sub = await first.subscribe(subscription('ana@example.com'), 5);
      const confirmed =
        sub.outcome === 'created'
          ? await first.confirmSubscription(sub.subscription.token, minutesAfter(3))
          : undefined;
      await first.queueMail([mail('waiting'), mail('sent')]);
      await first.markMailSent('sent', minutesAfter(4), 'notify-1');
      await first.notePublished('github-pages', OPPORTUNITY, 'sha256:abc', minutesAfter(6));
      const applied = await first.submitApplication(
        applicationAt('bo@example.com', 1),
        { equityGroup: 'no' },
        5,
      );
      const a = applied.outcome === 'created' ? applied.application : assert.fail();
      const done = await first.confirmApplication(a.id, 1, minutesAfter(7));
      for (const access of opened.splice(0)) await access.close();

      const [second] = await replicas(1);
      assert.ok(second);
      assert.deepEqual(await second.getQuestion(asked.question.id), asked.question);
      assert.deepEqual((await second.subscribers({ limit: 10 })).items, [confirmed]);
      assert.deepEqual(await second.mailCounts(), { pending: 1, dead: 0, sent: 1 });
      assert.equal(await second.lastPublished('github-pages', OPPORTUNITY), 'sha256:abc');
      assert.deepEqual(await second.getApplication(a.id), done);
      assert.equal((await second.selfIdentificationCounts([OPPORTUNITY])).equityGroup.no, 1);
    });

    it('keeps no address in a queued e-mail once it is sent or given up', async () => {
      const [store] = await replicas(1);
      assert.ok(store);
      await store.queueMail([mail('sent', 'sent-to@example.com'), mail('dead', 'dead-to@example.com')]);
      await store.markMailSent('sent', minutesAfter(3), 'notify-1');
      await store.markMailDead('dead', '400');
      const access = opened[0] ?? assert.fail();
      assert.deepEqual(
        await access.rows(
          'SELECT id, recipient, recipient_key, personalisation::text AS personalisation, state FROM mail ORDER BY id',
        ),
        [
          { id: 'dead', recipient: '', recipient_key: '', personalisation: '{}', state: 'dead' },
          { id: 'sent', recipient: '', recipient_key: '', personalisation: '{}', state: 'sent' },
        ],
      );
    });

    it('fails loudly, naming the record, when a stored question or application is corrupt', async () => {
      const [store] = await replicas(1);
      assert.ok(store);
      const access = opened[0] ?? assert.fail();
      const asked = await store.askQuestion(question(), { perOpportunity: 5, total: 5 });
      assert.ok(asked.ok);
      const applied = await store.submitApplication(applicationAt('ana@example.com', 1), {}, 5);
      const a = applied.outcome === 'created' ? applied.application : assert.fail();
      await access.query(`UPDATE questions SET data = jsonb_set(data::jsonb, '{state}', '"lost"')::json`);
      await access.query(
        `UPDATE applications SET data = jsonb_set(data::jsonb, '{pending,content,kind}', '"company"')::json`,
      );
      const names = (id: string) => (err: unknown) => {
        assert.ok(!(err instanceof StoreUnavailableError));
        assert.ok(err instanceof Error && err.message.includes(id), String(err));
        return true;
      };
      await assert.rejects(store.getQuestion(asked.question.id), names(asked.question.id));
      await assert.rejects(store.getApplication(a.id), names(a.id));
      await assert.rejects(store.applicationsOf(OPPORTUNITY, {}, { limit: 10 }), names(a.id));
    });

    it('reports a bound held too long by another transaction as unavailable, then takes questions again', async () => {
      const [store] = await replicas(1, { statementTimeoutMs: 300 });
      assert.ok(store);
      const blocker = await replicaOf(fresh);
      opened.push(blocker);
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked: () => void = () => undefined;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = blocker.tx('hold the bound', async (db) => {
        await db.query(`SELECT name FROM site_bounds WHERE name = 'questions' FOR UPDATE`);
        locked();
        await held;
      });
      await isLocked;
      try {
        await assert.rejects(
          store.askQuestion(question(), { perOpportunity: 5, total: 5 }),
          (err: unknown) => err instanceof StoreUnavailableError,
        );
      } finally {
        release();
        await holding;
      }
      assert.ok((await store.askQuestion(question(), { perOpportunity: 5, total: 5 })).ok);
    });

    it('reports a server it cannot reach as unavailable', async () => {
      const access = PgAccess.connect({
        connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
        connectTimeoutMs: 1_000,
      });
      opened.push(access);
      const store = siteStore(access);
      await assert.rejects(
        store.askQuestion(question(), { perOpportunity: 5, total: 5 }),
        StoreUnavailableError,
      );
      await assert.rejects(store.subscribe(subscription('a@example.com'), 5), StoreUnavailableError);
      await assert.rejects(store.queueMail([mail('a')]), StoreUnavailableError);
      await assert.rejects(store.mailbox(10), StoreUnavailableError);
    });
  });
});
