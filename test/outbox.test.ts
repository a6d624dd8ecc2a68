import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudAdapter } from 'botbuilder';
import {
  backoffMs,
  classifySendError,
  describeSendError,
  OutboxSender,
  type OutboxSenderOptions,
  RateLimiter,
  TEAMS_RATE_LIMITS,
} from '../src/bot/outbox';
import { createAdapter } from '../src/bot/adapter';
import { parseConfig } from '../src/config';
import { createLogger } from '../src/log';
import type { NewOutboxMessage } from '../src/services/store';
import { SqliteStore } from '../src/stores/sqlite-store';
import { Connector, type Sent } from './support/teams';

/** A RestError as botbuilder throws it, reduced to what the classifier reads. */
function restError(status: number | undefined, code?: string, headers: Record<string, string> = {}) {
  const err = Object.assign(new Error(`failed with ${status}`), {
    name: 'RestError',
    ...(status !== undefined ? { statusCode: status } : {}),
    ...(code !== undefined ? { code } : {}),
  });
  Object.defineProperty(err, 'response', { value: { status, headers: new Headers(headers) } });
  return err;
}

describe('outbox: classifying failed sends', () => {
  const classify = (err: unknown, operation: 'post' | 'update' = 'post', failedAttempts = 1) =>
    classifySendError(err, { operation, failedAttempts, nowMs: 0, random: () => 0.5 });

  it('drops the conversation when the bot is no longer in its roster', () => {
    assert.equal(classify(restError(403, 'BotNotInConversationRoster')).action, 'drop-conversation');
    assert.equal(
      classify(restError(403, 'BotNotInConversationRoster'), 'update').action,
      'drop-conversation',
    );
    assert.equal(classify(restError(403, 'ConversationBlockedByUser')).action, 'dead');
  });

  it('posts afresh when the message to update is gone, and only for an update', () => {
    assert.equal(classify(restError(404, 'ActivityNotFoundInConversation'), 'update').action, 'post-instead');
    assert.equal(classify(restError(404), 'update').action, 'post-instead');
    assert.equal(classify(restError(400, 'ActivityNotFoundInConversation'), 'update').action, 'post-instead');
    assert.equal(classify(restError(404, 'ConversationNotFound')).action, 'dead');
  });

  it('honours Retry-After in seconds, as a date, or in milliseconds', () => {
    assert.deepEqual(classify(restError(429, undefined, { 'Retry-After': '7' })), {
      action: 'retry',
      delayMs: 7_000,
      reason: '429 failed with 429',
    });
    const date = classifySendError(
      restError(429, undefined, { 'retry-after': new Date(90_000).toUTCString() }),
      {
        operation: 'post',
        failedAttempts: 1,
        nowMs: 30_000,
      },
    );
    assert.equal(date.action === 'retry' && date.delayMs, 60_000);
    const ms = classify(restError(503, undefined, { 'retry-after-ms': '250' }));
    assert.equal(ms.action === 'retry' && ms.delayMs, 250);
    const zero = classify(restError(429, undefined, { 'Retry-After': '0' }));
    assert.equal(zero.action === 'retry' && zero.delayMs, 0);
  });

  it('retries 408, 412, 429, 500, 502, 503, 504 and failures with no answer, with backoff', () => {
    for (const status of [408, 412, 429, 500, 502, 503, 504]) {
      const decision = classify(restError(status), 'post', 3);
      assert.equal(decision.action, 'retry', String(status));
      assert.equal(
        decision.action === 'retry' && decision.delayMs,
        backoffMs(3, undefined, () => 0.5),
      );
    }
    assert.equal(classify(restError(undefined, 'ECONNRESET')).action, 'retry');
    assert.equal(classify(new Error('token endpoint unreachable')).action, 'retry');
  });

  it('gives up at once on any other status', () => {
    for (const status of [400, 401, 403, 404, 405, 413, 501, 505]) {
      assert.equal(classify(restError(status)).action, 'dead', String(status));
    }
  });

  it('reads status, body code and Retry-After from the error', () => {
    const err = restError(429, undefined, { 'Retry-After': '2' });
    Object.assign(err, { details: { error: { code: 'Throttled' } } });
    assert.deepEqual(describeSendError(err), {
      status: 429,
      code: 'Throttled',
      retryAfterMs: 2_000,
      message: 'failed with 429',
    });
    assert.deepEqual(describeSendError('odd'), { message: 'odd' });
  });

  it('backs off exponentially from 1 s to 10 min, with jitter in the upper half', () => {
    const cases: [failed: number, random: number, delayMs: number][] = [
      [1, 0, 500],
      [1, 1, 1_000],
      [2, 1, 2_000],
      [5, 1, 16_000],
      [10, 1, 512_000],
      [11, 1, 600_000],
      [40, 0, 300_000],
    ];
    for (const [failed, random, delayMs] of cases) {
      assert.equal(
        backoffMs(failed, undefined, () => random),
        delayMs,
        `attempt ${failed}, random ${random}`,
      );
    }
    const spread = new Set(Array.from({ length: 20 }, () => backoffMs(4)));
    assert.ok(spread.size > 1);
    for (const delay of spread) assert.ok(delay >= 4_000 && delay <= 8_000, String(delay));
  });
});

