import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log';
import { LocalMailTransport } from '../../src/mail/local';
import { NotifyTransport, type NotifyTemplates } from '../../src/mail/notify';
import { MailSender } from '../../src/mail/sender';
import { templateOf } from '../../src/mail/templates';
import { MAIL_KINDS, type NewMail } from '../../src/services/mail';
import { SqliteStore } from '../../src/stores/sqlite-store';
import { type NotifyEmulation, startNotifyEmulation } from '../support/notify-emulation';

/**
 * The e-mail queue drained through GC Notify (its local emulation, with the bot's own templates): each
 * e-mail sent once, retried on what may pass later, given up on what will not, nothing lost on restart.
 */

const START = Date.parse('2026-03-05T15:00:00Z');

describe('sending the e-mail queue', function () {
  this.timeout(20_000);
  let notify: NotifyEmulation;
  let templates: NotifyTemplates;
  let store: SqliteStore;
  let path: string;
  let nowMs: number;
  const now = () => new Date(nowMs);
  const later = (ms: number) => (nowMs += ms);

  const sender = (maxAttempts = 5) =>
    new MailSender({
      queue: store,
      transport: new NotifyTransport({ baseUrl: notify.baseUrl, apiKey: notify.apiKey, templates }),
      log: createLogger('silent'),
      now,
      maxAttempts,
      random: () => 0.5,
    });
  const mail = (n: number, patch: Partial<NewMail> = {}): NewMail => ({
    id: `posted:MA-2026-0001:s-${n}`,
    kind: 'new-opportunity',
    locale: n % 2 ? 'en' : 'fr',
    to: `person${n}@example.ca`,
    reference: 'MA-2026-0001',
    personalisation: {
      title: 'Date picker',
      short_description: 'Make it accessible.',
      reference: 'MA-2026-0001',
      value: '$4,000.00',
      closing: 'March 16, 2026',
      url: 'https://example.gc.ca/en/opportunities/MA-2026-0001',
      unsubscribe_url: `https://example.gc.ca/en/opportunities/unsubscribe?token=${'t'.repeat(43)}`,
    },
    createdAt: new Date(nowMs).toISOString(),
    ...patch,
  });

  beforeEach(async () => {
    nowMs = START;
    const registry: Record<string, { subject: string; body: string }> = {};
    templates = Object.fromEntries(
      MAIL_KINDS.map((kind) => [
        kind,
        Object.fromEntries(
          (['en', 'fr'] as const).map((locale) => {
            const id = randomUUID();
            registry[id] = templateOf(kind, locale);
            return [locale, id];
          }),
        ),
      ]),
    ) as NotifyTemplates;
    notify = await startNotifyEmulation({ templates: registry });
    path = join(mkdtempSync(join(tmpdir(), 'microacq-mail-')), 'bot.db');
    store = SqliteStore.open(path);
  });
  afterEach(async () => {
    await store.close();
    await notify.close();
  });

  it('sends each e-mail once with its template in its language, then forgets the address', async () => {
    await store.queueMail([mail(1), mail(2)]);
    await store.queueMail([mail(1)]);
    assert.equal(await sender().drainOnce(), 2);
    assert.equal(await sender().drainOnce(), 0);
    assert.deepEqual(
      notify.accepted.map((a) => [a.emailAddress, a.templateId, a.reference]),
      [
        ['person1@example.ca', templates['new-opportunity'].en, 'posted:MA-2026-0001:s-1'],
        ['person2@example.ca', templates['new-opportunity'].fr, 'posted:MA-2026-0001:s-2'],
      ],
    );
    assert.match(notify.accepted[1]?.subject ?? '', /^Nouvelle possibilité : Date picker$/);
    assert.deepEqual(await store.mailCounts(), { pending: 0, dead: 0, sent: 2 });
    assert.equal((await store.dueMail(new Date(START + 1e9).toISOString(), 10)).length, 0);
  });

  it('retries a failing Notify with backoff, and a throttled one after it says, sending nothing meanwhile', async () => {
    await store.queueMail([mail(1), mail(2)]);
    notify.failNext(503);
    const s = sender();
    assert.equal(await s.drainOnce(), 1, 'the next e-mail still goes');
    assert.equal(notify.accepted.length, 1);
    later(400);
    assert.equal(await s.drainOnce(), 0, 'not before its backoff');
    later(1_000);
    assert.equal(await s.drainOnce(), 1);

    await store.queueMail([mail(3), mail(4)]);
    notify.failNext(429, { retryAfter: 30 });
    assert.equal(await s.drainOnce(), 0, 'a throttled answer stops the drain');
    later(10_000);
    assert.equal(await s.drainOnce(), 0, 'the whole service waits');
    later(21_000);
    assert.equal(await s.drainOnce(), 2);
    assert.equal(new Set(notify.accepted.map((a) => a.reference)).size, 4);
  });

  it('gives up at once on what will not pass, and after the last attempt on what keeps failing', async () => {
    await store.queueMail([mail(1, { personalisation: { title: 'no url' } })]);
    const s = sender(3);
    await s.drainOnce();
    let dead = await store.deadMail(10);
    assert.deepEqual(
      dead.map((m) => [m.id, m.attempts]),
      [['posted:MA-2026-0001:s-1', 1]],
    );
    assert.match(dead[0]?.lastError ?? '', /400 BadRequestError: Missing personalisation/);
    assert.equal(dead[0]?.to, '', 'a dead e-mail keeps no address');

    await store.queueMail([mail(2)]);
    notify.dropNext(1);
    await s.drainOnce();
    for (let attempt = 0; attempt < 2; attempt++) {
      notify.failNext(500);
      later(60_000);
      await s.drainOnce();
    }
    dead = await store.deadMail(10);
    assert.deepEqual(
      dead.map((m) => [m.id, m.attempts]),
      [
        ['posted:MA-2026-0001:s-2', 3],
        ['posted:MA-2026-0001:s-1', 1],
      ],
    );
    assert.match(dead[0]?.lastError ?? '', /Notify 500/);
    assert.equal(notify.accepted.length, 0);
  });

  it('loses nothing across a restart: what was queued is sent by the next process', async () => {
    await store.queueMail([mail(1), mail(2), mail(3)]);
    notify.failNext(503, { times: 3 });
    await sender().drainOnce();
    await store.close();
    store = SqliteStore.open(path);
    later(120_000);
    assert.equal(await sender().drainOnce(), 3);
    assert.equal(notify.accepted.length, 3);
  });

  it('without a Notify key, fills the template itself into the local mailbox', async () => {
    await store.queueMail([mail(2)]);
    const local = new MailSender({
      queue: store,
      transport: new LocalMailTransport(store, now),
      log: createLogger('silent'),
      now,
      maxAttempts: 3,
    });
    assert.equal(await local.drainOnce(), 1);
    const [delivered] = await store.mailbox(10);
    assert.equal(delivered?.to, 'person2@example.ca');
    assert.equal(delivered?.subject, 'Nouvelle possibilité : Date picker');
    assert.match(delivered?.body ?? '', /Se désabonner en un clic : https:\/\/example\.gc\.ca/);
    assert.equal(notify.accepted.length, 0);
  });
});
