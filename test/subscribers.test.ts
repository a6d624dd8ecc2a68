import assert from 'node:assert/strict';
import { clockOf } from '../src/bot/clock';
import { createNotifier } from '../src/bot/notify';
import { parseConfig } from '../src/config';
import { createLogger } from '../src/log';
import type { WorkflowEvent } from '../src/services/lifecycle';
import { SqliteStore } from '../src/stores/sqlite-store';
import { storePosted } from './support/published';

/**
 * Posting e-mails the mailing list: every confirmed subscriber, once, in their language, with a link to
 * leave; nobody unconfirmed, nobody who left.
 */

describe('posting tells the subscribers', () => {
  let store: SqliteStore;
  const config = parseConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://opportunities.example.gc.ca' });
  const clock = clockOf(config, () => new Date('2026-03-03T15:00:00Z'));
  let mailKicks = 0;
  const notifier = () =>
    createNotifier(
      store,
      config,
      createLogger('silent'),
      () => undefined,
      clock,
      () => (mailKicks += 1),
    );

  const subscribe = async (n: number, locale: 'en' | 'fr', confirmed: boolean) => {
    const token = `${String(n).padStart(3, '0')}${'t'.repeat(40)}`;
    const outcome = await store.subscribe(
      {
        id: `s-${n}`,
        email: `person${n}@example.ca`,
        locale,
        token,
        createdAt: '2026-03-01T10:00:00.000Z',
        confirmationSentAt: '2026-03-01T10:00:00.000Z',
      },
      10_000,
    );
    assert.equal(outcome.outcome, 'created');
    if (confirmed) await store.confirmSubscription(token, '2026-03-01T10:05:00.000Z');
    return token;
  };

  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    mailKicks = 0;
  });
  afterEach(async () => store.close());

  it('e-mails each confirmed subscriber once, in their language, and nobody else', async () => {
    for (let n = 1; n <= 1_203; n++) await subscribe(n, n % 3 === 0 ? 'fr' : 'en', n % 7 !== 0);
    const gone = await subscribe(2_000, 'en', true);
    await store.unsubscribe(gone);
    const o = await storePosted(store);
    const posted: WorkflowEvent = {
      type: 'posted',
      reference: o.reference,
      at: '2026-03-03T15:00:00.000Z',
      actor: { aadObjectId: 'p', name: 'Priya' },
      from: 'in_approval',
      to: 'posted',
    };
    await notifier().notify(o, [posted]);
    // A catch-up of the same change (a retry, a restart) queues nothing more.
    await notifier().notify(o, [posted]);
    const expected = Array.from({ length: 1_203 }, (_, i) => i + 1).filter((n) => n % 7 !== 0);
    assert.equal((await store.mailCounts()).pending, expected.length);
    const due = await store.dueMail('2030-01-01T00:00:00.000Z', 1_000);
    assert.equal(new Set(due.map((m) => m.to)).size, due.length);
    assert.ok(due.every((m) => m.kind === 'new-opportunity' && m.reference === o.reference));
    const fr = due.find((m) => m.to === 'person3@example.ca');
    assert.equal(fr?.locale, 'fr');
    assert.equal(
      fr?.personalisation.url,
      `https://opportunities.example.gc.ca/fr/possibilites/${o.reference}`,
    );
    assert.match(
      fr?.personalisation.unsubscribe_url ?? '',
      /^https:\/\/opportunities\.example\.gc\.ca\/fr\/possibilites\/desabonnement\?token=003t+$/,
    );
    assert.equal(fr?.personalisation.title, 'Sélecteur de date accessible pour le formulaire de prestations');
    assert.ok(!due.some((m) => m.to === 'person2000@example.ca' || m.to === 'person7@example.ca'));
    assert.ok(mailKicks >= 1);
  });

  it('e-mails nobody for any other change', async () => {
    await subscribe(1, 'en', true);
    const o = await storePosted(store);
    await notifier().notify(o, [
      {
        type: 'applications_extended',
        reference: o.reference,
        at: '2026-03-04T15:00:00.000Z',
        actor: { aadObjectId: 'p', name: 'Priya' },
        from: 'posted',
        to: 'posted',
      },
    ]);
    assert.equal((await store.dueMail('2030-01-01T00:00:00.000Z', 10)).length, 0);
  });
});