describe('outbox: rate windows', () => {
  it('lets 7 operations through in a second, then says when the next one fits', () => {
    const limiter = new RateLimiter(TEAMS_RATE_LIMITS.perConversation);
    for (let i = 0; i < 7; i++) {
      assert.equal(limiter.waitMs('a', 1_000 + i), 0);
      limiter.record('a', 1_000 + i);
    }
    assert.equal(limiter.waitMs('a', 1_010), 990);
    assert.equal(limiter.waitMs('b', 1_010), 0);
    // After the first second only one more fits the two-second window.
    limiter.record('a', 2_000);
    assert.equal(limiter.waitMs('a', 2_001), 999);
    assert.equal(limiter.waitMs('a', 3_000), 0);
  });
});

const START = Date.parse('2026-03-02T14:00:00.000Z');
const FINANCE = '19:finance@thread.tacv2';
const ALICE = 'a:chat-alice';

describe('OutboxSender over HTTP', function () {
  let connector: Connector;
  let dir: string;
  let file: string;
  let store: SqliteStore;
  let adapter: CloudAdapter;
  let clock: number;
  let senders: OutboxSender[];
  const log = createLogger('silent');

  const sender = (options: Partial<OutboxSenderOptions> = {}) => {
    const created = new OutboxSender({
      store,
      adapter,
      appId: '',
      log,
      now: () => new Date(clock),
      random: () => 0.5,
      ...options,
    });
    senders.push(created);
    return created;
  };
  const reference = (conversationId: string) => ({
    activityId: 'activity-1',
    user: { id: '29:requester', name: 'Riley Tremblay', aadObjectId: 'aad-requester' },
    bot: { id: '28:bot', name: 'Microacq' },
    conversation: {
      id: conversationId,
      name: '',
      isGroup: true,
      conversationType: 'channel',
      tenantId: 'tenant-1',
    },
    channelId: 'msteams',
    locale: 'en-US',
    serviceUrl: connector.url,
  });
  const queue = (id: string, overrides: Partial<NewOutboxMessage> = {}) =>
    store.enqueue({
      id,
      conversationKey: 'channel:finance',
      kind: 'post',
      activity: { type: 'message', text: id },
      createdAt: new Date(clock).toISOString(),
      ...overrides,
    });
  const conversationOf = (sent: Sent) => decodeURIComponent(sent.path.split('/')[3] ?? '');
  const texts = (sent: readonly Sent[]) => sent.map((s) => s.body.text);

  beforeEach(async () => {
    connector = await Connector.start();
    dir = mkdtempSync(join(tmpdir(), 'microacq-outbox-'));
    file = join(dir, 'outbox.db');
    store = SqliteStore.open(file);
    const config = parseConfig({ SQLITE_PATH: file, LOG_LEVEL: 'silent' });
    adapter = createAdapter(config, log);
    clock = START;
    senders = [];
    await store.saveConversation('channel:finance', reference(FINANCE));
    await store.saveConversation('user:alice', reference(ALICE));
  });
  afterEach(async () => {
    for (const s of senders) await s.stop();
    await store.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a queued post and remembers its id', async () => {
    await queue('post:MA-2026-0001:finance:v1', { messageKey: 'card:MA-2026-0001:finance' });
    assert.equal(await sender().drainOnce(), 1);
    const [sent] = connector.sent;
    assert.equal(connector.sent.length, 1);
    assert.equal(sent?.method, 'POST');
    assert.equal(conversationOf(sent as Sent), FINANCE);
    assert.deepEqual([sent?.body.type, sent?.body.text], ['message', 'post:MA-2026-0001:finance:v1']);
    assert.equal(await store.getMessageId('card:MA-2026-0001:finance'), 'sent-1');
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
    assert.equal(await sender().drainOnce(), 0);
    assert.equal(connector.sent.length, 1);
  });

  it('updates the posted message in place', async () => {
    const outbox = sender();
    await queue('post:v1', { messageKey: 'card:1', activity: { text: 'Version 1' } });
    await outbox.drainOnce();
    await queue('update:v2', { kind: 'update', messageKey: 'card:1', activity: { text: 'Version 2' } });
    assert.equal(await outbox.drainOnce(), 1);
    const update = connector.sent[1];
    assert.equal(update?.method, 'PUT');
    assert.match(update?.path ?? '', /\/v3\/conversations\/[^/]+\/activities\/sent-1$/);
    assert.deepEqual(
      [update?.body.id, update?.body.type, update?.body.text],
      ['sent-1', 'message', 'Version 2'],
    );
    assert.equal(await store.getMessageId('card:1'), 'sent-1');
  });

  it('posts afresh when the message to update is gone', async () => {
    await store.saveMessageId('card:1', 'deleted-message');
    connector.script({
      method: 'PUT',
      status: 404,
      body: { error: { code: 'ActivityNotFoundInConversation', message: 'Activity not found.' } },
    });
    await queue('update:v2', { kind: 'update', messageKey: 'card:1', activity: { text: 'Version 2' } });
    assert.equal(await sender().drainOnce(), 1);
    assert.deepEqual(
      connector.sent.map((s) => [s.method, s.status]),
      [
        ['PUT', 404],
        ['POST', 200],
      ],
    );
    assert.equal(connector.sent[1]?.body.text, 'Version 2');
    assert.equal(await store.getMessageId('card:1'), 'sent-2');
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
  });

  it('skips an update whose message was never posted: there is nothing to update, and nothing to send', async () => {
    await queue('update:v2', { kind: 'update', messageKey: 'card:never', activity: { text: 'Version 2' } });
    await sender().drainOnce();
    assert.deepEqual(connector.sent, []);
    assert.deepEqual(await store.dueMessages(new Date(clock + 60_000).toISOString(), 10), []);
    assert.equal(await store.getMessageId('card:never'), undefined);
  });

  it('retries a 429 honouring Retry-After and sends once', async () => {
    connector.script({ status: 429, headers: { 'Retry-After': '3' } });
    await queue('line:1', { messageKey: 'line:1' });
    const outbox = sender();
    assert.equal(await outbox.drainOnce(), 0);
    // The connector client's own retries are off: the 429 reached the outbox at once.
    assert.equal(connector.sent.length, 1);
    clock += 2_999;
    assert.equal(await outbox.drainOnce(), 0);
    assert.equal(connector.sent.length, 1);
    clock += 1;
    assert.equal(await outbox.drainOnce(), 1);
    assert.deepEqual(
      connector.sent.map((s) => s.status),
      [429, 200],
    );
    assert.equal(connector.delivered.length, 1);
    assert.equal(await store.getMessageId('line:1'), 'sent-2');
    assert.equal(await outbox.drainOnce(), 0);
  });

  it('retries 502 then succeeds', async () => {
    connector.script({ status: 502 });
    await queue('line:1');
    const outbox = sender();
    const started = Date.now();
    assert.equal(await outbox.drainOnce(), 0);
    assert.ok(Date.now() - started < 500, 'the 502 came back without in-process retries');
    assert.deepEqual(
      (await store.dueMessages(new Date(clock + 60_000).toISOString(), 10)).map((m) => [
        m.attempts,
        m.lastError,
      ]),
      [[1, '502 {}']],
    );
    // With random 0.5 the first backoff is 750 ms.
    clock += 749;
    assert.equal(await outbox.drainOnce(), 0);
    clock += 1;
    assert.equal(await outbox.drainOnce(), 1);
    assert.deepEqual(
      connector.sent.map((s) => s.status),
      [502, 200],
    );
  });

  it('gives up after 10 attempts and marks it dead', async () => {
    connector.script(...Array.from({ length: 12 }, () => ({ status: 503 })));
    await queue('line:1');
    const outbox = sender();
    for (let attempt = 1; attempt <= 10; attempt++) {
      assert.equal(await outbox.drainOnce(), 0);
      assert.equal(connector.sent.length, attempt);
      clock += 10 * 60_000;
    }
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 1 });
    clock += 24 * 3_600_000;
    assert.equal(await outbox.drainOnce(), 0);
    assert.equal(connector.sent.length, 10);
  });

  it('gives up at once on a status that asking again will not change', async () => {
    connector.script({
      status: 400,
      body: { error: { code: 'BadArgument', message: 'Unknown activity type' } },
    });
    await queue('line:1');
    assert.equal(await sender().drainOnce(), 0);
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 1 });
    assert.equal(connector.sent.length, 1);
  });

  it('drops the conversation on BotNotInConversationRoster', async () => {
    connector.script({
      status: 403,
      body: { error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the roster.' } },
    });
    await queue('finance:1');
    clock += 1;
    await queue('finance:2');
    clock += 1;
    await queue('alice:1', { conversationKey: 'user:alice' });
    assert.equal(await sender({ concurrency: 1 }).drainOnce(), 1);
    assert.equal(await store.getConversation('channel:finance'), undefined);
    assert.ok(await store.getConversation('user:alice'));
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 2 });
    assert.deepEqual(
      connector.sent.map((s) => [conversationOf(s), s.status]),
      [
        [FINANCE, 403],
        [ALICE, 200],
      ],
    );
  });

  it('marks dead a message whose conversation has no stored reference', async () => {
    await queue('nowhere:1', { conversationKey: 'channel:unknown' });
    assert.equal(await sender().drainOnce(), 0);
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 1 });
    assert.equal(connector.sent.length, 0);
  });

  it('never sends outside this machine in local mode, whatever address a conversation was stored with', async () => {
    await store.saveConversation('channel:remote', {
      ...reference('19:remote@thread.tacv2'),
      serviceUrl: 'https://smba.trafficmanager.net/teams/',
    });
    await queue('remote:1', { conversationKey: 'channel:remote' });
    assert.equal(await sender().drainOnce(), 0);
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 1 });
    assert.equal(connector.sent.length, 0);
  });

  it('never sends the same id twice even if enqueued twice', async () => {
    assert.equal(await queue('update:MA-2026-0001:v3:requester'), true);
    assert.equal(await queue('update:MA-2026-0001:v3:requester'), false);
    const outbox = sender();
    assert.equal(await outbox.drainOnce(), 1);
    assert.equal(await queue('update:MA-2026-0001:v3:requester'), false);
    assert.equal(await outbox.drainOnce(), 0);
    assert.equal(connector.sent.length, 1);
  });

  it('a message queued before a restart is sent after it', async () => {
    await queue('line:1', { messageKey: 'line:1' });
    await store.close();

    store = SqliteStore.open(file);
    assert.equal(await sender().drainOnce(), 1);
    assert.deepEqual(texts(connector.sent), ['line:1']);
    assert.equal(await store.getMessageId('line:1'), 'sent-1');
  });

  it('keeps FIFO order within a conversation', async () => {
    connector.script({ status: 502 });
    for (let i = 1; i <= 5; i++) {
      await queue(`m${i}`);
      clock += 1;
    }
    const outbox = sender();
    assert.equal(await outbox.drainOnce(), 0);
    // The first is waiting for its retry: nothing after it may go first.
    assert.equal(await outbox.drainOnce(), 0);
    assert.equal(connector.sent.length, 1);
    clock += 1_000;
    assert.equal(await outbox.drainOnce(), 5);
    assert.deepEqual(texts(connector.delivered), ['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('per-conversation rate limit: 20 messages to one conversation are paced; another is not held up', async () => {
    for (let i = 1; i <= 20; i++) await queue(`busy-${String(i).padStart(2, '0')}`);
    clock += 1;
    await queue('alice-1', { conversationKey: 'user:alice' });
    const outbox = sender();
    const at: number[] = [];
    const stamp = () => {
      while (at.length < connector.sent.length) at.push(clock);
    };

    await outbox.drainOnce();
    stamp();
    assert.ok(
      connector.sent.some((s) => conversationOf(s) === ALICE),
      'the quiet conversation went in the first drain',
    );
    for (let step = 0; step < 200 && connector.sent.length < 21; step++) {
      clock += 100;
      await outbox.drainOnce();
      stamp();
    }

    assert.equal(connector.sent.length, 21, 'every message sent, and no request wasted');
    assert.ok(connector.sent.every((s) => s.status === 200));
    const busy = connector.sent
      .map((s, i) => ({ s, at: at[i] as number }))
      .filter((x) => conversationOf(x.s) === FINANCE);
    assert.deepEqual(
      texts(busy.map((x) => x.s)),
      Array.from({ length: 20 }, (_, i) => `busy-${String(i + 1).padStart(2, '0')}`),
    );
    for (const { limit, ms } of TEAMS_RATE_LIMITS.perConversation) {
      for (const { at: t } of busy) {
        const inWindow = busy.filter((x) => x.at > t - ms && x.at <= t).length;
        assert.ok(inWindow <= limit, `${inWindow} sends within ${ms} ms before ${t - START}`);
      }
    }
    // Paced, not stalled: 7 + 1 + 7 + 1 + 4 over four seconds.
    const span = (busy.at(-1)?.at ?? 0) - START;
    assert.ok(span >= 3_000 && span <= 4_500, `took ${span} ms`);
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
  });

  it('keeps the whole app within 50 sends a second across conversations', async () => {
    for (let i = 1; i <= 60; i++) {
      const key = `user:${i}`;
      await store.saveConversation(key, reference(`a:chat-${i}`));
      await queue(`line-${i}`, { conversationKey: key });
    }
    const outbox = sender({ concurrency: 8 });
    assert.equal(await outbox.drainOnce(), 50);
    clock += 999;
    assert.equal(await outbox.drainOnce(), 0);
    clock += 1;
    assert.equal(await outbox.drainOnce(), 10);
    assert.equal(connector.sent.length, 60);
  });

  it('drains soon after a kick, and stops after the drain in progress', async () => {
    const outbox = sender({ now: undefined, pollMs: 60_000 });
    outbox.start();
    await queue('line:1', { createdAt: new Date().toISOString() });
    outbox.kick();
    await connector.waitFor(1);
    await outbox.stop();
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });

    await queue('line:2', { createdAt: new Date().toISOString() });
    outbox.kick();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(connector.sent.length, 1, 'a stopped sender sends nothing');
  });

  it('serves a burst of kicks with a few drains, and every message still leaves', async () => {
    for (let i = 0; i < 30; i++) await store.saveConversation(`user:burst-${i}`, reference(`a:burst-${i}`));
    let drains = 0;
    const due = store.dueMessages.bind(store);
    const counting = Object.assign(Object.create(store) as typeof store, {
      dueMessages: (...args: Parameters<typeof due>) => {
        drains++;
        return due(...args);
      },
    });
    const counted = new OutboxSender({ store: counting, adapter, appId: '', log, pollMs: 60_000 });
    counted.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = drains;
    for (let i = 0; i < 30; i++) {
      await queue(`burst:${i}`, { conversationKey: `user:burst-${i}`, createdAt: new Date().toISOString() });
      counted.kick();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await connector.waitFor(30);
    await counted.stop();
    assert.ok(drains - before <= 6, `30 kicks in about 300 ms took ${drains - before} drains`);
    assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
  });

  it('lets stop wait for a send in flight', async () => {
    const slow = await Connector.start(200);
    try {
      await store.saveConversation('user:slow', { ...reference('a:slow'), serviceUrl: slow.url });
      await queue('slow:1', { conversationKey: 'user:slow', createdAt: new Date().toISOString() });
      const outbox = sender({ now: undefined, pollMs: 60_000 });
      outbox.start();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await outbox.stop();
      assert.equal(slow.sent.length, 1);
      assert.deepEqual(await store.outboxCounts(), { pending: 0, dead: 0 });
    } finally {
      await slow.close();
    }
  });

  it('reads the errors botbuilder really throws', async () => {
    connector.script(...Array.from({ length: 4 }, () => ({ status: 429, headers: { 'Retry-After': '0' } })), {
      status: 403,
      body: { error: { code: 'BotNotInConversationRoster', message: 'Not in roster.' } },
    });
    const errors: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      await adapter.continueConversationAsync('', reference(FINANCE), async (ctx) => {
        try {
          await ctx.sendActivity('hello');
        } catch (err) {
          errors.push(err);
        }
      });
    }
    const [throttled, removed] = errors.map((e) => describeSendError(e));
    assert.deepEqual([throttled?.status, throttled?.retryAfterMs], [429, 0]);
    assert.deepEqual([removed?.status, removed?.code], [403, 'BotNotInConversationRoster']);
    // Left to itself the connector client retries a 429 with Retry-After three times before giving up.
    assert.deepEqual(
      connector.sent.map((s) => s.status),
      [429, 429, 429, 429, 403],
    );
  });
});
