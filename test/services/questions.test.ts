import assert from 'node:assert/strict';
import { Calendar } from '../../src/services/calendar';
import { readForm } from '../../src/services/forms';
import { SUBSCRIBE_FORM } from '../../src/services/subscriptions';
import { type Opportunity, STATUSES } from '../../src/services/opportunity';
import {
  ANSWER_FORM,
  answerQuestion,
  ASK_FORM,
  DECLINE_REASONS,
  declineQuestion,
  lastDayForQuestions,
  publishedAnswers,
  type Question,
  questionsOpen,
  withoutAddress,
} from '../../src/services/questions';
import { submitted } from '../support/opportunities';

/** Suppliers' questions: until when they are taken, how they are settled, what the pages show of them. */

const calendar = new Calendar({ timeZone: 'America/Toronto', province: 'ON', closures: ['2026-12-29'] });
const withDeadline = (deadline: string, extended?: string): Pick<Opportunity, 'status' | 'dates'> => {
  const o = submitted();
  return {
    status: 'posted',
    dates: {
      ...o.dates,
      applicationDeadline: deadline,
      ...(extended ? { extendedApplicationDeadline: extended } : {}),
    },
  };
};

const BY = { aadObjectId: 'p-1', name: 'Priya Procurement' };
const asked = (patch: Partial<Question> = {}): Question => ({
  id: 'q-abcdefgh12345678',
  reference: 'MA-2026-0001',
  locale: 'fr',
  text: 'Le code doit-il fonctionner hors ligne?',
  email: 'fournisseur@example.ca',
  askedAt: '2026-11-20T14:00:00.000Z',
  state: 'asked',
  version: 1,
  ...patch,
});
const ANSWER = {
  questionEn: 'Must the code work offline?',
  questionFr: 'Le code doit-il fonctionner hors ligne?',
  answerEn: 'No.',
  answerFr: 'Non.',
};

describe('the last day for questions', () => {
  const cases: [string, string, string][] = [
    // deadline, last day, why
    ['2026-12-04', '2026-12-02', 'a Friday deadline: the Wednesday before'],
    ['2026-12-07', '2026-12-03', 'a Monday deadline: the weekend is not counted'],
    ['2026-12-08', '2026-12-04', 'a Tuesday deadline: Friday'],
    [
      '2026-12-30',
      '2026-12-23',
      'Christmas, Boxing Day (observed the 28th) and a closure are not business days',
    ],
    ['2026-10-14', '2026-10-09', 'Thanksgiving Monday is not counted'],
    ['2026-11-03', '2026-10-30', 'across the autumn clock change, days are days'],
  ];
  for (const [deadline, last, why] of cases) {
    it(`is ${last} for a deadline on ${deadline} (${why})`, () => {
      assert.equal(lastDayForQuestions(withDeadline(deadline), calendar), last);
    });
  }

  it('follows an extended deadline, not the one first published', () => {
    assert.equal(lastDayForQuestions(withDeadline('2026-12-04', '2026-12-11'), calendar), '2026-12-09');
  });

  it('takes questions through the last day, and not the day after, only while the opportunity is open', () => {
    const o = withDeadline('2026-12-04');
    for (const status of STATUSES) {
      const record = { ...o, status };
      assert.equal(questionsOpen(record, '2026-12-01', calendar), status === 'posted', status);
      assert.equal(questionsOpen(record, '2026-12-02', calendar), status === 'posted', status);
      assert.equal(questionsOpen(record, '2026-12-03', calendar), false, status);
      assert.equal(questionsOpen(record, '2026-12-04', calendar), false, status);
    }
  });
});

