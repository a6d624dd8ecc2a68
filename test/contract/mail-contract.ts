import assert from 'node:assert/strict';
import type { DeliveredMail, LocalMailbox, Mail, MailQueue, NewMail } from '../../src/services/mail';
import { type Closable, minutesAfter } from './question-contract';

/**
 * What every MailQueue and LocalMailbox adapter must do, stated through the ports alone. `makeStore`
 * gives a fresh, empty store per test.
 */
export function describeMailContract(
  name: string,
  makeStore: () => Promise<MailQueue & LocalMailbox & Closable>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name} (mail contract)`, function () {
    let store: MailQueue & LocalMailbox & Closable;
    let clock = 0;

    beforeEach(async () => {
      clock = 0;
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const newMail = (id: string, overrides: Partial<NewMail> = {}): NewMail => ({
      id,
      kind: 'new-opportunity',
      locale: 'en',
      to: 'ana@example.com',
      personalisation: { title: 'Accessible forms', link: 'https://example.test/o/MA-2026-0001' },
      reference: 'MA-2026-0001',
      createdAt: minutesAfter(++clock),
      ...overrides,
    });
    const pending = (mail: NewMail): Mail => ({
      ...mail,
      attempts: 0,
      notBefore: mail.createdAt,
      state: 'pending',
    });
    const LATER = minutesAfter(10_000);
    const due = async (now = LATER, limit = 100) => (await store.dueMail(now, limit)).map((m) => m.id);

    describe('queueing', () => {
      it('queues e-mails pending and due at once, and says how many were new', async () => {
        const a = newMail('a');
        const { reference: _reference, ...b } = newMail('b', { kind: 'subscription-confirm', locale: 'fr' });
        assert.equal(await store.queueMail([a, b]), 2);
        assert.deepEqual(await store.dueMail(b.createdAt, 10), [pending(a), pending(b)]);
        assert.deepEqual(await store.mailCounts(), { pending: 2, dead: 0, sent: 0 });
        assert.equal(await store.queueMail([]), 0);
      });

      it('never queues an id twice, whatever became of the first', async () => {
        await store.queueMail([newMail('a')]);
        assert.equal(await store.queueMail([newMail('a', { to: 'other@example.com' }), newMail('c')]), 1);
        assert.equal((await store.dueMail(LATER, 10))[0]?.to, 'ana@example.com');
        await store.markMailSent('a', minutesAfter(50), 'notify-1');
        assert.equal(await store.queueMail([newMail('a')]), 0);
        assert.deepEqual(await due(), ['c']);
      });

      it('refuses a batch holding an e-mail that is not valid, queuing none of it', async () => {
        await assert.rejects(
          store.queueMail([newMail('good'), { ...newMail('bad'), kind: 'spam' as NewMail['kind'] }]),
          RangeError,
        );
        await assert.rejects(store.queueMail([newMail('no-address', { to: '' })]), RangeError);
        await assert.rejects(store.queueMail([newMail('', {})]), RangeError);
        assert.deepEqual(await store.mailCounts(), { pending: 0, dead: 0, sent: 0 });
      });
    });

    describe('sending', () => {
      it('gives due e-mails oldest first, at most as many as asked, none before its time', async () => {
        await store.queueMail([newMail('late', { createdAt: minutesAfter(300) })]);
        await store.queueMail([newMail('early', { createdAt: minutesAfter(100) })]);
        await store.queueMail([newMail('middle', { createdAt: minutesAfter(200) })]);
        assert.deepEqual(await due(minutesAfter(50)), []);
        assert.deepEqual(await due(minutesAfter(250)), ['early', 'middle']);
        assert.deepEqual(await due(LATER, 2), ['early', 'middle']);
        assert.deepEqual(await due(), ['early', 'middle', 'late']);
      });

      it('makes a message wait for its retry, counting the attempt and keeping the error', async () => {
        await store.queueMail([newMail('a', { createdAt: minutesAfter(0) }), newMail('b')]);
        await store.markMailRetry('a', minutesAfter(60), '429 Too Many Requests');
        assert.deepEqual(await due(minutesAfter(59)), ['b']);
        const [again] = await store.dueMail(minutesAfter(60), 1);
        assert.deepEqual(again, {
          ...pending(newMail('a', { createdAt: minutesAfter(0) })),
          attempts: 1,
          notBefore: minutesAfter(60),
          lastError: '429 Too Many Requests',
        });
      });

      it('sends a message once: it is never due again and keeps neither address nor personalisation', async () => {
        await store.queueMail([newMail('a'), newMail('b')]);
        await store.markMailSent('a', minutesAfter(50), 'notify-1');
        assert.deepEqual(await due(), ['b']);
        assert.deepEqual(await store.mailCounts(), { pending: 1, dead: 0, sent: 1 });
        // A late or repeated mark on a message sent changes nothing.
        await store.markMailRetry('a', minutesAfter(60), 'late');
        await store.markMailDead('a', 'late');
        await store.markMailSent('a', minutesAfter(70));
        assert.deepEqual(await due(), ['b']);
        assert.deepEqual(await store.mailCounts(), { pending: 1, dead: 0, sent: 1 });
        assert.deepEqual(await store.deadMail(10), []);
      });

      it('gives a message up: never due again, listed for procurement without address or personalisation', async () => {
        await store.queueMail([newMail('first'), newMail('second'), newMail('kept')]);
        await store.markMailRetry('second', minutesAfter(1), '500');
        await store.markMailDead('second', '400 ValidationError');
        await store.markMailDead('first', '403 Forbidden');
        assert.deepEqual(await due(), ['kept']);
        const dead = await store.deadMail(10);
        assert.deepEqual(
          dead.map((m) => [m.id, m.state, m.attempts, m.lastError, m.to, m.personalisation]),
          [
            ['first', 'dead', 1, '403 Forbidden', '', {}],
            ['second', 'dead', 2, '400 ValidationError', '', {}],
          ],
        );
        assert.deepEqual(
          (await store.deadMail(1)).map((m) => m.id),
          ['first'],
        );
        // Given up stays given up.
        await store.markMailSent('first', minutesAfter(90));
        await store.markMailRetry('first', minutesAfter(90), 'late');
        assert.deepEqual(await store.mailCounts(), { pending: 1, dead: 2, sent: 0 });
      });

      it('refuses a mark for a message never queued', async () => {
        await assert.rejects(store.markMailSent('nope', minutesAfter(1)), RangeError);
        await assert.rejects(store.markMailRetry('nope', minutesAfter(1), 'x'), RangeError);
        await assert.rejects(store.markMailDead('nope', 'x'), RangeError);
      });
    });

    describe('dropping e-mails to someone who left', () => {
      it('drops the pending e-mails to an address whatever its case, and nothing else', async () => {
        await store.queueMail([
          newMail('to-ana', { to: 'Ana@Example.com' }),
          newMail('to-ana-again', { to: 'ana@example.com' }),
          newMail('to-bo', { to: 'bo@example.com' }),
          newMail('sent-to-ana', { to: 'ana@example.com' }),
        ]);
        await store.markMailSent('sent-to-ana', minutesAfter(50));
        assert.equal(await store.dropMailTo(' ANA@example.COM '), 2);
        assert.deepEqual(await due(), ['to-bo']);
        assert.deepEqual(await store.mailCounts(), { pending: 1, dead: 0, sent: 1 });
        assert.equal(await store.dropMailTo('ana@example.com'), 0);
        assert.equal(await store.dropMailTo(''), 0);
      });
    });

    describe('the local mailbox', () => {
      const delivered = (id: string, minutes: number): DeliveredMail => ({
        id,
        kind: 'question-answered',
        locale: 'fr',
        to: 'ana@example.com',
        subject: `Réponse ${id}`,
        body: 'Bonjour,\n« Oui. »',
        deliveredAt: minutesAfter(minutes),
      });

      it('keeps delivered e-mails, most recent first, as many as asked', async () => {
        await store.deliverLocally(delivered('a', 1));
        await store.deliverLocally(delivered('c', 3));
        await store.deliverLocally(delivered('b', 2));
        assert.deepEqual(await store.mailbox(10), [delivered('c', 3), delivered('b', 2), delivered('a', 1)]);
        assert.deepEqual(
          (await store.mailbox(2)).map((m) => m.id),
          ['c', 'b'],
        );
      });

      it('keeps an e-mail delivered twice once', async () => {
        await store.deliverLocally(delivered('a', 1));
        await store.deliverLocally(delivered('a', 5));
        assert.deepEqual(await store.mailbox(10), [delivered('a', 1)]);
      });
    });
  });
}
