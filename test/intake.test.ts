import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fieldsOf, type FormStep, type IntakeFields } from '../src/services/intake';
import { button, buttons, type Card, errorUnder, find, inputs } from './support/cards';
import { content, NOW, typed } from './support/opportunities';
import {
  activity,
  cardOf,
  Connector,
  PEOPLE,
  post,
  startTestBot,
  textOf,
  type TestBot,
  cardAction,
} from './support/teams';

/** The intake conversation over real HTTP, as Teams drives it: commands, then Action.Execute invokes. */

type Who = (typeof PEOPLE)[keyof typeof PEOPLE];

function stepData(step: FormStep, fields: IntakeFields): Record<string, string> {
  return Object.fromEntries(fieldsOf(step).map((f) => [f, fields[f] ?? '']));
}

describe('intake in Teams', () => {
  let connector: Connector;
  let bot: TestBot;
  let dbPath: string;

  const start = async () => {
    bot = await startTestBot({ SQLITE_PATH: dbPath }, { now: () => new Date(NOW) });
  };

  beforeEach(async () => {
    dbPath = join(mkdtempSync(join(tmpdir(), 'microacq-intake-')), 'bot.db');
    connector = await Connector.start();
    await start();
  });

  afterEach(async () => {
    await bot.server.stop();
    await connector.close();
  });

  const say = async (
    text: string,
    o: { locale?: string; from?: Who; conversationType?: 'personal' | 'channel' } = {},
  ) => {
    const before = connector.sent.length;
    const res = await post(bot, activity('message', { serviceUrl: connector.url, ...o }, { text }));
    assert.equal(res.status, 200);
    const sent = await connector.waitFor(before + 1);
    return cardOf(sent[sent.length - 1]);
  };

  const click = async (
    verb: string,
    data: Record<string, unknown>,
    o: { locale?: string; from?: Who; id?: string } = {},
  ): Promise<Card> => {
    const a = cardAction({ serviceUrl: connector.url, ...o }, verb, data);
    const res = await post(bot, o.id ? { ...a, id: o.id } : a);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { value: Card };
    return body.value;
  };

  /** Fills every step from `fields` and arrives at the review. */
  const fillAll = async (fields: IntakeFields = typed(), o: { locale?: string; from?: Who } = {}) => {
    let card = await say('new', o);
    for (const step of ['basics', 'work', 'pricing', 'attestations'] as const) {
      const { draftId } = button(card, 'intake.next');
      card = await click('intake.next', { draftId, step, verb: 'intake.next', ...stepData(step, fields) }, o);
    }
    return card;
  };

  it('opens the first step on "new", with the person as contact and MIT as the licence', async () => {
    const card = await say('new');
    assert.match(textOf(card), /New request/);
    assert.match(textOf(card), /Step 1 of 5: The basics/);
    assert.equal(inputs(card).contactName, PEOPLE.requester.name);
    const drafts = await bot.store.listDrafts(PEOPLE.requester.aadObjectId);
    assert.equal(drafts.length, 1);
    assert.equal((drafts[0]?.data.fields as IntakeFields).licence, 'MIT');
  });

  it('opens the intake in French on "nouveau", with a title given after the command', async () => {
    const card = await say('nouveau Sélecteur de date accessible', { locale: 'fr-CA' });
    assert.match(textOf(card), /Étape 1 sur 5 : L’essentiel/);
    assert.equal(inputs(card).title, 'Sélecteur de date accessible');
  });

  it('takes a request from "new" to a submitted record with every field, a reference and a confirmation', async () => {
    const review = await fillAll();
    assert.match(textOf(review), /Step 5 of 5: Review and submit/);
    assert.match(textOf(review), /\$4,000\.00 \(\$4,600\.00 with the highest tax\)/);
    const confirmation = await click('intake.submit', button(review, 'intake.submit'));
    assert.match(textOf(confirmation), /Request MA-2026-0001 submitted/);
    assert.match(textOf(confirmation), /What happens next/);
    assert.match(textOf(confirmation), /applications close on Monday, December 7, 2026/);

    const record = await bot.store.get('MA-2026-0001');
    assert.ok(record);
    assert.equal(record.status, 'submitted');
    assert.deepEqual(record.requester, {
      aadObjectId: PEOPLE.requester.aadObjectId,
      name: PEOPLE.requester.name,
    });
    const c = content();
    for (const key of Object.keys(c) as (keyof typeof c)[]) assert.deepEqual(record[key], c[key], key);
    const audit = await bot.store.auditTrail('MA-2026-0001');
    assert.deepEqual(
      audit.map((a) => [a.action, a.to, a.actor.aadObjectId]),
      [['submit', 'submitted', PEOPLE.requester.aadObjectId]],
    );
    assert.ok(await bot.store.getConversation('request:MA-2026-0001'));
    // Its messages are queued: no change waits to be announced.
    assert.deepEqual(await bot.store.pendingNotifications(10), []);
    assert.deepEqual(
      await bot.store.listDrafts(PEOPLE.requester.aadObjectId).then((d) => d.map((x) => x.step)),
      ['submitted'],
    );
  });

  it('creates one record from a double click on submit, and both clicks see it', async () => {
    const review = await fillAll();
    const data = button(review, 'intake.submit');
    const [a, b] = await Promise.all([click('intake.submit', data), click('intake.submit', data)]);
    assert.match(textOf(a), /MA-2026-0001 submitted/);
    assert.match(textOf(b), /MA-2026-0001 submitted/);
    const all = await bot.store.query({}, { limit: 10 });
    assert.equal(all.items.length, 1);
    assert.deepEqual(
      (await bot.store.auditTrail('MA-2026-0001')).map((e) => [e.action, e.outcome]),
      [['submit', 'applied']],
    );
  });

  it('starts one draft and answers once when Teams delivers the same "new" message twice', async () => {
    const message = activity('message', { serviceUrl: connector.url }, { text: 'new' });
    await Promise.all([post(bot, message), post(bot, message)]);
    await post(bot, message);
    await connector.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await bot.store.listDrafts(PEOPLE.requester.aadObjectId)).length, 1);
    assert.equal(connector.sent.length, 1);
  });

  it('answers a redelivered submit, even after a restart, with the same record', async () => {
    const review = await fillAll();
    const data = button(review, 'intake.submit');
    await click('intake.submit', data, { id: 'same-activity' });
    await bot.server.stop();
    await start();
    const again = await click('intake.submit', data, { id: 'same-activity' });
    assert.match(textOf(again), /MA-2026-0001 submitted/);
    assert.equal((await bot.store.query({}, { limit: 10 })).items.length, 1);
  });

  it('shows each problem next to its field, in English, and keeps what was typed', async () => {
    const card = await say('new');
    const { draftId } = button(card, 'intake.next');
    const typedIn = stepData('basics', typed({ title: '', contactEmail: 'riley at example' }));
    const again = await click('intake.next', { draftId, step: 'basics', ...typedIn });
    assert.match(textOf(again), /Step 1 of 5/);
    assert.match(textOf(again), /2 things to fix below/);
    assert.equal(errorUnder(again, 'title'), 'This is required.');
    assert.equal(errorUnder(again, 'contactEmail'), 'Enter an email address, such as name@example.gc.ca.');
    assert.equal(errorUnder(again, 'branch'), undefined);
    assert.equal(inputs(again).contactEmail, 'riley at example');
    assert.equal(inputs(again).department, typedIn.department);
    const saved = await bot.store.getDraft(PEOPLE.requester.aadObjectId, draftId);
    assert.equal((saved?.data.fields as IntakeFields).contactEmail, 'riley at example');
  });

  it('explains problems in French to a French-speaking person, amounts in French format', async () => {
    const fr = { locale: 'fr-CA' };
    let card = await say('nouveau', fr);
    const { draftId } = button(card, 'intake.next');
    for (const step of ['basics', 'work'] as const) {
      card = await click('intake.next', { draftId, step, ...stepData(step, typed()) }, fr);
    }
    card = await click(
      'intake.next',
      {
        draftId,
        step: 'pricing',
        ...stepData('pricing', typed({ hourlyRate: '100', estimatedHours: '80' })),
      },
      fr,
    );
    assert.match(
      errorUnder(card, 'estimatedHours') ?? '',
      /Avec la taxe la plus élevée, le prix serait de 10\s350,00\s\$, au-delà du plafond de 10\s000,00\s\$/,
    );
    assert.match(JSON.stringify(card), /9\s000,00\s\$ = 100,00\s\$ × \(80 h \+ 10 h d’administration\)/);
    card = await click(
      'intake.next',
      {
        draftId,
        step: 'pricing',
        ...stepData('pricing', typed({ hourlyRate: 'quatre-vingts', deliveryDate: '2026-12-01' })),
      },
      fr,
    );
    assert.equal(errorUnder(card, 'hourlyRate'), 'Entrez un nombre, comme 80 ou 80,50.');
    assert.equal(errorUnder(card, 'deliveryDate'), 'La livraison doit suivre la sélection du fournisseur.');
    assert.equal(inputs(card).hourlyRate, 'quatre-vingts');
  });

  it('keeps the form and what was typed when the records cannot be saved, and saves on the next click', async function () {
    this.timeout(20_000);
    let card = await say('new');
    const { draftId } = button(card, 'intake.next');
    const basics = stepData('basics', typed());
    const writer = new Database(dbPath);
    writer.exec('BEGIN IMMEDIATE');
    try {
      card = await click('intake.next', { draftId, step: 'basics', ...basics });
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    assert.match(textOf(card), /this step is not saved yet/);
    assert.match(textOf(card), /Step 1 of 5/);
    assert.deepEqual(Object.fromEntries(Object.keys(basics).map((k) => [k, inputs(card)[k]])), basics);
    card = await click('intake.next', { draftId, step: 'basics', ...basics });
    assert.match(textOf(card), /Step 2 of 5/);
  });

  it('cuts 100 KB pasted into a field to what it holds, says so, and keeps the card small', async () => {
    let card = await say('new');
    const { draftId } = button(card, 'intake.next');
    card = await click('intake.next', { draftId, step: 'basics', ...stepData('basics', typed()) });
    const pasted = 'Contexte détaillé 🚀 '.repeat(5_000); // about 100 KB
    card = await click('intake.next', {
      draftId,
      step: 'work',
      ...stepData('work', typed({ background: pasted })),
    });
    assert.match(textOf(card), /Step 2 of 5/);
    assert.match(
      errorUnder(card, 'background') ?? '',
      /^You entered at least 100,000 characters and this field holds 2,000, so your text was cut to its first 2,000/,
    );
    assert.equal(inputs(card).background, [...pasted].slice(0, 2_000).join(''));
    assert.ok(Buffer.byteLength(JSON.stringify(card)) < 28 * 1024);
  });

  for (const [locale, word, note] of [
    [
      'en-CA',
      'new',
      'You entered 5,000 characters and this field holds 100, so your text was cut to its first 100 characters. Check the end before going on.',
    ],
    [
      'fr-CA',
      'nouveau',
      'Vous avez saisi 5 000 caractères et ce champ en contient au plus 100 : votre texte a été coupé à ses 100 premiers caractères. Vérifiez la fin avant de continuer.',
    ],
  ] as const) {
    it(`keeps the first 100 characters of a 5,000-character title paste and says so next to the title (${locale})`, async () => {
      const o = { locale };
      let card = await say(word, o);
      const { draftId } = button(card, 'intake.next');
      const title = find(card, (n) => n.id === 'title')[0];
      assert.ok(
        ((title?.maxLength as number | undefined) ?? Infinity) >= 5_000,
        'the card lets the paste through',
      );
      const pasted = Array.from({ length: 5_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      card = await click(
        'intake.next',
        { draftId, step: 'basics', ...stepData('basics', typed({ title: pasted })) },
        o,
      );
      assert.equal(inputs(card).title, pasted.slice(0, 100));
      assert.equal(errorUnder(card, 'title')?.replace(/\s/g, ' '), note);
      assert.equal(errorUnder(card, 'shortDescription'), undefined);
      const saved = await bot.store.getDraft(PEOPLE.requester.aadObjectId, draftId);
      assert.equal((saved?.data.fields as IntakeFields).title, pasted.slice(0, 100));
    });
  }

  for (const [locale, word, note] of [
    [
      'en-CA',
      'new',
      'Choose an open-source licence from the list: MIT for a new repository, or the licence of the existing repository.',
    ],
    [
      'fr-CA',
      'nouveau',
      'Choisissez une licence libre dans la liste : MIT pour un nouveau dépôt, ou la licence du dépôt existant.',
    ],
  ] as const) {
    it(`refuses a licence not on the list next to the field, keeping it in the draft (${locale})`, async () => {
      const o = { locale };
      let card = await say(word, o);
      const { draftId } = button(card, 'intake.next');
      card = await click('intake.next', { draftId, step: 'basics', ...stepData('basics', typed()) }, o);
      const work = stepData('work', typed({ licence: 'proprietary' }));
      card = await click('intake.next', { draftId, step: 'work', ...work }, o);
      assert.equal(errorUnder(card, 'licence'), note);
      assert.equal(inputs(card).licence, 'proprietary');
      assert.equal(errorUnder(card, 'acceptanceCriteria'), undefined);
      const saved = await bot.store.getDraft(PEOPLE.requester.aadObjectId, draftId);
      assert.equal((saved?.data.fields as IntakeFields).licence, 'proprietary');
      card = await click('intake.next', { draftId, step: 'work', ...work, licence: 'GPL-3.0-or-later' }, o);
      assert.equal(errorUnder(card, 'licence'), undefined);
      assert.ok(inputs(card).hourlyRate !== undefined, 'on to the price and dates');
    });
  }

  it('shows the licence criterion it adds on the review and the confirmation, and records the licence', async () => {
    const criterion =
      'The code is released under the Apache License 2.0 (SPDX: Apache-2.0), in a public repository.';
    const review = await fillAll(typed({ licence: 'Apache-2.0' }));
    assert.ok(textOf(review).includes(criterion));
    const confirmation = await click('intake.submit', button(review, 'intake.submit'));
    assert.ok(textOf(confirmation).includes(criterion));
    assert.equal((await bot.store.get('MA-2026-0001'))?.licence, 'Apache-2.0');
    const fr = await fillAll(typed({ licence: 'Apache-2.0' }), { locale: 'fr-CA' });
    assert.ok(
      textOf(fr).includes(
        'Le code est publié sous la licence Apache 2.0 (SPDX : Apache-2.0), dans un dépôt public.',
      ),
    );
  });

  it('refuses values of the wrong type from forged card data, keeping the rest', async () => {
    let card = await say('new');
    const { draftId } = button(card, 'intake.next');
    card = await click('intake.next', {
      draftId,
      step: 'basics',
      ...stepData('basics', typed()),
      title: { $ne: null },
      team: ['Online services'],
    });
    assert.equal(errorUnder(card, 'title'), 'This value could not be read. Please type it again.');
    assert.equal(errorUnder(card, 'team'), 'This value could not be read. Please type it again.');
    assert.equal(inputs(card).branch, 'Benefits Delivery');
  });

  it('goes back without judging the step, keeping what was typed on it', async () => {
    let card = await say('new');
    const { draftId } = button(card, 'intake.next');
    card = await click('intake.next', { draftId, step: 'basics', ...stepData('basics', typed()) });
    card = await click('intake.back', {
      draftId,
      step: 'work',
      background: 'Half written',
      deliverables: '',
    });
    assert.match(textOf(card), /Step 1 of 5/);
    assert.doesNotMatch(textOf(card), /to fix/);
    card = await click('intake.next', { draftId, step: 'basics', ...stepData('basics', typed()) });
    assert.equal(inputs(card).background, 'Half written');
  });

  it('lets the person edit any step from the review and come back to it', async () => {
    const review = await fillAll();
    const edit = buttons(review).filter((b) => b.verb === 'intake.edit');
    assert.equal(edit.length, 4);
    const pricing = await click('intake.edit', edit[2]?.data as Record<string, string>);
    assert.match(textOf(pricing), /Step 3 of 5: Price and dates/);
    assert.equal(inputs(pricing).hourlyRate, '80');
  });

  it('sends a person back to the step with a problem when a date passed before submitting', async () => {
    const review = await fillAll();
    await bot.server.stop();
    bot = await startTestBot({ SQLITE_PATH: dbPath }, { now: () => new Date('2026-12-08T15:00:00Z') });
    const card = await click('intake.submit', button(review, 'intake.submit'));
    assert.match(textOf(card), /Step 3 of 5/);
    assert.equal(errorUnder(card, 'applicationDeadline'), 'The application deadline must be after today.');
    assert.equal((await bot.store.query({}, { limit: 10 })).items.length, 0);
  });

  it('keeps drafts across a restart: "drafts" lists them and resume opens the saved step', async () => {
    let card = await say('new');
    const { draftId } = button(card, 'intake.next');
    card = await click('intake.next', { draftId, step: 'basics', ...stepData('basics', typed()) });
    await say('new');
    await bot.server.stop();
    await start();
    const list = await say('drafts');
    assert.match(textOf(list), /2 requests in progress/);
    assert.match(textOf(list), /Accessible date picker for the benefits form/);
    assert.match(textOf(list), /\(untitled request\)/);
    const resume = buttons(list).find(
      (b) => b.verb === 'intake.resume' && (b.data as { draftId: string }).draftId === draftId,
    );
    card = await click('intake.resume', resume?.data as Record<string, string>);
    assert.match(textOf(card), /Step 2 of 5: The work/);
    assert.match(textOf(card), /Accessible date picker for the benefits form/);
  });

  it('discards a draft, and a later click on its card says it is gone', async () => {
    const card = await say('new');
    const data = button(card, 'intake.next');
    const done = await click('intake.discard', button(card, 'intake.discard'));
    assert.match(textOf(done), /Draft discarded/);
    assert.equal((await bot.store.listDrafts(PEOPLE.requester.aadObjectId)).length, 0);
    const stale = await click('intake.next', { ...data, step: 'basics', title: 'x' });
    assert.match(textOf(stale), /not one of yours, or it was discarded/);
  });

  it('keeps someone else from filling in or submitting my draft', async () => {
    const review = await fillAll();
    const card = await click('intake.submit', button(review, 'intake.submit'), { from: PEOPLE.finance });
    assert.match(textOf(card), /not one of yours, or it was discarded/);
    assert.equal((await bot.store.query({}, { limit: 10 })).items.length, 0);
  });

  it('stops at 20 requests in progress', async () => {
    for (let i = 0; i < 20; i++) await say('new');
    const card = await say('new');
    assert.match(textOf(card), /already have 20 requests in progress/);
  });

  it('shows typed template syntax, Markdown and links as plain text that cannot pass for the bot', async () => {
    const tricky = '${heading} **Approved** [click](https://evil.example)';
    let card = await say('new');
    const { draftId } = button(card, 'intake.next');
    for (const step of ['basics', 'work', 'pricing'] as const) {
      card = await click('intake.next', {
        draftId,
        step,
        ...stepData(step, typed({ title: tricky, branch: tricky })),
      });
    }
    const shownAsText = (c: Card) => {
      const blocks = find(c, (n) => n.type === 'TextBlock' || n.type === 'FactSet').map((n) =>
        JSON.stringify(n),
      );
      assert.ok(
        blocks.every((b) => !b.includes('evil.example')),
        'typed text reached a Markdown block',
      );
    };
    shownAsText(card);
    assert.ok(find(card, (n) => n.type === 'TextRun').some((n) => n.text === tricky));
    const review = await fillAll(typed({ title: tricky, background: `<b>${tricky}</b>` }));
    const runs = find(review, (n) => n.type === 'TextRun').map((n) => n.text);
    assert.ok(runs.includes(tricky));
    assert.ok(runs.includes(`<b>${tricky}</b>`));
    const blocks = find(review, (n) => n.type === 'TextBlock').map((n) => String(n.text));
    assert.ok(blocks.every((t) => !t.includes('evil.example')));
    await click('intake.submit', button(review, 'intake.submit'));
    assert.equal((await bot.store.get('MA-2026-0001'))?.title, tricky);
  });

  it('shows the branch requests of the last year with a similar title before the attestations', async () => {
    const first = await fillAll();
    await click('intake.submit', button(first, 'intake.submit'));
    let card = await say('new Accessible date picker, phase 2');
    const { draftId } = button(card, 'intake.next');
    for (const step of ['basics', 'work', 'pricing'] as const) {
      card = await click('intake.next', {
        draftId,
        step,
        ...stepData(step, typed({ title: 'Accessible date picker, phase 2' })),
      });
    }
    assert.match(textOf(card), /Step 4 of 5: Attestations/);
    assert.match(textOf(card), /Requests of the last 12 months from the branch/);
    assert.match(
      textOf(card),
      /MA-2026-0001 · Accessible date picker for the benefits form · \$4,000\.00 · submitted/,
    );
  });

  it('starts a second request with the client details of the person’s last one', async () => {
    const review = await fillAll();
    await click('intake.submit', button(review, 'intake.submit'));
    const card = await say('new');
    assert.equal(inputs(card).branch, 'Benefits Delivery');
    assert.equal(inputs(card).contactEmail, 'riley.tremblay@example.gc.ca');
    assert.equal(inputs(card).title, '');
  });

  it('switches the conversation to French with "language french" and back with "langue teams"', async () => {
    const chosen = await say('language french');
    assert.match(textOf(chosen), /Désormais, je vous parle en français/);
    assert.match(textOf(await say('new')), /Nouvelle demande/);
    assert.match(textOf(await say('help')), /Commencer une nouvelle demande/);
    const back = await say('langue teams');
    assert.match(textOf(back), /I will follow the language of your Teams again/);
    assert.match(textOf(await say('new')), /New request/);
  });

  it('offers the language choice as buttons, and answers an unknown language plainly', async () => {
    const card = await say('langue', { locale: 'fr-CA' });
    assert.match(textOf(card), /Je vous parle en français/);
    const english = buttons(card).find((b) => b.title === 'English');
    const chosen = await click('language.set', english?.data as Record<string, string>, { locale: 'fr-CA' });
    assert.match(textOf(chosen), /From now on I will speak to you in English/);
    assert.match(textOf(await say('language klingon')), /I do not know that language/);
  });

  it('posts a new request below when "New request" is clicked on a confirmation, which stays', async () => {
    const review = await fillAll();
    const confirmation = await click('intake.submit', button(review, 'intake.submit'));
    const before = connector.sent.length;
    const a = activity(
      'invoke',
      { serviceUrl: connector.url },
      {
        name: 'adaptiveCard/action',
        value: { action: { type: 'Action.Execute', ...button(confirmation, 'intake.new') } },
      },
    );
    const body = (await (await post(bot, a)).json()) as { type: string; value: unknown };
    assert.equal(body.type, 'application/vnd.microsoft.activity.message');
    assert.equal(body.value, 'Posted below.');
    const sent = await connector.waitFor(before + 1);
    assert.match(textOf(cardOf(sent[sent.length - 1])), /Step 1 of 5: The basics/);
  });

  it('discards from the list of drafts and shows the list again, one shorter', async () => {
    await say('new');
    await say('new');
    const list = await say('drafts');
    const discard = buttons(list).find((b) => b.verb === 'intake.discard');
    const after = await click('intake.discard', discard?.data as Record<string, string>);
    assert.match(textOf(after), /Draft discarded/);
    assert.match(textOf(after), /One request in progress/);
    assert.equal((await bot.store.listDrafts(PEOPLE.requester.aadObjectId)).length, 1);
  });

  it('replaces the card in place for the Action.Submit fallback', async () => {
    const card = await say('new');
    const data = button(card, 'intake.next');
    const before = connector.sent.length;
    await post(
      bot,
      activity(
        'message',
        { serviceUrl: connector.url },
        { replyToId: 'card-message-1', value: { ...data, ...stepData('basics', typed()) } },
      ),
    );
    const sent = await connector.waitFor(before + 1);
    const update = sent[sent.length - 1];
    assert.equal(update?.method, 'PUT');
    assert.match(update?.path ?? '', /activities\/card-message-1$/);
    assert.match(textOf(cardOf(update)), /Step 2 of 5/);
  });
});
