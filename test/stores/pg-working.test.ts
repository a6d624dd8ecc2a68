import assert from 'node:assert/strict';
import type { Delegation } from '../../src/services/delegation';
import type { NewOutboxMessage, OpportunityStore, OutboxMessage } from '../../src/services/store';
import { composeStore } from '../../src/stores/compose';
import { PgAccess } from '../../src/stores/pg-access';
import { PgRecords, RECORDS_SCHEMA } from '../../src/stores/pg-records';
import {
  PgActivities,
  PgConversations,
  PgCoordination,
  PgDelegations,
  PgDrafts,
  PgOutbox,
  PgPreferences,
  WORKING_SCHEMA,
} from '../../src/stores/pg-working';
import { NOW } from '../contract/fixtures';
import { unimplemented } from '../support/partial-store';
import { type FreshSchema, freshSchema, requirePostgres } from '../support/postgres';

/**
 * The working state in PostgreSQL: the whole store contract (records from PgRecords, the working state
 * from these adapters), then what only a server shared by several replicas makes happen. Each replica
 * is a pool of its own on the same schema, so calls "at once" really run side by side.
 */

/** One replica's view of the store: its own pool, every port of the working state. */
interface Replica {
  readonly access: PgAccess;
  readonly store: OpportunityStore;
}

function replicaOn(fresh: FreshSchema): Replica {
  const access = PgAccess.connect({ connectionString: fresh.url, schema: fresh.schema });
  const records = new PgRecords(access);
  const store = composeStore({
    records,
    notifications: records,
    drafts: new PgDrafts(access),
    conversations: new PgConversations(access),
    preferences: new PgPreferences(access),
    delegations: new PgDelegations(access),
    outbox: new PgOutbox(access),
    activities: new PgActivities(access),
    coordination: new PgCoordination(access),
    questions: unimplemented('questions'),
    subscriptions: unimplemented('subscriptions'),
    applications: unimplemented('applications'),
    mail: unimplemented('mail'),
    mailbox: unimplemented('mailbox'),
    publications: unimplemented('publications'),
    resources: [access],
  });
  return { access, store };
}

/** Migrations 1 and 2, as pg-schema.ts runs them. */
async function migrated(fresh: FreshSchema): Promise<Replica> {
  const replica = replicaOn(fresh);
  await replica.access.query(RECORDS_SCHEMA);
  await replica.access.query(WORKING_SCHEMA);
  return replica;
}

const at = (seconds: number) => new Date(Date.parse(NOW) + seconds * 1_000).toISOString();

