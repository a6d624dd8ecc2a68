import { pdfAttachment } from './support/documents';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { DECLARATIONS } from '../src/services/applications';
import { drawWinner } from '../src/services/draw';
import { actor } from './contract/fixtures';
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
  startTestBot,
  textOf,
  type TestBot,
} from './support/teams';

/**
 * The evaluation over real HTTP, from applications on the public page to the draw: at the close each
 * confirmed applicant gets a number and a card in the requester's chat, without name or address; the
 * requester marks each pass or fail with a reason, the first mark standing; the counts on the record are
 * the marks', and procurement's draw picks among those who passed with the seed fixed at the close.
 */

type Card = Record<string, unknown>;
type Who = (typeof PEOPLE)[keyof typeof PEOPLE];
const TICKED = Object.fromEntries([...DECLARATIONS, 'terms'].map((d) => [d, 'yes']));
const APPLICANTS = [
  { name: 'Ada Dev', email: 'ada@example.ca', answer: 'ANSWER-ADA accessible pickers', locale: 'en' },
  { name: 'Bo Code', email: 'bo@example.ca', answer: 'ANSWER-BO nothing relevant', locale: 'en' },
  { name: 'Chloé Gagné', email: 'chloe@example.ca', answer: 'RÉPONSE-CHLOÉ composants', locale: 'fr' },
] as const;

