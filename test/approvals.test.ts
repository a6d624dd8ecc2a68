import { pdfAttachment } from './support/documents';
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_FORMS } from '../src/services/decisions';
import { fieldsOf, type FormStep, type IntakeFields } from '../src/services/intake';
import type { ActionName } from '../src/services/lifecycle';
import { button, type Card, find, inputs } from './support/cards';
import { CHECKLIST, NOW, TRANSLATION, typed } from './support/opportunities';
import { storeApplicant } from './support/published';
import {
  activity,
  cardOf,
  Connector,
  PEOPLE,
  post,
  type Sent,
  startTestBot,
  textOf,
  type TestBot,
  cardAction,
} from './support/teams';

/** Every point of the vetting checklist ticked, as the go form sends it. */
const GO = Object.fromEntries(Object.keys(CHECKLIST).map((c) => [c, 'true']));

/**
 * Approvals over real HTTP: each team acts from its own channel on the card posted there, the outbox
 * delivers cards, updates and lines through the (loopback) Bot Connector, and the requester is told.
 */

type Who = (typeof PEOPLE)[keyof typeof PEOPLE];
type Where = { from: Who; channel?: string; groupChat?: boolean };

describe('approvals in Teams', function () {
  this.timeout(20_000);
  let connector: Connector;
  let bot: TestBot;
  let dbPath: string;
  let now: Date;

  const start = async () => {
    bot = await startTestBot(
      {
        SQLITE_PATH: dbPath,
        BRANCHES: 'Benefits Delivery|DGPS|Direction générale de la prestation des services',
      },
      { now: () => now, background: false },
    );
  };

  beforeEach(async () => {
    now = new Date(NOW);
    dbPath = join(mkdtempSync(join(tmpdir(), 'microacq-approvals-')), 'bot.db');
    connector = await Connector.start();
    await start();
  });

  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const where = (w: Where) => ({
    serviceUrl: connector.url,
    from: w.from,
    ...(w.channel ? { conversationType: 'channel' as const, channel: w.channel } : {}),
    ...(w.groupChat ? { conversationType: 'groupChat' as const } : {}),
  });

  const say = async (text: string, w: Where, attachments: readonly object[] = []): Promise<Card> => {
    const before = connector.sent.length;
    const res = await post(bot, activity('message', where(w), { text, attachments }));
    assert.equal(res.status, 200);
    const sent = await connector.waitFor(before + 1);
    return cardOf(sent[sent.length - 1]);
  };

  const click = async (verb: string, data: Record<string, unknown>, w: Where): Promise<Card> => {
    const res = await post(bot, cardAction(where(w), verb, data));
    assert.equal(res.status, 200);
    return ((await res.json()) as { value: Card }).value;
  };

  /**
   * Presses a button on a line in the chat's history: the answer is posted below the line, which stays;
   * gives the card posted.
   */
  const pressBelow = async (verb: string, data: Record<string, unknown>, w: Where): Promise<Card> => {
    const before = connector.sent.length;
    const res = await post(bot, cardAction(where(w), verb, data));
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { type: string }).type, 'application/vnd.microsoft.activity.message');
    const sent = await connector.waitFor(before + 1);
    return cardOf(sent[sent.length - 1]);
  };

  /**
   * What was sent to a conversation since `from` (index in connector.sent), replies to commands said
   * there aside: those go to the command's thread (`;messageid=`), the outbox starts threads of its own.
   */
  const sentTo = (conversation: string, from = 0): Sent[] =>
    connector.sent
      .slice(from)
      .filter((s) => decodeURIComponent(s.path).startsWith(`/v3/conversations/${conversation}/`));
  const channelId = (name: string) => `19:${name}@thread.tacv2`;
  const lastCardIn = (name: string): Card => {
    const sent = sentTo(channelId(name)).filter((s) => s.body.attachments);
    return cardOf(sent[sent.length - 1]);
  };

  /** Lets a minute pass (Teams' rate limits pace each channel) and runs the clock and the outbox. */
  const deliver = async () => {
    now = new Date(now.getTime() + 60_000);
    await bot.server.tick();
  };

  const registerAll = async () => {
    for (const kind of ['procurement', 'finance', 'union', 'updates']) {
      const card = await say(`register ${kind}`, { from: PEOPLE.procurement, channel: kind });
      assert.match(textOf(card), /This channel now receives/);
    }
  };

  const submit = async (
    from: Who = PEOPLE.requester,
    overrides: IntakeFields = {},
    groupChat = false,
  ): Promise<string> => {
    let card = await say('new', { from, groupChat });
    const { draftId } = button(card, 'intake.next');
    for (const step of ['basics', 'work', 'pricing', 'attestations'] as FormStep[]) {
      const values = Object.fromEntries(fieldsOf(step).map((f) => [f, typed(overrides)[f] ?? '']));
      card = await click('intake.next', { draftId, step, ...values }, { from, groupChat });
    }
    card = await click('intake.submit', button(card, 'intake.submit'), { from, groupChat });
    const reference = /MA-\d{4}-\d{4}/.exec(textOf(card))?.[0];
    assert.ok(reference, textOf(card));
    return reference;
  };

  /** Presses the action's button on a card, filling its form with `values` (input ids without the prefix). */
  const decideOn = (card: Card, action: string, w: Where, values: Record<string, string> = {}) => {
    const found = find(
      card,
      (n) =>
        n.type === 'Action.Execute' &&
        n.verb === 'decide' &&
        (n.data as { action?: string }).action === action,
    )[0];
    if (!found) throw new Error(`no ${action} button on ${textOf(card)}`);
    // As Teams sends them: every input of the form as it stands, with what the person typed or ticked.
    const form = SHARED_FORMS[action as ActionName] ?? action;
    const shown = Object.fromEntries(
      find(card, (n) => typeof n.id === 'string' && n.id.startsWith(`${form}.`) && 'value' in n).map((n) => [
        n.id as string,
        n.value,
      ]),
    );
    const inputs = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${form}.${k}`, v]));
    return click('decide', { ...(found.data as object), ...shown, ...inputs }, w);
  };

  /** Procurement says go from the card in its channel, every point of the checklist ticked. */
  const goFromChannel = () =>
    decideOn(lastCardIn('procurement'), 'vet_go', { from: PEOPLE.procurement, channel: 'procurement' }, GO);

  const actionsOn = (card: Card) =>
    find(card, (n) => n.type === 'Action.Execute' && n.verb === 'decide').map(
      (n) => (n.data as { action: string }).action,
    );

  it('takes a request from submission to paid, each team acting from its own channel', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const vetting = lastCardIn('procurement');
    assert.match(textOf(vetting), new RegExp(`${reference} · submitted`));
    assert.deepEqual(actionsOn(vetting).sort(), [
      'amend_dates',
      'cancel',
      'request_edits',
      'vet_go',
      'vet_no_go',
    ]);

    const procurement = { from: PEOPLE.procurement, channel: 'procurement' };
    const finance = { from: PEOPLE.finance, channel: 'finance' };
    const union = { from: PEOPLE.union, channel: 'union' };
    const requester = { from: PEOPLE.requester };

    let answer = await decideOn(vetting, 'vet_go', procurement, GO);
    assert.match(textOf(answer), /Done: Go\./);
    const before = connector.sent.length;
    await deliver();
    assert.match(textOf(lastCardIn('finance')), /Approve \(s\. 32\)/);
    assert.match(textOf(lastCardIn('union')), /Raise a concern/);
    // The procurement card was updated in place to show the new state.
    const update = sentTo(channelId('procurement'), before).find((s) => s.method === 'PUT');
    assert.ok(update, 'the vetting card is updated in place');
    assert.match(textOf(cardOf(update)), /in approval/);
    const requesterLine = sentTo('a:chat-personal-aad-requester', before);
    assert.match(textOf(cardOf(requesterLine[0])), /vetted by the procurement team/);

    answer = await decideOn(lastCardIn('finance'), 'approve_funds', finance, {
      fundReservationNumber: 'FR-2026-118',
    });
    assert.match(textOf(answer), /approved by Farah Haddad, reservation FR-2026-118/);
    assert.deepEqual(actionsOn(answer), [], 'nothing left for finance to press once the funds are approved');
    await decideOn(lastCardIn('union'), 'acknowledge', union);
    await deliver();
    await decideOn(lastCardIn('procurement'), 'confirm_translation', procurement, TRANSLATION);
    await deliver();
    answer = await decideOn(lastCardIn('procurement'), 'post', procurement);
    assert.match(textOf(answer), new RegExp(`${reference} · posted`));
    await deliver();
    // Two suppliers apply from the public page (stored here as their confirmation leaves them).
    for (const name of ['Ada', 'Bo']) {
      const email = `${name.toLowerCase()}@example.ca`;
      const link = `https://example.com/${name.toLowerCase()}`;
      await storeApplicant(bot.store, reference, { name, email, link }, now.toISOString());
    }
    // Applications close by themselves once the deadline (7 December, Eastern) is over.
    const beforeClose = connector.sent.length;
    now = new Date('2026-12-08T05:30:00Z');
    await deliver();
    assert.equal((await bot.store.get(reference))?.status, 'closed');
    assert.ok(
      sentTo('a:chat-personal-aad-requester', beforeClose).some((s) =>
        /closed for applications/.test(textOf(cardOf(s))),
      ),
      'the requester is told applications closed',
    );
    // The requester marks each applicant from the cards in their chat; the counts are recorded from them.
    const toMark = sentTo('a:chat-personal-aad-requester', beforeClose)
      .map((s) => cardOf(s))
      .filter((c) => /Applicant \d/.test(textOf(c)));
    assert.equal(toMark.length, 2);
    for (const [i, card] of toMark.entries()) {
      const mark = find(
        card,
        (n) =>
          n.type === 'Action.Execute' &&
          n.verb === 'application.evaluate' &&
          (n.data as { result?: string }).result === (i === 0 ? 'pass' : 'fail'),
      )[0];
      await click('application.evaluate', { ...(mark?.data as object), rationale: 'Because' }, requester);
    }
    await deliver();
    assert.match(textOf(lastCardIn('procurement')), /2 applications, 1 passed/);
    answer = await decideOn(lastCardIn('procurement'), 'select_supplier', procurement);
    assert.match(textOf(answer), new RegExp(`${reference} · supplier selected`), textOf(answer));
    await deliver();
    // Procurement keeps the signed one-page terms, then records their blanks; the card holder countersigns.
    const kept = await say(`attach ${reference} terms`, { from: PEOPLE.procurement }, [
      pdfAttachment('terms-signed.pdf'),
    ]);
    assert.match(textOf(kept), /Signed terms kept: terms-signed\.pdf/, textOf(kept));
    answer = await decideOn(lastCardIn('procurement'), 'sign_terms', procurement, {
      startDate: '2026-12-08',
    });
    assert.match(textOf(answer), /waiting for the card holder’s countersignature/, textOf(answer));
    await deliver();
    answer = await decideOn(lastCardIn('finance'), 'countersign_terms', finance);
    assert.match(textOf(answer), new RegExp(`${reference} · in progress`), textOf(answer));
    await deliver();
    await decideOn(lastCardIn('procurement'), 'deliver', procurement, {
      link: 'https://github.com/example/pr/1',
    });
    await deliver();

    // The requester accepts from the line they received: it carries their buttons, and the request's
    // card comes below it.
    const delivered = cardOf(sentTo('a:chat-personal-aad-requester').at(-1));
    assert.deepEqual(actionsOn(delivered).sort(), ['accept', 'request_revisions']);
    const accepted = await pressBelow('decide', button(delivered, 'decide'), requester);
    assert.match(textOf(accepted), new RegExp(`${reference} · accepted`));
    await deliver();
    // Section 34 needs the supplier's invoice: the fixed price plus Ontario's 13 %, quoting the reservation.
    let certification = lastCardIn('finance');
    assert.ok(!actionsOn(certification).includes('certify'), 'no certification before the invoice');
    const invoice = {
      invoiceNumber: 'INV-7',
      invoiceDate: '2026-12-08',
      amount: '4,000.00',
      taxes: '520',
      total: '4520',
    };
    answer = await decideOn(certification, 'record_invoice', finance, { ...invoice, total: '4600' });
    assert.match(textOf(answer), /The total must equal the amount before tax plus the taxes/);
    answer = await decideOn(answer, 'record_invoice', finance, invoice);
    assert.match(
      textOf(answer),
      /no\. INV-7 of Tuesday, December 8, 2026: \$4,000\.00 \+ \$520\.00 taxes = \$4,520\.00/,
      textOf(answer),
    );
    await deliver();
    certification = lastCardIn('finance');
    answer = await decideOn(certification, 'certify', finance);
    await deliver();
    // Certification (s.34) and payment are in different hands: Farah certified, Dana records the payment.
    assert.deepEqual(actionsOn(answer), []);
    const payment = lastCardIn('finance');
    const paid = { method: 'paypal', paymentDate: '2026-12-08' };
    answer = await decideOn(payment, 'pay', finance, paid);
    assert.match(
      textOf(answer),
      /You certified this work \(section 34\): someone else in finance must record/,
    );
    answer = await decideOn(payment, 'pay', { from: PEOPLE.finance2, channel: 'finance' }, paid);
    assert.match(textOf(answer), new RegExp(`${reference} · paid`));
    await deliver();

    const record = await bot.store.get(reference);
    assert.equal(record?.status, 'paid');
    // Both finance cards, the first and the one for certification, show the request as paid.
    const financeCards = sentTo(channelId('finance')).filter((s) => s.body.attachments);
    const lastOfEach = new Map(financeCards.map((s) => [s.method === 'PUT' ? s.path : `post-${s.path}`, s]));
    assert.ok([...lastOfEach.values()].filter((s) => textOf(cardOf(s)).includes('· paid')).length >= 2);
    assert.equal(record?.finance.fundReservationNumber, 'FR-2026-118');
    assert.equal(record?.finance.paymentMethod, 'paypal');
    // The amount paid is the invoice's total, as the form offered it; the record links the signed terms.
    assert.equal(record?.finance.paymentAmountCents, 452_000);
    assert.equal(record?.finance.paidBy?.name, PEOPLE.finance2.name);
    assert.equal(record?.terms?.document?.name, 'terms-signed.pdf');
    assert.equal(record?.terms?.countersignedBy?.name, PEOPLE.finance.name);
    const lines = sentTo('a:chat-personal-aad-requester').map((s) => textOf(cardOf(s)));
    for (const told of ['vetted', 'funds approved', 'posted for applications', 'supplier selected', 'paid']) {
      assert.ok(
        lines.some((l) => l.includes(told)),
        `the requester was told: ${told}`,
      );
    }
    const updates = sentTo(channelId('updates')).map((s) => textOf(cardOf(s)));
    assert.ok(updates.some((l) => l.includes(`${reference}: submitted`)));
    assert.ok(updates.some((l) => l.includes(`${reference}: paid`)));
    const history = await say(`history ${reference}`, requester);
    assert.match(textOf(history), /Approve \(s\. 32\).*in approval/s);
  });

  it('puts a union concern before procurement and the requester, and posting waits for its answer', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const procurement = { from: PEOPLE.procurement, channel: 'procurement' };
    await decideOn(lastCardIn('procurement'), 'vet_go', procurement, GO);
    await deliver();
    await decideOn(
      lastCardIn('finance'),
      'approve_funds',
      { from: PEOPLE.finance, channel: 'finance' },
      {
        fundReservationNumber: 'FR-7',
      },
    );
    const before = connector.sent.length;
    await decideOn(
      lastCardIn('union'),
      'raise_concern',
      { from: PEOPLE.union, channel: 'union' },
      {
        comment: 'This overlaps work our members do',
      },
    );
    await deliver();
    const newCard = sentTo(channelId('procurement'), before).find((s) => s.method === 'POST');
    assert.ok(newCard, 'the concern reaches procurement as a new card');
    assert.match(textOf(cardOf(newCard)), /This overlaps work our members do/);
    assert.deepEqual(actionsOn(cardOf(newCard)).sort(), [
      'amend_dates',
      'answer_concern',
      'cancel',
      'confirm_translation',
      'translate',
    ]);
    const told = sentTo('a:chat-personal-aad-requester', before).map((s) => textOf(cardOf(s)));
    assert.ok(told.some((t) => t.includes('concern raised by the union')));

    let answer = await decideOn(cardOf(newCard), 'answer_concern', procurement, {
      comment: 'Members were asked; no one has capacity before March',
    });
    answer = await decideOn(answer, 'confirm_translation', procurement, TRANSLATION);
    assert.ok(actionsOn(answer).includes('post'), 'posting is offered once the concern is answered');
    answer = await decideOn(answer, 'post', procurement);
    assert.equal((await bot.store.get(reference))?.status, 'posted');
  });

  it('never lets a requester approve their own request, and audits the attempt', async () => {
    await registerAll();
    const reference = await submit(PEOPLE.finance);
    await deliver();
    await goFromChannel();
    await deliver();
    const answer = await decideOn(
      lastCardIn('finance'),
      'approve_funds',
      { from: PEOPLE.finance, channel: 'finance' },
      {
        fundReservationNumber: 'FR-1',
      },
    );
    assert.match(textOf(answer), /You cannot decide on your own request/);
    assert.equal((await bot.store.get(reference))?.finance.fundsStatus, 'pending');
    const refused = (await bot.store.auditTrail(reference)).filter((e) => e.outcome === 'refused');
    assert.deepEqual(
      refused.map((e) => [e.action, e.actor.aadObjectId, e.reason]),
      [['approve_funds', PEOPLE.finance.aadObjectId, 'own_request']],
    );
  });

  it('answers a team member without the role politely, naming who decides, changes nothing and audits it', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const answer = await decideOn(lastCardIn('procurement'), 'vet_go', {
      from: PEOPLE.union,
      channel: 'procurement',
    });
    assert.match(textOf(answer), /Only the procurement team can do that/);
    assert.equal((await bot.store.get(reference))?.status, 'submitted');
    assert.equal((await bot.store.auditTrail(reference)).at(-1)?.reason, 'role');
  });

  it('shows nothing of a request to someone who may not read it, and keeps their click off its history', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const card = lastCardIn('procurement');
    const answer = await decideOn(card, 'vet_go', { from: PEOPLE.colleague, channel: 'procurement' }, GO);
    assert.equal(
      textOf(answer),
      'You cannot see this request: it is seen by the person who made it, the procurement team, finance, the union and managers.',
    );
    const refreshed = await click(
      'card.refresh',
      { reference },
      { from: PEOPLE.colleague, channel: 'procurement' },
    );
    assert.doesNotMatch(textOf(refreshed), new RegExp(reference));
    assert.equal((await bot.store.get(reference))?.status, 'submitted');
    assert.deepEqual(
      (await bot.store.auditTrail(reference)).map((e) => e.action),
      ['submit'],
    );
  });

  it('makes exactly one decision of two simultaneous clicks; the other sees who won', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const card = lastCardIn('procurement');
    const [a, b] = await Promise.all([
      decideOn(card, 'vet_go', { from: PEOPLE.procurement, channel: 'procurement' }, GO),
      decideOn(
        card,
        'vet_no_go',
        { from: PEOPLE.procurement2, channel: 'procurement' },
        { reason: 'Out of scope' },
      ),
    ]);
    const texts = [textOf(a), textOf(b)];
    assert.equal(
      texts.filter((x) => /^Done:/m.test(x) || x.includes('Done:')).length,
      1,
      texts.join('\n---\n'),
    );
    assert.equal(texts.filter((x) => x.includes('Already decided by')).length, 1, texts.join('\n---\n'));
    const applied = (await bot.store.auditTrail(reference)).filter((e) => e.outcome === 'applied');
    assert.equal(applied.length, 2); // the submission and one decision
  });

  it('answers a click on a stale card with the current card and who decided', async () => {
    await registerAll();
    await submit();
    await deliver();
    const card = lastCardIn('procurement');
    await decideOn(card, 'vet_go', { from: PEOPLE.procurement, channel: 'procurement' }, GO);
    const again = await decideOn(card, 'vet_go', { from: PEOPLE.procurement2, channel: 'procurement' }, GO);
    assert.match(textOf(again), /Already decided by Priya Raman/);
    assert.match(textOf(again), /in approval/);
  });

  it('keeps the form when a decision lacks a value, saying which', async () => {
    await registerAll();
    await submit();
    await deliver();
    const answer = await decideOn(lastCardIn('procurement'), 'vet_no_go', {
      from: PEOPLE.procurement,
      channel: 'procurement',
    });
    assert.match(textOf(answer), /Some values are missing or cannot be read: Reason/);
    const counts = await decideOn(
      answer,
      'cancel',
      { from: PEOPLE.procurement, channel: 'procurement' },
      {
        reason: '   ',
      },
    );
    assert.match(textOf(counts), /Reason/);
  });

  it('keeps what was typed in a decision form that cannot be read', async () => {
    await registerAll();
    await submit();
    await deliver();
    const procurement = { from: PEOPLE.procurement, channel: 'procurement' };
    const card = await decideOn(lastCardIn('procurement'), 'vet_go', procurement, GO);
    await decideOn(card, 'confirm_translation', procurement, TRANSLATION);
    await deliver();
    await decideOn(
      lastCardIn('finance'),
      'approve_funds',
      { from: PEOPLE.finance, channel: 'finance' },
      {
        fundReservationNumber: 'FR-1',
      },
    );
    await decideOn(lastCardIn('union'), 'acknowledge', { from: PEOPLE.union, channel: 'union' });
    await deliver();
    await decideOn(lastCardIn('procurement'), 'post', procurement);
    await deliver();
    const refused = await decideOn(lastCardIn('procurement'), 'extend_applications', procurement, {
      applicationDeadline: 'next Tuesday',
      supplierSelectionDate: '2026-12-20',
    });
    assert.match(textOf(refused), /Some values are missing or cannot be read: /);
    const inputs = Object.fromEntries(
      find(refused, (n) => typeof n.id === 'string' && String(n.id).startsWith('extend_applications.')).map(
        (n) => [n.id, n.value],
      ),
    );
    assert.equal(inputs['extend_applications.applicationDeadline'], 'next Tuesday');
    assert.equal(inputs['extend_applications.supplierSelectionDate'], '2026-12-20');
  });

  it('lets the requester change the dates before posting, keeping what was typed when they break a rule', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const requester = { from: PEOPLE.requester };
    const card = await say(`status ${reference}`, requester);
    const refused = await decideOn(card, 'amend_dates', requester, {
      applicationDeadline: '2026-11-20',
      supplierSelectionDate: '2026-12-16',
      deliveryDate: '2027-02-05',
    });
    assert.match(
      textOf(refused),
      /The request breaks a rule\. The application deadline must be after today\./,
    );
    assert.deepEqual(
      Object.fromEntries(
        find(refused, (n) => typeof n.id === 'string' && String(n.id).startsWith('amend_dates.')).map((n) => [
          n.id,
          n.value,
        ]),
      ),
      {
        'amend_dates.applicationDeadline': '2026-11-20',
        'amend_dates.supplierSelectionDate': '2026-12-16',
        'amend_dates.deliveryDate': '2027-02-05',
        'amend_dates.comment': '',
      },
    );
    const amended = await decideOn(refused, 'amend_dates', requester, {
      applicationDeadline: '2026-12-14',
      supplierSelectionDate: '2026-12-16',
      deliveryDate: '2027-02-05',
      comment: 'The team needs a week more to review',
    });
    assert.match(textOf(amended), /Monday, December 14, 2026, 11:59 p\.m\. Eastern Time/);
    await deliver();
    // Procurement's vetting card shows the new dates, and the change is on the history.
    assert.match(textOf(lastCardIn('procurement')), /December 14, 2026/);
    const history = await say(`history ${reference}`, requester);
    assert.match(textOf(history), /Change the dates.*The team needs a week more to review/s);
  });

  it('routes a request submitted before the channels exist once they are registered', async () => {
    const reference = await submit();
    await deliver();
    assert.equal(sentTo(channelId('procurement')).length, 0);
    const card = await say('register procurement', { from: PEOPLE.procurement, channel: 'procurement' });
    assert.match(textOf(card), /One request was waiting for this channel/);
    await deliver();
    assert.match(textOf(lastCardIn('procurement')), new RegExp(reference));
  });

  it('refuses to register a channel for someone outside procurement, or outside a channel', async () => {
    assert.match(
      textOf(await say('register union', { from: PEOPLE.finance, channel: 'finance' })),
      /Only the procurement team/,
    );
    assert.match(
      textOf(await say('register finance', { from: PEOPLE.procurement })),
      /from inside the team channel/,
    );
    const list = await say('channels', { from: PEOPLE.procurement });
    assert.match(textOf(list), /Finance\*\*: not registered yet/);
  });

  it('sends a request back for edits; the requester revises it from the card and it returns to vetting', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    await decideOn(
      lastCardIn('procurement'),
      'request_edits',
      { from: PEOPLE.procurement, channel: 'procurement' },
      {
        comment: 'Please add **acceptance** tests to the criteria',
      },
    );
    await deliver();
    const line = sentTo('a:chat-personal-aad-requester').at(-1);
    assert.match(textOf(cardOf(line)), /sent back for edits/);
    // The line asks the requester to act: its button opens the revision below it.
    const revise = await pressBelow('intake.revise', button(cardOf(line), 'intake.revise'), {
      from: PEOPLE.requester,
    });
    assert.match(textOf(revise), /Changes were asked for MA-2026-0001/);
    assert.ok(
      find(
        revise,
        (n) => n.type === 'TextRun' && n.text === 'Please add **acceptance** tests to the criteria',
      ).length,
    );
    const { draftId } = button(revise, 'intake.edit');
    const work = await click('intake.edit', { draftId, target: 'work' }, { from: PEOPLE.requester });
    const values = Object.fromEntries(fieldsOf('work').map((f) => [f, typed()[f] ?? '']));
    let card = await click(
      'intake.next',
      { draftId, step: 'work', ...values, acceptanceCriteria: 'Acceptance tests pass; MIT licence.' },
      { from: PEOPLE.requester },
    );
    assert.ok(work);
    for (const step of ['pricing', 'attestations'] as FormStep[]) {
      const v = Object.fromEntries(fieldsOf(step).map((f) => [f, typed()[f] ?? '']));
      card = await click('intake.next', { draftId, step, ...v }, { from: PEOPLE.requester });
    }
    const done = await click('intake.submit', button(card, 'intake.submit'), { from: PEOPLE.requester });
    assert.match(textOf(done), new RegExp(`${reference} submitted`));
    const record = await bot.store.get(reference);
    assert.equal(record?.status, 'submitted');
    assert.equal(record?.acceptanceCriteria, 'Acceptance tests pass; MIT licence.');
    assert.equal((await bot.store.query({}, { limit: 10 })).items.length, 1);
    await deliver();
    assert.match(textOf(lastCardIn('procurement')), new RegExp(`${reference} · submitted`));
  });

  it('uses channels given by configuration until one is registered in chat', async () => {
    await bot.server.stop();
    bot = await startTestBot(
      {
        SQLITE_PATH: dbPath,
        CHANNEL_PROCUREMENT: channelId('configured-procurement'),
        TEAMS_SERVICE_URL: connector.url,
      },
      { now: () => now, background: false },
    );
    const reference = await submit();
    await deliver();
    assert.match(textOf(lastCardIn('configured-procurement')), new RegExp(`${reference} · submitted`));
    const list = await say('channels', { from: PEOPLE.procurement });
    assert.match(textOf(list), /Procurement team\*\*: set by configuration/);
    await say('register procurement', { from: PEOPLE.procurement, channel: 'procurement' });
    assert.match(
      textOf(await say('channels', { from: PEOPLE.procurement })),
      /Procurement team\*\*: registered/,
    );
  });

  it('lets finance and the union register their own channels', async () => {
    assert.match(
      textOf(await say('inscrire finances', { from: PEOPLE.finance, channel: 'finance' })),
      /This channel now receives: Finance/,
    );
    assert.match(
      textOf(await say('register union', { from: PEOPLE.union, channel: 'union' })),
      /Union consultation/,
    );
    assert.ok(await bot.store.getConversation('channel:finance'));
  });

  it('closes the union consultation by itself when its period ends, even across a restart', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    await goFromChannel();
    const closesOn = (await bot.store.get(reference))?.consultation.closesOn;
    assert.equal(closesOn, '2026-11-30');
    // 23:59 in Ottawa on its last day: it still runs.
    await bot.server.stop();
    now = new Date('2026-12-01T04:58:00Z');
    await start();
    await deliver();
    assert.equal((await bot.store.get(reference))?.consultation.status, 'open');
    // Past midnight in Ottawa, after a restart: the clock closes it.
    await bot.server.stop();
    now = new Date('2026-12-01T05:00:00Z');
    await start();
    await deliver();
    const record = await bot.store.get(reference);
    assert.equal(record?.consultation.status, 'closed');
    assert.equal((await bot.store.auditTrail(reference)).at(-1)?.actor.name, 'Microacq');
  });

  it('closes applications by itself once the deadline is over in Ottawa, even across a restart', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    // Posted: the store takes the record as the approvals would have left it.
    const o = await bot.store.get(reference);
    assert.ok(o);
    assert.equal(o.dates.applicationDeadline, '2026-12-07');
    await bot.store.transition(
      { ...o, status: 'posted', version: o.version + 1, timeline: { ...o.timeline, posted: NOW } },
      o.version,
      { at: NOW, actor: o.requester, action: 'post', from: o.status, to: 'posted', outcome: 'applied' },
    );
    // 23:58 in Ottawa on the deadline: applications are still open.
    await bot.server.stop();
    now = new Date('2026-12-08T04:58:00Z');
    await start();
    await deliver();
    assert.equal((await bot.store.get(reference))?.status, 'posted');
    // Past midnight there, after a restart: the clock closes them and tells procurement and the requester.
    await bot.server.stop();
    const before = connector.sent.length;
    now = new Date('2026-12-08T05:00:30Z');
    await start();
    await deliver();
    assert.equal((await bot.store.get(reference))?.status, 'closed');
    assert.equal((await bot.store.auditTrail(reference)).at(-1)?.actor.name, 'Microacq');
    assert.match(textOf(lastCardIn('procurement')), new RegExp(`${reference} · closed`));
    assert.ok(
      sentTo('a:chat-personal-aad-requester', before).some((m) =>
        textOf(cardOf(m)).includes(`${reference}: closed for applications`),
      ),
    );
  });

  it('sends a message queued before a restart after it, once', async () => {
    await registerAll();
    await submit();
    await bot.server.stop();
    assert.equal(sentTo(channelId('procurement')).length, 0);
    await start();
    await deliver();
    await deliver();
    assert.equal(sentTo(channelId('procurement')).filter((s) => s.method === 'POST').length, 1);
  });

  it('reminds each wait once a day in the channel that decides, mentioning who holds the role', async () => {
    await registerAll();
    // Farah and Dana have talked to the bot: it knows their names, as a mention needs.
    for (const who of [PEOPLE.finance, PEOPLE.finance2]) await say('help', { from: who });
    await submit();
    await deliver();
    await goFromChannel();
    await deliver();
    const before = { finance: sentTo(channelId('finance')).length, union: sentTo(channelId('union')).length };
    // Vetted Monday 23 November; Thursday is three business days on.
    now = new Date('2026-11-26T15:00:00Z');
    await deliver();
    await deliver();
    const reminders = sentTo(channelId('finance')).slice(before.finance);
    assert.equal(reminders.length, 1, 'one reminder a day');
    const card = cardOf(reminders[0]);
    assert.match(
      textOf(card),
      /Reminder: MA-2026-0001 has waited for the funds decision \(s\. 32\) since Monday, November 23, 2026/,
    );
    // A team's channel reads the reminder in both official languages.
    assert.match(
      textOf(card),
      /Rappel : MA-2026-0001 attend la décision sur les fonds \(art\. 32\) depuis le lundi 23 novembre 2026/,
    );
    assert.match(textOf(card), /<at>Farah Haddad<\/at>, <at>Dana Cho<\/at>/);
    assert.deepEqual((card.msteams as { entities: unknown[] }).entities, [
      {
        type: 'mention',
        text: '<at>Farah Haddad</at>',
        mentioned: { id: PEOPLE.finance.aadObjectId, name: 'Farah Haddad' },
      },
      {
        type: 'mention',
        text: '<at>Dana Cho</at>',
        mentioned: { id: PEOPLE.finance2.aadObjectId, name: 'Dana Cho' },
      },
    ]);
    // The union's consultation waits as long: its channel is reminded too, of its own wait.
    const union = sentTo(channelId('union'))
      .slice(before.union)
      .map((m) => textOf(cardOf(m)));
    assert.deepEqual(union.filter((t) => t.includes('Reminder')).length, 1);
    assert.match(union.join('\n'), /waited for the union consultation/);
    // The next day, one more.
    now = new Date('2026-11-27T15:00:00Z');
    await deliver();
    await deliver();
    assert.equal(sentTo(channelId('finance')).slice(before.finance).length, 2);
  });

  it('tells the managers once when a wait outlasts the escalation threshold', async () => {
    await registerAll();
    await say('help', { from: PEOPLE.manager });
    await submit();
    await deliver();
    await goFromChannel();
    await deliver();
    const managerChat = 'a:chat-personal-aad-manager';
    now = new Date('2026-11-26T15:00:00Z');
    await deliver();
    assert.equal(sentTo(managerChat).filter((m) => /has waited/.test(textOf(cardOf(m)))).length, 0);
    // Five business days after vetting (24, 25, 26, 27, 30 November), then a day more.
    for (const day of ['2026-11-30', '2026-12-01']) {
      now = new Date(`${day}T15:00:00Z`);
      await deliver();
      await deliver();
    }
    const told = sentTo(managerChat)
      .map((m) => textOf(cardOf(m)))
      .filter((t) => t.includes('has waited'));
    assert.deepEqual(
      told.filter((t) => t.includes('the funds decision')),
      [
        'MA-2026-0001: the funds decision (s. 32) has waited 5 business days, since Monday, November 23, 2026 — finance\nAccessible date picker for the benefits form\nSay history MA-2026-0001 for every step.\nOpen the request\nOpen the request',
      ],
    );
  });

  it('reminds the requester in person when the delivered work waits for them, with their buttons', async () => {
    await registerAll();
    await say('help', { from: PEOPLE.requester });
    const reference = await submit();
    await deliver();
    // Delivered on Monday: the store takes the record as the lifecycle would have left it.
    const o = await bot.store.get(reference);
    assert.ok(o);
    await bot.store.transition(
      { ...o, status: 'delivered', version: o.version + 1, timeline: { ...o.timeline, delivered: NOW } },
      o.version,
      { at: NOW, actor: o.requester, action: 'deliver', from: o.status, to: 'delivered', outcome: 'applied' },
    );
    const chat = 'a:chat-personal-aad-requester';
    const before = sentTo(chat).length;
    now = new Date('2026-11-26T15:00:00Z');
    await deliver();
    await deliver();
    const reminders = sentTo(chat).slice(before);
    assert.equal(reminders.length, 1);
    const card = cardOf(reminders[0]);
    assert.match(textOf(card), /Reminder: MA-2026-0001 waits for you: acceptance of the delivered work/);
    assert.deepEqual(actionsOn(card).sort(), ['accept', 'request_revisions']);
    // Accepting from the reminder posts the request's card below it; the reminder stays in the chat.
    const res = await post(
      bot,
      cardAction(where({ from: PEOPLE.requester }), 'decide', button(card, 'decide')),
    );
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { type: string; value: unknown };
    assert.equal(answer.type, 'application/vnd.microsoft.activity.message');
    assert.equal((await bot.store.get(reference))?.status, 'accepted');
  });

  it('asks procurement to tick each point of the vetting checklist before Go, and records the go with it', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const procurement = { from: PEOPLE.procurement, channel: 'procurement' };
    const card = lastCardIn('procurement');
    // Four points ticked of five: refused, the rule said, and what was ticked stays ticked.
    const refused = await decideOn(card, 'vet_go', procurement, { ...GO, notStaffing: 'false' });
    assert.match(textOf(refused), /Tick every point of the vetting checklist/);
    const form = inputs(refused);
    assert.equal(form['vet_go.openSource'], 'true');
    assert.equal(form['vet_go.notStaffing'], 'false');
    assert.equal((await bot.store.get(reference))?.status, 'submitted');
    assert.equal((await bot.store.auditTrail(reference)).at(-1)?.reason, 'vetting_checklist_incomplete');
    const answer = await decideOn(refused, 'vet_go', procurement, GO);
    assert.match(textOf(answer), /Done: Go\./);
    const record = await bot.store.get(reference);
    assert.deepEqual(record?.vettingChecklist, Object.keys(CHECKLIST));
    assert.match(textOf(answer), /go by Priya Raman, each point of the checklist confirmed/);
  });

  it('shows procurement the branch’s similar requests under any of the branch’s names, with the ceiling in view', async () => {
    await registerAll();
    const first = await submit(PEOPLE.requester, {
      title: 'Accessible date picker, phase 1',
      branch: 'DGPS',
    });
    const second = await submit(PEOPLE.requester, {
      branch: 'benefits delivery',
      hourlyRate: '100',
      estimatedHours: '50',
    });
    await deliver();
    const cards = sentTo(channelId('procurement'))
      .filter((s) => s.method === 'POST')
      .map((s) => cardOf(s));
    const vetting = cards.find((c) => textOf(c).includes(`${second} · submitted`));
    assert.ok(vetting, 'the second request’s card');
    const text = textOf(vetting);
    assert.match(text, new RegExp(`${first} · Accessible date picker, phase 1`));
    assert.match(text, /Together they pass the \$10,000 ceiling/);
    assert.match(text, /Ensemble, elles dépassent le plafond/);
    // Finance and the union never see it.
    const procurement = { from: PEOPLE.procurement, channel: 'procurement' };
    await decideOn(vetting, 'vet_go', procurement, GO);
    await deliver();
    assert.doesNotMatch(textOf(lastCardIn('finance')), new RegExp(first));
    assert.doesNotMatch(textOf(lastCardIn('union')), new RegExp(first));
  });

  it('holds the opportunity in both languages: the requester proposes, procurement completes and confirms', async () => {
    await registerAll();
    const reference = await submit();
    const requester = { from: PEOPLE.requester };
    const procurement = { from: PEOPLE.procurement, channel: 'procurement' };
    // The requester proposes the French title from their own card.
    const mine = await say(`status ${reference}`, requester);
    let answer = await decideOn(mine, 'translate', requester, { title: TRANSLATION.title });
    assert.match(textOf(answer), /Done: Translation\./);
    assert.deepEqual(
      actionsOn(answer).includes('confirm_translation'),
      false,
      'the requester never confirms',
    );
    await deliver();
    await decideOn(lastCardIn('procurement'), 'vet_go', procurement, GO);
    await deliver();
    // Procurement finds the proposed title in its form; confirming with texts missing is refused,
    // and what it typed is kept.
    const card = lastCardIn('procurement');
    assert.equal(inputs(card)['translate.title'], TRANSLATION.title);
    answer = await decideOn(card, 'confirm_translation', procurement, { background: TRANSLATION.background });
    assert.match(
      textOf(answer),
      /Some values are missing or cannot be read: Short description, Deliverables, Evaluation criterion and Acceptance criteria\./,
    );
    assert.equal(inputs(answer)['translate.background'], TRANSLATION.background);
    assert.equal(inputs(answer)['translate.title'], TRANSLATION.title);
    assert.equal((await bot.store.get(reference))?.translationConfirmed, false);
    answer = await decideOn(answer, 'confirm_translation', procurement, TRANSLATION);
    assert.match(textOf(answer), /Done: Confirm the translation\./);
    const record = await bot.store.get(reference);
    assert.equal(record?.translationConfirmed, true);
    assert.equal(record?.translation?.deliverables, TRANSLATION.deliverables);
    assert.equal(record?.translation?.by.name, 'Priya Raman');
    // A finance officer who reads French reads the request in French.
    await say('language french', { from: PEOPLE.finance2 });
    const french = await say(`état ${reference}`, { from: PEOPLE.finance2 });
    assert.ok(textOf(french).includes(TRANSLATION.title));
    assert.ok(textOf(french).includes(TRANSLATION.background));
    assert.ok(!textOf(french).includes(record?.background ?? '-'));
  });

  it('posts to channels in both official languages, and tells the requester in theirs', async () => {
    await registerAll();
    await say('language french', { from: PEOPLE.requester });
    const reference = await submit();
    await deliver();
    const vetting = textOf(lastCardIn('procurement'));
    for (const words of ['Go / Accepter', 'Details', 'Détails', 'submitted / soumise']) {
      assert.ok(vetting.includes(words), words);
    }
    const before = connector.sent.length;
    await goFromChannel();
    await deliver();
    const updates = sentTo(channelId('updates'), before)
      .map((s) => textOf(cardOf(s)))
      .join('\n');
    assert.match(updates, new RegExp(`${reference}: vetted by the procurement team`));
    assert.match(updates, new RegExp(`${reference} : examinée par l’approvisionnement`));
    const told = sentTo('a:chat-personal-aad-requester', before)
      .map((s) => textOf(cardOf(s)))
      .join('\n');
    assert.match(told, /examinée par l’approvisionnement/);
    assert.doesNotMatch(told, /vetted by the procurement team/);
    for (const team of ['finance', 'union']) {
      const text = textOf(lastCardIn(team));
      assert.ok(text.includes('in approval / en approbation'), team);
    }
  });

  it('cuts a comment pasted longer than the form holds, says so next to it, and keeps the rest', async () => {
    await registerAll();
    const reference = await submit();
    await deliver();
    const pasted = 'Découpez les livrables. '.repeat(209).slice(0, 5000);
    const answer = await decideOn(
      lastCardIn('procurement'),
      'request_edits',
      {
        from: PEOPLE.procurement,
        channel: 'procurement',
      },
      { comment: pasted },
    );
    const kept = String(inputs(answer)['request_edits.comment']);
    assert.equal([...kept].length, 4000);
    assert.ok(pasted.startsWith(kept));
    assert.match(textOf(answer), /Cut to 4000 characters: you pasted 5000\. Check the end before you send\./);
    assert.equal((await bot.store.get(reference))?.status, 'submitted');
    // The form has no length of its own: the whole paste reached the bot, which said what it kept.
    const field = find(lastCardIn('procurement'), (n) => n.id === 'request_edits.comment')[0];
    assert.equal(field?.maxLength, undefined);
  });

  it('tells a requester who asked from a group chat there, in both languages, since everyone there reads it', async () => {
    await registerAll();
    // No personal chat with the bot: the group chat where the request was made hears of it.
    const reference = await submit(PEOPLE.colleague, {}, true);
    await deliver();
    const before = connector.sent.length;
    await goFromChannel();
    await deliver();
    const chat = `a:chat-groupChat-${PEOPLE.colleague.aadObjectId}`;
    const told = sentTo(chat, before)
      .map((s) => textOf(cardOf(s)))
      .join('\n');
    assert.match(told, new RegExp(`${reference}: vetted by the procurement team`));
    assert.match(told, new RegExp(`${reference} : examinée par l’approvisionnement`));
  });
});