describe('settling a question', () => {
  const settleBy = {
    answer: (q: Question) => answerQuestion(q, ANSWER, BY, '2026-11-21T15:00:00.000Z'),
    duplicate: (q: Question) => declineQuestion(q, 'duplicate', BY, '2026-11-21T15:00:00.000Z'),
    out_of_scope: (q: Question) => declineQuestion(q, 'out_of_scope', BY, '2026-11-21T15:00:00.000Z'),
  };

  it('answers with the question as published and the answer in both languages, by whom and when', () => {
    const result = settleBy.answer(asked());
    assert.ok(result.ok);
    assert.equal(result.question.state, 'answered');
    assert.equal(result.question.version, 2);
    assert.deepEqual(result.question.answer, {
      question: { en: ANSWER.questionEn, fr: ANSWER.questionFr },
      answer: { en: ANSWER.answerEn, fr: ANSWER.answerFr },
    });
    assert.deepEqual(result.question.settledBy, BY);
    assert.equal(result.question.settledAt, '2026-11-21T15:00:00.000Z');
  });

  for (const reason of DECLINE_REASONS) {
    it(`declines as ${reason}, publishing nothing`, () => {
      const result = settleBy[reason](asked());
      assert.ok(result.ok);
      assert.equal(result.question.state, 'declined');
      assert.equal(result.question.declined, reason);
      assert.equal(result.question.answer, undefined);
    });
  }

  // Every pair of settlements on one version: the first wins, the second changes nothing.
  for (const [first, settleFirst] of Object.entries(settleBy)) {
    for (const [second, settleSecond] of Object.entries(settleBy)) {
      it(`refuses ${second} after ${first}, showing the first settlement`, () => {
        const one = settleFirst(asked());
        assert.ok(one.ok);
        const two = settleSecond(one.question);
        assert.equal(two.ok, false);
        assert.ok(!two.ok);
        assert.deepEqual(two.settled, one.question);
      });
    }
  }

  it('keeps the address until the e-mail is queued, then drops it in the next version', () => {
    const result = settleBy.answer(asked());
    assert.ok(result.ok);
    assert.equal(result.question.email, 'fournisseur@example.ca');
    const erased = withoutAddress(result.question);
    assert.equal('email' in erased, false);
    assert.equal(erased.version, 3);
    assert.equal(erased.state, 'answered');
  });
});

describe('the answers a page shows', () => {
  it('numbers answered questions in the order they were published, in the page language, with nothing of the asker', () => {
    const later = {
      ...ANSWER,
      questionEn: 'Second?',
      questionFr: 'Deuxième?',
      answerEn: 'Yes.',
      answerFr: 'Oui.',
    };
    const first = answerQuestion(asked({ id: 'q-first000000000' }), ANSWER, BY, '2026-11-21T15:00:00.000Z');
    const second = answerQuestion(asked({ id: 'q-second00000000' }), later, BY, '2026-11-22T15:00:00.000Z');
    const declined = declineQuestion(
      asked({ id: 'q-declined000000' }),
      'duplicate',
      BY,
      '2026-11-21T16:00:00.000Z',
    );
    assert.ok(first.ok && second.ok && declined.ok);
    const all = [second.question, declined.question, asked({ id: 'q-waiting0000000' }), first.question];
    const fr = publishedAnswers(all, 'fr');
    assert.deepEqual(
      fr.map((a) => [a.number, a.question, a.answer]),
      [
        [1, ANSWER.questionFr, 'Non.'],
        [2, 'Deuxième?', 'Oui.'],
      ],
    );
    assert.deepEqual(
      publishedAnswers(all, 'en').map((a) => a.question),
      [ANSWER.questionEn, 'Second?'],
    );
    // Two answers published in the same instant keep one order, whatever order they are read in.
    const same = answerQuestion(asked({ id: 'q-same0000000000a' }), later, BY, '2026-11-21T15:00:00.000Z');
    assert.ok(same.ok);
    const one = publishedAnswers([same.question, first.question], 'en').map((a) => a.question);
    const two = publishedAnswers([first.question, same.question], 'en').map((a) => a.question);
    assert.deepEqual(one, [ANSWER.questionEn, 'Second?']);
    assert.deepEqual(two, one);
    const shown = JSON.stringify(fr);
    for (const secret of ['fournisseur@example.ca', 'Priya', 'p-1', 'q-first']) {
      assert.equal(shown.includes(secret), false, secret);
    }
  });
});