describe('evaluating applications from the requester’s chat', function () {
  this.timeout(30_000);
  let connector: Connector;
  let bot: TestBot;
  let now: Date;
  let reference: string;

  const personal = (from: Who) => ({ serviceUrl: connector.url, from });
  const channel = (from: Who, name: string) => ({
    serviceUrl: connector.url,
    from,
    conversationType: 'channel' as const,
    channel: name,
  });
  const deliver = async () => {
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
  };
  const click = async (from: Who, verb: string, data: Record<string, unknown>): Promise<Card> => {
    const res = await post(bot, cardAction(personal(from), verb, data));
    assert.equal(res.status, 200);
    return ((await res.json()) as { value: Card }).value;
  };
  const sentTo = (conversation: string) =>
    connector.sent
      .filter((s) => decodeURIComponent(s.path).startsWith(`/v3/conversations/${conversation}/`))
      .filter((s) => s.body.attachments);
  const requesterChat = 'a:chat-personal-aad-requester';
  const evaluationCards = () =>
    sentTo(requesterChat)
      .filter((s) => s.method === 'POST')
      .map((s) => cardOf(s))
      .filter((c) => /Applicant \d/.test(textOf(c)));
  const markButton = (card: Card, result: 'pass' | 'fail') => {
    const found = find(
      card,
      (n) =>
        n.type === 'Action.Execute' &&
        n.verb === 'application.evaluate' &&
        (n.data as { result?: string }).result === result,
    )[0];
    assert.ok(found, `${result} on ${textOf(card)}`);
    return found.data as Record<string, unknown>;
  };
  const numberOf = (card: Card) => Number(/Applicant (\d+)/.exec(textOf(card))?.[1]);
  const answerOf = (card: Card) => APPLICANTS.find((a) => textOf(card).includes(a.answer));

  /** Each applicant applies on the page in their language and confirms from the e-mailed link. */
  const applyAll = async () => {
    const browser = new Browser(bot.server.url);
    for (const a of APPLICANTS) {
      const path =
        a.locale === 'fr' ? `/fr/possibilites/${reference}/postuler` : `/en/opportunities/${reference}/apply`;
      const sent = await browser.fill(path, {
        name: a.name,
        email: a.email,
        kind: 'individual',
        federalEmployee: 'no',
        answer: a.answer,
        links: `https://github.com/${a.email.split('@')[0]}/work`,
        publicLink: `https://${a.email.split('@')[0]}.example/`,
        ...TICKED,
      });
      assert.equal(sent.status, 200);
      await bot.server.tick();
      const mail = (await bot.store.mailbox(50)).find((m) => m.to === a.email);
      const link = /https?:\/\/\S+\/(?:confirm|confirmer)\?token=[\w-]{43}/.exec(mail?.body ?? '')?.[0];
      assert.ok(link, `a confirmation link for ${a.email}`);
      const url = new URL(link);
      const page = await browser.get(`${url.pathname}${url.search}`);
      const done = await browser.post(`${url.pathname}${url.search}`, {
        form_token: Browser.tokenOf(page.body),
      });
      assert.equal(done.status, 200);
    }
  };

  /** The deadline passes where the department works: the clock closes applications and opens the marking. */
  const close = async () => {
    const o = await bot.store.get(reference);
    now = new Date(`${o?.dates.applicationDeadline}T23:59:00-05:00`);
    await deliver();
    await deliver();
  };

  beforeEach(async () => {
    now = new Date('2026-03-05T15:00:00Z');
    connector = await Connector.start();
    bot = await startTestBot({}, { now: () => now, background: false });
    const posted = await storePosted(bot.store, () => ({}), {
      requester: actor(PEOPLE.requester.aadObjectId, PEOPLE.requester.name),
    });
    reference = posted.reference;
    // The requester and procurement have spoken to the bot: it knows where to reach them.
    await post(bot, activity('message', personal(PEOPLE.requester), { text: 'help' }));
    await post(
      bot,
      activity('message', channel(PEOPLE.procurement, 'procurement'), { text: 'register procurement' }),
    );
  });
  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  it('sends the requester one numbered card per applicant, with the answer and links but no name or address', async () => {
    await applyAll();
    await close();
    assert.equal((await bot.store.get(reference))?.status, 'closed');
    const cards = evaluationCards();
    assert.deepEqual(cards.map(numberOf).sort(), [1, 2, 3]);
    // Procurement's card, posted at the close, follows the marking from its start.
    assert.match(
      textOf(cardOf(sentTo('19:procurement@thread.tacv2').at(-1))),
      /0 of 3 applications marked, 0 passed so far[\s\S]*Marked by[\s\S]*Riley Tremblay/,
    );
    for (const card of cards) {
      const text = JSON.stringify(card);
      for (const a of APPLICANTS) {
        assert.ok(!text.includes(a.name), `${a.name} is not on an evaluator's card`);
        assert.ok(!text.includes(a.email), `${a.email} is not on an evaluator's card`);
        assert.ok(!text.includes(a.email.split('@')[0] + '.example'), 'nor the link to publish');
      }
      assert.ok(answerOf(card), 'the answer is on the card');
      assert.match(text, /github\.com\/\w+\/work/);
      assert.doesNotMatch(text, /federal|fédéral|individual|student/i);
    }
    // Ticking again (a restart, the next minute) neither renumbers nor sends the cards twice.
    const numbers = (await bot.store.applicationsOf(reference, {}, { limit: 10 })).items.map((a) => a.number);
    await deliver();
    assert.equal(evaluationCards().length, 3);
    assert.deepEqual(
      (await bot.store.applicationsOf(reference, {}, { limit: 10 })).items.map((a) => a.number),
      numbers,
    );
  });

  it('records the counts from the marks, then draws among the passers with the seed fixed at the close', async () => {
    await applyAll();
    await close();
    const cards = evaluationCards();
    const result = (card: Card) => (answerOf(card)?.name === 'Bo Code' ? 'fail' : 'pass');
    for (const [i, card] of cards.entries()) {
      const marked = await click(PEOPLE.requester, 'application.evaluate', {
        ...markButton(card, result(card)),
        rationale: `Reason ${i}`,
      });
      assert.match(textOf(marked), result(card) === 'pass' ? /Passed by Riley Tremblay/ : /Failed by Riley/);
      assert.equal(find(marked, (n) => n.type === 'Action.Execute').length, 0, 'nothing left to press');
      if (i < cards.length - 1) {
        assert.match(textOf(marked), new RegExp(`${i + 1} of 3 applications are marked`));
        assert.equal((await bot.store.get(reference))?.selection.passed, undefined);
      }
    }
    const o = await bot.store.get(reference);
    assert.equal(o?.selection.applications, 3);
    assert.equal(o?.selection.passed, 2);
    await deliver();
    const procurementCard = cardOf(sentTo('19:procurement@thread.tacv2').at(-1));
    assert.match(textOf(procurementCard), /3 applications, 2 passed/);

    const draw = find(
      procurementCard,
      (n) => n.type === 'Action.Execute' && (n.data as { action?: string }).action === 'select_supplier',
    )[0];
    assert.ok(draw, 'procurement can draw');
    const res = await post(
      bot,
      cardAction(channel(PEOPLE.procurement, 'procurement'), 'decide', {
        ...(draw.data as object),
        // Whatever a card sends, the draw is among the store's passers with the seed fixed at the close.
        'select_supplier.candidates': 'Bo Code',
        seed: 'chosen',
      }),
    );
    assert.equal(res.status, 200);
    const drawn = await bot.store.get(reference);
    const passing = (await bot.store.applicationsOf(reference, {}, { limit: 10 })).items
      .filter((a) => a.evaluation?.result === 'pass')
      .map((a) => String(a.number))
      .sort();
    assert.deepEqual(drawn?.selection.draw?.candidates, passing);
    assert.equal(drawn?.selection.draw?.seed, o?.selection.drawSeed);
    const winner = drawWinner(o?.selection.drawSeed ?? '', passing, []);
    const expected = (await bot.store.applicationsOf(reference, {}, { limit: 10 })).items.find(
      (a) => String(a.number) === winner,
    );
    assert.equal(drawn?.selection.supplierName, expected?.content?.name);
    assert.equal(drawn?.selection.supplierLink, expected?.content?.publicLink);
    assert.notEqual(drawn?.selection.supplierName, 'Bo Code');

    // Anyone can check the draw from what the public page publishes, with nothing but SHA-256.
    const page = await (await fetch(`${bot.server.url}/en/opportunities/${reference}`)).text();
    const fingerprint = /SHA-256 fingerprint:\s*<code class="site-hash">([0-9a-f]{64})<\/code>/.exec(
      page,
    )?.[1];
    const section = /<section aria-labelledby="draw">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '';
    const values = [...section.matchAll(/<dd>([\s\S]*?)<\/dd>/g)].map((m) =>
      (m[1] ?? '').replace(/<[^>]+>/g, '').trim(),
    );
    const [seed, passed, order, selected] = values;
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    assert.equal(sha256(seed ?? ''), fingerprint, 'the seed is the one committed to at the close');
    const numbers = (passed ?? '').split(', ');
    const recomputed = [...numbers].sort((a, b) =>
      sha256(`${seed}:${a}`) < sha256(`${seed}:${b}`) ? -1 : 1,
    );
    assert.equal(recomputed.join(', '), order);
    assert.equal(selected, `Applicant ${recomputed[0]}`);
    assert.equal(`Applicant ${winner}`, selected);
  });

  /** Marks every card (Bo Code fails, the others pass), then procurement draws. */
  const markAndDraw = async () => {
    for (const card of evaluationCards()) {
      const result = answerOf(card)?.name === 'Bo Code' ? 'fail' : 'pass';
      await click(PEOPLE.requester, 'application.evaluate', {
        ...markButton(card, result),
        rationale: 'Why',
      });
    }
    await deliver();
    await procurementDoes('select_supplier');
  };
  const procurementDoes = async (action: string, values: Record<string, string> = {}) => {
    await deliver();
    const card = cardOf(sentTo('19:procurement@thread.tacv2').at(-1));
    const button = find(
      card,
      (n) => n.type === 'Action.Execute' && (n.data as { action?: string }).action === action,
    )[0];
    assert.ok(button, `${action} on ${textOf(card)}`);
    const res = await post(
      bot,
      cardAction(channel(PEOPLE.procurement, 'procurement'), 'decide', {
        ...(button.data as object),
        ...Object.fromEntries(Object.entries(values).map(([k, v]) => [`${action}.${k}`, v])),
      }),
    );
    assert.equal(res.status, 200);
    await deliver();
  };
  /** Procurement keeps the signed terms and records them; the card holder countersigns: the work starts. */
  const signTerms = async () => {
    const sent = activity('message', personal(PEOPLE.procurement), {
      text: `attach ${reference} terms`,
      attachments: [pdfAttachment('terms-signed.pdf')],
    });
    assert.equal((await post(bot, sent)).status, 200);
    await procurementDoes('sign_terms', {
      contractor: 'The drawn applicant',
      work: 'The work as posted',
      startDate: '2026-03-06',
      endDate: '2026-04-30',
      licence: 'MIT',
    });
    const o = await bot.store.get(reference);
    const countersign = cardAction(channel(PEOPLE.finance, 'finance'), 'decide', {
      reference,
      version: String(o?.version),
      action: 'countersign_terms',
    });
    assert.equal((await post(bot, countersign)).status, 200);
    assert.equal((await bot.store.get(reference))?.status, 'in_progress');
  };
  const mailsTo = async (to: string) => (await bot.store.mailbox(100)).filter((m) => m.to === to);

  it('tells the drawn applicant, then every other applicant once the terms are signed, each once and in their language', async () => {
    await applyAll();
    await close();
    await markAndDraw();
    const o = await bot.store.get(reference);
    const winner = APPLICANTS.find((a) => a.name === o?.selection.supplierName);
    assert.ok(winner);
    const [selected] = (await mailsTo(winner.email)).filter((m) => m.kind === 'application-selected');
    assert.ok(selected, 'the drawn applicant is told');
    assert.match(
      selected.subject,
      winner.locale === 'fr' ? /Vous avez été sélectionné/ : /You were selected/,
    );
    for (const a of APPLICANTS.filter((x) => x !== winner)) {
      assert.deepEqual(
        (await mailsTo(a.email)).filter((m) => m.kind !== 'application-confirm'),
        [],
        'nobody else hears before the award is confirmed',
      );
    }
    await signTerms();
    await deliver();
    for (const a of APPLICANTS) {
      const told = (await mailsTo(a.email)).filter((m) => m.kind !== 'application-confirm');
      assert.equal(told.length, 1, `${a.email}: ${told.map((m) => m.kind).join(', ')}`);
      if (a === winner) continue;
      const [mail] = told;
      assert.equal(mail?.kind, 'application-not-selected');
      assert.equal(mail?.locale, a.locale);
      const failed = a.name === 'Bo Code';
      assert.match(
        mail?.body ?? '',
        failed ? /did not pass the evaluation/ : a.locale === 'fr' ? /n’a pas été tirée/ : /was not drawn/,
      );
      assert.match(mail?.body ?? '', /\/(debrief|compte-rendu)\?application=a-[0-9a-f-]{36}&token=[\w-]{43}/);
    }
  });

  it('passes the award to the next drawn when the winner declines, and tells them', async () => {
    await applyAll();
    await close();
    await markAndDraw();
    const first = (await bot.store.get(reference))?.selection.supplierName;
    await procurementDoes('supplier_declined', { comment: 'Took another contract' });
    await procurementDoes('select_supplier');
    const o = await bot.store.get(reference);
    assert.ok(o?.selection.supplierName && o.selection.supplierName !== first);
    assert.notEqual(o.selection.supplierName, 'Bo Code');
    assert.equal(o.selection.declinedSuppliers.length, 1);
    const next = APPLICANTS.find((a) => a.name === o.selection.supplierName);
    assert.ok(next);
    assert.equal((await mailsTo(next.email)).filter((m) => m.kind === 'application-selected').length, 1);
    const page = await (await fetch(`${bot.server.url}/en/opportunities/${reference}`)).text();
    assert.match(page, /Declined or could not be reached/);
    assert.match(page, new RegExp(o.selection.drawSeed ?? 'no seed'));
    await signTerms();
    await deliver();
    const declined = APPLICANTS.find((a) => a.name === first);
    assert.ok(declined);
    assert.deepEqual(
      (await mailsTo(declined.email)).map((m) => m.kind).sort(),
      ['application-confirm', 'application-selected'],
      'the one who declined hears nothing more',
    );
  });

  it('keeps the first mark: a stale click shows who marked it, and only the requester may mark', async () => {
    await applyAll();
    await close();
    const [card] = evaluationCards();
    assert.ok(card);
    const refused = await click(PEOPLE.procurement, 'application.evaluate', {
      ...markButton(card, 'fail'),
      rationale: 'Not mine to mark',
    });
    assert.match(
      textOf(refused),
      new RegExp(`Riley Tremblay marks the applications to ${reference}: your click changed nothing`),
    );
    const noReason = await click(PEOPLE.requester, 'application.evaluate', {
      ...markButton(card, 'pass'),
      rationale: '   ',
    });
    assert.match(textOf(noReason), /Nothing was saved/);
    await click(PEOPLE.requester, 'application.evaluate', {
      ...markButton(card, 'pass'),
      rationale: 'Strong',
    });
    const late = await click(PEOPLE.requester, 'application.evaluate', {
      ...markButton(card, 'fail'),
      rationale: 'Changed my mind',
    });
    assert.match(textOf(late), /Riley Tremblay marked this application first/);
    const marked = (await bot.store.applicationsOf(reference, {}, { limit: 10 })).items.find(
      (a) => a.number === numberOf(card),
    );
    assert.equal(marked?.evaluation?.result, 'pass');
    assert.equal(marked?.evaluation?.rationale, 'Strong');
    const trail = await bot.store.auditTrail(reference);
    const marks = trail.filter((e) => e.action === 'application_marked');
    assert.deepEqual(
      marks.map((e) => [e.actor.name, e.outcome, e.reason ?? '']),
      [
        ['Priya Raman', 'refused', 'role'],
        ['Riley Tremblay', 'applied', ''],
        ['Riley Tremblay', 'refused', 'stale'],
      ],
    );
  });

  it('lets procurement give the marking to a colleague the bot can reach, who gets the cards left to mark', async () => {
    await post(bot, activity('message', personal(PEOPLE.colleague), { text: 'help' }));
    await applyAll();
    await close();
    const [first] = evaluationCards();
    assert.ok(first);
    await click(PEOPLE.requester, 'application.evaluate', {
      ...markButton(first, 'pass'),
      rationale: 'Good',
    });
    await deliver();
    const card = cardOf(sentTo('19:procurement@thread.tacv2').at(-1));
    assert.match(textOf(card), /1 of 3 applications marked[\s\S]*Marked by[\s\S]*Riley Tremblay/);
    const picker = find(card, (n) => n.id === 'reassign_evaluation.evaluator')[0];
    assert.ok(picker, 'procurement can choose who marks instead');
    const offered = (picker.choices as { title: string; value: string }[]).map((c) => c.title);
    assert.ok(offered.includes(PEOPLE.colleague.name), offered.join(', '));
    assert.ok(!offered.includes(PEOPLE.requester.name), 'not the one who marks already');
    const reassign = (evaluator: string) => {
      const button = find(
        card,
        (n) =>
          n.type === 'Action.Execute' && (n.data as { action?: string }).action === 'reassign_evaluation',
      ).at(-1);
      assert.ok(button);
      return post(
        bot,
        cardAction(channel(PEOPLE.procurement, 'procurement'), 'decide', {
          ...(button.data as object),
          'reassign_evaluation.evaluator': evaluator,
        }),
      );
    };
    // Someone the bot cannot reach is refused, and nothing changes.
    const refused = (await (await reassign('aad-nobody-knows')).json()) as { value: Card };
    assert.match(textOf(refused.value), /cannot be read: Who marks the applications instead/);
    assert.equal((await bot.store.get(reference))?.selection.evaluator, undefined);
    await reassign(PEOPLE.colleague.aadObjectId);
    assert.equal((await bot.store.get(reference))?.selection.evaluator?.name, PEOPLE.colleague.name);
    await deliver();
    const given = sentTo('a:chat-personal-aad-colleague')
      .map((m) => cardOf(m))
      .filter((c) => /Applicant \d/.test(textOf(c)));
    assert.equal(given.length, 2, 'the two applications left to mark');
    // The requester's own cards are spent: a click there changes nothing.
    const [, second] = evaluationCards();
    assert.ok(second);
    const late = await click(PEOPLE.requester, 'application.evaluate', {
      ...markButton(second, 'pass'),
      rationale: 'Too late',
    });
    assert.match(textOf(late), new RegExp(`${PEOPLE.colleague.name} marks the applications to ${reference}`));
    // Days go by: the marking left waits on the colleague, who is reminded in their chat, not the requester.
    const remindedAt = connector.sent.length;
    now = new Date(now.getTime() + 6 * 86_400_000);
    await deliver();
    const reminded = (chat: string) =>
      connector.sent
        .slice(remindedAt)
        .filter((m) => decodeURIComponent(m.path).startsWith(`/v3/conversations/${chat}/`))
        .some((m) => m.body.attachments && /^Reminder/.test(textOf(cardOf(m))));
    assert.equal(reminded('a:chat-personal-aad-colleague'), true, 'the colleague is reminded');
    assert.equal(reminded(requesterChat), false, 'the requester is not');
    for (const c of given) {
      await click(PEOPLE.colleague, 'application.evaluate', { ...markButton(c, 'fail'), rationale: 'No' });
    }
    const o = await bot.store.get(reference);
    assert.deepEqual([o?.selection.applications, o?.selection.passed], [3, 1]);
    const trail = (await bot.store.auditTrail(reference)).filter((e) => e.action === 'reassign_evaluation');
    assert.deepEqual(
      trail.map((e) => [e.actor.name, e.outcome]),
      [
        ['Priya Raman', 'refused'],
        ['Priya Raman', 'applied'],
      ],
    );
  });

  it('shows procurement, in a personal chat only, who applied and how each was marked, and records the reading', async () => {
    const ask = async (where: ReturnType<typeof personal>, text: string) => {
      const before = connector.sent.length;
      await post(bot, activity('message', where, { text }));
      return textOf(cardOf((await connector.waitFor(before + 1)).at(-1)));
    };
    await applyAll();
    await close();
    const [card] = evaluationCards();
    assert.ok(card);
    await click(PEOPLE.requester, 'application.evaluate', { ...markButton(card, 'fail'), rationale: 'Thin' });
    const shown = await ask(personal(PEOPLE.procurement), `applications ${reference}`);
    for (const a of APPLICANTS) {
      assert.ok(shown.includes(a.name) && shown.includes(a.email), `${a.name} is listed for procurement`);
    }
    assert.match(shown, /Confirmed applications: 3/);
    assert.match(shown, new RegExp(`Applicant ${numberOf(card)} · failed`));
    assert.match(shown, /federal public servant: No/);
    assert.match(shown, /Thin/);
    const trail = await bot.store.auditTrail(reference);
    assert.deepEqual(
      trail.filter((e) => e.action === 'applications_read').map((e) => e.actor.name),
      ['Priya Raman'],
    );
    // Never where others read, and never to anyone outside procurement.
    const inChannel = await ask(channel(PEOPLE.procurement, 'procurement'), `applications ${reference}`);
    assert.match(inChannel, /ask in your personal chat/);
    const requester = await ask(personal(PEOPLE.requester), `candidatures ${reference}`);
    assert.match(requester, /Seule l’équipe de l’approvisionnement|Only the procurement team/);
    for (const text of [inChannel, requester]) {
      for (const a of APPLICANTS) assert.ok(!text.includes(a.email), `${a.email} is not shown`);
    }
  });

  it('records no applicant at all at once, so procurement can close without an award', async () => {
    await close();
    const o = await bot.store.get(reference);
    assert.equal(o?.selection.applications, 0);
    assert.equal(o?.selection.passed, 0);
    assert.ok(
      sentTo(requesterChat).some((s) => /closed with no confirmed application/.test(textOf(cardOf(s)))),
    );
  });
});
