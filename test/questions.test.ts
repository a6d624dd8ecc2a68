import { strict as assert } from 'node:assert';
import { find } from './support/cards';
import { storePosted } from './support/published';
import { Browser } from './support/site-browser';
import {
  activity,
  cardAction,
  cardOf,
  Connector,
  PEOPLE,
  post,
  textOf,
  type TestBot,
  startTestBot,
} from './support/teams';

/**
 * Suppliers' questions from procurement's side, over real HTTP: a question asked on the public page
 * reaches procurement's channel as a card; an answer from the card shows on both pages and reaches the
 * asker by e-mail; the first settlement wins, and only procurement may settle.
 */

type Card = Record<string, unknown>;
type Who = (typeof PEOPLE)[keyof typeof PEOPLE];
const ANSWER = {
  questionEn: 'Must the picker work without JavaScript?',
  questionFr: 'Le sélecteur doit-il fonctionner sans JavaScript?',
  answerEn: 'Yes: it must degrade to a plain date field.',
  answerFr: 'Oui : il doit se replier sur un simple champ de date.',
};

describe('suppliers’ questions, answered from procurement’s channel', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;
  let now: Date;
  let reference: string;

  const inChannel = (from: Who) => ({
    serviceUrl: connector.url,
    from,
    conversationType: 'channel' as const,
    channel: 'procurement',
  });
  const say = async (text: string, from: Who) => {
    const before = connector.sent.length;
    await post(bot, activity('message', inChannel(from), { text }));
    return cardOf((await connector.waitFor(before + 1)).at(-1));
  };
  const click = async (verb: string, data: Record<string, unknown>, from: Who): Promise<Card> => {
    const res = await post(bot, cardAction(inChannel(from), verb, data));
    assert.equal(res.status, 200);
    return ((await res.json()) as { value: Card }).value;
  };
  const deliver = async () => {
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
  };
  /** The question card posted in procurement's channel, last first. */
  const questionCards = () =>
    connector.sent
      .filter((s) => decodeURIComponent(s.path).startsWith('/v3/conversations/19:procurement@thread.tacv2/'))
      .filter((s) => s.body.attachments)
      .map((s) => cardOf(s))
      .filter((c) => /Question from a supplier/.test(textOf(c)));
  const buttonOn = (card: Card, verb: string, reason?: string) => {
    const found = find(
      card,
      (n) =>
        n.type === 'Action.Execute' &&
        n.verb === verb &&
        (!reason || (n.data as { reason?: string }).reason === reason),
    )[0];
    assert.ok(found, `${verb} ${reason ?? ''} on ${textOf(card)}`);
    return found.data as Record<string, unknown>;
  };
  const ask = async (text: string, locale: 'en' | 'fr' = 'fr') => {
    const browser = new Browser(bot.server.url);
    const path =
      locale === 'fr' ? `/fr/possibilites/${reference}/question` : `/en/opportunities/${reference}/question`;
    const res = await browser.fill(path, { email: 'fournisseur@example.ca', question: text });
    assert.equal(res.status, 200);
    await deliver();
    const card = questionCards().at(-1);
    assert.ok(card, 'the question reached the channel');
    return card;
  };
  const page = async (path: string) => (await fetch(`${bot.server.url}${path}`)).text();

  beforeEach(async () => {
    now = new Date('2026-03-05T15:00:00Z');
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => now, background: false });
    assert.match(textOf(await say('register procurement', PEOPLE.procurement)), /This channel now receives/);
    reference = (await storePosted(bot.store)).reference;
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  it('answers in both languages: both pages show it without the asker, who is e-mailed in their language', async () => {
    const card = await ask('Le sélecteur doit-il marcher sans JavaScript ?');
    const text = textOf(card);
    assert.match(text, /Question from a supplier \/ Question d’un fournisseur/);
    assert.match(text, new RegExp(`${reference} · Accessible date picker`));
    assert.match(text, /Le sélecteur doit-il marcher sans JavaScript \?/);
    assert.doesNotMatch(text, /fournisseur@example\.ca/);
    // The question is prefilled in the language it was asked in, for procurement to reword.
    const prefilled = find(card, (n) => n.id === 'questionFr')[0];
    assert.equal(prefilled?.value, 'Le sélecteur doit-il marcher sans JavaScript ?');

    const answered = await click(
      'question.answer',
      { ...buttonOn(card, 'question.answer'), ...ANSWER },
      PEOPLE.procurement,
    );
    assert.match(textOf(answered), /Answered by Priya Raman/);
    assert.equal(find(answered, (n) => n.type === 'Input.Text').length, 0);

    const fr = await page(`/fr/possibilites/${reference}`);
    assert.match(fr, /Questions et réponses/);
    assert.ok(fr.includes('Le sélecteur doit-il fonctionner sans JavaScript?'));
    assert.ok(fr.includes('Oui : il doit se replier sur un simple champ de date.'));
    const en = await page(`/en/opportunities/${reference}`);
    assert.ok(en.includes('Yes: it must degrade to a plain date field.'));
    for (const body of [fr, en]) assert.doesNotMatch(body, /fournisseur@example\.ca|marcher sans/);

    await deliver();
    const [mail] = (await bot.store.mailbox(10)).filter((m) => m.kind === 'question-answered');
    assert.equal(mail?.to, 'fournisseur@example.ca');
    assert.equal(mail?.locale, 'fr');
    assert.match(mail?.body ?? '', /Oui : il doit se replier/);
    const [q] = await bot.store.questionsOf(reference);
    assert.equal(q?.email, undefined, 'the address is erased once the answer is queued');

    const history = await say(`history ${reference}`, PEOPLE.procurement);
    assert.match(textOf(history), /answered a supplier’s question/);
  });

  it('declines as a duplicate or out of scope: nothing is published and the asker is told why', async () => {
    for (const reason of ['duplicate', 'out_of_scope'] as const) {
      const card = await ask(`Question ${reason}`, 'en');
      const declined = await click(
        'question.decline',
        buttonOn(card, 'question.decline', reason),
        PEOPLE.procurement,
      );
      assert.match(
        textOf(declined),
        reason === 'duplicate' ? /Declined as already answered/ : /Declined as out of scope/,
      );
    }
    assert.doesNotMatch(
      await page(`/en/opportunities/${reference}`),
      /Question duplicate|Question out_of_scope/,
    );
    await deliver();
    const told = (await bot.store.mailbox(10)).filter((m) => m.kind === 'question-declined');
    assert.equal(told.length, 2);
    assert.ok(told.some((m) => /an answer already published covers it/.test(m.body)));
  });

  const ACTIONS = {
    answer: (card: Card) => ['question.answer', { ...buttonOn(card, 'question.answer'), ...ANSWER }] as const,
    duplicate: (card: Card) => ['question.decline', buttonOn(card, 'question.decline', 'duplicate')] as const,
    out_of_scope: (card: Card) =>
      ['question.decline', buttonOn(card, 'question.decline', 'out_of_scope')] as const,
  };
  for (const [first, firstAction] of Object.entries(ACTIONS)) {
    for (const [second, secondAction] of Object.entries(ACTIONS)) {
      it(`refuses ${second} by a colleague after ${first} on the same card, and sends one e-mail`, async () => {
        const card = await ask('Which browsers?', 'en');
        const [verb1, data1] = firstAction(card);
        const [verb2, data2] = secondAction(card);
        await click(verb1, data1, PEOPLE.procurement);
        const late = await click(verb2, data2, PEOPLE.procurement2);
        assert.match(textOf(late), /settled this question first/);
        const [q] = await bot.store.questionsOf(reference);
        assert.equal(q?.state, first === 'answer' ? 'answered' : 'declined');
        assert.equal(q?.settledBy?.name, PEOPLE.procurement.name);
        await deliver();
        assert.equal((await bot.store.mailbox(10)).filter((m) => m.kind.startsWith('question-')).length, 1);
        const trail = await bot.store.auditTrail(reference);
        assert.deepEqual(
          trail.filter((e) => e.action.startsWith('question_')).map((e) => [e.outcome, e.actor.name]),
          [
            ['applied', PEOPLE.procurement.name],
            ['refused', PEOPLE.procurement2.name],
          ],
        );
      });
    }
  }

  for (const who of ['requester', 'finance', 'union', 'manager'] as const) {
    it(`lets no ${who} settle a question, and audits the attempt`, async () => {
      const card = await ask('May I?', 'en');
      const refused = await click(
        'question.answer',
        { ...buttonOn(card, 'question.answer'), ...ANSWER },
        PEOPLE[who],
      );
      assert.match(textOf(refused), /Only the procurement team can answer suppliers’ questions/);
      const [q] = await bot.store.questionsOf(reference);
      assert.equal(q?.state, 'asked');
      const trail = await bot.store.auditTrail(reference);
      assert.deepEqual(
        trail.filter((e) => e.action === 'question_answered').map((e) => [e.outcome, e.reason]),
        [['refused', 'role']],
      );
    });
  }

  it('keeps what procurement typed and names what is missing, publishing nothing', async () => {
    const card = await ask('Blank answer?', 'en');
    const back = await click(
      'question.answer',
      { ...buttonOn(card, 'question.answer'), ...ANSWER, answerFr: '   ' },
      PEOPLE.procurement,
    );
    assert.match(textOf(back), /Nothing was published/);
    assert.match(textOf(back), /Answer \(French\): This is required/);
    assert.equal(find(back, (n) => n.id === 'answerEn')[0]?.value, ANSWER.answerEn);
    assert.equal((await bot.store.questionsOf(reference))[0]?.state, 'asked');
  });

  const FORGED: [string, unknown, RegExp][] = [
    ['a list', ['Yes.', 'No.'], /Answer \(English\): This value could not be read/],
    ['an object', { en: 'Yes.' }, /Answer \(English\): This value could not be read/],
    ['100 KB', 'y'.repeat(100_000), /Answer \(English\): This is too long: at most 4000 characters/],
  ];
  for (const [what, value, problem] of FORGED) {
    it(`refuses an answer sent as ${what}, by name, publishing nothing`, async () => {
      const card = await ask(`Forged ${what}?`, 'en');
      const back = await click(
        'question.answer',
        { ...buttonOn(card, 'question.answer'), ...ANSWER, answerEn: value },
        PEOPLE.procurement,
      );
      assert.match(textOf(back), problem);
      assert.ok(JSON.stringify(back).length < 60_000, 'the card stays small');
      assert.equal((await bot.store.questionsOf(reference))[0]?.state, 'asked');
    });
  }

  it('shows procurement the e-mail queue and the mailing list in chat, and nobody else', async () => {
    const card = await ask('Counted?', 'en');
    await click('question.answer', { ...buttonOn(card, 'question.answer'), ...ANSWER }, PEOPLE.procurement);
    const before = textOf(await say('mail', PEOPLE.procurement));
    assert.match(before, /E-mail to suppliers/);
    assert.match(before, /\*\*1\*\* waiting to be sent · \*\*0\*\* sent · \*\*0\*\* given up/);
    assert.match(before, /local mailbox/);
    await deliver();
    assert.match(
      textOf(await say('courriels', PEOPLE.procurement)),
      /\*\*0\*\* waiting to be sent · \*\*1\*\* sent/,
    );
    assert.match(
      textOf(await say('mail', PEOPLE.finance)),
      /Only the procurement team can see the e-mail queue/,
    );
  });

  it('answers a forged or unknown question id with a notice, changing nothing', async () => {
    const unknown = await click(
      'question.answer',
      { questionId: 'q-doesnotexist0000', version: '1', ...ANSWER },
      PEOPLE.procurement,
    );
    assert.match(textOf(unknown), /This question is no longer on record/);
    const forged = await post(
      bot,
      cardAction(inChannel(PEOPLE.procurement), 'question.answer', { questionId: '../../x', version: 'x' }),
    );
    assert.equal(forged.status, 200);
    assert.match(JSON.stringify(await forged.json()), /This button is no longer available/);
    assert.equal((await bot.store.questionsOf(reference)).length, 0);
  });
});