describe('reading a public form', () => {
  it('takes a question of exactly its limit, and a line break typed on any system', () => {
    const read = readForm(ASK_FORM, { email: 'a@b.ca', question: `${'q'.repeat(1_996)}\ra\r\nb` });
    assert.ok(read.ok);
    assert.equal(read.values.question, `${'q'.repeat(1_996)}\na\nb`);
  });

  it('takes a language only among those offered, naming the field when it is not', () => {
    assert.ok(readForm(SUBSCRIBE_FORM, { email: 'a@b.ca', language: 'fr' }).ok);
    for (const language of ['de', 'FR', ' ', undefined]) {
      const read = readForm(SUBSCRIBE_FORM, { email: 'a@b.ca', language });
      assert.ok(!read.ok, String(language));
      assert.deepEqual(read.problems, [{ field: 'language', code: 'required' }]);
    }
  });

  it('takes a question and an address, trimmed', () => {
    const read = readForm(ASK_FORM, { email: '  a@b.ca ', question: ' Why?\r\nBecause. ' });
    assert.deepEqual(read, { ok: true, values: { email: 'a@b.ca', question: 'Why?\nBecause.' } });
  });

  const bad: [string, Record<string, unknown>, string, string][] = [
    ['nothing', {}, 'email', 'required'],
    ['blanks', { email: '   ', question: 'x' }, 'email', 'required'],
    ['not an address', { email: 'not-an-address', question: 'x' }, 'email', 'invalid_email'],
    [
      'an address of 255 characters',
      { email: `${'a'.repeat(244)}@example.ca`, question: 'x' },
      'email',
      'too_long',
    ],
    [
      'a question of 2,001 characters',
      { email: 'a@b.ca', question: 'x'.repeat(2_001) },
      'question',
      'too_long',
    ],
    [
      'a question of a megabyte',
      { email: 'a@b.ca', question: 'é'.repeat(1_000_000) },
      'question',
      'too_long',
    ],
    ['a list for a field', { email: ['a@b.ca', 'c@d.ca'], question: 'x' }, 'email', 'wrong_type'],
    ['an object for a field', { email: 'a@b.ca', question: { $gt: '' } }, 'question', 'wrong_type'],
  ];
  for (const [what, input, field, code] of bad) {
    it(`names the field and the problem for ${what}, keeping what fits`, () => {
      const read = readForm(ASK_FORM, input);
      assert.equal(read.ok, false);
      assert.ok(!read.ok);
      assert.equal(read.problems[0]?.field, field);
      assert.equal(read.problems[0]?.code, code);
      assert.ok(Object.values(read.kept).every((v) => v.length <= 2_000));
    });
  }

  it('keeps a too-long question cut to its limit, so the form comes back with it', () => {
    const read = readForm(ASK_FORM, { email: 'a@b.ca', question: `${'y'.repeat(2_000)}zzz` });
    assert.ok(!read.ok);
    assert.equal(read.kept.question, 'y'.repeat(2_000));
    assert.deepEqual(read.problems[0]?.params, { max: 2_000 });
  });

  it('asks procurement for all four texts of an answer, each bounded', () => {
    const read = readForm(ANSWER_FORM, { ...ANSWER, answerFr: '' });
    assert.ok(!read.ok);
    assert.deepEqual(
      read.problems.map((p) => [p.field, p.code]),
      [['answerFr', 'required']],
    );
    const long = readForm(ANSWER_FORM, { ...ANSWER, answerEn: 'a'.repeat(4_001) });
    assert.ok(!long.ok);
    assert.deepEqual(
      long.problems.map((p) => [p.field, p.code]),
      [['answerEn', 'too_long']],
    );
  });
});