describe('PostgreSQL working state', function () {
  before(requirePostgres);

  describe('shared by several replicas', function () {
    let fresh: FreshSchema;
    let one: Replica;
    let two: Replica;

    beforeEach(async () => {
      fresh = await freshSchema();
      one = await migrated(fresh);
      two = replicaOn(fresh);
    });
    afterEach(async () => {
      await Promise.all([one.store.close(), two.store.close()]);
      await fresh.drop();
    });

    const message = (id: string, conversationKey: string, seconds: number): NewOutboxMessage => ({
      id,
      conversationKey,
      kind: 'post',
      activity: { type: 'message', text: `Text of ${id}` },
      createdAt: at(seconds),
    });

    /** 100 messages over 10 conversations, queued interleaved: message i goes to conversation i % 10. */
    async function hundredMessages(): Promise<void> {
      await one.store.enqueueAll(
        Array.from({ length: 100 }, (_, i) =>
          message(`m-${String(i).padStart(3, '0')}`, `user:${i % 10}`, i),
        ),
      );
    }
    const lease = (owner: string, seconds = 60) => ({ owner, until: at(100 + seconds) });
    const ids = (messages: readonly OutboxMessage[]) => messages.map((m) => m.id);
    const conversations = (messages: readonly OutboxMessage[]) =>
      new Set(messages.map((m) => m.conversationKey));

    it('gives two replicas taking due messages at once disjoint sets, no conversation split between them', async () => {
      await hundredMessages();
      const [a, b] = await Promise.all([
        one.store.dueMessages(at(100), 50, { lease: lease('replica-1') }),
        two.store.dueMessages(at(100), 50, { lease: lease('replica-2') }),
      ]);
      assert.ok(a.length + b.length > 0);
      assert.equal(new Set([...ids(a), ...ids(b)]).size, a.length + b.length, 'no message given twice');
      for (const key of conversations(a)) assert.ok(!conversations(b).has(key), `${key} split`);
      for (const taken of [a, b]) {
        // Each replica's share of a conversation is its oldest messages, in order.
        for (const key of conversations(taken)) {
          const mine = ids(taken.filter((m) => m.conversationKey === key));
          const all = Array.from({ length: 100 }, (_, i) => i)
            .filter((i) => `user:${i % 10}` === key)
            .map((i) => `m-${String(i).padStart(3, '0')}`);
          assert.deepEqual(mine, all.slice(0, mine.length));
        }
      }
      // What was leased is due to nobody until the lease passes, however it is asked for.
      assert.deepEqual(await one.store.dueMessages(at(100), 100), []);
      assert.deepEqual(await one.store.dueMessages(at(100), 100, { lease: lease('replica-3') }), []);
    });

    it('lets two replicas limited to a few conversations each take different ones at once', async () => {
      await hundredMessages();
      const [a, b] = await Promise.all([
        one.store.dueMessages(at(100), 5, { lease: lease('replica-1'), perConversation: 1 }),
        two.store.dueMessages(at(100), 5, { lease: lease('replica-2'), perConversation: 1 }),
      ]);
      assert.equal(a.length + b.length, 10, 'every conversation taken by one or the other');
      assert.equal(new Set([...conversations(a), ...conversations(b)]).size, 10);
    });

    it('sends every message once and each conversation in order when two replicas drain the outbox together', async () => {
      await hundredMessages();
      const sent: string[] = [];
      const drain = async (replica: Replica, owner: string) => {
        for (let round = 0; round < 200; round++) {
          const batch = await replica.store.dueMessages(at(100), 7, {
            lease: lease(owner),
            perConversation: 2,
          });
          if (batch.length === 0 && (await replica.store.outboxCounts()).pending === 0) return;
          for (const m of batch) {
            await replica.store.markSent(m.id);
            sent.push(m.id);
          }
        }
      };
      await Promise.all([drain(one, 'replica-1'), drain(two, 'replica-2')]);
      assert.equal(sent.length, 100);
      assert.equal(new Set(sent).size, 100, 'no message sent twice');
      for (let c = 0; c < 10; c++) {
        const order = sent.filter((id) => Number(id.slice(2)) % 10 === c);
        assert.deepEqual(order, [...order].sort(), `conversation user:${c} in order`);
      }
    });

    it('makes a message whose lease has passed due again, to any replica, its attempts unchanged', async () => {
      await one.store.enqueue(message('first', 'user:a', 0));
      await one.store.enqueue(message('second', 'user:a', 1));
      const [taken] = await one.store.dueMessages(at(10), 1, {
        lease: { owner: 'replica-1', until: at(40) },
      });
      assert.equal(taken?.id, 'first');
      // Leased, it holds back the conversation's later message, for everyone.
      assert.deepEqual(ids(await two.store.dueMessages(at(39), 10)), []);
      assert.deepEqual(ids(await two.store.dueMessages(at(39), 10, { lease: lease('replica-2') })), []);
      const retaken = await two.store.dueMessages(at(40), 10, {
        lease: { owner: 'replica-2', until: at(70) },
      });
      assert.deepEqual(ids(retaken), ['first', 'second']);
      assert.equal(retaken[0]?.attempts, 0);
      const { rows } = await one.access.query<{ lease_owner: string; lease_until: string }>(
        `SELECT lease_owner, lease_until FROM outbox WHERE id = 'first'`,
      );
      assert.deepEqual(rows, [{ lease_owner: 'replica-2', lease_until: at(70) }]);
    });

    it('ends the lease when a message is marked, and leaves a sent one sent', async () => {
      await one.store.enqueue(message('first', 'user:a', 0));
      await one.store.enqueue(message('second', 'user:a', 1));
      await one.store.dueMessages(at(10), 1, { lease: { owner: 'replica-1', until: at(40) } });
      await one.store.markRetry('first', at(20), '502');
      assert.deepEqual(ids(await two.store.dueMessages(at(20), 10)), ['first', 'second']);
      await two.store.dueMessages(at(20), 10, { lease: { owner: 'replica-2', until: at(60) } });
      await two.store.releaseMessages(['second']);
      assert.deepEqual(
        ids(await one.store.dueMessages(at(21), 10)),
        [],
        'the first, leased, holds the second back',
      );
      await two.store.markSent('first');
      assert.deepEqual(ids(await one.store.dueMessages(at(21), 10)), ['second']);
      await one.store.markRetry('first', at(30), 'late');
      const { rows } = await one.access.query(
        `SELECT state, attempts, lease_owner, lease_until FROM outbox ORDER BY created_at`,
      );
      assert.deepEqual(rows, [
        { state: 'sent', attempts: 1, lease_owner: null, lease_until: null },
        { state: 'pending', attempts: 0, lease_owner: null, lease_until: null },
      ]);
    });

    it('settles the pending notification in the same write as its messages', async () => {
      await one.store.addNotification({ reference: 'MA-2026-0001', version: 2, events: [], at: NOW });
      await assert.rejects(
        one.store.enqueueAll([message('ok', 'user:a', 0), message('', 'user:a', 0)], {
          reference: 'MA-2026-0001',
          version: 2,
        }),
        RangeError,
      );
      assert.equal(
        (await one.store.pendingNotifications(10)).length,
        1,
        'kept when the messages were not queued',
      );
      assert.deepEqual(await one.store.outboxCounts(), { pending: 0, dead: 0 });
      assert.equal(
        await one.store.enqueueAll([message('ok', 'user:a', 0)], { reference: 'MA-2026-0001', version: 2 }),
        1,
      );
      assert.deepEqual(await one.store.pendingNotifications(10), []);
    });

    it('lets exactly one of 10 replicas claiming an activity at once run it; the others wait for its answer', async () => {
      const key = 'msteams|a:chat-1|f:activity-1';
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? one : two).store.claimActivity(key, at(0), at(30)),
        ),
      );
      assert.equal(claims.filter((c) => c.kind === 'claimed').length, 1);
      assert.deepEqual(
        claims.filter((c) => c.kind !== 'claimed'),
        Array.from({ length: 9 }, () => ({ kind: 'running', until: at(30) })),
      );
      await one.store.rememberActivity({ key, response: { status: 200 }, at: at(5) });
      assert.deepEqual(await two.store.claimActivity(key, at(6), at(36)), {
        kind: 'answered',
        activity: { key, response: { status: 200 }, at: at(5) },
      });
    });

    it('lets exactly one of 10 replicas take over a claim whose time has passed', async () => {
      const key = 'msteams|a:chat-1|f:activity-2';
      assert.deepEqual(await one.store.claimActivity(key, at(0), at(30)), { kind: 'claimed' });
      assert.equal(await one.store.recallActivity(key), undefined, 'a claim is no answer');
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? one : two).store.claimActivity(key, at(31), at(61)),
        ),
      );
      assert.equal(claims.filter((c) => c.kind === 'claimed').length, 1);
      assert.equal(claims.filter((c) => c.kind === 'running' && c.until === at(61)).length, 9);
      // Forgetting before the claim passes keeps it; after, it goes.
      assert.equal(await one.store.forgetActivities(at(61)), 0);
      assert.equal(await one.store.forgetActivities(at(62)), 1);
    });

    it('gives a named lease to exactly one of 10 replicas asking at once, and to another once it has passed', async () => {
      const held = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? one : two).store.holdLease('retention', `replica-${i}`, at(0), at(60)),
        ),
      );
      assert.equal(held.filter(Boolean).length, 1);
      const owner = `replica-${held.indexOf(true)}`;
      const other = owner === 'replica-1' ? 'replica-2' : 'replica-1';
      assert.equal(await two.store.holdLease('retention', other, at(59), at(120)), false);
      assert.equal(
        await one.store.holdLease('retention', owner, at(59), at(120)),
        true,
        'renewed by its owner',
      );
      assert.equal(await two.store.holdLease('retention', other, at(119), at(180)), false);
      assert.equal(
        await two.store.holdLease('retention', other, at(120), at(180)),
        true,
        'taken over once passed',
      );
      assert.equal(await one.store.holdLease('retention', owner, at(121), at(200)), false);
      await one.store.releaseLease('retention', owner);
      assert.equal(
        await one.store.holdLease('retention', owner, at(121), at(200)),
        false,
        'not its own to release',
      );
      await two.store.releaseLease('retention', other);
      assert.equal(
        await one.store.holdLease('retention', owner, at(121), at(200)),
        true,
        'free once released',
      );
    });

    it('never lets replicas taking a rate at once exceed its window between them', async () => {
      const windows = [{ limit: 7, ms: 1_000 }];
      const waits = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? one : two).store.takeRate('conversation:x', at(0), windows),
        ),
      );
      assert.equal(waits.filter((w) => w === 0).length, 7);
      assert.ok(waits.filter((w) => w > 0).every((w) => w === 1_000));
      assert.equal(await one.store.takeRate('conversation:y', at(0), windows), 0, 'each key on its own');
      assert.equal(
        await two.store.takeRate('conversation:x', at(1), windows),
        0,
        'free again after the window',
      );
    });

    it('forgets a rate key with nothing taken since the time given, so addresses seen once are not kept', async () => {
      const windows = [{ limit: 5, ms: 3_600_000 }];
      for (let i = 0; i < 50; i++) await one.store.takeRate(`site:forms:192.0.2.${i}`, at(i), windows);
      await two.store.forgetRates(at(40));
      const { rows } = await one.access.query<{ key: string }>(
        'SELECT key FROM rate_operations ORDER BY key',
      );
      assert.deepEqual(
        rows.map((r) => r.key),
        Array.from({ length: 10 }, (_, i) => `site:forms:192.0.2.${40 + i}`),
      );
    });

    it('keeps one running delegation per delegator when two replicas save new ones at once', async () => {
      const farah = { aadObjectId: 'aad-farah', name: 'Farah Haddad' };
      const named = (id: string, delegate: string): Delegation => ({
        id,
        delegator: farah,
        delegate: { aadObjectId: `aad-${delegate}`, name: delegate },
        until: '2026-03-20',
        createdAt: NOW,
      });
      await one.store.saveDelegation(named('d-0', 'zero'));
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 === 0 ? one : two).store.saveDelegation(named(`d-${i + 1}`, `p${i}`)),
        ),
      );
      const listed = await one.store.delegationsBy('AAD-FARAH');
      assert.equal(listed.length, 7);
      assert.equal(listed.filter((d) => d.endedAt === undefined).length, 1);
      assert.deepEqual(
        listed.filter((d) => d.endedAt !== undefined).map((d) => d.endedBy),
        Array.from({ length: 6 }, () => farah),
      );
    });

    it('refuses text PostgreSQL cannot keep with RangeError, rather than as a fault of the store', async () => {
      await assert.rejects(one.store.saveMessageId('card:\u0000', 'id'), RangeError);
      await assert.rejects(
        one.store.saveDraft({ ownerId: 'alice', id: 'd\u00001', step: 'title', data: {}, updatedAt: NOW }),
        RangeError,
      );
      // Inside JSON, PostgreSQL keeps it.
      await one.store.saveConversation('user:a', { note: 'before\u0000after' });
      assert.deepEqual(await one.store.getConversation('user:a'), { note: 'before\u0000after' });
    });

    it('gives JSON back as it was given, its keys in their order', async () => {
      const reference = { z: 1, a: { y: [3, 1.5, 'é'], b: null }, m: 1e21 };
      await one.store.saveConversation('user:order', reference);
      const back = await two.store.getConversation('user:order');
      assert.equal(JSON.stringify(back), JSON.stringify(reference));
    });
  });
});
