import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { NewQuestion, Question, QuestionLimits, QuestionStore } from '../../src/services/questions';
import { ConcurrencyError } from '../../src/services/store';
import { NOW } from './fixtures';

/**
 * What every QuestionStore adapter must do, stated through the port alone. `makeStore` gives a fresh,
 * empty store per test.
 */

export interface Closable {
  close(): Promise<void>;
}

/** `minutes` after the suite's fixed moment, as the public form stamps a question. */
export const minutesAfter = (minutes: number, from: string = NOW): string =>
  new Date(Date.parse(from) + minutes * 60_000).toISOString();

const ROOMY: QuestionLimits = { perOpportunity: 100, total: 1_000 };
const PROCUREMENT = { aadObjectId: 'procurement-1', name: 'Sam Okafor' };

export function describeQuestionContract(
  name: string,
  makeStore: () => Promise<QuestionStore & Closable>,
  cleanup?: () => Promise<void>,
): void {
  describe(`${name} (question contract)`, function () {
    let store: QuestionStore & Closable;
    let clock = 0;

    beforeEach(async () => {
      clock = 0;
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const newQuestion = (overrides: Partial<NewQuestion> = {}): NewQuestion => ({
      id: `q-${randomUUID()}`,
      reference: 'MA-2026-0001',
      locale: 'en',
      text: 'Is the existing code public?',
      email: 'asker@example.com',
      askedAt: minutesAfter(++clock),
      ...overrides,
    });

    async function ask(overrides: Partial<NewQuestion> = {}, limits = ROOMY): Promise<Question> {
      const outcome = await store.askQuestion(newQuestion(overrides), limits);
      assert.ok(outcome.ok, `refused: ${JSON.stringify(outcome)}`);
      return outcome.question;
    }

    const answered = (q: Question): Question => ({
      ...q,
      state: 'answered',
      version: q.version + 1,
      answer: {
        question: { en: 'Is the code public?', fr: 'Le code est-il public?' },
        answer: { en: 'Yes, on GitHub.', fr: 'Oui, sur GitHub.' },
      },
      settledBy: PROCUREMENT,
      settledAt: minutesAfter(500),
    });
    const declined = (q: Question): Question => ({
      ...q,
      state: 'declined',
      version: q.version + 1,
      declined: 'out_of_scope',
      settledBy: PROCUREMENT,
      settledAt: minutesAfter(500),
    });
    const ids = (questions: readonly Question[]) => questions.map((q) => q.id);

    describe('asking', () => {
      it('keeps a new question as asked, at version 1, and finds it by its id', async () => {
        const input = newQuestion({ locale: 'fr', text: 'Le code est-il public? « oui »' });
        const outcome = await store.askQuestion(input, ROOMY);
        assert.deepEqual(outcome, { ok: true, question: { ...input, state: 'asked', version: 1 } });
        assert.deepEqual(await store.getQuestion(input.id), { ...input, state: 'asked', version: 1 });
      });

      it('keeps a question asked without an address', async () => {
        const { email: _email, ...input } = newQuestion();
        const outcome = await store.askQuestion(input, ROOMY);
        assert.deepEqual(outcome, { ok: true, question: { ...input, state: 'asked', version: 1 } });
        assert.deepEqual(await store.getQuestion(input.id), { ...input, state: 'asked', version: 1 });
      });

      it('stores a question sent twice (the same id) once, and answers the first both times', async () => {
        const first = await ask();
        const again = await store.askQuestion(newQuestion({ id: first.id, text: 'Sent again' }), ROOMY);
        assert.deepEqual(again, { ok: true, question: first });
        assert.deepEqual(ids(await store.questionsOf(first.reference)), [first.id]);
      });

      it('knows no question it was never asked', async () => {
        assert.equal(await store.getQuestion(`q-${randomUUID()}`), undefined);
        assert.deepEqual(await store.questionsOf('MA-2026-9999'), []);
      });

      it('refuses a question that is not valid, storing nothing', async () => {
        const bad = newQuestion({ id: ' ' });
        await assert.rejects(store.askQuestion(bad, ROOMY), RangeError);
        await assert.rejects(store.askQuestion(newQuestion({ askedAt: 'yesterday' }), ROOMY), RangeError);
        await assert.rejects(store.askQuestion(newQuestion(), { perOpportunity: -1, total: 10 }), RangeError);
        assert.deepEqual(await store.questionsOf('MA-2026-0001'), []);
      });
    });

    describe('listing a request’s questions', () => {
      it('lists them oldest first, whatever order they arrived in, and only that request’s', async () => {
        const later = await ask({ askedAt: minutesAfter(30) });
        const earlier = await ask({ askedAt: minutesAfter(10) });
        await ask({ reference: 'MA-2026-0002' });
        const latest = await ask({ askedAt: minutesAfter(40) });
        assert.deepEqual(ids(await store.questionsOf('MA-2026-0001')), [earlier.id, later.id, latest.id]);
      });

      it('lists only the states asked for, and at most the number asked for', async () => {
        const a = await ask();
        const b = await ask();
        const c = await ask();
        await store.settleQuestion(answered(b), 1);
        await store.settleQuestion(declined(c), 1);
        assert.deepEqual(ids(await store.questionsOf('MA-2026-0001', ['asked'])), [a.id]);
        assert.deepEqual(ids(await store.questionsOf('MA-2026-0001', ['answered', 'declined'])), [
          b.id,
          c.id,
        ]);
        assert.deepEqual(await store.questionsOf('MA-2026-0001', []), []);
        assert.deepEqual(ids(await store.questionsOf('MA-2026-0001', undefined, 2)), [a.id, b.id]);
        assert.deepEqual(await store.questionsOf('MA-2026-0001', undefined, 0), []);
      });
    });

    describe('answering and declining', () => {
      it('publishes an answer: the question as settled, one version later, in place of the one asked', async () => {
        const question = await ask();
        const next = answered(question);
        assert.deepEqual(await store.settleQuestion(next, 1), next);
        assert.deepEqual(await store.getQuestion(question.id), next);
        assert.deepEqual(await store.questionsOf(question.reference), [next]);
      });

      it('declines a question with its reason, then forgets the asker’s address in a later version', async () => {
        const question = await ask();
        const refused = await store.settleQuestion(declined(question), 1);
        const { email: _email, ...rest } = refused;
        const forgotten = await store.settleQuestion({ ...rest, version: 3 }, 2);
        assert.equal('email' in forgotten, false);
        assert.deepEqual(await store.getQuestion(question.id), { ...rest, version: 3 });
        assert.equal((await store.getQuestion(question.id))?.declined, 'out_of_scope');
      });

      it('refuses a settlement made on a stale card, keeping the first one', async () => {
        const question = await ask();
        const first = answered(question);
        await store.settleQuestion(first, 1);
        await assert.rejects(store.settleQuestion(declined(question), 1), (err: unknown) => {
          assert.ok(err instanceof ConcurrencyError, String(err));
          assert.equal(err.expectedVersion, 1);
          assert.equal(err.actualVersion, 2);
          return true;
        });
        assert.deepEqual(await store.getQuestion(question.id), first);
      });

      it('settles a question once when two people settle it at the same moment', async () => {
        const question = await ask();
        const results = await Promise.allSettled([
          store.settleQuestion(answered(question), 1),
          store.settleQuestion(declined(question), 1),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 1);
        assert.ok(lost[0]?.status === 'rejected' && lost[0].reason instanceof ConcurrencyError);
        assert.equal((await store.getQuestion(question.id))?.version, 2);
      });

      it('refuses a version that does not follow the expected one, changing nothing', async () => {
        const question = await ask();
        await assert.rejects(store.settleQuestion({ ...answered(question), version: 3 }, 1), RangeError);
        await assert.rejects(store.settleQuestion({ ...answered(question), version: 1 }, 1), RangeError);
        assert.deepEqual(await store.getQuestion(question.id), question);
      });

      it('refuses to settle a question it does not have, saying it has no version', async () => {
        const ghost: Question = { ...newQuestion(), state: 'asked', version: 1 };
        await assert.rejects(store.settleQuestion(answered(ghost), 1), (err: unknown) => {
          assert.ok(err instanceof ConcurrencyError, String(err));
          assert.equal(err.actualVersion, undefined);
          return true;
        });
        assert.equal(await store.getQuestion(ghost.id), undefined);
      });

      it('refuses a settlement that moves the question to another request', async () => {
        const question = await ask();
        await assert.rejects(
          store.settleQuestion({ ...answered(question), reference: 'MA-2026-0002' }, 1),
          RangeError,
        );
        assert.deepEqual(await store.getQuestion(question.id), question);
      });
    });

    describe('bounds on questions waiting for an answer', () => {
      it('stops taking questions on a request once its bound wait, storing nothing and saying so', async () => {
        const limits = { perOpportunity: 2, total: 10 };
        await ask({}, limits);
        await ask({}, limits);
        const refused = newQuestion();
        assert.deepEqual(await store.askQuestion(refused, limits), { ok: false, full: 'opportunity' });
        assert.equal(await store.getQuestion(refused.id), undefined);
        assert.equal((await store.questionsOf('MA-2026-0001')).length, 2);
        // Another request still takes questions.
        await ask({ reference: 'MA-2026-0002' }, limits);
      });

      it('stops taking questions anywhere once the total bound wait, storing nothing and saying so', async () => {
        const limits = { perOpportunity: 10, total: 3 };
        await ask({ reference: 'MA-2026-0001' }, limits);
        await ask({ reference: 'MA-2026-0002' }, limits);
        await ask({ reference: 'MA-2026-0003' }, limits);
        const refused = newQuestion({ reference: 'MA-2026-0004' });
        assert.deepEqual(await store.askQuestion(refused, limits), { ok: false, full: 'total' });
        assert.equal(await store.getQuestion(refused.id), undefined);
        assert.deepEqual(await store.questionsOf('MA-2026-0004'), []);
      });

      it('takes questions again once an answer frees a place', async () => {
        const limits = { perOpportunity: 1, total: 1 };
        const first = await ask({}, limits);
        assert.equal((await store.askQuestion(newQuestion(), limits)).ok, false);
        await store.settleQuestion(answered(first), 1);
        await ask({}, limits);
      });

      it('still answers a question sent again once the bounds are full', async () => {
        const limits = { perOpportunity: 1, total: 1 };
        const first = await ask({}, limits);
        assert.deepEqual(await store.askQuestion(newQuestion({ id: first.id }), limits), {
          ok: true,
          question: first,
        });
      });

      it('lets no more questions through than the bound when a flood arrives at once', async () => {
        const limits = { perOpportunity: 3, total: 100 };
        const outcomes = await Promise.all(
          Array.from({ length: 6 }, () => store.askQuestion(newQuestion(), limits)),
        );
        assert.equal(outcomes.filter((o) => o.ok).length, 3);
        assert.ok(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.full === 'opportunity'));
        assert.equal((await store.questionsOf('MA-2026-0001', ['asked'])).length, 3);
      });
    });
  });
}
