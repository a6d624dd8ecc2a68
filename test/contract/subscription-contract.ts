import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { NewSubscription, Subscription, SubscriptionStore } from '../../src/services/subscriptions';
import { type Closable, minutesAfter } from './question-contract';

/**
 * What every SubscriptionStore adapter must do, stated through the port alone. `makeStore` gives a
 * fresh, empty store per test.
 */
export function describeSubscriptionContract(
  name: string,
  makeStore: () => Promise<SubscriptionStore & Closable>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name} (subscription contract)`, function () {
    let store: SubscriptionStore & Closable;
    let clock = 0;

    beforeEach(async () => {
      clock = 0;
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const newSubscription = (email: string, overrides: Partial<NewSubscription> = {}): NewSubscription => {
      const at = minutesAfter(++clock);
      return {
        id: `s-${randomUUID()}`,
        email,
        locale: 'en',
        token: randomBytes(32).toString('base64url'),
        createdAt: at,
        confirmationSentAt: at,
        ...overrides,
      };
    };

    async function subscribe(email: string, overrides: Partial<NewSubscription> = {}): Promise<Subscription> {
      const outcome = await store.subscribe(newSubscription(email, overrides), 100);
      assert.equal(outcome.outcome, 'created', JSON.stringify(outcome));
      return outcome.outcome === 'created' ? outcome.subscription : assert.fail();
    }

    async function confirmed(email: string): Promise<Subscription> {
      const s = await subscribe(email);
      const done = await store.confirmSubscription(s.token, minutesAfter(++clock));
      assert.ok(done?.confirmedAt);
      return done;
    }

    /** Every confirmed subscriber, page by page, and the pages' lengths. */
    async function everyone(limit: number): Promise<{ emails: string[]; pages: number[] }> {
      const emails: string[] = [];
      const pages: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.subscribers({ limit, ...(cursor ? { cursor } : {}) });
        emails.push(...page.items.map((s) => s.email));
        pages.push(page.items.length);
        cursor = page.nextCursor;
      } while (cursor && pages.length < 100);
      return { emails, pages };
    }

    describe('subscribing', () => {
      it('keeps a new subscription unconfirmed, as given', async () => {
        const input = newSubscription('ana@example.com', { locale: 'fr' });
        assert.deepEqual(await store.subscribe(input, 10), { outcome: 'created', subscription: input });
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
        assert.deepEqual((await store.subscribers({ limit: 10 })).items, []);
      });

      it('keeps the address as typed, without the spaces around it', async () => {
        const s = await subscribe('  Ana.Tremblay@Example.com ');
        assert.equal(s.email, 'Ana.Tremblay@Example.com');
      });

      it('answers with the stored subscription when the address is already on the list, whatever its case', async () => {
        const first = await subscribe('Ana@Example.com');
        const again = await store.subscribe(newSubscription('ana@EXAMPLE.COM'), 10);
        assert.deepEqual(again, { outcome: 'exists', subscription: first });
        const mine = await store.confirmSubscription(first.token, minutesAfter(100));
        assert.deepEqual(await store.subscribe(newSubscription('ANA@example.com'), 10), {
          outcome: 'exists',
          subscription: mine,
        });
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 1, unconfirmed: 0 });
      });

      it('keeps one subscription when the same address is sent twice at the same moment', async () => {
        const outcomes = await Promise.all([
          store.subscribe(newSubscription('bo@example.com'), 10),
          store.subscribe(newSubscription('BO@example.com'), 10),
        ]);
        assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['created', 'exists']);
        const [a, b] = outcomes;
        assert.ok(a && b && a.outcome !== 'full' && b.outcome !== 'full');
        assert.deepEqual(a.subscription, b.subscription);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
      });

      it('refuses a subscription that is not valid, storing nothing', async () => {
        await assert.rejects(store.subscribe(newSubscription('   '), 10), RangeError);
        await assert.rejects(
          store.subscribe(newSubscription('a@example.com', { token: '' }), 10),
          RangeError,
        );
        await assert.rejects(store.subscribe(newSubscription('a@example.com'), -1), RangeError);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 0, unconfirmed: 0 });
      });
    });

    describe('the bound on unconfirmed subscriptions', () => {
      it('stops taking subscriptions while the bound wait unconfirmed, storing nothing', async () => {
        const a = await subscribe('a@example.com');
        await subscribe('b@example.com');
        assert.deepEqual(await store.subscribe(newSubscription('c@example.com'), 2), { outcome: 'full' });
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 0, unconfirmed: 2 });
        // An address already on the list is still recognised.
        assert.equal((await store.subscribe(newSubscription('A@example.com'), 2)).outcome, 'exists');
        // A confirmation frees a place.
        await store.confirmSubscription(a.token, minutesAfter(100));
        assert.equal((await store.subscribe(newSubscription('c@example.com'), 2)).outcome, 'created');
      });

      it('lets no more through than the bound when many arrive at once', async () => {
        const outcomes = await Promise.all(
          ['a', 'b', 'c', 'd', 'e'].map((n) => store.subscribe(newSubscription(`${n}@example.com`), 3)),
        );
        assert.equal(outcomes.filter((o) => o.outcome === 'created').length, 3);
        assert.equal(outcomes.filter((o) => o.outcome === 'full').length, 2);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 0, unconfirmed: 3 });
      });
    });

    describe('confirming', () => {
      it('confirms by the token in the link; a second click keeps the first confirmation’s time', async () => {
        const s = await subscribe('ana@example.com');
        const first = await store.confirmSubscription(s.token, minutesAfter(100));
        assert.deepEqual(first, { ...s, confirmedAt: minutesAfter(100) });
        assert.deepEqual(await store.confirmSubscription(s.token, minutesAfter(200)), first);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 1, unconfirmed: 0 });
        assert.deepEqual((await store.subscribers({ limit: 10 })).items, [first]);
      });

      it('confirms nothing for a token it never gave, even one differing only in case', async () => {
        const s = await subscribe('ana@example.com', {
          token: 'Token-With-Case-0123456789abcdefghijklmnopq',
        });
        assert.equal(await store.confirmSubscription('no-such-token', minutesAfter(100)), undefined);
        assert.equal(await store.confirmSubscription(s.token.toLowerCase(), minutesAfter(100)), undefined);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 0, unconfirmed: 1 });
      });

      it('notes when the confirmation e-mail was sent again', async () => {
        const s = await subscribe('ana@example.com');
        await store.confirmationResent(s.id, minutesAfter(300));
        const again = await store.subscribe(newSubscription('ana@example.com'), 10);
        assert.deepEqual(again, {
          outcome: 'exists',
          subscription: { ...s, confirmationSentAt: minutesAfter(300) },
        });
        await assert.rejects(store.confirmationResent(`s-${randomUUID()}`, minutesAfter(300)), RangeError);
      });
    });

    describe('unsubscribing', () => {
      it('deletes the subscription: the address is found nowhere afterwards', async () => {
        const s = await confirmed('ana@example.com');
        await confirmed('bo@example.com');
        assert.deepEqual(await store.unsubscribe(s.token), s);
        assert.deepEqual((await everyone(10)).emails, ['bo@example.com']);
        assert.equal(await store.confirmSubscription(s.token, minutesAfter(500)), undefined);
        assert.equal(await store.unsubscribe(s.token), undefined);
        await assert.rejects(store.confirmationResent(s.id, minutesAfter(500)), RangeError);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 1, unconfirmed: 0 });
        // The address may subscribe again, afresh.
        const back = await store.subscribe(newSubscription('ANA@example.com'), 10);
        assert.equal(back.outcome, 'created');
      });

      it('unsubscribes nobody for a token it never gave', async () => {
        await confirmed('ana@example.com');
        assert.equal(await store.unsubscribe('no-such-token'), undefined);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 1, unconfirmed: 0 });
      });
    });

    describe('forgetting the unconfirmed', () => {
      it('deletes unconfirmed subscriptions made before a moment, and leaves confirmed and later ones', async () => {
        const old = await subscribe('old@example.com', { createdAt: minutesAfter(-60) });
        const kept = await subscribe('kept@example.com', { createdAt: minutesAfter(-50) });
        await store.confirmSubscription(kept.token, minutesAfter(-40));
        const recent = await subscribe('recent@example.com', { createdAt: minutesAfter(10) });
        assert.equal(await store.forgetUnconfirmed(minutesAfter(0)), 1);
        assert.equal(await store.confirmSubscription(old.token, minutesAfter(20)), undefined);
        assert.deepEqual((await everyone(10)).emails, ['kept@example.com']);
        assert.deepEqual(await store.subscriptionCounts(), { confirmed: 1, unconfirmed: 1 });
        assert.ok(await store.confirmSubscription(recent.token, minutesAfter(20)));
        assert.equal(await store.forgetUnconfirmed(minutesAfter(1_000)), 0);
      });
    });

    describe('listing subscribers', () => {
      it('lists confirmed subscribers only, in the order they subscribed, page by page', async () => {
        const made = [];
        for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) made.push(await subscribe(`${n}@example.com`));
        // Confirmed in another order than they subscribed in; c and f never confirm.
        for (const i of [4, 0, 6, 1, 3])
          await store.confirmSubscription(made[i]?.token ?? '', minutesAfter(200));
        const { emails, pages } = await everyone(2);
        assert.deepEqual(
          emails,
          ['a', 'b', 'd', 'e', 'g'].map((n) => `${n}@example.com`),
        );
        assert.ok(
          pages.every((n) => n <= 2),
          String(pages),
        );
        assert.ok(pages.length >= 3, String(pages));
        assert.deepEqual((await everyone(100)).pages, [5]);
      });

      it('goes on from a cursor without skipping anyone when others leave or join meanwhile', async () => {
        const made = [];
        for (const n of ['a', 'b', 'c', 'd', 'e']) made.push(await confirmed(`${n}@example.com`));
        const first = await store.subscribers({ limit: 2 });
        assert.deepEqual(
          first.items.map((s) => s.email),
          ['a@example.com', 'b@example.com'],
        );
        await store.unsubscribe(made[1]?.token ?? '');
        await store.unsubscribe(made[2]?.token ?? '');
        await confirmed('f@example.com');
        const rest: string[] = [];
        let cursor = first.nextCursor;
        while (cursor) {
          const page = await store.subscribers({ limit: 2, cursor });
          rest.push(...page.items.map((s) => s.email));
          cursor = page.nextCursor;
        }
        assert.deepEqual(rest, ['d@example.com', 'e@example.com', 'f@example.com']);
      });

      it('refuses a cursor it did not give', async () => {
        await assert.rejects(store.subscribers({ limit: 2, cursor: 'not-a-cursor' }), RangeError);
      });
    });
  });
}
