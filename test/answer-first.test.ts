import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockOf } from '../src/bot/clock';
import { createNotifier } from '../src/bot/notify';
import { parseConfig } from '../src/config';
import { createLogger } from '../src/log';
import type { Store } from '../src/services/store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { actor, newOpportunity, submittedAudit } from './contract/fixtures';
import { find, type Card } from './support/cards';
import { replacing } from './support/partial-store';
import {
  activity,
  cardAction,
  cardOf,
  CHECKED,
  Connector,
  PEOPLE,
  post,
  type Sent,
  startTestBot,
  type TestBot,
  textOf,
} from './support/teams';

/**
 * A click is answered before the messages it causes are built: its card comes back at once, the teams'
 * cards and the requester's line are queued from the change's pending notification after the answer, and
 * a team's card is built when it leaves, showing the request as it is then.
 */

const NOW = '2026-03-02T14:00:00.000Z';

/** The store with its outbox writes held until `open()` is called: the messages of a change wait. */
function heldOutbox(store: Store) {
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const wrapped = replacing(store, 'enqueueAll', (enqueueAll) => async (messages, settles) => {
    held++;
    await gate;
    return enqueueAll(messages, settles);
  });
  return {
    store: wrapped,
    held: () => held,
    open: () => open(),
    close: () => {
      held = 0;
      gate = new Promise<void>((resolve) => (open = resolve));
    },
  };
}

describe('a decision is answered first and told after', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;
  let outbox: ReturnType<typeof heldOutbox>;
  let reference: string;

  const channel = (name: string) => ({
    serviceUrl: connector.url,
    from: PEOPLE.procurement,
    conversationType: 'channel' as const,
    channel: name,
  });
  const sentTo = (name: string): Sent[] =>
    connector.sent.filter((s) =>
      decodeURIComponent(s.path).startsWith(`/v3/conversations/19:${name}@thread`),
    );

  beforeEach(async () => {
    connector = await Connector.start();
    const config = parseConfig({
      LOG_LEVEL: 'silent',
      SQLITE_PATH: join(mkdtempSync(join(tmpdir(), 'microacq-first-')), 'bot.db'),
    });
    const store = SqliteStore.open(config.store.sqlitePath);
    const requester = actor('aad-requester', 'Riley Tremblay');
    const submitted = newOpportunity({ at: NOW, requester });
    const record = await store.create(submitted, submittedAudit(submitted), 'first');
    reference = record.reference;
    outbox = heldOutbox(store);
    bot = await startTestBot({}, { now: () => new Date(NOW), background: false }, { store: outbox.store });
    outbox.open();
    for (const name of ['procurement', 'finance', 'union', 'updates']) {
      const res = await post(bot, activity('message', channel(name), { text: `register ${name}` }));
      assert.equal(res.status, 200);
    }
    await bot.server.tick();
    outbox.close();
  });

  afterEach(async () => {
    outbox.open();
    await bot.server.stop();
    await connector.close();
  });

  const goClick = () =>
    post(
      bot,
      cardAction(channel('procurement'), 'decide', {
        reference,
        version: 1,
        action: 'vet_go',
        ...CHECKED,
      }),
    );

  it("answers the click with the request's new card while its messages are still being queued", async () => {
    const told = sentTo('finance').length;
    const res = await goClick();
    assert.equal(res.status, 200);
    const answer = ((await res.json()) as { value: Card }).value;
    assert.match(textOf(answer), /Done: Go\./);
    assert.equal(outbox.held(), 1, "the change's messages were being queued when the click was answered");
    assert.equal(sentTo('finance').length, told, 'nothing told yet');
    assert.equal((await bot.store.get(reference))?.status, 'in_approval', 'the decision itself is saved');

    outbox.open();
    await bot.server.tick();
    assert.match(textOf(cardOf(sentTo('finance').at(-1))), new RegExp(`${reference} · in approval`));
    assert.match(textOf(cardOf(sentTo('union').at(-1))), /Raise a concern/);
    assert.match(textOf(cardOf(sentTo('updates').at(-1))), /vetted/);
  });

  it("builds a team's card when it leaves, so it shows the request as it is then", async () => {
    outbox.open();
    // Go, then a cancellation before any message has left: the finance card queued by Go leaves after.
    assert.equal((await goClick()).status, 200);
    const financeBefore = sentTo('finance').length;
    const res = await post(
      bot,
      cardAction(channel('procurement'), 'decide', {
        reference,
        version: 2,
        action: 'cancel',
        'cancel.reason': 'Funds withdrawn',
      }),
    );
    assert.equal(res.status, 200);
    assert.equal((await bot.store.get(reference))?.status, 'cancelled');
    await bot.server.tick();
    const updates = sentTo('finance').slice(financeBefore);
    assert.ok(updates.length > 0, 'the finance card is posted');
    for (const sent of updates) {
      assert.match(textOf(cardOf(sent)), new RegExp(`${reference} · cancelled`));
      assert.deepEqual(
        find(cardOf(sent), (n) => n.verb === 'decide'),
        [],
        'no button is left on a cancelled request',
      );
    }
  });

  it("past its bound, leaves a change's messages to the clock's catch-up rather than hold them in memory", async () => {
    const config = parseConfig({ LOG_LEVEL: 'silent' });
    const clock = clockOf(config, () => new Date(NOW));
    let kicks = 0;
    const notifier = createNotifier(
      outbox.store,
      config,
      createLogger('silent'),
      () => (kicks += 1),
      clock,
      undefined,
      undefined,
      2,
    );
    const o = await bot.store.get(reference);
    assert.ok(o);
    const submitted = [
      { type: 'submitted', at: NOW, actor: o.requester, from: 'draft', to: 'submitted', reference },
    ] as const;
    for (let i = 0; i < 3; i++) notifier.later(o, submitted);
    await new Promise((resolve) => setImmediate(resolve));
    outbox.open();
    await notifier.idle();
    assert.equal(outbox.held(), 2, 'two were relayed; the third was left');
    assert.equal(kicks, 2);
  });
  it('leaves to the relay a change it holds, so the catch-up does not queue it a second time', async () => {
    const config = parseConfig({ LOG_LEVEL: 'silent' });
    const notifier = createNotifier(
      outbox.store,
      config,
      createLogger('silent'),
      () => undefined,
      clockOf(config, () => new Date(NOW)),
    );
    // A Go: the bot's own relay now holds the change, waiting on the outbox.
    assert.equal((await goClick()).status, 200);
    while (outbox.held() < 1) await new Promise((resolve) => setImmediate(resolve));
    const pending = (await bot.store.pendingNotifications(100)).find((p) => p.reference === reference);
    assert.ok(pending, 'the change waits for its messages');
    const o = await bot.store.get(reference);
    assert.ok(o && o.version === pending.version);
    notifier.later(o, pending.events);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(outbox.held(), 2, 'this relay is queuing the change too');
    const caught = await Promise.race([
      notifier.catchUp(),
      new Promise((resolve) => setTimeout(() => resolve('queued it again'), 2_000)),
    ]);
    assert.equal(caught, 0);
    assert.equal(outbox.held(), 2, 'nothing queued it again');
    outbox.open();
    await notifier.idle();
  });
});
